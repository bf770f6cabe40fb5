import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../core/domain.ts';
import { HestiaError } from '../core/errors.ts';
import type { AccountService, Principal } from '../services/accounts.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Resolves the bearer token and checks the caller's role; every /v1 route but login uses it. */
export function requireRole(accounts: AccountService, roles: readonly Role[]) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new HestiaError('HESTIA_UNAUTHENTICATED');
    const principal = await accounts.authenticate(match[1]!);
    if (!principal) throw new HestiaError('HESTIA_UNAUTHENTICATED', 'The bearer token is unknown or expired');
    if (!roles.includes(principal.role)) throw new HestiaError('HESTIA_FORBIDDEN');
    request.principal = principal;
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new HestiaError('HESTIA_UNAUTHENTICATED');
  return request.principal;
}

/**
 * Whether the caller may see an object of `tenantId`. A foreign object is reported as absent
 * (404), never as forbidden, so ids of other tenants cannot be probed.
 */
export function assertTenantAccess(principal: Principal, tenantId: string, what: string): void {
  if (principal.role === 'platform_admin') return;
  if (principal.tenantId !== tenantId) throw new HestiaError('HESTIA_NOT_FOUND', `No such ${what}`);
}

/** The tenant a tenant-scoped list is for. */
export function tenantOf(principal: Principal): string {
  if (!principal.tenantId) throw new HestiaError('HESTIA_FORBIDDEN', 'This route needs a tenant account');
  return principal.tenantId;
}
