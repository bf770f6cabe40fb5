import { randomUUID } from 'node:crypto';
import type { AppContext } from '../core/context.ts';
import type { User, UserWithSecret } from '../core/domain/person.ts';
import type { Tenant } from '../core/domain/tenant.ts';
import { HestiaError } from '../core/errors.ts';
import type { Language } from '../core/messages.ts';
import type { MailPort } from '../core/ports/mail.ts';
import { passwordChangedMail, passwordResetMail } from './mail-templates.ts';
import type { AuditService } from './audit.ts';
import type { Principal, RequestOrigin, UserPrincipal } from './principal.ts';
import { hashPassword, hashToken, newToken, verifyPassword } from './secrets.ts';

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 1024;
const EMAIL_PATTERN = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

/** What a login or a refresh hands back. Both tokens are shown once and stored as digests. */
export interface SessionTokens {
  accessToken: string;
  accessExpiresAtMs: number;
  refreshToken: string;
  refreshExpiresAtMs: number;
  user: User;
}

export function validateEmail(email: string): string {
  const trimmed = email.trim();
  if (!EMAIL_PATTERN.test(trimmed))
    throw new HestiaError('HESTIA_VALIDATION_FAILED', 'email: not an email address');
  return trimmed;
}

export function validatePassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new HestiaError(
      'HESTIA_VALIDATION_FAILED',
      `password: ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`,
    );
  }
}

export function publicUser(user: UserWithSecret | User): User {
  const { passwordHash: _secret, ...rest } = user as UserWithSecret;
  return rest;
}

export interface AccountDeps {
  audit: AuditService;
  mailer: MailPort;
}

/**
 * People's accounts: sign-up, login with lock and backoff, short-lived access tokens renewed by
 * rotating refresh tokens, logout, password change and reset by a mailed one-time token, and
 * the resolution of a bearer credential (access token or tenant API key) to a principal.
 */
export class AccountService {
  constructor(
    private readonly ctx: AppContext,
    private readonly deps: AccountDeps,
  ) {}

  private get directory() {
    return this.ctx.store.directory;
  }

  /** Resolves the tenant an app signs in to, by slug or id; suspended tenants are refused. */
  async activeTenant(slugOrId: string): Promise<Tenant> {
    const tenant =
      (await this.directory.tenants.findTenantBySlug(slugOrId)) ??
      (await this.directory.tenants.findTenant(slugOrId));
    if (!tenant) throw new HestiaError('HESTIA_NOT_FOUND', 'No such tenant');
    if (tenant.status !== 'active') throw new HestiaError('HESTIA_TENANT_SUSPENDED');
    return tenant;
  }

  /** Self-service sign-up within a tenant whose sign-up is open; the person is signed in. */
  async signUp(
    input: {
      tenant: string;
      email: string;
      password: string;
      name?: string | undefined;
      language?: Language | null | undefined;
    },
    origin: RequestOrigin,
  ): Promise<SessionTokens> {
    const tenant = await this.activeTenant(input.tenant);
    if (!tenant.signupOpen) throw new HestiaError('HESTIA_SIGNUP_CLOSED');
    const user = await this.createUser({
      tenantId: tenant.id,
      email: input.email,
      password: input.password,
      name: input.name ?? null,
      role: 'user',
      language: input.language ?? null,
    });
    await this.deps.audit.record({
      tenantId: tenant.id,
      action: 'user.signed_up',
      actor: { kind: 'anonymous', id: user.id },
      origin,
      target: { type: 'user', id: user.id },
    });
    return this.openSession(user, origin);
  }

  /** Creates an account (validation, hashing, per-tenant email uniqueness). */
  async createUser(input: {
    tenantId: string | null;
    email: string;
    password: string;
    name: string | null;
    role: User['role'];
    language?: Language | null | undefined;
  }): Promise<User> {
    const email = validateEmail(input.email);
    validatePassword(input.password);
    const name = input.name?.trim() ? input.name.trim().slice(0, 100) : null;
    if (await this.directory.people.findUserByEmail(input.tenantId, email)) {
      throw new HestiaError('HESTIA_CONFLICT', `An account with email ${email} already exists`);
    }
    return this.directory.people.createUser({
      id: randomUUID(),
      tenantId: input.tenantId,
      email,
      name,
      passwordHash: await hashPassword(input.password),
      role: input.role,
      language: input.language ?? null,
      createdAtMs: this.ctx.clock.now(),
    });
  }

  /**
   * Email and password to a session. Failed attempts per account (known or not) lock it for a
   * while, doubling each further failure: guessing stays slow even from many addresses, which
   * the per-IP rate limit alone would not stop. A locked account is refused before the password
   * is checked, so the lock cannot be used to test passwords.
   */
  async login(
    input: { email: string; password: string; tenant?: string | undefined },
    origin: RequestOrigin,
  ): Promise<SessionTokens> {
    const { clock, config, metrics } = this.ctx;
    const tenant = input.tenant === undefined ? null : await this.findTenantForLogin(input.tenant);
    const user =
      input.tenant === undefined
        ? await this.uniqueAccount(input.email)
        : tenant
          ? await this.directory.people.findUserByEmail(tenant.id, input.email)
          : undefined;
    const throttleKey = `${tenant?.id ?? user?.tenantId ?? '-'}:${input.email.trim().toLowerCase()}`;
    const now = clock.now();
    const throttle = await this.directory.sessions.findLoginThrottle(throttleKey);
    if (throttle?.lockedUntilMs && throttle.lockedUntilMs > now) {
      metrics.loginLocks.inc();
      await this.deps.audit.record({
        tenantId: user?.tenantId ?? tenant?.id ?? null,
        action: 'auth.login_locked',
        outcome: 'failure',
        actor: { kind: 'anonymous', id: user?.id ?? null },
        origin,
      });
      throw new HestiaError('HESTIA_LOGIN_LOCKED', undefined, {
        retryAfterSeconds: Math.ceil((throttle.lockedUntilMs - now) / 1000),
      });
    }
    // Verify against a throwaway hash when the account is unknown, so timing does not reveal accounts.
    const ok = await verifyPassword(input.password, user?.passwordHash ?? (await absentPasswordHash()));
    if (!user || !ok) {
      const failures = (throttle?.failures ?? 0) + 1;
      const { loginFailuresBeforeLock, loginLockBaseSeconds, loginLockMaxSeconds } = config.auth;
      const lockSeconds =
        failures >= loginFailuresBeforeLock
          ? Math.min(loginLockBaseSeconds * 2 ** (failures - loginFailuresBeforeLock), loginLockMaxSeconds)
          : 0;
      await this.directory.sessions.setLoginThrottle(
        throttleKey,
        failures,
        lockSeconds ? now + lockSeconds * 1000 : null,
        now,
      );
      await this.deps.audit.record({
        tenantId: user?.tenantId ?? tenant?.id ?? null,
        action: 'auth.login_failed',
        outcome: 'failure',
        actor: { kind: 'anonymous', id: user?.id ?? null },
        origin,
        detail: { failures, lockedForSeconds: lockSeconds },
      });
      throw new HestiaError('HESTIA_BAD_CREDENTIALS');
    }
    if (throttle) await this.directory.sessions.clearLoginThrottle(throttleKey);
    await this.assertUsable(user);
    const tokens = await this.openSession(user, origin);
    await this.deps.audit.record({
      tenantId: user.tenantId,
      action: 'auth.login',
      actor: { kind: 'user', userId: user.id, tenantId: user.tenantId, role: user.role, sessionId: '' },
      origin,
    });
    return tokens;
  }

  private async findTenantForLogin(slugOrId: string): Promise<Tenant | null> {
    return (
      (await this.directory.tenants.findTenantBySlug(slugOrId)) ??
      (await this.directory.tenants.findTenant(slugOrId)) ??
      null
    );
  }

  /** Login without a tenant: the one account with this email, if there is exactly one. */
  private async uniqueAccount(email: string): Promise<UserWithSecret | undefined> {
    const accounts = await this.directory.people.findUsersByEmail(email);
    if (accounts.length > 1) {
      throw new HestiaError('HESTIA_VALIDATION_FAILED', 'tenant: this email needs the tenant to sign in');
    }
    return accounts[0];
  }

  private async assertUsable(user: User): Promise<void> {
    if (user.disabledAtMs !== null) throw new HestiaError('HESTIA_ACCOUNT_DISABLED');
    if (user.tenantId) {
      const tenant = await this.directory.tenants.findTenant(user.tenantId);
      if (tenant?.status !== 'active') throw new HestiaError('HESTIA_TENANT_SUSPENDED');
    }
  }

  private async openSession(user: User, origin: RequestOrigin): Promise<SessionTokens> {
    const now = this.ctx.clock.now();
    const refreshToken = newToken('hrt');
    const refreshExpiresAtMs = now + this.ctx.config.auth.refreshTokenTtlSeconds * 1000;
    const sessionId = randomUUID();
    await this.directory.sessions.createSession({
      id: sessionId,
      userId: user.id,
      tenantId: user.tenantId,
      refreshHash: hashToken(refreshToken),
      client: origin.userAgent?.slice(0, 200) ?? null,
      createdAtMs: now,
      expiresAtMs: refreshExpiresAtMs,
    });
    const { accessToken, accessExpiresAtMs } = await this.issueAccessToken(sessionId, user.id, now);
    return { accessToken, accessExpiresAtMs, refreshToken, refreshExpiresAtMs, user: publicUser(user) };
  }

  private async issueAccessToken(
    sessionId: string,
    userId: string,
    now: number,
  ): Promise<{ accessToken: string; accessExpiresAtMs: number }> {
    const accessToken = newToken('hat');
    const accessExpiresAtMs = now + this.ctx.config.auth.accessTokenTtlSeconds * 1000;
    await this.directory.sessions.createAccessToken({
      tokenHash: hashToken(accessToken),
      sessionId,
      userId,
      expiresAtMs: accessExpiresAtMs,
    });
    return { accessToken, accessExpiresAtMs };
  }

  /**
   * A refresh token for a new pair. The refresh token rotates; presenting one that was already
   * rotated means two parties hold it (it was copied), so the whole session is revoked.
   */
  async refresh(refreshToken: string, origin: RequestOrigin): Promise<SessionTokens> {
    const now = this.ctx.clock.now();
    const presented = hashToken(refreshToken);
    const found = await this.directory.sessions.findSessionByRefresh(presented);
    if (!found || found.session.revokedAtMs !== null || found.session.expiresAtMs <= now) {
      throw new HestiaError('HESTIA_UNAUTHENTICATED', 'The refresh token is unknown, revoked or expired');
    }
    const { session } = found;
    if (!found.current) {
      await this.directory.sessions.revokeSession(session.id, now);
      await this.deps.audit.record({
        tenantId: session.tenantId,
        action: 'auth.refresh_reused',
        outcome: 'failure',
        actor: { kind: 'anonymous', id: session.userId },
        origin,
        target: { type: 'session', id: session.id },
      });
      throw new HestiaError(
        'HESTIA_UNAUTHENTICATED',
        'The refresh token was already used; the session is revoked',
      );
    }
    const user = await this.directory.people.findUser(session.userId);
    if (!user) throw new HestiaError('HESTIA_UNAUTHENTICATED');
    await this.assertUsable(user);
    const nextRefresh = newToken('hrt');
    const refreshExpiresAtMs = now + this.ctx.config.auth.refreshTokenTtlSeconds * 1000;
    const rotated = await this.directory.sessions.rotateRefreshToken({
      sessionId: session.id,
      fromHash: presented,
      toHash: hashToken(nextRefresh),
      atMs: now,
      expiresAtMs: refreshExpiresAtMs,
    });
    if (!rotated) throw new HestiaError('HESTIA_UNAUTHENTICATED', 'The refresh token was already used');
    const { accessToken, accessExpiresAtMs } = await this.issueAccessToken(session.id, user.id, now);
    return {
      accessToken,
      accessExpiresAtMs,
      refreshToken: nextRefresh,
      refreshExpiresAtMs,
      user: publicUser(user),
    };
  }

  /** Ends the caller's session: its access and refresh tokens stop working. */
  async logout(principal: UserPrincipal, origin: RequestOrigin): Promise<void> {
    await this.directory.sessions.revokeSession(principal.sessionId, this.ctx.clock.now());
    await this.deps.audit.record({
      tenantId: principal.tenantId,
      action: 'auth.logout',
      actor: principal,
      origin,
    });
  }

  /** Changes the caller's password; every other session of the account ends. */
  async changePassword(
    principal: UserPrincipal,
    input: { currentPassword: string; newPassword: string },
    origin: RequestOrigin,
  ): Promise<void> {
    const user = await this.directory.people.findUser(principal.userId);
    if (!user || !(await verifyPassword(input.currentPassword, user.passwordHash))) {
      throw new HestiaError('HESTIA_BAD_CREDENTIALS', 'The current password is wrong');
    }
    validatePassword(input.newPassword);
    const now = this.ctx.clock.now();
    await this.directory.people.setUserPassword(user.id, await hashPassword(input.newPassword), now);
    const ended = await this.directory.sessions.revokeUserSessions(user.id, now, principal.sessionId);
    await this.deps.audit.record({
      tenantId: user.tenantId,
      action: 'auth.password_changed',
      actor: principal,
      origin,
      target: { type: 'user', id: user.id },
      detail: { sessionsEnded: ended },
    });
    await this.sendQuietly(
      user,
      passwordChangedMail({ brandName: await this.brandName(user.tenantId), language: user.language }),
    );
  }

  /**
   * Mails a one-time reset link if the account exists. The answer is the same either way, so
   * the endpoint does not reveal which emails have accounts.
   */
  async requestPasswordReset(input: { email: string; tenant?: string | undefined }, origin: RequestOrigin) {
    const tenant = input.tenant === undefined ? null : await this.findTenantForLogin(input.tenant);
    let user: UserWithSecret | undefined;
    try {
      user =
        input.tenant === undefined
          ? await this.uniqueAccount(input.email)
          : tenant
            ? await this.directory.people.findUserByEmail(tenant.id, input.email)
            : undefined;
    } catch {
      user = undefined; // several accounts and no tenant: same silent answer
    }
    if (!user || user.disabledAtMs !== null) return;
    const now = this.ctx.clock.now();
    const token = newToken('hpr');
    const ttlSeconds = this.ctx.config.auth.passwordResetTtlSeconds;
    await this.directory.sessions.createOneTimeToken({
      tokenHash: hashToken(token),
      purpose: 'password_reset',
      userId: user.id,
      createdAtMs: now,
      expiresAtMs: now + ttlSeconds * 1000,
    });
    await this.deps.audit.record({
      tenantId: user.tenantId,
      action: 'auth.password_reset_requested',
      actor: { kind: 'anonymous', id: user.id },
      origin,
      target: { type: 'user', id: user.id },
    });
    await this.sendQuietly(
      user,
      passwordResetMail({
        brandName: await this.brandName(user.tenantId),
        appUrl: this.ctx.config.mail.appUrl,
        token,
        expiresInMinutes: Math.round(ttlSeconds / 60),
        language: user.language,
      }),
    );
  }

  /** Sets a new password with a mailed token (once); every session of the account ends. */
  async resetPassword(input: { token: string; newPassword: string }, origin: RequestOrigin): Promise<void> {
    validatePassword(input.newPassword);
    const now = this.ctx.clock.now();
    const userId = await this.directory.sessions.consumeOneTimeToken(
      hashToken(input.token),
      'password_reset',
      now,
    );
    if (!userId) throw new HestiaError('HESTIA_TOKEN_INVALID');
    const user = await this.directory.people.findUser(userId);
    if (!user) throw new HestiaError('HESTIA_TOKEN_INVALID');
    await this.directory.people.setUserPassword(user.id, await hashPassword(input.newPassword), now);
    await this.directory.sessions.revokeUserSessions(user.id, now);
    await this.directory.sessions.clearLoginThrottle(`${user.tenantId ?? '-'}:${user.email.toLowerCase()}`);
    await this.deps.audit.record({
      tenantId: user.tenantId,
      action: 'auth.password_reset',
      actor: { kind: 'anonymous', id: user.id },
      origin,
      target: { type: 'user', id: user.id },
    });
  }

  /**
   * The principal behind a bearer credential, or undefined when it is unknown, expired or
   * revoked, or its account or tenant is disabled. `hak_` credentials are tenant API keys.
   */
  async authenticate(bearer: string): Promise<Principal | undefined> {
    const now = this.ctx.clock.now();
    if (bearer.startsWith('hak_')) {
      const key = await this.directory.apiKeys.findLiveApiKeyByHash(hashToken(bearer));
      if (!key) return undefined;
      await this.directory.apiKeys.touchApiKey(key.id, now);
      return { kind: 'api_key', apiKeyId: key.id, tenantId: key.tenantId, scopes: key.scopes };
    }
    const record = await this.directory.sessions.findAccessToken(hashToken(bearer), now);
    if (!record) return undefined;
    return {
      kind: 'user',
      userId: record.userId,
      tenantId: record.tenantId,
      role: record.role,
      sessionId: record.sessionId,
    };
  }

  async me(principal: UserPrincipal): Promise<User> {
    const user = await this.directory.people.findUser(principal.userId);
    if (!user) throw new HestiaError('HESTIA_UNAUTHENTICATED');
    return publicUser(user);
  }

  /**
   * Changes the caller's own name or language (what is left out stays); a blank name removes
   * it. The change is audited with the fields it touched.
   */
  async updateMe(
    principal: UserPrincipal,
    patch: { name?: string | null | undefined; language?: Language | null | undefined },
    origin: RequestOrigin,
  ): Promise<User> {
    const user = await this.directory.people.findUser(principal.userId);
    if (!user) throw new HestiaError('HESTIA_UNAUTHENTICATED');
    const changed: Record<string, { from: string | null; to: string | null }> = {};
    if (patch.name !== undefined) {
      const name = patch.name?.trim() ? patch.name.trim().slice(0, 100) : null;
      if (name !== user.name) {
        await this.directory.people.setUserName(user.id, name);
        changed.name = { from: user.name, to: name };
      }
    }
    if (patch.language !== undefined && patch.language !== user.language) {
      await this.directory.people.setUserLanguage(user.id, patch.language);
      changed.language = { from: user.language, to: patch.language };
    }
    if (Object.keys(changed).length > 0) {
      await this.deps.audit.record({
        tenantId: user.tenantId,
        action: 'user.updated',
        actor: principal,
        origin,
        target: { type: 'user', id: user.id },
        // names are personal data: the log says that it changed, not what to
        detail: {
          fields: Object.keys(changed),
          ...(changed.language ? { language: changed.language } : {}),
        },
      });
    }
    return this.me(principal);
  }

  async brandName(tenantId: string | null): Promise<string> {
    if (!tenantId) return 'Hestia';
    const tenant = await this.directory.tenants.findTenant(tenantId);
    return tenant?.branding.displayName ?? tenant?.name ?? 'Hestia';
  }

  /**
   * Sends a mail; a delivery failure is logged (without the body, which may hold a token) and
   * does not fail the request: the person can ask again, and the answer must not reveal
   * whether an account exists.
   */
  async sendQuietly(
    user: { email: string; id: string },
    mail: { subject: string; text: string; html: string },
  ) {
    try {
      await this.deps.mailer.send({ to: user.email, ...mail });
    } catch (error) {
      this.ctx.logger.error({ err: (error as Error).message, userId: user.id }, 'mail could not be sent');
    }
  }
}

let absentHash: Promise<string> | undefined;
function absentPasswordHash(): Promise<string> {
  absentHash ??= hashPassword(newToken('absent'));
  return absentHash;
}
