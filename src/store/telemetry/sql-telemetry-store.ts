import type {
  GatewayUsage,
  IngestBatch,
  RangeSummary,
  Reading,
  SummarySource,
  TimeRange,
} from '../../core/domain/telemetry.ts';
import type { SqlRunner } from '../../core/ports/sql.ts';
import type { HistoryQuery, SeriesInfo, TelemetryStore, TrimResult } from '../../core/ports/telemetry.ts';
import { lockForUpdate, type Dialect } from '../dialect.ts';
import { historyWindow, toReading } from './batch.ts';
import { RETENTION_CHUNK_ROWS, ROLLUP_TABLES, rollupHorizon, tableOf } from './retention.ts';

/** Rows deleted per statement when a gateway's history is removed. */
const DELETE_BATCH_ROWS = 5000;

/**
 * The telemetry store's portable part: reading history, and deleting what retention or a
 * gateway's removal says must go, in short statements that take turns with the group commits
 * so that ingestion keeps flowing. Each engine adapter extends it with what differs between
 * the engines: its batch write (`applyIngest`) and its summary queries (`summarize`).
 */
export abstract class SqlTelemetryStore implements TelemetryStore {
  constructor(
    protected readonly sql: SqlRunner,
    protected readonly dialect: Dialect,
  ) {}

  abstract applyIngest(batch: IngestBatch): Promise<void>;

  abstract summarize(query: {
    seriesId: number;
    source: SummarySource;
    ranges: TimeRange[];
  }): Promise<RangeSummary[]>;

  /** Series rows were deleted: ids an adapter cached for them point nowhere now. */
  protected abstract forgetSeries(): void;

  /** Retention moved the raw horizon of these series forward; an adapter's cached rows follow. */
  protected abstract rawHorizonMoved(seriesIds: readonly number[], horizonMs: number): void;

  async readHistory(query: HistoryQuery): Promise<Reading[]> {
    const { from, to, direction } = historyWindow(query);
    const rows = await this.sql.all(
      `SELECT ts_ms, value, text FROM readings
       WHERE series_id = (SELECT id FROM series WHERE device_id = ? AND label = ?)
         AND ts_ms >= ? AND ts_ms < ?
       ORDER BY ts_ms ${direction} LIMIT ?`,
      [query.deviceId, query.label, from, to, query.limit],
    );
    return rows.map(toReading);
  }

  async findSeries(deviceId: string, label: string): Promise<SeriesInfo | undefined> {
    const row = await this.sql.get('SELECT id, zone FROM series WHERE device_id = ? AND label = ?', [
      deviceId,
      label,
    ]);
    return row ? { id: row.id as number, zone: row.zone as string } : undefined;
  }

  async countReadings(filter: { deviceId?: string; gatewayId?: string } = {}): Promise<number> {
    const row = filter.deviceId
      ? await this.sql.get(
          'SELECT count(*) AS n FROM readings WHERE series_id IN (SELECT id FROM series WHERE device_id = ?)',
          [filter.deviceId],
        )
      : filter.gatewayId
        ? await this.sql.get(
            'SELECT count(*) AS n FROM readings WHERE series_id IN (SELECT id FROM series WHERE gateway_id = ?)',
            [filter.gatewayId],
          )
        : await this.sql.get('SELECT count(*) AS n FROM readings');
    return Number(row!.n);
  }

  async deleteGatewayData(gatewayId: string): Promise<{ devices: number; readings: number }> {
    let readings = 0;
    const series = await this.sql.all('SELECT id FROM series WHERE gateway_id = ?', [gatewayId]);
    for (const { id } of series) {
      // Small transactions (one statement each), taking turns with the group commits.
      for (;;) {
        const deleted = await this.sql.run(
          `DELETE FROM readings WHERE series_id = ? AND ts_ms IN (
             SELECT ts_ms FROM readings WHERE series_id = ? LIMIT ?)`,
          [id, id, DELETE_BATCH_ROWS],
        );
        readings += deleted;
        if (deleted < DELETE_BATCH_ROWS) break;
      }
    }
    const devices = await this.sql.transaction(async (tx) => {
      for (const table of ROLLUP_TABLES) {
        await tx.run(`DELETE FROM ${table} WHERE series_id IN (SELECT id FROM series WHERE gateway_id = ?)`, [
          gatewayId,
        ]);
      }
      await tx.run('DELETE FROM series WHERE gateway_id = ?', [gatewayId]);
      // previews cascade with their devices.
      return tx.run('DELETE FROM devices WHERE gateway_id = ?', [gatewayId]);
    });
    this.forgetSeries();
    return { devices, readings };
  }

  async trimHistory(input: {
    gatewayId: string;
    rawBeforeMs: number;
    rollupsBeforeMs: number;
    maxRows: number;
  }): Promise<TrimResult> {
    const result: TrimResult = { readings: 0, rollups: 0, more: false };
    const seriesIds = (
      await this.sql.all('SELECT id FROM series WHERE gateway_id = ? ORDER BY id', [input.gatewayId])
    ).map((row) => row.id as number);
    const targets = [
      { table: 'readings', column: 'ts_ms', beforeMs: input.rawBeforeMs, counter: 'readings' as const },
      ...(['hourly', 'daily'] as const).map((resolution) => ({
        table: tableOf(resolution),
        column: 'start_ms',
        beforeMs: rollupHorizon(resolution, input.rollupsBeforeMs),
        counter: 'rollups' as const,
      })),
    ];
    // Rows locked in id order, as the ingest path locks them.
    await this.sql.run(
      `UPDATE series SET raw_horizon_ms = ? WHERE id IN (
         SELECT id FROM series WHERE gateway_id = ? AND (raw_horizon_ms IS NULL OR raw_horizon_ms < ?)
         ORDER BY id ${lockForUpdate(this.dialect)})`,
      [input.rawBeforeMs, input.gatewayId, input.rawBeforeMs],
    );
    this.rawHorizonMoved(seriesIds, input.rawBeforeMs);
    let budget = input.maxRows;
    for (const seriesId of seriesIds) {
      for (const target of targets) {
        for (;;) {
          if (budget <= 0) {
            result.more = true;
            return result;
          }
          const chunk = Math.min(budget, RETENTION_CHUNK_ROWS);
          // One short statement per chunk, taking its turn with the group commits: everything
          // before the chunk-th oldest row, or before the horizon when fewer rows remain.
          const deleted = await this.sql.run(
            `DELETE FROM ${target.table} WHERE series_id = ? AND ${target.column} < coalesce(
               (SELECT ${target.column} FROM ${target.table} WHERE series_id = ? AND ${target.column} < ?
                ORDER BY ${target.column} LIMIT 1 OFFSET ?), ?)`,
            [seriesId, seriesId, target.beforeMs, chunk, target.beforeMs],
          );
          result[target.counter] += deleted;
          budget -= deleted;
          if (deleted < chunk) break;
        }
      }
    }
    return result;
  }

  async listGatewayUsage(tenantId: string, fromMonth: string, toMonth: string): Promise<GatewayUsage[]> {
    const rows = await this.sql.all(
      `SELECT gateway_id, month, messages, online_ms, alarms FROM gateway_usage
       WHERE tenant_id = ? AND month >= ? AND month <= ? ORDER BY month, gateway_id`,
      [tenantId, fromMonth, toMonth],
    );
    return rows.map((row) => ({
      gatewayId: row.gateway_id as string,
      month: row.month as string,
      messages: Number(row.messages),
      onlineMs: Number(row.online_ms),
      alarms: Number(row.alarms),
    }));
  }
}
