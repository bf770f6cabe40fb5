import type { NotificationStore } from '../../core/ports/control.ts';
import { randomUUID } from 'node:crypto';
import type { SqlRunner, Row } from '../../core/ports/sql.ts';
import { isLanguage } from '../../core/messages.ts';
import { jsonColumn } from '../rows.ts';
import {
  parsePosition,
  type NotificationRequest,
  type NotificationKind,
  type NotificationChannel,
  type NotificationDelivery,
  type DeliveryStatus,
  type NotificationInput,
  type DeliveryDecision,
  type DeliveryWithRequest,
  type NotificationSeverity,
} from '../../core/domain/notification.ts';

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

/**
 * The notification outbox: requests, per-recipient delivery decisions and their delivery log.
 * Written once in SQL both engines accept, against the `SqlRunner` port. Methods take an
 * optional `tx` so that a caller can write to several control stores in one transaction.
 */
export class SqlNotificationStore implements NotificationStore {
  constructor(private readonly sql: SqlRunner) {}

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
}
