import type { Role } from '../core/domain/person.ts';
import type { ApiKeyScope } from '../core/domain/tenant.ts';

/** The caller of an API request, resolved from its bearer credential. */
export type Principal = UserPrincipal | ApiKeyPrincipal;

/** A person (or platform operator) signed in with an access token. */
export interface UserPrincipal {
  kind: 'user';
  userId: string;
  tenantId: string | null;
  role: Role;
  sessionId: string;
}

/** A service provider's backend, with a tenant API key limited to its scopes. */
export interface ApiKeyPrincipal {
  kind: 'api_key';
  apiKeyId: string;
  tenantId: string;
  scopes: readonly ApiKeyScope[];
}

/** Where a request came from, for the audit log. */
export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
}

export const SYSTEM_ORIGIN: RequestOrigin = { ip: null, userAgent: null };
