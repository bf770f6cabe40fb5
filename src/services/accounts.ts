import { randomUUID } from 'node:crypto';
import type { AppContext } from '../core/context.ts';
import type { Role, Tenant, User } from '../core/domain.ts';
import { HestiaError } from '../core/errors.ts';
import { hashPassword, hashToken, newToken, verifyPassword } from './secrets.ts';

/** The caller of an API request, resolved from its bearer token. */
export interface Principal {
  userId: string;
  tenantId: string | null;
  role: Role;
}

export const MIN_PASSWORD_LENGTH = 10;
const EMAIL_PATTERN = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

/**
 * Tenants and their administrators: the minimal bootstrap (a tenant and its admin) and login.
 * Access tokens are random, stored as digests, and expire.
 */
export class AccountService {
  constructor(private readonly ctx: AppContext) {}

  async createTenantWithAdmin(input: {
    tenantName: string;
    email: string;
    password: string;
  }): Promise<{ tenant: Tenant; admin: User }> {
    const tenantName = input.tenantName.trim();
    if (tenantName.length === 0 || tenantName.length > 100) {
      throw new HestiaError('HESTIA_VALIDATION_FAILED', 'tenant name: 1 to 100 characters');
    }
    if (!EMAIL_PATTERN.test(input.email))
      throw new HestiaError('HESTIA_VALIDATION_FAILED', 'email: not an email address');
    if (input.password.length < MIN_PASSWORD_LENGTH) {
      throw new HestiaError(
        'HESTIA_VALIDATION_FAILED',
        `password: at least ${MIN_PASSWORD_LENGTH} characters`,
      );
    }
    if (await this.ctx.store.findUserByEmail(input.email)) {
      throw new HestiaError('HESTIA_CONFLICT', `a user with email ${input.email} already exists`);
    }
    const now = this.ctx.clock.now();
    const tenant = await this.ctx.store.createTenant({
      id: randomUUID(),
      name: tenantName,
      createdAtMs: now,
    });
    const admin = await this.ctx.store.createUser({
      id: randomUUID(),
      tenantId: tenant.id,
      email: input.email,
      passwordHash: await hashPassword(input.password),
      role: 'tenant_admin',
      createdAtMs: now,
    });
    this.ctx.logger.info({ tenantId: tenant.id, userId: admin.id }, 'tenant and admin created');
    return { tenant, admin };
  }

  async login(
    email: string,
    password: string,
  ): Promise<{ accessToken: string; expiresAtMs: number; user: User }> {
    const user = await this.ctx.store.findUserByEmail(email);
    // Verify against a throwaway hash when the user is unknown, so timing does not reveal accounts.
    const ok = await verifyPassword(password, user?.passwordHash ?? (await absentPasswordHash()));
    if (!user || !ok) throw new HestiaError('HESTIA_BAD_CREDENTIALS');
    const accessToken = newToken('hat');
    const expiresAtMs = this.ctx.clock.now() + this.ctx.config.auth.accessTokenTtlSeconds * 1000;
    await this.ctx.store.createAccessToken({
      tokenHash: hashToken(accessToken),
      userId: user.id,
      tenantId: user.tenantId,
      role: user.role,
      expiresAtMs,
    });
    const { passwordHash: _secret, ...publicUser } = user;
    return { accessToken, expiresAtMs, user: publicUser };
  }

  async logout(accessToken: string): Promise<void> {
    await this.ctx.store.deleteAccessToken(hashToken(accessToken));
  }

  /** The principal behind a bearer token, or undefined when it is unknown or expired. */
  async authenticate(accessToken: string): Promise<Principal | undefined> {
    const record = await this.ctx.store.findAccessToken(hashToken(accessToken));
    if (!record || record.expiresAtMs <= this.ctx.clock.now()) return undefined;
    return { userId: record.userId, tenantId: record.tenantId, role: record.role };
  }
}

let absentHash: Promise<string> | undefined;
function absentPasswordHash(): Promise<string> {
  absentHash ??= hashPassword(newToken('absent'));
  return absentHash;
}
