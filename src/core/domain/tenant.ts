/** Service providers (tenants): their settings, branding and API keys. Times are epoch milliseconds. */

export type TenantStatus = 'active' | 'suspended';

/** How a service provider's apps and mails present themselves. */
export interface Branding {
  displayName: string | null;
  logoUrl: string | null;
  primaryColor: string | null;
  accentColor: string | null;
}

export interface Tenant {
  id: string;
  /** Short unique name apps use to sign in to their provider, e.g. "acme". */
  slug: string;
  name: string;
  status: TenantStatus;
  branding: Branding;
  /** Whether people may sign up on their own; otherwise by invitation only. */
  signupOpen: boolean;
  createdAtMs: number;
  suspendedAtMs: number | null;
}

/** Scopes a tenant API key can carry; a route names the one it needs. */
export const API_KEY_SCOPES = [
  'tenant:read',
  'users:read',
  'users:write',
  'homes:read',
  'gateways:read',
  'gateways:write',
  'telemetry:read',
  'audit:read',
  'tariffs:read',
  'tariffs:write',
] as const;

export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface ApiKey {
  id: string;
  tenantId: string;
  name: string;
  scopes: ApiKeyScope[];
  createdBy: string | null;
  createdAtMs: number;
  lastUsedAtMs: number | null;
  revokedAtMs: number | null;
}
