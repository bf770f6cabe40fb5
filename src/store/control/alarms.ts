import type { AlarmStore } from '../../core/ports/control.ts';
import type {
  Alarm,
  AlarmCause,
  AlarmRaise,
  AlarmListQuery,
  AlarmSeverity,
  AlarmState,
  HomeSecurity,
} from '../../core/domain/alarm.ts';
import type { HomeMode } from '../../core/domain/home.ts';
import type { SqlRunner, Row } from '../../core/ports/sql.ts';

/** UTC month 'YYYY-MM' of gateway_usage. */
function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

function toAlarm(row: Row): Alarm {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string,
    homeId: row.home_id as string,
    gatewayId: row.gateway_id as string,
    deviceId: row.device_id as string,
    cause: row.cause as AlarmCause,
    severity: row.severity as AlarmSeverity,
    state: row.state as AlarmState,
    label: row.label as string,
    value: row.value === null ? null : Number(row.value),
    raisedAtMs: Number(row.raised_at_ms),
    occurrences: Number(row.occurrences),
    lastOccurrenceAtMs: Number(row.last_occurrence_at_ms),
    acknowledgedAtMs: row.acknowledged_at_ms === null ? null : Number(row.acknowledged_at_ms),
    acknowledgedBy: row.acknowledged_by as string | null,
    clearedAtMs: row.cleared_at_ms === null ? null : Number(row.cleared_at_ms),
    clearedBy: row.cleared_by as string | null,
  };
}

function toSecurity(row: Row): HomeSecurity {
  return {
    homeId: row.home_id as string,
    tenantId: row.tenant_id as string,
    mode: row.mode as HomeMode,
    heatThresholdC: row.heat_threshold_c === null ? null : Number(row.heat_threshold_c),
    freezeThresholdC: row.freeze_threshold_c === null ? null : Number(row.freeze_threshold_c),
    changedAtMs: row.changed_at_ms === null ? null : Number(row.changed_at_ms),
    changedBy: row.changed_by as string | null,
  };
}

/**
 * Alarms (one active per device and cause), their history, and each home's security mode and thresholds.
 * Written once in SQL both engines accept, against the `SqlRunner` port. Methods take an
 * optional `tx` so that a caller can write to several control stores in one transaction.
 */
export class SqlAlarmStore implements AlarmStore {
  constructor(private readonly sql: SqlRunner) {}

  /**
   * Raises an alarm, or counts one more occurrence of the active alarm of the same device and
   * cause — atomically, in one statement, so that concurrent readings (several workers) never
   * make two. `created` tells which; a created alarm is counted in its gateway's monthly usage.
   */
  async raise(
    input: AlarmRaise,
    countedAtMs: number,
    tx: SqlRunner = this.sql,
  ): Promise<{ alarm: Alarm; created: boolean }> {
    const row = await tx.get(
      `INSERT INTO alarms (id, tenant_id, home_id, gateway_id, device_id, cause, severity, state, label, value,
         raised_at_ms, occurrences, last_occurrence_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, 1, ?)
       ON CONFLICT (device_id, cause) WHERE state = 'active' DO UPDATE SET
         occurrences = alarms.occurrences + 1,
         last_occurrence_at_ms = CASE WHEN excluded.last_occurrence_at_ms > alarms.last_occurrence_at_ms
           THEN excluded.last_occurrence_at_ms ELSE alarms.last_occurrence_at_ms END
       RETURNING *`,
      [
        input.id,
        input.tenantId,
        input.homeId,
        input.gatewayId,
        input.deviceId,
        input.cause,
        input.severity,
        input.label,
        input.value,
        input.atMs,
        input.atMs,
      ],
    );
    const alarm = toAlarm(row!);
    const created = alarm.id === input.id;
    if (created) {
      await tx.run(
        `INSERT INTO gateway_usage (gateway_id, month, tenant_id, alarms) VALUES (?, ?, ?, 1)
         ON CONFLICT (gateway_id, month) DO UPDATE SET alarms = gateway_usage.alarms + 1`,
        [input.gatewayId, monthOf(countedAtMs), input.tenantId],
      );
    }
    return { alarm, created };
  }

  async find(id: string, tx: SqlRunner = this.sql): Promise<Alarm | undefined> {
    const row = await tx.get('SELECT * FROM alarms WHERE id = ?', [id]);
    return row ? toAlarm(row) : undefined;
  }

  /** A home's alarms newest first (by raise time, then id). */
  async list(query: AlarmListQuery, tx: SqlRunner = this.sql): Promise<Alarm[]> {
    const params: unknown[] = [query.homeId];
    let where = 'home_id = ?';
    if (query.state !== 'all') {
      where += ' AND state = ?';
      params.push(query.state);
    }
    if (query.before) {
      where += ' AND (raised_at_ms < ? OR (raised_at_ms = ? AND id < ?))';
      params.push(query.before.raisedAtMs, query.before.raisedAtMs, query.before.id);
    }
    params.push(query.limit);
    const rows = await tx.all(
      `SELECT * FROM alarms WHERE ${where} ORDER BY raised_at_ms DESC, id DESC LIMIT ?`,
      params,
    );
    return rows.map(toAlarm);
  }

  /** (device, cause) of every active alarm: the service's cache of what a normal reading may clear. */
  async listActiveKeys(tx: SqlRunner = this.sql): Promise<Array<{ deviceId: string; cause: AlarmCause }>> {
    const rows = await tx.all("SELECT device_id, cause FROM alarms WHERE state = 'active'");
    return rows.map((row) => ({ deviceId: row.device_id as string, cause: row.cause as AlarmCause }));
  }

  /** Marks an alarm seen; a second acknowledgement keeps the first. Undefined: no such alarm. */
  async acknowledge(
    id: string,
    by: string,
    atMs: number,
    tx: SqlRunner = this.sql,
  ): Promise<Alarm | undefined> {
    const row = await tx.get(
      `UPDATE alarms SET acknowledged_at_ms = ?, acknowledged_by = ?
       WHERE id = ? AND acknowledged_at_ms IS NULL RETURNING *`,
      [atMs, by, id],
    );
    return row ? toAlarm(row) : this.find(id, tx);
  }

  /** Clears an active alarm; undefined when it is not active (already cleared, or no such alarm). */
  async clear(id: string, by: string, atMs: number, tx: SqlRunner = this.sql): Promise<Alarm | undefined> {
    const row = await tx.get(
      `UPDATE alarms SET state = 'cleared', cleared_at_ms = ?, cleared_by = ?
       WHERE id = ? AND state = 'active' RETURNING *`,
      [atMs, by, id],
    );
    return row ? toAlarm(row) : undefined;
  }

  /**
   * The sensor reported normal: clears the active alarm of that cause, unless it recurred after
   * the normal reading was measured (readings may arrive out of order).
   */
  async clearByDevice(
    input: { deviceId: string; cause: AlarmCause; measuredAtMs: number; atMs: number },
    tx: SqlRunner = this.sql,
  ): Promise<Alarm | undefined> {
    const row = await tx.get(
      `UPDATE alarms SET state = 'cleared', cleared_at_ms = ?, cleared_by = 'device'
       WHERE device_id = ? AND cause = ? AND state = 'active' AND last_occurrence_at_ms <= ? RETURNING *`,
      [input.atMs, input.deviceId, input.cause, input.measuredAtMs],
    );
    return row ? toAlarm(row) : undefined;
  }

  /** Clears a home's active alarms of the given causes (disarming clears intrusion). */
  async clearHomeCauses(
    input: { homeId: string; causes: readonly AlarmCause[]; by: string; atMs: number },
    tx: SqlRunner = this.sql,
  ): Promise<Alarm[]> {
    if (input.causes.length === 0) return [];
    const rows = await tx.all(
      `UPDATE alarms SET state = 'cleared', cleared_at_ms = ?, cleared_by = ?
       WHERE home_id = ? AND state = 'active' AND cause IN (${input.causes.map(() => '?').join(', ')})
       RETURNING *`,
      [input.atMs, input.by, input.homeId, ...input.causes],
    );
    return rows.map(toAlarm);
  }

  async findSecurity(homeId: string, tx: SqlRunner = this.sql): Promise<HomeSecurity | undefined> {
    const row = await tx.get('SELECT * FROM home_security WHERE home_id = ?', [homeId]);
    return row ? toSecurity(row) : undefined;
  }

  /** Sets the mode (thresholds are kept) and returns the settings. */
  async setMode(
    input: { homeId: string; tenantId: string; mode: HomeMode; by: string; atMs: number },
    tx: SqlRunner = this.sql,
  ): Promise<HomeSecurity> {
    const row = await tx.get(
      `INSERT INTO home_security (home_id, tenant_id, mode, changed_at_ms, changed_by) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (home_id) DO UPDATE SET mode = excluded.mode, changed_at_ms = excluded.changed_at_ms,
         changed_by = excluded.changed_by
       RETURNING *`,
      [input.homeId, input.tenantId, input.mode, input.atMs, input.by],
    );
    return toSecurity(row!);
  }

  /** Sets the home's own thresholds (null: back to the configured default); the mode is kept. */
  async setThresholds(
    input: {
      homeId: string;
      tenantId: string;
      heatThresholdC: number | null;
      freezeThresholdC: number | null;
    },
    tx: SqlRunner = this.sql,
  ): Promise<HomeSecurity> {
    // A home that never set a mode is disarmed; its mode change time stays unset.
    const row = await tx.get(
      `INSERT INTO home_security (home_id, tenant_id, mode, heat_threshold_c, freeze_threshold_c)
       VALUES (?, ?, 'disarmed', ?, ?)
       ON CONFLICT (home_id) DO UPDATE SET heat_threshold_c = excluded.heat_threshold_c,
         freeze_threshold_c = excluded.freeze_threshold_c
       RETURNING *`,
      [input.homeId, input.tenantId, input.heatThresholdC, input.freezeThresholdC],
    );
    return toSecurity(row!);
  }
}
