/** People: accounts, their roles, logins (sessions) and invitations. Times are epoch milliseconds. */

import type { Language } from '../messages.ts';
import type { HomeRole } from './home.ts';

/** Domain types shared by the stores, services and API. Times are epoch milliseconds. */

/** Installation-wide role of an account. Rights inside a home come from `HomeRole`. */
export type Role = 'platform_admin' | 'tenant_admin' | 'user';

export const ROLES: readonly Role[] = ['platform_admin', 'tenant_admin', 'user'];

export interface User {
  id: string;
  tenantId: string | null;
  email: string;
  name: string | null;
  role: Role;
  /** The language Hestia writes to them in; null: the provider's default (English). */
  language: Language | null;
  createdAtMs: number;
  disabledAtMs: number | null;
}

export interface UserWithSecret extends User {
  passwordHash: string;
}

/** What a valid access token resolves to, with the account's current role and state. */
export interface AccessTokenRecord {
  sessionId: string;
  userId: string;
  tenantId: string | null;
  role: Role;
  expiresAtMs: number;
}

/** A login: one refresh token (rotated at each use) and the access tokens issued from it. */
export interface Session {
  id: string;
  userId: string;
  tenantId: string | null;
  createdAtMs: number;
  refreshedAtMs: number;
  expiresAtMs: number;
  revokedAtMs: number | null;
  client: string | null;
}

/** An invitation to a tenant (homeId null, role a `Role`) or to a home (role a `HomeRole`). */
export interface Invitation {
  id: string;
  tenantId: string;
  homeId: string | null;
  email: string;
  role: Role | HomeRole;
  invitedBy: string | null;
  /** The language the invitation was mailed in; the account it creates takes it unless told otherwise. */
  language: Language | null;
  createdAtMs: number;
  expiresAtMs: number;
  acceptedAtMs: number | null;
  revokedAtMs: number | null;
}
