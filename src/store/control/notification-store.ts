import { randomUUID } from 'node:crypto';
import type { Dialect } from '../directory/schema.ts';
import type { SqlRunner } from '../directory/sql-runner.ts';
import { isLanguage } from '../../core/messages.ts';
import { jsonColumn, type Row } from '../rows.ts';
import { DEFAULT_CHANNELS } from '../../core/domain/notification.ts';
import type {
  NotificationRequest,
  NotificationKind,
  NotificationChannel,
  NotificationDelivery,
  DeliveryStatus,
  PushDevice,
  PushProvider,
  InAppNotification,
  NotificationInput,
  DeliveryDecision,
  Recipient,
  DeliveryWithRequest,
  NotificationPreferences,
  ChannelsBySeverity,
  NotificationSeverity,
} from '../../core/domain/notification.ts';

/** Migration 4 tables of notifications, written once for both engines with the type tokens of `typed()`. */
export function notificationsTables(): string {
  return `
-- The outbox: one row per event worth telling people about. source_key makes enqueueing
-- idempotent (an alarm raised twice by a re-delivered reading is told once). decided_at_ms is
-- set, in the same transaction that writes the deliveries, once recipients are worked out.
CREATE TABLE notification_requests (
  id {id} PRIMARY KEY,
  tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  home_id {id} REFERENCES homes(id) ON DELETE CASCADE,
  source_key {text} NOT NULL UNIQUE,
  kind {text} NOT NULL,
  severity {text} NOT NULL,
  title {text} NOT NULL,
  body {text} NOT NULL,
  data {text} NOT NULL,
  user_ids {text},
  channels {text},
  created_at_ms {int} NOT NULL,
  decided_at_ms {int}
);
CREATE INDEX notification_requests_undecided ON notification_requests (created_at_ms, id)
  WHERE decided_at_ms IS NULL;
CREATE INDEX notification_requests_by_home ON notification_requests (home_id, created_at_ms);

-- One row per (request, channel, target): the unique key makes a re-run of a decision after a
-- crash create nothing twice. A delivery being sent holds a lease; an expired lease (the
-- sender died) makes it claimable again.
CREATE TABLE notification_deliveries (
  id {id} PRIMARY KEY,
  request_id {id} NOT NULL REFERENCES notification_requests(id) ON DELETE CASCADE,
  tenant_id {id} NOT NULL,
  home_id {id},
  user_id {id},
  channel {text} NOT NULL,
  target {text} NOT NULL,
  status {text} NOT NULL,
  attempts {int} NOT NULL DEFAULT 0,
  next_attempt_at_ms {int} NOT NULL,
  lease_until_ms {int},
  last_error {text},
  provider_response {text},
  created_at_ms {int} NOT NULL,
  updated_at_ms {int} NOT NULL,
  sent_at_ms {int},
  UNIQUE (request_id, channel, target)
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at_ms)
  WHERE status IN ('pending', 'sending');
CREATE INDEX notification_deliveries_by_tenant ON notification_deliveries (tenant_id, created_at_ms, id);
CREATE INDEX notification_deliveries_by_request ON notification_deliveries (request_id);

-- A person's choices; no row means the defaults (see DEFAULT_CHANNELS).
CREATE TABLE notification_preferences (
  user_id {id} PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  tenant_id {id},
  channels {text} NOT NULL,
  quiet_start {text},
  quiet_end {text},
  quiet_timezone {text},
  updated_at_ms {int} NOT NULL
);

-- Phones and browsers a person registered with a push provider (OneSignal player id, FCM
-- registration token). A token belongs to one person at a time: the last one to sign in on it.
CREATE TABLE push_devices (
  id {id} PRIMARY KEY,
  user_id {id} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  tenant_id {id},
  provider {text} NOT NULL,
  token {text} NOT NULL,
  platform {text},
  created_at_ms {int} NOT NULL,
  last_seen_at_ms {int} NOT NULL,
  UNIQUE (provider, token)
);
CREATE INDEX push_devices_by_user ON push_devices (user_id);

CREATE TABLE in_app_notifications (
  id {id} PRIMARY KEY,
  tenant_id {id},
  user_id {id} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  home_id {id},
  request_id {id} NOT NULL,
  severity {text} NOT NULL,
  title {text} NOT NULL,
  body {text} NOT NULL,
  data {text} NOT NULL,
  created_at_ms {int} NOT NULL,
  read_at_ms {int},
  UNIQUE (request_id, user_id)
);
CREATE INDEX in_app_notifications_by_user ON in_app_notifications (user_id, created_at_ms, id);
`;
}

// ---- row mappers ----

function toRequest(row: Row, prefix = ''): NotificationRequest {
  const col = (name: string) => row[prefix + name];
  const userIds = col('user_ids');
  const channels = col('channels');
  const message = col('message');
  return {
    id: col('id') as string,
    tenantId: col('tenant_id') as string,
    homeId: col('home_id') as string | null,
    sourceKey: col('source_key') as string,
    kind: col('kind') as NotificationKind,
    severity: col('severity') as NotificationSeverity,
    title: col('title') as string,
    body: col('body') as string,
    data: jsonColumn<Record<string, string>>(col('data')),
    message: message == null ? null : jsonColumn<{ key: string; params: Record<string, string> }>(message),
    userIds: userIds == null ? null : jsonColumn<string[]>(userIds),
    channels: channels == null ? null : jsonColumn<NotificationChannel[]>(channels),
    createdAtMs: Number(col('created_at_ms')),
    decidedAtMs: col('decided_at_ms') == null ? null : Number(col('decided_at_ms')),
  };
}

function toDelivery(row: Row): NotificationDelivery {
  return {
    id: row.id as string,
    requestId: row.request_id as string,
    tenantId: row.tenant_id as string,
    homeId: row.home_id as string | null,
    userId: row.user_id as string | null,
    channel: row.channel as NotificationChannel,
    target: row.target as string,
    language: isLanguage(row.language) ? row.language : null,
    status: row.status as DeliveryStatus,
    attempts: Number(row.attempts),
    nextAttemptAtMs: Number(row.next_attempt_at_ms),
    leaseUntilMs: row.lease_until_ms == null ? null : Number(row.lease_until_ms),
    lastError: row.last_error as string | null,
    providerResponse: row.provider_response as string | null,
    createdAtMs: Number(row.created_at_ms),
    updatedAtMs: Number(row.updated_at_ms),
    sentAtMs: row.sent_at_ms == null ? null : Number(row.sent_at_ms),
  };
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

/** The request's columns prefixed `r_`, to join them to deliveries without name clashes. */
const REQUEST_COLUMNS = [
  'id',
  'tenant_id',
  'home_id',
  'source_key',
  'kind',
  'severity',
  'title',
  'body',
  'data',
  'message',
  'user_ids',
  'channels',
  'created_at_ms',
  'decided_at_ms',
]
  .map((column) => `r.${column} AS r_${column}`)
  .join(', ');

/** Keyset position of the listings ordered by (created_at_ms, id) descending: "<ms>:<id>". */
export function positionOf(row: { createdAtMs: number; id: string }): string {
  return `${row.createdAtMs}:${row.id}`;
}

function parsePosition(position: string | undefined): { ms: number; id: string } | undefined {
  if (position === undefined) return undefined;
  const colon = position.indexOf(':');
  const ms = Number(position.slice(0, colon));
  if (colon <= 0 || !Number.isSafeInteger(ms)) return undefined;
  return { ms, id: position.slice(colon + 1) };
}

/**
 * The notification outbox: requests, per-recipient delivery decisions and their delivery log; preferences and in-app notifications.
 * Written once in SQL both engines accept, against the `SqlRunner` port. Methods take an
 * optional `tx` so that a caller can write to several control stores in one transaction.
 */
export class NotificationStore {
  constructor(
    private readonly sql: SqlRunner,
    private readonly dialect: Dialect,
  ) {}

  // ---- outbox ----

  /**
   * Adds a request to the outbox, in the caller's transaction if `tx` is given (an alarm and
   * its notification commit together). The same `sourceKey` again creates nothing.
   */
  async enqueue(
    input: NotificationInput,
    tx: SqlRunner = this.sql,
  ): Promise<{ id: string; created: boolean }> {
    const id = randomUUID();
    const inserted = await tx.run(
      `INSERT INTO notification_requests (id, tenant_id, home_id, source_key, kind, severity, title, body,
         message, data, user_ids, channels, created_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source_key) DO NOTHING`,
      [
        id,
        input.tenantId,
        input.homeId,
        input.sourceKey,
        input.kind,
        input.severity,
        input.title,
        input.body,
        input.message ? JSON.stringify(input.message) : null,
        JSON.stringify(input.data),
        input.userIds === null ? null : JSON.stringify(input.userIds),
        input.channels ? JSON.stringify(input.channels) : null,
        input.createdAtMs,
      ],
    );
    if (inserted === 1) return { id, created: true };
    const existing = await tx.get('SELECT id FROM notification_requests WHERE source_key = ?', [
      input.sourceKey,
    ]);
    return { id: existing!.id as string, created: false };
  }

  async findRequest(id: string, tx: SqlRunner = this.sql): Promise<NotificationRequest | undefined> {
    const row = await tx.get('SELECT * FROM notification_requests WHERE id = ?', [id]);
    return row ? toRequest(row) : undefined;
  }

  async findRequestBySourceKey(
    sourceKey: string,
    tx: SqlRunner = this.sql,
  ): Promise<NotificationRequest | undefined> {
    const row = await tx.get('SELECT * FROM notification_requests WHERE source_key = ?', [sourceKey]);
    return row ? toRequest(row) : undefined;
  }

  /** Requests nobody has decided yet, oldest first. */
  async listUndecided(limit: number, tx: SqlRunner = this.sql): Promise<NotificationRequest[]> {
    const rows = await tx.all(
      'SELECT * FROM notification_requests WHERE decided_at_ms IS NULL ORDER BY created_at_ms, id LIMIT ?',
      [limit],
    );
    return rows.map((row) => toRequest(row));
  }

  /**
   * Marks the request decided; false when another worker (or an earlier run) already did. Call
   * it first in the deciding transaction: on PostgreSQL the row lock makes a concurrent decider
   * wait and then see 0 rows, so only one of them writes deliveries.
   */
  async markDecided(id: string, atMs: number, tx: SqlRunner = this.sql): Promise<boolean> {
    return (
      (await tx.run(
        'UPDATE notification_requests SET decided_at_ms = ? WHERE id = ? AND decided_at_ms IS NULL',
        [atMs, id],
      )) === 1
    );
  }

  /** Writes a request's deliveries; ones that exist already (same channel and target) stay as they are. */
  async insertDeliveries(
    request: NotificationRequest,
    decisions: readonly DeliveryDecision[],
    atMs: number,
    tx: SqlRunner = this.sql,
  ): Promise<number> {
    let created = 0;
    for (const decision of decisions) {
      created += await tx.run(
        `INSERT INTO notification_deliveries (id, request_id, tenant_id, home_id, user_id, channel, target, language,
           status, attempts, next_attempt_at_ms, last_error, created_at_ms, updated_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?) ON CONFLICT (request_id, channel, target) DO NOTHING`,
        [
          randomUUID(),
          request.id,
          request.tenantId,
          request.homeId,
          decision.userId,
          decision.channel,
          decision.target,
          decision.language ?? null,
          decision.skippedBecause === undefined ? 'pending' : 'skipped',
          atMs,
          decision.skippedBecause ?? null,
          atMs,
          atMs,
        ],
      );
    }
    return created;
  }

  // ---- what a decision reads (inside its transaction) ----

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

  // ---- sending ----

  /** Deliveries that may be claimed now: pending and due, or sending with an expired lease. */
  async listDue(nowMs: number, limit: number, tx: SqlRunner = this.sql): Promise<string[]> {
    const rows = await tx.all(
      `SELECT id FROM notification_deliveries
       WHERE status IN ('pending', 'sending') AND next_attempt_at_ms <= ?
         AND (status = 'pending' OR lease_until_ms < ?)
       ORDER BY next_attempt_at_ms, id LIMIT ?`,
      [nowMs, nowMs, limit],
    );
    return rows.map((row) => row.id as string);
  }

  /**
   * Takes a delivery for one attempt, with a lease until `leaseUntilMs`. A conditional update:
   * of two workers (or a restarted process and a stale one) only one gets it.
   */
  async claim(
    id: string,
    nowMs: number,
    leaseUntilMs: number,
    tx: SqlRunner = this.sql,
  ): Promise<DeliveryWithRequest | undefined> {
    const changed = await tx.run(
      `UPDATE notification_deliveries
       SET status = 'sending', lease_until_ms = ?, attempts = attempts + 1, updated_at_ms = ?
       WHERE id = ? AND next_attempt_at_ms <= ?
         AND (status = 'pending' OR (status = 'sending' AND lease_until_ms < ?))`,
      [leaseUntilMs, nowMs, id, nowMs, nowMs],
    );
    if (changed !== 1) return undefined;
    return this.findDelivery(id, tx);
  }

  async findDelivery(id: string, tx: SqlRunner = this.sql): Promise<DeliveryWithRequest | undefined> {
    const row = await tx.get(
      `SELECT d.*, ${REQUEST_COLUMNS} FROM notification_deliveries d
       JOIN notification_requests r ON r.id = d.request_id WHERE d.id = ?`,
      [id],
    );
    return row ? { ...toDelivery(row), request: toRequest(row, 'r_') } : undefined;
  }

  /**
   * Records the outcome of an attempt, only while this attempt still holds the lease (a sender
   * whose lease expired and was taken over must not overwrite the newer attempt's result).
   */
  async finishAttempt(
    id: string,
    lease: { leaseUntilMs: number; attempts: number },
    outcome:
      | { status: 'sent'; atMs: number; providerResponse: string | null }
      | { status: 'failed' | 'skipped'; atMs: number; error: string; providerResponse: string | null }
      | {
          status: 'pending';
          atMs: number;
          nextAttemptAtMs: number;
          error: string;
          providerResponse: string | null;
        }
      | { status: 'released'; atMs: number },
    tx: SqlRunner = this.sql,
  ): Promise<boolean> {
    const guard = `WHERE id = ? AND status = 'sending' AND lease_until_ms = ? AND attempts = ?`;
    const guardParams = [id, lease.leaseUntilMs, lease.attempts];
    let changed: number;
    switch (outcome.status) {
      case 'sent':
        changed = await tx.run(
          `UPDATE notification_deliveries SET status = 'sent', lease_until_ms = NULL, sent_at_ms = ?,
             updated_at_ms = ?, last_error = NULL, provider_response = ? ${guard}`,
          [outcome.atMs, outcome.atMs, outcome.providerResponse, ...guardParams],
        );
        break;
      case 'failed':
      case 'skipped':
        changed = await tx.run(
          `UPDATE notification_deliveries SET status = ?, lease_until_ms = NULL, updated_at_ms = ?,
             last_error = ?, provider_response = ? ${guard}`,
          [outcome.status, outcome.atMs, outcome.error, outcome.providerResponse, ...guardParams],
        );
        break;
      case 'pending':
        changed = await tx.run(
          `UPDATE notification_deliveries SET status = 'pending', lease_until_ms = NULL, updated_at_ms = ?,
             next_attempt_at_ms = ?, last_error = ?, provider_response = ? ${guard}`,
          [outcome.atMs, outcome.nextAttemptAtMs, outcome.error, outcome.providerResponse, ...guardParams],
        );
        break;
      case 'released':
        // Shutdown abandoned the attempt before an answer: it does not count, and the next
        // start sends it at once instead of waiting for the lease to run out.
        changed = await tx.run(
          `UPDATE notification_deliveries SET status = 'pending', lease_until_ms = NULL,
             attempts = attempts - 1, updated_at_ms = ? ${guard}`,
          [outcome.atMs, ...guardParams],
        );
        break;
    }
    return changed === 1;
  }

  /** When the next pending delivery is due, to time a wake-up for retries. */
  async nextDueAtMs(tx: SqlRunner = this.sql): Promise<number | null> {
    const row = await tx.get(
      `SELECT min(CASE WHEN status = 'pending' THEN next_attempt_at_ms ELSE lease_until_ms END) AS due
       FROM notification_deliveries WHERE status IN ('pending', 'sending')`,
    );
    return row?.due == null ? null : Number(row.due);
  }

  /** Work waiting in the outbox: undecided requests plus deliveries not yet finished. */
  async countOutstanding(tx: SqlRunner = this.sql): Promise<number> {
    const row = await tx.get(
      `SELECT (SELECT count(*) FROM notification_requests WHERE decided_at_ms IS NULL)
            + (SELECT count(*) FROM notification_deliveries WHERE status IN ('pending', 'sending')) AS n`,
    );
    return Number(row?.n ?? 0);
  }

  // ---- delivery log ----

  async listDeliveries(
    query: {
      tenantId: string;
      homeId?: string | undefined;
      requestId?: string | undefined;
      status?: DeliveryStatus | undefined;
      limit: number;
      /** Position of the last row of the previous page (`positionOf`). */
      before?: string | undefined;
    },
    tx: SqlRunner = this.sql,
  ): Promise<DeliveryWithRequest[]> {
    const where = ['d.tenant_id = ?'];
    const params: unknown[] = [query.tenantId];
    if (query.homeId !== undefined) {
      where.push('d.home_id = ?');
      params.push(query.homeId);
    }
    if (query.requestId !== undefined) {
      where.push('d.request_id = ?');
      params.push(query.requestId);
    }
    if (query.status !== undefined) {
      where.push('d.status = ?');
      params.push(query.status);
    }
    const before = parsePosition(query.before);
    if (before) {
      where.push('(d.created_at_ms < ? OR (d.created_at_ms = ? AND d.id < ?))');
      params.push(before.ms, before.ms, before.id);
    }
    const rows = await tx.all(
      `SELECT d.*, ${REQUEST_COLUMNS} FROM notification_deliveries d
       JOIN notification_requests r ON r.id = d.request_id
       WHERE ${where.join(' AND ')} ORDER BY d.created_at_ms DESC, d.id DESC LIMIT ?`,
      [...params, query.limit],
    );
    return rows.map((row) => ({ ...toDelivery(row), request: toRequest(row, 'r_') }));
  }

  // ---- preferences ----

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

  // ---- push devices ----

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

  // ---- in-app ----

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

  /** The engine this store runs on; its SQL is the same on both. */
  get engine(): Dialect {
    return this.dialect;
  }
}

function toRecipient(row: Row): Recipient {
  return {
    userId: row.id as string,
    tenantId: row.tenant_id as string | null,
    email: row.email as string,
    language: isLanguage(row.language) ? row.language : null,
  };
}
