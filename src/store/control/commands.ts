import type { CommandStore } from '../../core/ports/control.ts';
import type {
  Command,
  CommandPosition,
  CommandInsert,
  CommandStatus,
  FINAL_COMMAND_STATUSES,
  WhenOffline,
} from '../../core/domain/command.ts';
import type { SqlRunner, Row } from '../../core/ports/sql.ts';
import { jsonColumn } from '../rows.ts';

/** Rows one sweep moves at most, so that a backlog is worked off in short statements. */
const SWEEP_BATCH = 500;

/**
 * Commands sent to devices, their status and idempotency keys (rate limits live in memory).
 * Written once in SQL both engines accept, against the `SqlRunner` port. Methods take an
 * optional `tx` so that a caller can write to several control stores in one transaction.
 *
 * Status changes are conditional updates (`WHERE id = ? AND status = 'sent'`) returning the
 * changed row, so that of two writers (a late commandResult and the timeout sweep, two workers
 * delivering one queue) exactly one wins and the other learns it did not.
 */
export class SqlCommandStore implements CommandStore {
  constructor(private readonly sql: SqlRunner) {}

  /** Stores a new command as `pending`; a second command with the same device and key is HESTIA_CONFLICT. */
  async insert(input: CommandInsert, tx: SqlRunner = this.sql): Promise<Command> {
    await tx.run(
      `INSERT INTO commands (id, tenant_id, home_id, gateway_id, device_id, action, params, idempotency_key,
         when_offline, status, detail, requested_by, requested_by_type, created_at_ms, sent_at_ms,
         completed_at_ms, expires_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', NULL, ?, ?, ?, NULL, NULL, ?)`,
      [
        input.id,
        input.tenantId,
        input.homeId,
        input.gatewayId,
        input.deviceId,
        input.action,
        JSON.stringify(input.params),
        input.idempotencyKey,
        input.whenOffline,
        input.requestedBy,
        input.requestedByType,
        input.createdAtMs,
        input.expiresAtMs,
      ],
    );
    return { ...input, status: 'pending', detail: null, sentAtMs: null, completedAtMs: null };
  }

  async find(id: string, tx: SqlRunner = this.sql): Promise<Command | undefined> {
    const row = await tx.get('SELECT * FROM commands WHERE id = ?', [id]);
    return row ? toCommand(row) : undefined;
  }

  async findByIdempotencyKey(
    deviceId: string,
    idempotencyKey: string,
    tx: SqlRunner = this.sql,
  ): Promise<Command | undefined> {
    const row = await tx.get('SELECT * FROM commands WHERE device_id = ? AND idempotency_key = ?', [
      deviceId,
      idempotencyKey,
    ]);
    return row ? toCommand(row) : undefined;
  }

  /** A device's commands, newest first, after `after` (keyset paging). */
  async listForDevice(
    deviceId: string,
    page: { limit: number; after?: CommandPosition | undefined },
    tx: SqlRunner = this.sql,
  ): Promise<Command[]> {
    const rows = page.after
      ? await tx.all(
          `SELECT * FROM commands WHERE device_id = ?
             AND (created_at_ms < ? OR (created_at_ms = ? AND id < ?))
           ORDER BY created_at_ms DESC, id DESC LIMIT ?`,
          [deviceId, page.after.createdAtMs, page.after.createdAtMs, page.after.id, page.limit],
        )
      : await tx.all(
          'SELECT * FROM commands WHERE device_id = ? ORDER BY created_at_ms DESC, id DESC LIMIT ?',
          [deviceId, page.limit],
        );
    return rows.map(toCommand);
  }

  /** A gateway's queue in creation order (the order it is delivered in). */
  async listQueued(gatewayId: string, limit: number, tx: SqlRunner = this.sql): Promise<Command[]> {
    const rows = await tx.all(
      `SELECT * FROM commands WHERE gateway_id = ? AND status = 'pending'
       ORDER BY created_at_ms, id LIMIT ?`,
      [gatewayId, limit],
    );
    return rows.map(toCommand);
  }

  /** Gateways with queued commands (the sweep delivers to those connected). */
  async gatewaysWithQueued(tx: SqlRunner = this.sql): Promise<string[]> {
    const rows = await tx.all("SELECT DISTINCT gateway_id FROM commands WHERE status = 'pending'");
    return rows.map((row) => row.gateway_id as string);
  }

  async countQueued(tx: SqlRunner = this.sql): Promise<number> {
    const row = await tx.get("SELECT count(*) AS n FROM commands WHERE status = 'pending'");
    return Number(row?.n ?? 0);
  }

  /** pending → sent; undefined when it was no longer pending (another worker sent or expired it). */
  async markSent(id: string, atMs: number, tx: SqlRunner = this.sql): Promise<Command | undefined> {
    const row = await tx.get(
      `UPDATE commands SET status = 'sent', sent_at_ms = ?
       WHERE id = ? AND status = 'pending' RETURNING *`,
      [atMs, id],
    );
    return row ? toCommand(row) : undefined;
  }

  /**
   * sent → succeeded | failed | timed_out (or pending → timed_out/failed for a command that never
   * left); undefined when the command had already moved on from `from`.
   */
  async complete(
    input: {
      id: string;
      from: CommandStatus;
      status: (typeof FINAL_COMMAND_STATUSES)[number];
      detail: string | null;
      atMs: number;
    },
    tx: SqlRunner = this.sql,
  ): Promise<Command | undefined> {
    const row = await tx.get(
      `UPDATE commands SET status = ?, detail = ?, completed_at_ms = ?
       WHERE id = ? AND status = ? RETURNING *`,
      [input.status, input.detail, input.atMs, input.id, input.from],
    );
    return row ? toCommand(row) : undefined;
  }

  /** Sent commands without a result since `sentBeforeMs` become timed_out; returns them. */
  async timeOutSent(
    sentBeforeMs: number,
    atMs: number,
    detail: string,
    tx: SqlRunner = this.sql,
  ): Promise<Command[]> {
    const rows = await tx.all(
      `UPDATE commands SET status = 'timed_out', detail = ?, completed_at_ms = ?
       WHERE status = 'sent' AND id IN (
         SELECT id FROM commands WHERE status = 'sent' AND sent_at_ms <= ? ORDER BY sent_at_ms LIMIT ${SWEEP_BATCH})
       RETURNING *`,
      [detail, atMs, sentBeforeMs],
    );
    return rows.map(toCommand);
  }

  /** Queued commands whose time-to-live ran out (expires_at_ms ≤ atMs) become timed_out; returns them. */
  async expireQueued(atMs: number, detail: string, tx: SqlRunner = this.sql): Promise<Command[]> {
    const rows = await tx.all(
      `UPDATE commands SET status = 'timed_out', detail = ?, completed_at_ms = ?
       WHERE status = 'pending' AND id IN (
         SELECT id FROM commands WHERE status = 'pending' AND expires_at_ms <= ?
         ORDER BY expires_at_ms LIMIT ${SWEEP_BATCH})
       RETURNING *`,
      [detail, atMs, atMs],
    );
    return rows.map(toCommand);
  }
}

function toCommand(row: Row): Command {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string,
    homeId: row.home_id as string,
    gatewayId: row.gateway_id as string,
    deviceId: row.device_id as string,
    action: row.action as string,
    params: jsonColumn<Record<string, unknown>>(row.params),
    idempotencyKey: row.idempotency_key as string | null,
    whenOffline: row.when_offline as WhenOffline,
    status: row.status as CommandStatus,
    detail: row.detail as string | null,
    requestedBy: row.requested_by as string,
    requestedByType: row.requested_by_type as Command['requestedByType'],
    createdAtMs: row.created_at_ms as number,
    sentAtMs: row.sent_at_ms as number | null,
    completedAtMs: row.completed_at_ms as number | null,
    expiresAtMs: row.expires_at_ms as number,
  };
}
