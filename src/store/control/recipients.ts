import type { RecipientStore } from '../../core/ports/control.ts';
import { randomUUID } from 'node:crypto';
import type { SqlRunner, Row } from '../../core/ports/sql.ts';
import { isLanguage } from '../../core/messages.ts';
import { jsonColumn } from '../rows.ts';
import {
  DEFAULT_CHANNELS,
  parsePosition,
  type PushDevice,
  type PushProvider,
  type InAppNotification,
  type Recipient,
  type NotificationPreferences,
  type ChannelsBySeverity,
  type NotificationSeverity,
} from '../../core/domain/notification.ts';

// ---- row mappers ----

/**
 * People as recipients of notifications: who a decision may reach (a home's members, a tenant's
 * admins), their channel preferences and quiet hours, the phones they registered with push
 * providers, and their in-app inbox. Written once in SQL both engines accept, against the
 * `SqlRunner` port; methods take an optional `tx` like the other control stores.
 */
export class SqlRecipientStore implements RecipientStore {
  constructor(private readonly sql: SqlRunner) {}

  // ---- who a decision may reach (read inside its transaction) ----

  /** Members of a home who can be told (accounts not disabled). */
  async homeRecipients(homeId: string, tx: SqlRunner = this.sql): Promise<Recipient[]> {
    const rows = await tx.all(
      `SELECT u.id, u.tenant_id, u.email, u.language FROM home_members m JOIN users u ON u.id = m.user_id
       WHERE m.home_id = ? AND u.disabled_at_ms IS NULL ORDER BY m.joined_at_ms, u.id`,
      [homeId],
    );
    return rows.map(toRecipient);
  }

  /** The tenant's administrators: who hears of tenant-wide (home-less) events. */
  async tenantAdminRecipients(tenantId: string, tx: SqlRunner = this.sql): Promise<Recipient[]> {
    const rows = await tx.all(
      `SELECT id, tenant_id, email, language FROM users
       WHERE tenant_id = ? AND role = 'tenant_admin' AND disabled_at_ms IS NULL ORDER BY id`,
      [tenantId],
    );
    return rows.map(toRecipient);
  }

  /** Named people, only those of the tenant and not disabled (a request cannot reach across tenants). */
  async namedRecipients(
    tenantId: string,
    userIds: readonly string[],
    tx: SqlRunner = this.sql,
  ): Promise<Recipient[]> {
    if (userIds.length === 0) return [];
    const rows = await tx.all(
      `SELECT id, tenant_id, email, language FROM users WHERE tenant_id = ? AND disabled_at_ms IS NULL
         AND id IN (${userIds.map(() => '?').join(', ')}) ORDER BY id`,
      [tenantId, ...userIds],
    );
    return rows.map(toRecipient);
  }

  async homeTimezone(homeId: string, tx: SqlRunner = this.sql): Promise<string | undefined> {
    const row = await tx.get('SELECT timezone FROM homes WHERE id = ?', [homeId]);
    return row?.timezone as string | undefined;
  }

  /** The tenant's push credentials (JSON text), read in the caller's transaction. */
  async tenantPushCredentialsJson(tenantId: string, tx: SqlRunner = this.sql): Promise<string | null> {
    const row = await tx.get('SELECT push_credentials FROM tenants WHERE id = ?', [tenantId]);
    return (row?.push_credentials as string | null | undefined) ?? null;
  }

  // ---- preferences, push devices, in-app ----

  async findPreferences(
    userId: string,
    tx: SqlRunner = this.sql,
  ): Promise<NotificationPreferences | undefined> {
    const row = await tx.get('SELECT * FROM notification_preferences WHERE user_id = ?', [userId]);
    if (!row) return undefined;
    return {
      userId,
      channels: { ...DEFAULT_CHANNELS, ...jsonColumn<Partial<ChannelsBySeverity>>(row.channels) },
      quietStart: row.quiet_start as string | null,
      quietEnd: row.quiet_end as string | null,
      quietTimezone: row.quiet_timezone as string | null,
      updatedAtMs: Number(row.updated_at_ms),
    };
  }

  async savePreferences(
    tenantId: string | null,
    preferences: NotificationPreferences & { updatedAtMs: number },
    tx: SqlRunner = this.sql,
  ): Promise<void> {
    await tx.run(
      `INSERT INTO notification_preferences (user_id, tenant_id, channels, quiet_start, quiet_end, quiet_timezone,
         updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET channels = excluded.channels, quiet_start = excluded.quiet_start,
         quiet_end = excluded.quiet_end, quiet_timezone = excluded.quiet_timezone,
         updated_at_ms = excluded.updated_at_ms`,
      [
        preferences.userId,
        tenantId,
        JSON.stringify(preferences.channels),
        preferences.quietStart,
        preferences.quietEnd,
        preferences.quietTimezone,
        preferences.updatedAtMs,
      ],
    );
  }

  /**
   * Registers a token for a person; a token already registered (by them or by whoever used the
   * phone before) moves to them, so a phone never gets another person's notifications.
   */
  async registerPushDevice(
    input: Omit<PushDevice, 'id' | 'lastSeenAtMs'>,
    tx: SqlRunner = this.sql,
  ): Promise<PushDevice> {
    await tx.run(
      `INSERT INTO push_devices (id, user_id, tenant_id, provider, token, platform, created_at_ms, last_seen_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (provider, token) DO UPDATE SET user_id = excluded.user_id, tenant_id = excluded.tenant_id,
         platform = coalesce(excluded.platform, push_devices.platform), last_seen_at_ms = excluded.last_seen_at_ms,
         created_at_ms = CASE WHEN push_devices.user_id = excluded.user_id THEN push_devices.created_at_ms
           ELSE excluded.created_at_ms END`,
      [
        randomUUID(),
        input.userId,
        input.tenantId,
        input.provider,
        input.token,
        input.platform,
        input.createdAtMs,
        input.createdAtMs,
      ],
    );
    const row = await tx.get('SELECT * FROM push_devices WHERE provider = ? AND token = ?', [
      input.provider,
      input.token,
    ]);
    return toPushDevice(row!);
  }

  async listPushDevices(
    userId: string,
    provider?: PushProvider,
    tx: SqlRunner = this.sql,
  ): Promise<PushDevice[]> {
    const rows = provider
      ? await tx.all(
          'SELECT * FROM push_devices WHERE user_id = ? AND provider = ? ORDER BY created_at_ms, id',
          [userId, provider],
        )
      : await tx.all('SELECT * FROM push_devices WHERE user_id = ? ORDER BY created_at_ms, id', [userId]);
    return rows.map(toPushDevice);
  }

  async deletePushDevice(userId: string, id: string, tx: SqlRunner = this.sql): Promise<boolean> {
    return (await tx.run('DELETE FROM push_devices WHERE user_id = ? AND id = ?', [userId, id])) === 1;
  }

  /** Forgets tokens the provider reported as no longer valid (app uninstalled, token rotated). */
  async deletePushTokens(
    provider: PushProvider,
    tokens: readonly string[],
    tx: SqlRunner = this.sql,
  ): Promise<number> {
    if (tokens.length === 0) return 0;
    return tx.run(
      `DELETE FROM push_devices WHERE provider = ? AND token IN (${tokens.map(() => '?').join(', ')})`,
      [provider, ...tokens],
    );
  }

  /** Adds the in-app notification of a request for a person; the second time returns the first. */
  async insertInApp(
    input: Omit<InAppNotification, 'id' | 'readAtMs'>,
    tx: SqlRunner = this.sql,
  ): Promise<{ notification: InAppNotification; created: boolean }> {
    const created =
      (await tx.run(
        `INSERT INTO in_app_notifications (id, tenant_id, user_id, home_id, request_id, severity, title, body, data,
           created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_id, user_id) DO NOTHING`,
        [
          randomUUID(),
          input.tenantId,
          input.userId,
          input.homeId,
          input.requestId,
          input.severity,
          input.title,
          input.body,
          JSON.stringify(input.data),
          input.createdAtMs,
        ],
      )) === 1;
    const row = await tx.get('SELECT * FROM in_app_notifications WHERE request_id = ? AND user_id = ?', [
      input.requestId,
      input.userId,
    ]);
    return { notification: toInApp(row!), created };
  }

  async listInApp(
    query: { userId: string; unreadOnly: boolean; limit: number; before?: string | undefined },
    tx: SqlRunner = this.sql,
  ): Promise<InAppNotification[]> {
    const where = ['user_id = ?'];
    const params: unknown[] = [query.userId];
    if (query.unreadOnly) where.push('read_at_ms IS NULL');
    const before = parsePosition(query.before);
    if (before) {
      where.push('(created_at_ms < ? OR (created_at_ms = ? AND id < ?))');
      params.push(before.ms, before.ms, before.id);
    }
    const rows = await tx.all(
      `SELECT * FROM in_app_notifications WHERE ${where.join(' AND ')}
       ORDER BY created_at_ms DESC, id DESC LIMIT ?`,
      [...params, query.limit],
    );
    return rows.map(toInApp);
  }

  async countUnreadInApp(userId: string, tx: SqlRunner = this.sql): Promise<number> {
    const row = await tx.get(
      'SELECT count(*) AS n FROM in_app_notifications WHERE user_id = ? AND read_at_ms IS NULL',
      [userId],
    );
    return Number(row?.n ?? 0);
  }

  /** Marks it read (the first time counts); undefined when it is not the person's. */
  async markInAppRead(
    userId: string,
    id: string,
    atMs: number,
    tx: SqlRunner = this.sql,
  ): Promise<InAppNotification | undefined> {
    await tx.run(
      'UPDATE in_app_notifications SET read_at_ms = ? WHERE id = ? AND user_id = ? AND read_at_ms IS NULL',
      [atMs, id, userId],
    );
    const row = await tx.get('SELECT * FROM in_app_notifications WHERE id = ? AND user_id = ?', [id, userId]);
    return row ? toInApp(row) : undefined;
  }
}

function toPushDevice(row: Row): PushDevice {
  return {
    id: row.id as string,
    userId: row.user_id as string,
    tenantId: row.tenant_id as string | null,
    provider: row.provider as PushProvider,
    token: row.token as string,
    platform: row.platform as string | null,
    createdAtMs: Number(row.created_at_ms),
    lastSeenAtMs: Number(row.last_seen_at_ms),
  };
}

function toInApp(row: Row): InAppNotification {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string | null,
    userId: row.user_id as string,
    homeId: row.home_id as string | null,
    requestId: row.request_id as string,
    severity: row.severity as NotificationSeverity,
    title: row.title as string,
    body: row.body as string,
    data: jsonColumn<Record<string, string>>(row.data),
    createdAtMs: Number(row.created_at_ms),
    readAtMs: row.read_at_ms == null ? null : Number(row.read_at_ms),
  };
}

function toRecipient(row: Row): Recipient {
  return {
    userId: row.id as string,
    tenantId: row.tenant_id as string | null,
    email: row.email as string,
    language: isLanguage(row.language) ? row.language : null,
  };
}
