import type { FastifyReply, FastifyRequest } from 'fastify';
import { HestiaError } from '../core/errors.ts';
import type { AccountService } from '../services/accounts.ts';
import type { Principal, RequestOrigin, UserPrincipal } from '../services/principal.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S{1,512})$/i.exec(header) : null;
  return match?.[1];
}

/**
 * Resolves the bearer credential (access token or tenant API key) of every /v1 route but the
 * anonymous ones. Which objects and actions the caller may touch is decided by the services,
 * through the authorizer; this only establishes who calls.
 */
export function authenticated(accounts: AccountService) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const bearer = bearerOf(request);
    if (!bearer) throw new HestiaError('HESTIA_UNAUTHENTICATED');
    const principal = await accounts.authenticate(bearer);
    if (!principal)
      throw new HestiaError('HESTIA_UNAUTHENTICATED', 'The bearer token is unknown, expired or revoked');
    request.principal = principal;
  };
}

/** Like `authenticated`, but a request without a credential goes on anonymously. */
export function optionallyAuthenticated(accounts: AccountService) {
  const required = authenticated(accounts);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (request.headers.authorization !== undefined) await required(request, reply);
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new HestiaError('HESTIA_UNAUTHENTICATED');
  return request.principal;
}

/** Routes about one's own account (logout, password) are for people, not API keys. */
export function userOf(request: FastifyRequest): UserPrincipal {
  const principal = principalOf(request);
  if (principal.kind !== 'user')
    throw new HestiaError('HESTIA_FORBIDDEN', 'This route needs a signed-in person');
  return principal;
}

export function originOf(request: FastifyRequest): RequestOrigin {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent : null };
}
