import type { SessionStore } from '../../core/ports/directory.ts';
import type { AccessTokenRecord, Role, Session } from '../../core/domain/person.ts';
import type { Row, SqlRunner } from '../../core/ports/sql.ts';

/**
 * Logins: sessions with rotating refresh tokens, access tokens, mailed one-time tokens, and the failed-login throttle.
 * Written once in SQL both engines accept, against the `SqlRunner` port.
 */
export class SqlSessionStore implements SessionStore {
  constructor(private readonly sql: SqlRunner) {}

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
