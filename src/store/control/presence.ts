import type { PresenceStore, DevicePresenceRow, HeardWrite, StaleWindow } from '../../core/ports/control.ts';
import type { SqlRunner, Row } from '../../core/ports/sql.ts';

function toPresence(row: Row): DevicePresenceRow {
  return {
    deviceId: row.device_id as string,
    tenantId: row.tenant_id as string,
    gatewayId: row.gateway_id as string,
    reportIntervalSeconds: row.report_interval_seconds === null ? null : Number(row.report_interval_seconds),
    lastHeardAtMs: Number(row.last_heard_at_ms),
    staleAfterMs: Number(row.stale_after_ms),
    staleSinceMs: row.stale_since_ms === null ? null : Number(row.stale_since_ms),
  };
}

/** Rows per multi-row statement (PostgreSQL allows 65,535 parameters; SQLite 32,766). */
const CHUNK = 500;

/**
 * Device presence: last heard, expected interval, stale marks. Portable SQL on the `SqlRunner`
 * port; methods take an optional `tx` like the other control stores.
 */
export class SqlPresenceStore implements PresenceStore {
  constructor(private readonly sql: SqlRunner) {}

  /**
   * Records that devices were heard (newest time wins) and clears their stale mark. The stale
   * time is computed in SQL from the device's own interval, so that an interval set by another
   * worker is honoured.
   */
  async recordHeard(
    rows: readonly HeardWrite[],
    window: StaleWindow,
    tx: SqlRunner = this.sql,
  ): Promise<void> {
    for (let start = 0; start < rows.length; start += CHUNK) {
      const chunk = rows.slice(start, start + CHUNK);
      const params: unknown[] = [];
      for (const row of chunk) {
        params.push(
          row.deviceId,
          row.tenantId,
          row.gatewayId,
          row.heardAtMs,
          row.heardAtMs + window.missedMs * window.defaultIntervalSeconds,
        );
      }
      params.push(window.missedMs, window.defaultIntervalSeconds);
      await tx.run(
        `INSERT INTO device_presence (device_id, tenant_id, gateway_id, last_heard_at_ms, stale_after_ms)
         VALUES ${chunk.map(() => '(?, ?, ?, ?, ?)').join(', ')}
         ON CONFLICT (device_id) DO UPDATE SET
           last_heard_at_ms = excluded.last_heard_at_ms,
           stale_after_ms = excluded.last_heard_at_ms
             + ? * coalesce(device_presence.report_interval_seconds, ?),
           stale_since_ms = NULL
         WHERE excluded.last_heard_at_ms >= device_presence.last_heard_at_ms`,
        params,
      );
    }
  }

  async find(deviceId: string, tx: SqlRunner = this.sql): Promise<DevicePresenceRow | undefined> {
    const row = await tx.get('SELECT * FROM device_presence WHERE device_id = ?', [deviceId]);
    return row ? toPresence(row) : undefined;
  }

  async findMany(deviceIds: readonly string[], tx: SqlRunner = this.sql): Promise<DevicePresenceRow[]> {
    const found: DevicePresenceRow[] = [];
    for (let start = 0; start < deviceIds.length; start += CHUNK) {
      const chunk = deviceIds.slice(start, start + CHUNK);
      const rows = await tx.all(
        `SELECT * FROM device_presence WHERE device_id IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
      );
      found.push(...rows.map(toPresence));
    }
    return found;
  }

  /**
   * Sets a device's expected interval (null: the default) and moves its stale time with it.
   * A device not heard from since presence was recorded starts from `heardAtMs`.
   */
  async setReportInterval(
    input: HeardWrite & { reportIntervalSeconds: number | null },
    window: StaleWindow,
    tx: SqlRunner = this.sql,
  ): Promise<DevicePresenceRow> {
    const interval = input.reportIntervalSeconds ?? window.defaultIntervalSeconds;
    const row = await tx.get(
      `INSERT INTO device_presence (device_id, tenant_id, gateway_id, report_interval_seconds, last_heard_at_ms,
         stale_after_ms)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET
         report_interval_seconds = excluded.report_interval_seconds,
         stale_after_ms = device_presence.last_heard_at_ms + ?
       RETURNING *`,
      [
        input.deviceId,
        input.tenantId,
        input.gatewayId,
        input.reportIntervalSeconds,
        input.heardAtMs,
        input.heardAtMs + window.missedMs * interval,
        window.missedMs * interval,
      ],
    );
    return toPresence(row!);
  }

  /**
   * Marks devices whose stale time has passed, and returns them. One statement: with several
   * workers sweeping, each device is returned to exactly one of them.
   */
  async markStale(nowMs: number, limit: number, tx: SqlRunner = this.sql): Promise<DevicePresenceRow[]> {
    const rows = await tx.all(
      `UPDATE device_presence SET stale_since_ms = ?
       WHERE device_id IN (
         SELECT device_id FROM device_presence WHERE stale_since_ms IS NULL AND stale_after_ms <= ? LIMIT ?)
       AND stale_since_ms IS NULL
       RETURNING *`,
      [nowMs, nowMs, limit],
    );
    return rows.map(toPresence);
  }

  /** Ids of devices marked stale (the service keeps them in memory to notice their return). */
  async listStaleIds(tx: SqlRunner = this.sql): Promise<string[]> {
    const rows = await tx.all('SELECT device_id FROM device_presence WHERE stale_since_ms IS NOT NULL');
    return rows.map((row) => row.device_id as string);
  }

  /** Devices with an interval of their own (few): the service keeps them in memory. */
  async listReportIntervals(tx: SqlRunner = this.sql): Promise<Map<string, number>> {
    const rows = await tx.all(
      'SELECT device_id, report_interval_seconds FROM device_presence WHERE report_interval_seconds IS NOT NULL',
    );
    return new Map(rows.map((row) => [row.device_id as string, Number(row.report_interval_seconds)]));
  }
}
