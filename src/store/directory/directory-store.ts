import { randomUUID } from 'node:crypto';
import type { Gateway } from '../../core/domain/gateway.ts';
import type { AuditActorType, AuditEntry } from '../../core/domain/audit.ts';
import type {
  GatewayRetentionPolicy,
  RecordingMode,
  Tariff,
  TariffRegistration,
  TariffPatch,
} from '../../core/domain/tariff.ts';
import type {
  AccessTokenRecord,
  Invitation,
  Role,
  Session,
  User,
  UserWithSecret,
} from '../../core/domain/person.ts';
import type { Home, HomeMember, HomeRole, Room } from '../../core/domain/home.ts';
import type { ApiKey, ApiKeyScope, Branding, Tenant, TenantStatus } from '../../core/domain/tenant.ts';
import { isLanguage, type Language } from '../../core/messages.ts';
import { DEFAULT_TARIFFS } from '../../core/domain/tariff.ts';
import { jsonColumn, toGateway, toTenant, toUser, type Row } from '../rows.ts';
import type { SqlRunner } from './sql-runner.ts';

/**
 * The tariff in force for the home `h`: its own, else its tenant's default. SQL both engines
 * accept, joined wherever a home's tariff is needed.
 */
const TARIFF_OF_HOME = `t.tenant_id = h.tenant_id
  AND (t.id = h.tariff_id OR (h.tariff_id IS NULL AND t.is_default = 1))`;

/**
 * The directory: who is who and who may touch what. Written once in SQL both engines accept,
 * against the `SqlRunner` port; the SQLite and PostgreSQL adapters each hand it their runner,
 * and it passes the same conformance suite on both. Hot ingest paths stay engine-specific.
 */
export class DirectoryStore {
  constructor(private readonly sql: SqlRunner) {}

  // ---- tenants ----

  async createTenant(input: {
    id: string;
    slug: string;
    name: string;
    createdAtMs: number;
    signupOpen?: boolean;
    branding?: Partial<Branding>;
  }): Promise<Tenant> {
    // Every path that makes a tenant (API, CLI, simulator, tests) comes through here, so a tenant
    // never exists without its tariffs, the seed's three, "Basic" being the default.
    await this.sql.transaction(async (tx) => {
      await tx.run(
        'INSERT INTO tenants (id, slug, name, created_at_ms, signup_open, branding) VALUES (?, ?, ?, ?, ?, ?)',
        [
          input.id,
          input.slug,
          input.name,
          input.createdAtMs,
          input.signupOpen === false ? 0 : 1,
          JSON.stringify(input.branding ?? {}),
        ],
      );
      for (const tariff of DEFAULT_TARIFFS) {
        await insertTariff(tx, {
          ...tariff,
          recordingModes: [...tariff.recordingModes],
          id: randomUUID(),
          tenantId: input.id,
          createdAtMs: input.createdAtMs,
          updatedAtMs: input.createdAtMs,
        });
      }
    });
    return (await this.findTenant(input.id))!;
  }

  async findTenant(id: string): Promise<Tenant | undefined> {
    const row = await this.sql.get('SELECT * FROM tenants WHERE id = ?', [id]);
    return row ? toTenant(row) : undefined;
  }

  async findTenantBySlug(slug: string): Promise<Tenant | undefined> {
    const row = await this.sql.get('SELECT * FROM tenants WHERE slug = ?', [slug]);
    return row ? toTenant(row) : undefined;
  }

  async listTenants(): Promise<Tenant[]> {
    return (await this.sql.all('SELECT * FROM tenants ORDER BY created_at_ms, id')).map(toTenant);
  }

  async updateTenant(
    id: string,
    patch: { name?: string | undefined; branding?: Branding | undefined; signupOpen?: boolean | undefined },
  ): Promise<Tenant | undefined> {
    await this.sql.run(
      `UPDATE tenants SET name = coalesce(?, name), branding = coalesce(?, branding),
         signup_open = coalesce(?, signup_open) WHERE id = ?`,
      [
        patch.name ?? null,
        patch.branding ? JSON.stringify(patch.branding) : null,
        patch.signupOpen === undefined ? null : patch.signupOpen ? 1 : 0,
        id,
      ],
    );
    return this.findTenant(id);
  }

  async setTenantStatus(id: string, status: TenantStatus, atMs: number): Promise<void> {
    await this.sql.run('UPDATE tenants SET status = ?, suspended_at_ms = ? WHERE id = ?', [
      status,
      status === 'suspended' ? atMs : null,
      id,
    ]);
  }

  /** Push-provider credentials as a JSON text, or null to remove them. */
  async setTenantPushCredentials(id: string, credentialsJson: string | null): Promise<void> {
    await this.sql.run('UPDATE tenants SET push_credentials = ? WHERE id = ?', [credentialsJson, id]);
  }

  async findTenantPushCredentials(id: string): Promise<string | null> {
    const row = await this.sql.get('SELECT push_credentials FROM tenants WHERE id = ?', [id]);
    return (row?.push_credentials as string | null | undefined) ?? null;
  }

  // ---- users ----

  async createUser(input: {
    id: string;
    tenantId: string | null;
    email: string;
    name?: string | null;
    passwordHash: string;
    role: Role;
    language?: Language | null;
    createdAtMs: number;
  }): Promise<User> {
    await this.sql.run(
      `INSERT INTO users (id, tenant_id, email, email_lower, name, password_hash, role, language, created_at_ms,
         password_changed_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        input.id,
        input.tenantId,
        input.email,
        input.email.toLowerCase(),
        input.name ?? null,
        input.passwordHash,
        input.role,
        input.language ?? null,
        input.createdAtMs,
        input.createdAtMs,
      ],
    );
    return (await this.findUser(input.id))!;
  }

  async findUser(id: string): Promise<UserWithSecret | undefined> {
    const row = await this.sql.get('SELECT * FROM users WHERE id = ?', [id]);
    return row ? withSecret(row) : undefined;
  }

  /** Emails are unique per tenant (null: platform accounts) and compared case-insensitively. */
  async findUserByEmail(tenantId: string | null, email: string): Promise<UserWithSecret | undefined> {
    const row = await this.sql.get(
      "SELECT * FROM users WHERE coalesce(tenant_id, '') = ? AND email_lower = ?",
      [tenantId ?? '', email.toLowerCase()],
    );
    return row ? withSecret(row) : undefined;
  }

  /** Every account with this email, across tenants (login without a tenant). */
  async findUsersByEmail(email: string): Promise<UserWithSecret[]> {
    const rows = await this.sql.all('SELECT * FROM users WHERE email_lower = ? ORDER BY id LIMIT 10', [
      email.toLowerCase(),
    ]);
    return rows.map(withSecret);
  }

  async listUsers(tenantId: string, page: { limit: number; after?: string | undefined }): Promise<User[]> {
    const rows = await this.sql.all(
      'SELECT * FROM users WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?',
      [tenantId, page.after ?? '', page.limit],
    );
    return rows.map(toUser);
  }

  async countUsers(): Promise<number> {
    return Number((await this.sql.get('SELECT count(*) AS n FROM users'))!.n);
  }

  async setUserPassword(userId: string, passwordHash: string, atMs: number): Promise<void> {
    await this.sql.run('UPDATE users SET password_hash = ?, password_changed_at_ms = ? WHERE id = ?', [
      passwordHash,
      atMs,
      userId,
    ]);
  }

  async setUserRole(userId: string, role: Role): Promise<void> {
    await this.sql.run('UPDATE users SET role = ? WHERE id = ?', [role, userId]);
  }

  async setUserDisabled(userId: string, disabledAtMs: number | null): Promise<void> {
    await this.sql.run('UPDATE users SET disabled_at_ms = ? WHERE id = ?', [disabledAtMs, userId]);
  }

  async setUserName(userId: string, name: string | null): Promise<void> {
    await this.sql.run('UPDATE users SET name = ? WHERE id = ?', [name, userId]);
  }

  async setUserLanguage(userId: string, language: Language | null): Promise<void> {
    await this.sql.run('UPDATE users SET language = ? WHERE id = ?', [language, userId]);
  }

  // ---- sessions and tokens ----

  async createSession(input: {
    id: string;
    userId: string;
    tenantId: string | null;
    refreshHash: string;
    client: string | null;
    createdAtMs: number;
    expiresAtMs: number;
  }): Promise<void> {
    await this.sql.run(
      `INSERT INTO sessions (id, tenant_id, user_id, refresh_hash, client, created_at_ms, refreshed_at_ms, expires_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        input.id,
        input.tenantId,
        input.userId,
        input.refreshHash,
        input.client,
        input.createdAtMs,
        input.createdAtMs,
        input.expiresAtMs,
      ],
    );
  }

  async findSession(id: string): Promise<Session | undefined> {
    const row = await this.sql.get('SELECT * FROM sessions WHERE id = ?', [id]);
    return row ? toSession(row) : undefined;
  }

  /** The session whose current refresh token has this digest, or which rotated it out earlier. */
  async findSessionByRefresh(
    refreshHash: string,
  ): Promise<{ session: Session; current: boolean } | undefined> {
    const current = await this.sql.get('SELECT * FROM sessions WHERE refresh_hash = ?', [refreshHash]);
    if (current) return { session: toSession(current), current: true };
    const retired = await this.sql.get(
      'SELECT s.* FROM retired_refresh_tokens r JOIN sessions s ON s.id = r.session_id WHERE r.token_hash = ?',
      [refreshHash],
    );
    return retired ? { session: toSession(retired), current: false } : undefined;
  }

  /**
   * Replaces the refresh token if it is still `fromHash` (compare-and-set: of two concurrent
   * refreshes with one token, one wins) and retires the old one. Returns whether this call
   * rotated it.
   */
  async rotateRefreshToken(input: {
    sessionId: string;
    fromHash: string;
    toHash: string;
    atMs: number;
    expiresAtMs: number;
  }): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const changed = await tx.run(
        `UPDATE sessions SET refresh_hash = ?, refreshed_at_ms = ?, expires_at_ms = ?
         WHERE id = ? AND refresh_hash = ? AND revoked_at_ms IS NULL`,
        [input.toHash, input.atMs, input.expiresAtMs, input.sessionId, input.fromHash],
      );
      if (changed !== 1) return false;
      await tx.run(
        'INSERT INTO retired_refresh_tokens (token_hash, session_id, retired_at_ms) VALUES (?, ?, ?)',
        [input.fromHash, input.sessionId, input.atMs],
      );
      return true;
    });
  }

  /** Ends a session: its refresh token stops working and its access tokens are deleted. */
  async revokeSession(sessionId: string, atMs: number): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.run('UPDATE sessions SET revoked_at_ms = ? WHERE id = ? AND revoked_at_ms IS NULL', [
        atMs,
        sessionId,
      ]);
      await tx.run('DELETE FROM access_tokens WHERE session_id = ?', [sessionId]);
    });
  }

  /** Ends every session of a user but `keepSessionId` (password change, disabling, removal). */
  async revokeUserSessions(
    userId: string,
    atMs: number,
    keepSessionId: string | null = null,
  ): Promise<number> {
    return this.sql.transaction(async (tx) => {
      const revoked = await tx.run(
        `UPDATE sessions SET revoked_at_ms = ? WHERE user_id = ? AND revoked_at_ms IS NULL AND id <> ?`,
        [atMs, userId, keepSessionId ?? ''],
      );
      await tx.run('DELETE FROM access_tokens WHERE user_id = ? AND session_id <> ?', [
        userId,
        keepSessionId ?? '',
      ]);
      return revoked;
    });
  }

  async listUserSessions(userId: string, nowMs: number): Promise<Session[]> {
    const rows = await this.sql.all(
      'SELECT * FROM sessions WHERE user_id = ? AND revoked_at_ms IS NULL AND expires_at_ms > ? ORDER BY created_at_ms DESC',
      [userId, nowMs],
    );
    return rows.map(toSession);
  }

  async createAccessToken(input: {
    tokenHash: string;
    sessionId: string;
    userId: string;
    expiresAtMs: number;
  }): Promise<void> {
    await this.sql.run(
      'INSERT INTO access_tokens (token_hash, session_id, user_id, expires_at_ms) VALUES (?, ?, ?, ?)',
      [input.tokenHash, input.sessionId, input.userId, input.expiresAtMs],
    );
  }

  /**
   * The principal behind an access token, checked in one query: the token and its session are
   * live, the account is not disabled and its tenant is not suspended. The role is the account's
   * current one, so a role change takes effect at the next request.
   */
  async findAccessToken(tokenHash: string, nowMs: number): Promise<AccessTokenRecord | undefined> {
    const row = await this.sql.get(
      `SELECT t.session_id, t.user_id, t.expires_at_ms, u.tenant_id, u.role
       FROM access_tokens t
       JOIN sessions s ON s.id = t.session_id
       JOIN users u ON u.id = t.user_id
       LEFT JOIN tenants n ON n.id = u.tenant_id
       WHERE t.token_hash = ? AND t.expires_at_ms > ? AND s.revoked_at_ms IS NULL
         AND u.disabled_at_ms IS NULL AND (u.tenant_id IS NULL OR n.status = 'active')`,
      [tokenHash, nowMs],
    );
    return row
      ? {
          sessionId: row.session_id as string,
          userId: row.user_id as string,
          tenantId: row.tenant_id as string | null,
          role: row.role as Role,
          expiresAtMs: row.expires_at_ms as number,
        }
      : undefined;
  }

  async deleteAccessToken(tokenHash: string): Promise<void> {
    await this.sql.run('DELETE FROM access_tokens WHERE token_hash = ?', [tokenHash]);
  }

  /** Sweeps what can no longer be used: expired tokens, sessions and one-time tokens. */
  async deleteExpiredTokens(nowMs: number): Promise<number> {
    return this.sql.transaction(async (tx) => {
      let deleted = await tx.run('DELETE FROM access_tokens WHERE expires_at_ms <= ?', [nowMs]);
      deleted += await tx.run('DELETE FROM sessions WHERE expires_at_ms <= ?', [nowMs]);
      deleted += await tx.run('DELETE FROM one_time_tokens WHERE expires_at_ms <= ?', [nowMs]);
      deleted += await tx.run(
        'DELETE FROM login_throttle WHERE coalesce(locked_until_ms, 0) <= ? AND updated_at_ms <= ?',
        [nowMs, nowMs - 24 * 60 * 60 * 1000],
      );
      return deleted;
    });
  }

  async createOneTimeToken(input: {
    tokenHash: string;
    purpose: 'password_reset';
    userId: string;
    createdAtMs: number;
    expiresAtMs: number;
  }): Promise<void> {
    await this.sql.run(
      'INSERT INTO one_time_tokens (token_hash, purpose, user_id, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?)',
      [input.tokenHash, input.purpose, input.userId, input.createdAtMs, input.expiresAtMs],
    );
  }

  /** Marks a live one-time token used and returns its user; a second use finds nothing. */
  async consumeOneTimeToken(
    tokenHash: string,
    purpose: 'password_reset',
    nowMs: number,
  ): Promise<string | undefined> {
    return this.sql.transaction(async (tx) => {
      const used = await tx.run(
        `UPDATE one_time_tokens SET used_at_ms = ?
         WHERE token_hash = ? AND purpose = ? AND used_at_ms IS NULL AND expires_at_ms > ?`,
        [nowMs, tokenHash, purpose, nowMs],
      );
      if (used !== 1) return undefined;
      const row = await tx.get('SELECT user_id FROM one_time_tokens WHERE token_hash = ?', [tokenHash]);
      return row?.user_id as string;
    });
  }

  // ---- login throttle ----

  async findLoginThrottle(
    key: string,
  ): Promise<{ failures: number; lockedUntilMs: number | null } | undefined> {
    const row = await this.sql.get('SELECT * FROM login_throttle WHERE throttle_key = ?', [key]);
    return row
      ? { failures: Number(row.failures), lockedUntilMs: row.locked_until_ms as number | null }
      : undefined;
  }

  async setLoginThrottle(
    key: string,
    failures: number,
    lockedUntilMs: number | null,
    atMs: number,
  ): Promise<void> {
    await this.sql.run(
      `INSERT INTO login_throttle (throttle_key, failures, locked_until_ms, updated_at_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (throttle_key) DO UPDATE SET failures = excluded.failures,
         locked_until_ms = excluded.locked_until_ms, updated_at_ms = excluded.updated_at_ms`,
      [key, failures, lockedUntilMs, atMs],
    );
  }

  async clearLoginThrottle(key: string): Promise<void> {
    await this.sql.run('DELETE FROM login_throttle WHERE throttle_key = ?', [key]);
  }

  // ---- API keys ----

  async createApiKey(
    input: Omit<ApiKey, 'lastUsedAtMs' | 'revokedAtMs'> & { keyHash: string },
  ): Promise<ApiKey> {
    await this.sql.run(
      'INSERT INTO api_keys (id, tenant_id, name, key_hash, scopes, created_by, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [
        input.id,
        input.tenantId,
        input.name,
        input.keyHash,
        JSON.stringify(input.scopes),
        input.createdBy,
        input.createdAtMs,
      ],
    );
    return (await this.findApiKey(input.tenantId, input.id))!;
  }

  async findApiKey(tenantId: string, id: string): Promise<ApiKey | undefined> {
    const row = await this.sql.get('SELECT * FROM api_keys WHERE tenant_id = ? AND id = ?', [tenantId, id]);
    return row ? toApiKey(row) : undefined;
  }

  /** A live key of an active tenant, by digest. */
  async findLiveApiKeyByHash(keyHash: string): Promise<ApiKey | undefined> {
    const row = await this.sql.get(
      `SELECT k.* FROM api_keys k JOIN tenants n ON n.id = k.tenant_id
       WHERE k.key_hash = ? AND k.revoked_at_ms IS NULL AND n.status = 'active'`,
      [keyHash],
    );
    return row ? toApiKey(row) : undefined;
  }

  async listApiKeys(tenantId: string): Promise<ApiKey[]> {
    return (
      await this.sql.all('SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY created_at_ms, id', [tenantId])
    ).map(toApiKey);
  }

  async revokeApiKey(tenantId: string, id: string, atMs: number): Promise<boolean> {
    return (
      (await this.sql.run(
        'UPDATE api_keys SET revoked_at_ms = ? WHERE tenant_id = ? AND id = ? AND revoked_at_ms IS NULL',
        [atMs, tenantId, id],
      )) === 1
    );
  }

  /** Records a use; written at most once a minute per key so busy backends do not write per call. */
  async touchApiKey(id: string, atMs: number): Promise<void> {
    await this.sql.run(
      'UPDATE api_keys SET last_used_at_ms = ? WHERE id = ? AND coalesce(last_used_at_ms, 0) < ?',
      [atMs, id, atMs - 60_000],
    );
  }

  // ---- homes, rooms, members ----

  /** Creates a home with its creator as owner, in one transaction; it follows its tenant's default tariff. */
  async createHome(home: Omit<Home, 'tariffId'>, ownerUserId: string): Promise<Home> {
    await this.sql.transaction(async (tx) => {
      await tx.run(
        'INSERT INTO homes (id, tenant_id, name, timezone, latitude, longitude, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [home.id, home.tenantId, home.name, home.timezone, home.latitude, home.longitude, home.createdAtMs],
      );
      await tx.run(
        'INSERT INTO home_members (home_id, user_id, tenant_id, role, joined_at_ms) VALUES (?, ?, ?, ?, ?)',
        [home.id, ownerUserId, home.tenantId, 'owner', home.createdAtMs],
      );
    });
    return { ...home, tariffId: null };
  }

  async findHome(id: string): Promise<Home | undefined> {
    const row = await this.sql.get('SELECT * FROM homes WHERE id = ?', [id]);
    return row ? toHome(row) : undefined;
  }

  /** Homes a person belongs to, with their role in each. */
  async listUserHomes(userId: string): Promise<Array<Home & { role: HomeRole }>> {
    const rows = await this.sql.all(
      `SELECT h.*, m.role AS member_role FROM homes h JOIN home_members m ON m.home_id = h.id
       WHERE m.user_id = ? ORDER BY h.created_at_ms, h.id`,
      [userId],
    );
    return rows.map((row) => ({ ...toHome(row), role: row.member_role as HomeRole }));
  }

  async listTenantHomes(
    tenantId: string,
    page: { limit: number; after?: string | undefined },
  ): Promise<Home[]> {
    const rows = await this.sql.all(
      'SELECT * FROM homes WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?',
      [tenantId, page.after ?? '', page.limit],
    );
    return rows.map(toHome);
  }

  async updateHome(
    id: string,
    patch: {
      name?: string | undefined;
      timezone?: string | undefined;
      latitude?: number | null | undefined;
      longitude?: number | null | undefined;
    },
  ): Promise<Home | undefined> {
    const home = await this.findHome(id);
    if (!home) return undefined;
    const next: Home = {
      ...home,
      name: patch.name ?? home.name,
      timezone: patch.timezone ?? home.timezone,
      latitude: patch.latitude === undefined ? home.latitude : patch.latitude,
      longitude: patch.longitude === undefined ? home.longitude : patch.longitude,
    };
    await this.sql.run('UPDATE homes SET name = ?, timezone = ?, latitude = ?, longitude = ? WHERE id = ?', [
      next.name,
      next.timezone,
      next.latitude,
      next.longitude,
      id,
    ]);
    return next;
  }

  async deleteHome(id: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM homes WHERE id = ?', [id])) === 1;
  }

  async findMemberRole(homeId: string, userId: string): Promise<HomeRole | undefined> {
    const row = await this.sql.get('SELECT role FROM home_members WHERE home_id = ? AND user_id = ?', [
      homeId,
      userId,
    ]);
    return row?.role as HomeRole | undefined;
  }

  /** A home's people, with the language each is written to in (null: unset). */
  async listMembers(homeId: string): Promise<HomeMember[]> {
    const rows = await this.sql.all(
      `SELECT m.home_id, m.user_id, m.role, m.joined_at_ms, u.email, u.name, u.language
       FROM home_members m JOIN users u ON u.id = m.user_id WHERE m.home_id = ? ORDER BY m.joined_at_ms, u.id`,
      [homeId],
    );
    return rows.map((row) => ({
      homeId: row.home_id as string,
      userId: row.user_id as string,
      email: row.email as string,
      name: row.name as string | null,
      role: row.role as HomeRole,
      language: isLanguage(row.language) ? row.language : null,
      joinedAtMs: row.joined_at_ms as number,
    }));
  }

  async addMember(input: {
    homeId: string;
    userId: string;
    tenantId: string;
    role: HomeRole;
    atMs: number;
  }): Promise<void> {
    await this.sql.run(
      'INSERT INTO home_members (home_id, user_id, tenant_id, role, joined_at_ms) VALUES (?, ?, ?, ?, ?)',
      [input.homeId, input.userId, input.tenantId, input.role, input.atMs],
    );
  }

  async setMemberRole(homeId: string, userId: string, role: HomeRole): Promise<boolean> {
    return (
      (await this.sql.run('UPDATE home_members SET role = ? WHERE home_id = ? AND user_id = ?', [
        role,
        homeId,
        userId,
      ])) === 1
    );
  }

  async removeMember(homeId: string, userId: string): Promise<boolean> {
    return (
      (await this.sql.run('DELETE FROM home_members WHERE home_id = ? AND user_id = ?', [homeId, userId])) ===
      1
    );
  }

  /** The owner hands the home to a member and stays on as a member; atomic, so there is always one owner. */
  async transferOwnership(homeId: string, fromUserId: string, toUserId: string): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const promoted = await tx.run(
        "UPDATE home_members SET role = 'owner' WHERE home_id = ? AND user_id = ? AND role <> 'owner'",
        [homeId, toUserId],
      );
      if (promoted !== 1) return false;
      await tx.run("UPDATE home_members SET role = 'member' WHERE home_id = ? AND user_id = ?", [
        homeId,
        fromUserId,
      ]);
      return true;
    });
  }

  async createRoom(room: Room & { tenantId: string }): Promise<Room> {
    await this.sql.run(
      'INSERT INTO rooms (id, tenant_id, home_id, name, created_at_ms) VALUES (?, ?, ?, ?, ?)',
      [room.id, room.tenantId, room.homeId, room.name, room.createdAtMs],
    );
    return { id: room.id, homeId: room.homeId, name: room.name, createdAtMs: room.createdAtMs };
  }

  async listRooms(homeId: string): Promise<Room[]> {
    return (
      await this.sql.all('SELECT * FROM rooms WHERE home_id = ? ORDER BY created_at_ms, id', [homeId])
    ).map(toRoom);
  }

  async findRoom(homeId: string, roomId: string): Promise<Room | undefined> {
    const row = await this.sql.get('SELECT * FROM rooms WHERE home_id = ? AND id = ?', [homeId, roomId]);
    return row ? toRoom(row) : undefined;
  }

  async renameRoom(homeId: string, roomId: string, name: string): Promise<boolean> {
    return (
      (await this.sql.run('UPDATE rooms SET name = ? WHERE home_id = ? AND id = ?', [
        name,
        homeId,
        roomId,
      ])) === 1
    );
  }

  async deleteRoom(homeId: string, roomId: string): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      await tx.run('UPDATE devices SET room_id = NULL WHERE room_id = ?', [roomId]);
      return (await tx.run('DELETE FROM rooms WHERE home_id = ? AND id = ?', [homeId, roomId])) === 1;
    });
  }

  async updateDevice(
    deviceId: string,
    patch: { name?: string | undefined; roomId?: string | null | undefined },
  ) {
    if (patch.name !== undefined)
      await this.sql.run('UPDATE devices SET name = ? WHERE id = ?', [patch.name, deviceId]);
    if (patch.roomId !== undefined)
      await this.sql.run('UPDATE devices SET room_id = ? WHERE id = ?', [patch.roomId, deviceId]);
  }

  // ---- invitations ----

  async createInvitation(input: Omit<Invitation, 'acceptedAtMs' | 'revokedAtMs'> & { tokenHash: string }) {
    await this.sql.run(
      `INSERT INTO invitations (id, tenant_id, home_id, email, email_lower, role, token_hash, invited_by, language,
         created_at_ms, expires_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        input.id,
        input.tenantId,
        input.homeId,
        input.email,
        input.email.toLowerCase(),
        input.role,
        input.tokenHash,
        input.invitedBy,
        input.language,
        input.createdAtMs,
        input.expiresAtMs,
      ],
    );
  }

  async findInvitationByToken(tokenHash: string): Promise<Invitation | undefined> {
    const row = await this.sql.get('SELECT * FROM invitations WHERE token_hash = ?', [tokenHash]);
    return row ? toInvitation(row) : undefined;
  }

  async findInvitation(tenantId: string, id: string): Promise<Invitation | undefined> {
    const row = await this.sql.get('SELECT * FROM invitations WHERE tenant_id = ? AND id = ?', [
      tenantId,
      id,
    ]);
    return row ? toInvitation(row) : undefined;
  }

  /** Open invitations of a tenant (homeId null) or of one home. */
  async listOpenInvitations(tenantId: string, homeId: string | null, nowMs: number): Promise<Invitation[]> {
    const rows = await this.sql.all(
      `SELECT * FROM invitations WHERE tenant_id = ? AND coalesce(home_id, '') = ?
         AND accepted_at_ms IS NULL AND revoked_at_ms IS NULL AND expires_at_ms > ? ORDER BY created_at_ms, id`,
      [tenantId, homeId ?? '', nowMs],
    );
    return rows.map(toInvitation);
  }

  /** Compare-and-set: only one acceptance of an invitation succeeds. */
  async markInvitationAccepted(id: string, atMs: number): Promise<boolean> {
    return (
      (await this.sql.run(
        `UPDATE invitations SET accepted_at_ms = ?
         WHERE id = ? AND accepted_at_ms IS NULL AND revoked_at_ms IS NULL AND expires_at_ms > ?`,
        [atMs, id, atMs],
      )) === 1
    );
  }

  async revokeInvitation(id: string, atMs: number): Promise<boolean> {
    return (
      (await this.sql.run(
        'UPDATE invitations SET revoked_at_ms = ? WHERE id = ? AND accepted_at_ms IS NULL AND revoked_at_ms IS NULL',
        [atMs, id],
      )) === 1
    );
  }

  // ---- gateways: provisioning, registration, credentials ----

  /** Creates gateways all or none (bulk import); a duplicate id fails the whole call with HESTIA_CONFLICT. */
  async createGateways(
    gateways: Array<{
      id: string;
      tenantId: string;
      name: string;
      tokenHash: string;
      claimCodeHash: string | null;
      createdAtMs: number;
    }>,
  ): Promise<Gateway[]> {
    return this.sql.transaction(async (tx) => {
      const created: Gateway[] = [];
      for (const gateway of gateways) {
        await tx.run(
          'INSERT INTO gateways (id, tenant_id, name, token_hash, claim_code_hash, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)',
          [
            gateway.id,
            gateway.tenantId,
            gateway.name,
            gateway.tokenHash,
            gateway.claimCodeHash,
            gateway.createdAtMs,
          ],
        );
        created.push(toGateway((await tx.get('SELECT * FROM gateways WHERE id = ?', [gateway.id]))!));
      }
      return created;
    });
  }

  /** Which of these ids already exist (any tenant): bulk import reports them per row. */
  async existingGatewayIds(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = await this.sql.all(
        `SELECT id FROM gateways WHERE id IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
      );
      for (const row of rows) found.add(row.id as string);
    }
    return found;
  }

  async listHomeGateways(homeId: string): Promise<Gateway[]> {
    return (await this.sql.all('SELECT * FROM gateways WHERE home_id = ? ORDER BY id', [homeId])).map(
      toGateway,
    );
  }

  /** Gateways registered to the home (what a tariff's `maxGatewaysPerHome` limits). */
  async countHomeGateways(homeId: string): Promise<number> {
    return countGatewaysOfHome(this.sql, homeId);
  }

  /** Cameras (devices of type camera, not removed) of the home's gateways: what `maxCamerasPerHome` limits. */
  async countHomeCameras(homeId: string): Promise<number> {
    const row = await this.sql.get(
      `SELECT count(*) AS n FROM devices d JOIN gateways g ON g.id = d.gateway_id
       WHERE g.home_id = ? AND d.type = 'camera' AND d.removed_at_ms IS NULL`,
      [homeId],
    );
    return Number(row!.n);
  }

  async listTenantGatewayIds(tenantId: string): Promise<string[]> {
    return (await this.sql.all('SELECT id FROM gateways WHERE tenant_id = ?', [tenantId])).map(
      (row) => row.id as string,
    );
  }

  /** Registers a pending gateway to a home; false if it is registered already (first claim wins). */
  async registerGateway(gatewayId: string, homeId: string, atMs: number): Promise<boolean> {
    return (
      (await this.sql.run(
        'UPDATE gateways SET home_id = ?, registered_at_ms = ? WHERE id = ? AND home_id IS NULL',
        [homeId, atMs, gatewayId],
      )) === 1
    );
  }

  /**
   * Registers a pending gateway to a home if the home's tariff allows one more gateway. The
   * home's row is locked first (PostgreSQL; SQLite's transaction is exclusive anyway), so two
   * claims into one home cannot both take its last place.
   */
  async registerGatewayWithinTariff(
    gatewayId: string,
    homeId: string,
    atMs: number,
  ): Promise<TariffRegistration> {
    return this.sql.transaction(async (tx) => {
      await tx.run('UPDATE homes SET tariff_id = tariff_id WHERE id = ?', [homeId]);
      const tariff = await findTariffOfHome(tx, homeId);
      const registered = await countGatewaysOfHome(tx, homeId);
      if (tariff && registered >= tariff.maxGatewaysPerHome) return { outcome: 'limit', tariff, registered };
      const changed = await tx.run(
        'UPDATE gateways SET home_id = ?, registered_at_ms = ? WHERE id = ? AND home_id IS NULL',
        [homeId, atMs, gatewayId],
      );
      return { outcome: changed === 1 ? 'registered' : 'taken' };
    });
  }

  /** Returns the gateway to pending (its data is deleted separately, by the telemetry store). */
  async unregisterGateway(gatewayId: string): Promise<void> {
    await this.sql.run('UPDATE gateways SET home_id = NULL, registered_at_ms = NULL WHERE id = ?', [
      gatewayId,
    ]);
  }

  /** New credentials: the old token stops working; a revoked gateway is usable again. */
  async setGatewayToken(gatewayId: string, tokenHash: string, atMs: number): Promise<void> {
    await this.sql.run(
      'UPDATE gateways SET token_hash = ?, credentials_rotated_at_ms = ?, credentials_revoked_at_ms = NULL WHERE id = ?',
      [tokenHash, atMs, gatewayId],
    );
  }

  async revokeGatewayCredentials(gatewayId: string, atMs: number): Promise<void> {
    await this.sql.run('UPDATE gateways SET credentials_revoked_at_ms = ? WHERE id = ?', [atMs, gatewayId]);
  }

  async setGatewayClaimCode(gatewayId: string, claimCodeHash: string): Promise<void> {
    await this.sql.run('UPDATE gateways SET claim_code_hash = ? WHERE id = ?', [claimCodeHash, gatewayId]);
  }

  // ---- tariffs ----

  /** A new tariff of a tenant; never the default at first (see `setDefaultTariff`). A taken name is HESTIA_CONFLICT. */
  async createTariff(input: Omit<Tariff, 'isDefault' | 'updatedAtMs'>): Promise<Tariff> {
    const tariff: Tariff = { ...input, isDefault: false, updatedAtMs: input.createdAtMs };
    await insertTariff(this.sql, tariff);
    return tariff;
  }

  async listTariffs(tenantId: string): Promise<Tariff[]> {
    return (
      await this.sql.all('SELECT * FROM tariffs WHERE tenant_id = ? ORDER BY name, id', [tenantId])
    ).map(toTariff);
  }

  async findTariff(id: string): Promise<Tariff | undefined> {
    const row = await this.sql.get('SELECT * FROM tariffs WHERE id = ?', [id]);
    return row ? toTariff(row) : undefined;
  }

  /** Changes the fields given; undefined when there is no such tariff. A taken name is HESTIA_CONFLICT. */
  async updateTariff(id: string, patch: TariffPatch, atMs: number): Promise<Tariff | undefined> {
    const current = await this.findTariff(id);
    if (!current) return undefined;
    const next: Tariff = { ...current, ...definedFields(patch), updatedAtMs: atMs };
    await this.sql.run(
      `UPDATE tariffs SET name = ?, sensor_retention_days = ?, video_retention_days = ?, raw_retention_days = ?,
         recording_modes = ?, max_gateways_per_home = ?, max_cameras_per_home = ?, updated_at_ms = ?
       WHERE id = ?`,
      [
        next.name,
        next.sensorRetentionDays,
        next.videoRetentionDays,
        next.rawRetentionDays,
        JSON.stringify(next.recordingModes),
        next.maxGatewaysPerHome,
        next.maxCamerasPerHome,
        next.updatedAtMs,
        id,
      ],
    );
    return next;
  }

  /**
   * Deletes a tariff that is neither its tenant's default nor set on any home; false otherwise
   * (or when there is no such tariff).
   */
  async deleteTariff(id: string): Promise<boolean> {
    return (
      (await this.sql.run(
        'DELETE FROM tariffs WHERE id = ? AND is_default = 0 AND NOT EXISTS (SELECT 1 FROM homes WHERE tariff_id = ?)',
        [id, id],
      )) === 1
    );
  }

  /**
   * Makes the tariff its tenant's default and every other one not, in one transaction; false
   * if the tenant has no such tariff. Every row of the tenant is written, so that on PostgreSQL
   * two concurrent calls queue on the same row locks and one default remains.
   */
  async setDefaultTariff(tenantId: string, tariffId: string, atMs: number): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const found = await tx.get('SELECT id FROM tariffs WHERE tenant_id = ? AND id = ?', [
        tenantId,
        tariffId,
      ]);
      if (!found) return false;
      await tx.run(
        `UPDATE tariffs SET
           updated_at_ms = CASE WHEN is_default <> (CASE WHEN id = ? THEN 1 ELSE 0 END) THEN ? ELSE updated_at_ms END,
           is_default = CASE WHEN id = ? THEN 1 ELSE 0 END
         WHERE tenant_id = ?`,
        [tariffId, atMs, tariffId, tenantId],
      );
      return true;
    });
  }

  /** Sets the home's tariff; null: the home follows its tenant's default. False if there is no such home. */
  async setHomeTariff(homeId: string, tariffId: string | null): Promise<boolean> {
    return (await this.sql.run('UPDATE homes SET tariff_id = ? WHERE id = ?', [tariffId, homeId])) === 1;
  }

  /** Homes whose own tariff this is (homes that follow the default are not counted). */
  async countTariffHomes(tariffId: string): Promise<number> {
    return Number((await this.sql.get('SELECT count(*) AS n FROM homes WHERE tariff_id = ?', [tariffId]))!.n);
  }

  /** The tariff in force for a home: its own, else its tenant's default; undefined if there is no such home. */
  async tariffForHome(homeId: string): Promise<Tariff | undefined> {
    return findTariffOfHome(this.sql, homeId);
  }

  /** The retention horizons of every gateway registered to a home, from the home's tariff in force. */
  async retentionPolicies(): Promise<GatewayRetentionPolicy[]> {
    const rows = await this.sql.all(
      `SELECT g.id AS gateway_id, g.tenant_id, g.home_id, t.raw_retention_days, t.sensor_retention_days,
         t.video_retention_days
       FROM gateways g JOIN homes h ON h.id = g.home_id JOIN tariffs t ON ${TARIFF_OF_HOME}
       ORDER BY g.id`,
    );
    return rows.map((row) => ({
      gatewayId: row.gateway_id as string,
      tenantId: row.tenant_id as string,
      homeId: row.home_id as string,
      rawRetentionDays: Number(row.raw_retention_days),
      sensorRetentionDays: Number(row.sensor_retention_days),
      videoRetentionDays: Number(row.video_retention_days),
    }));
  }

  // ---- audit log ----

  async appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<number> {
    const row = await this.sql.get(
      `INSERT INTO audit_log (tenant_id, at_ms, actor_type, actor_id, action, target_type, target_id, home_id, ip, outcome, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [
        entry.tenantId,
        entry.atMs,
        entry.actorType,
        entry.actorId,
        entry.action,
        entry.targetType,
        entry.targetId,
        entry.homeId,
        entry.ip,
        entry.outcome,
        JSON.stringify(entry.detail),
      ],
    );
    return Number(row!.id);
  }

  /** Newest first. `tenantId` undefined lists every tenant's entries (platform admins). */
  async listAudit(query: {
    tenantId: string | null | undefined;
    limit: number;
    beforeId?: number | undefined;
    action?: string | undefined;
  }): Promise<AuditEntry[]> {
    const where = ['id < ?'];
    const params: unknown[] = [query.beforeId ?? Number.MAX_SAFE_INTEGER];
    if (query.tenantId !== undefined) {
      where.push("coalesce(tenant_id, '') = ?");
      params.push(query.tenantId ?? '');
    }
    if (query.action) {
      where.push('action = ?');
      params.push(query.action);
    }
    params.push(query.limit);
    const rows = await this.sql.all(
      `SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
      params,
    );
    return rows.map(toAuditEntry);
  }

  /** Retention: deletes up to `maxRows` of the oldest audit records before `beforeMs`. */
  async trimAuditLog(beforeMs: number, maxRows: number): Promise<number> {
    return this.sql.run(
      `DELETE FROM audit_log WHERE id IN (
         SELECT id FROM audit_log WHERE at_ms < ? ORDER BY id LIMIT ?)`,
      [beforeMs, maxRows],
    );
  }
}

/** The patch without its undefined fields, so that spreading it keeps the current values. */
function definedFields<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function withSecret(row: Row): UserWithSecret {
  return { ...toUser(row), passwordHash: row.password_hash as string };
}

function toSession(row: Row): Session {
  return {
    id: row.id as string,
    userId: row.user_id as string,
    tenantId: row.tenant_id as string | null,
    createdAtMs: row.created_at_ms as number,
    refreshedAtMs: row.refreshed_at_ms as number,
    expiresAtMs: row.expires_at_ms as number,
    revokedAtMs: row.revoked_at_ms as number | null,
    client: row.client as string | null,
  };
}

function toApiKey(row: Row): ApiKey {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string,
    name: row.name as string,
    scopes: jsonColumn<ApiKeyScope[]>(row.scopes),
    createdBy: row.created_by as string | null,
    createdAtMs: row.created_at_ms as number,
    lastUsedAtMs: row.last_used_at_ms as number | null,
    revokedAtMs: row.revoked_at_ms as number | null,
  };
}

function toHome(row: Row): Home {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string,
    name: row.name as string,
    timezone: row.timezone as string,
    latitude: row.latitude as number | null,
    longitude: row.longitude as number | null,
    tariffId: (row.tariff_id as string | null | undefined) ?? null,
    createdAtMs: row.created_at_ms as number,
  };
}

function toTariff(row: Row): Tariff {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string,
    name: row.name as string,
    sensorRetentionDays: Number(row.sensor_retention_days),
    videoRetentionDays: Number(row.video_retention_days),
    rawRetentionDays: Number(row.raw_retention_days),
    recordingModes: jsonColumn<RecordingMode[]>(row.recording_modes),
    maxGatewaysPerHome: Number(row.max_gateways_per_home),
    maxCamerasPerHome: Number(row.max_cameras_per_home),
    isDefault: Number(row.is_default) === 1,
    createdAtMs: Number(row.created_at_ms),
    updatedAtMs: Number(row.updated_at_ms),
  };
}

async function insertTariff(sql: SqlRunner, tariff: Tariff): Promise<void> {
  await sql.run(
    `INSERT INTO tariffs (id, tenant_id, name, sensor_retention_days, video_retention_days, raw_retention_days,
       recording_modes, max_gateways_per_home, max_cameras_per_home, is_default, created_at_ms, updated_at_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      tariff.id,
      tariff.tenantId,
      tariff.name,
      tariff.sensorRetentionDays,
      tariff.videoRetentionDays,
      tariff.rawRetentionDays,
      JSON.stringify(tariff.recordingModes),
      tariff.maxGatewaysPerHome,
      tariff.maxCamerasPerHome,
      tariff.isDefault ? 1 : 0,
      tariff.createdAtMs,
      tariff.updatedAtMs,
    ],
  );
}

async function findTariffOfHome(sql: SqlRunner, homeId: string): Promise<Tariff | undefined> {
  const row = await sql.get(
    `SELECT t.* FROM homes h JOIN tariffs t ON ${TARIFF_OF_HOME} WHERE h.id = ? ORDER BY t.id LIMIT 1`,
    [homeId],
  );
  return row ? toTariff(row) : undefined;
}

async function countGatewaysOfHome(sql: SqlRunner, homeId: string): Promise<number> {
  return Number((await sql.get('SELECT count(*) AS n FROM gateways WHERE home_id = ?', [homeId]))!.n);
}

function toRoom(row: Row): Room {
  return {
    id: row.id as string,
    homeId: row.home_id as string,
    name: row.name as string,
    createdAtMs: row.created_at_ms as number,
  };
}

function toInvitation(row: Row): Invitation {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string,
    homeId: row.home_id as string | null,
    email: row.email as string,
    role: row.role as Invitation['role'],
    invitedBy: row.invited_by as string | null,
    language: isLanguage(row.language) ? row.language : null,
    createdAtMs: row.created_at_ms as number,
    expiresAtMs: row.expires_at_ms as number,
    acceptedAtMs: row.accepted_at_ms as number | null,
    revokedAtMs: row.revoked_at_ms as number | null,
  };
}

function toAuditEntry(row: Row): AuditEntry {
  return {
    id: Number(row.id),
    tenantId: row.tenant_id as string | null,
    atMs: row.at_ms as number,
    actorType: row.actor_type as AuditActorType,
    actorId: row.actor_id as string | null,
    action: row.action as string,
    targetType: row.target_type as string | null,
    targetId: row.target_id as string | null,
    homeId: row.home_id as string | null,
    ip: row.ip as string | null,
    outcome: row.outcome as 'success' | 'failure',
    detail: jsonColumn<Record<string, unknown>>(row.detail),
  };
}
