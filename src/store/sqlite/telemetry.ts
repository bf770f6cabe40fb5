import type Database from 'better-sqlite3';
import {
  contiguousRuns,
  type IngestBatch,
  type RangeSummary,
  type SummarySource,
  type TimeRange,
} from '../../core/domain/telemetry.ts';
import type { SqlRunner } from '../../core/ports/sql.ts';
import {
  latestGatewaySeen,
  mergePerDevice,
  newestPerSeries,
  seriesKey,
  usageMessages,
} from '../telemetry/batch.ts';
import {
  RangeAccumulator,
  groupInserted,
  increaseBetween,
  rollupDeltas,
  rollupPart,
  type NumericPoint,
  type RollupResolution,
  type SeriesInsert,
} from '../telemetry/rollups.ts';
import { tableOf } from '../telemetry/retention.ts';
import { SqlTelemetryStore } from '../telemetry/sql-telemetry-store.ts';
import type { WalDurability } from './durability.ts';
import type { SqliteLock } from './sqlite-runner.ts';

/** A series row as the ingest path needs it, read before the batch's inserts. */
interface SeriesRow {
  zone: string;
  num_ts: number | null;
  num_value: number | null;
  raw_horizon_ms: number | null;
}

/** Series rows cached for the ingest path before the cache starts over. */
const MAX_CACHED_SERIES = 200_000;

/**
 * SQLite's batch write and summary queries. better-sqlite3 is synchronous: a group commit is one
 * transaction run in one turn of the event loop, under the lock that keeps the portable stores'
 * async transactions out of it, with statements prepared once and cached.
 */
export class SqliteTelemetryStore extends SqlTelemetryStore {
  /** (device, label) → series id; series rows are never renumbered, so entries stay valid. */
  private readonly seriesIds = new Map<string, number>();

  /**
   * Series id → the row fields the ingest path reads, kept current by this process, the only
   * writer of telemetry. Retention run by the CLI beside the server moves raw_horizon_ms in the
   * database only: until the next trim by this process, a reading older than the new horizon
   * may still be stored, and the next pass deletes it.
   */
  private readonly seriesRows = new Map<number, SeriesRow>();

  constructor(
    sql: SqlRunner,
    private readonly db: Database.Database,
    private readonly stmt: (sql: string) => Database.Statement,
    private readonly lock: SqliteLock,
    private readonly wal: WalDurability,
  ) {
    super(sql, 'sqlite');
  }

  protected forgetSeries(): void {
    this.seriesIds.clear();
    this.seriesRows.clear();
  }

  protected rawHorizonMoved(seriesIds: readonly number[], horizonMs: number): void {
    for (const seriesId of seriesIds) {
      const cached = this.seriesRows.get(seriesId);
      if (cached && (cached.raw_horizon_ms === null || cached.raw_horizon_ms < horizonMs)) {
        cached.raw_horizon_ms = horizonMs;
      }
    }
  }

  async applyIngest(batch: IngestBatch): Promise<void> {
    await this.lock.exclusive(() => {
      try {
        const relaxedBefore = this.wal.relaxedCommits;
        this.db.transaction(() => this.writeBatch(batch))();
        // This commit fsynced the WAL, and with it every relaxed commit written before it.
        this.wal.synced(relaxedBefore);
      } catch (error) {
        // Series rows created inside the rolled-back transaction are gone: forget their ids,
        // and the cached newest readings the batch may have advanced.
        this.seriesIds.clear();
        this.seriesRows.clear();
        throw error;
      }
    });
  }

  private writeBatch(batch: IngestBatch): void {
    const upsertDevice = this.stmt(
      `INSERT INTO devices (id, tenant_id, gateway_id, type, protocol, name, node_id, network_id, created_at_ms, last_seen_at_ms)
       VALUES (@id, @tenantId, @gatewayId, @type, @protocol, @name, @nodeId, @networkId, @seenAtMs, @seenAtMs)
       ON CONFLICT (id) DO UPDATE SET
         type = excluded.type, protocol = excluded.protocol,
         name = coalesce(excluded.name, devices.name),
         node_id = coalesce(excluded.node_id, devices.node_id),
         network_id = coalesce(excluded.network_id, devices.network_id),
         last_seen_at_ms = max(coalesce(devices.last_seen_at_ms, 0), excluded.last_seen_at_ms),
         removed_at_ms = NULL
       WHERE devices.gateway_id = excluded.gateway_id`,
    );
    for (const device of batch.devices) upsertDevice.run(device);

    for (const list of batch.deviceLists) {
      this.stmt(
        `UPDATE devices SET removed_at_ms = ?
         WHERE gateway_id = ? AND removed_at_ms IS NULL AND id NOT IN (SELECT value FROM json_each(?))`,
      ).run(list.atMs, list.gatewayId, JSON.stringify(list.deviceIds));
    }

    if (batch.readings.length > 0) {
      const insertReading = this.stmt(
        'INSERT OR IGNORE INTO readings (series_id, ts_ms, value, text) VALUES (?, ?, ?, ?)',
      );
      const inserted: Array<{ seriesId: number; tsMs: number; value: number | null }> = [];
      const seriesRows = this.seriesRows;
      for (const reading of batch.readings) {
        const seriesId = this.seriesId(reading);
        let series = seriesRows.get(seriesId);
        if (!series) {
          series = this.stmt('SELECT zone, num_ts, num_value, raw_horizon_ms FROM series WHERE id = ?').get(
            seriesId,
          ) as SeriesRow;
          if (seriesRows.size >= MAX_CACHED_SERIES) seriesRows.clear();
          seriesRows.set(seriesId, series);
        }
        // Retention already deleted this time range: a reading arriving now is dropped too.
        if (series.raw_horizon_ms !== null && reading.tsMs < series.raw_horizon_ms) continue;
        if (insertReading.run(seriesId, reading.tsMs, reading.value, reading.text).changes > 0) {
          inserted.push({ seriesId, tsMs: reading.tsMs, value: reading.value });
        }
      }
      this.writeRollups(this.seriesInserts(groupInserted(inserted), seriesRows));
      // Same rule as shared.ts `isNewer`: a null value ranks as -Infinity (the literal -9e999
      // overflows to it), below every number, as in newestPerSeries within a batch.
      const updateState = this.stmt(
        `UPDATE series SET value = @value, text = @text, ts_ms = @tsMs,
           unit = coalesce(@unit, unit), sensor_type = coalesce(@sensorType, sensor_type)
         WHERE id = @id AND (ts_ms IS NULL OR ts_ms < @tsMs OR (ts_ms = @tsMs
           AND (coalesce(value, -9e999), coalesce(text, '')) < (coalesce(@value, -9e999), coalesce(@text, ''))))`,
      );
      for (const reading of newestPerSeries(batch.readings)) {
        updateState.run({
          id: this.seriesId(reading),
          value: reading.value,
          text: reading.text,
          tsMs: reading.tsMs,
          unit: reading.unit,
          sensorType: reading.sensorType,
        });
      }
    }

    for (const [deviceId, attributes] of mergePerDevice(batch.deviceAttributes, 'attributes')) {
      this.stmt('UPDATE devices SET attributes = json_patch(attributes, ?) WHERE id = ?').run(
        JSON.stringify(attributes),
        deviceId,
      );
    }
    for (const [deviceId, settings] of mergePerDevice(batch.deviceSettings, 'settings')) {
      this.stmt('UPDATE devices SET settings = json_patch(settings, ?) WHERE id = ?').run(
        JSON.stringify(settings),
        deviceId,
      );
    }
    for (const preview of batch.previews) {
      this.stmt(
        `INSERT INTO previews (device_id, tenant_id, ts_ms, content_type, image) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET ts_ms = excluded.ts_ms, content_type = excluded.content_type, image = excluded.image
         WHERE excluded.ts_ms >= previews.ts_ms`,
      ).run(preview.deviceId, preview.tenantId, preview.tsMs, preview.contentType, preview.image);
      // Every preview is also kept in the camera's history (the video retention pass trims it).
      this.stmt(
        `INSERT INTO camera_previews (device_id, tenant_id, ts_ms, content_type, image) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (device_id, ts_ms) DO NOTHING`,
      ).run(preview.deviceId, preview.tenantId, preview.tsMs, preview.contentType, preview.image);
    }
    for (const usage of usageMessages(batch)) {
      this.stmt(
        `INSERT INTO gateway_usage (gateway_id, month, tenant_id, messages) VALUES (?, ?, ?, ?)
         ON CONFLICT (gateway_id, month) DO UPDATE SET messages = messages + excluded.messages`,
      ).run(usage.gatewayId, usage.month, usage.tenantId, usage.messages);
    }
    for (const seen of latestGatewaySeen(batch)) {
      this.stmt(
        `UPDATE gateways SET last_seen_at_ms = max(coalesce(last_seen_at_ms, 0), ?),
           firmware = coalesce(?, firmware), vendor = coalesce(?, vendor) WHERE id = ?`,
      ).run(seen.atMs, seen.firmware, seen.vendor, seen.gatewayId);
    }
    for (const drop of batch.unregisteredDrops) {
      this.stmt('UPDATE gateways SET unregistered_messages = unregistered_messages + ? WHERE id = ?').run(
        drop.messages,
        drop.gatewayId,
      );
    }
    if (batch.deadLetters.length > 0) {
      const insertDeadLetter = this.stmt(
        `INSERT INTO dead_letters (tenant_id, gateway_id, received_at_ms, reason, detail, payload, payload_bytes)
         VALUES (@tenantId, @gatewayId, @receivedAtMs, @reason, @detail, @payload, @payloadBytes)`,
      );
      for (const deadLetter of batch.deadLetters) insertDeadLetter.run(deadLetter);
    }
  }

  /** Series id of a reading's (device, label), creating the series row on first use. */
  private seriesId(reading: {
    tenantId: string;
    gatewayId: string;
    deviceId: string;
    label: string;
  }): number {
    const key = seriesKey(reading.deviceId, reading.label);
    const cached = this.seriesIds.get(key);
    if (cached !== undefined) return cached;
    this.stmt(
      `INSERT OR IGNORE INTO series (tenant_id, gateway_id, device_id, label, zone) VALUES (?, ?, ?, ?,
         coalesce((SELECT h.timezone FROM gateways g JOIN homes h ON h.id = g.home_id WHERE g.id = ?), 'UTC'))`,
    ).run(reading.tenantId, reading.gatewayId, reading.deviceId, reading.label, reading.gatewayId);
    const row = this.stmt('SELECT id FROM series WHERE device_id = ? AND label = ?').get(
      reading.deviceId,
      reading.label,
    ) as {
      id: number;
    };
    this.seriesIds.set(key, row.id);
    return row.id;
  }

  /** For each series with inserted readings: its zone and either its previous reading or a window. */
  private seriesInserts(
    inserted: Map<number, NumericPoint[]>,
    seriesRows: Map<number, SeriesRow>,
  ): SeriesInsert[] {
    const out: SeriesInsert[] = [];
    for (const [seriesId, points] of inserted) {
      const row = seriesRows.get(seriesId)!;
      const first = points[0]!;
      const last = points[points.length - 1]!;
      if (row.num_ts === null || first.tsMs > row.num_ts) {
        const previous = row.num_ts === null ? null : { tsMs: row.num_ts, value: row.num_value! };
        out.push({ seriesId, zone: row.zone, inserted: points, previous });
      } else {
        out.push({
          seriesId,
          zone: row.zone,
          inserted: points,
          window: this.window(seriesId, first.tsMs, last.tsMs),
        });
      }
      if (row.num_ts === null || last.tsMs > row.num_ts) {
        this.stmt('UPDATE series SET num_ts = ?, num_value = ? WHERE id = ?').run(
          last.tsMs,
          last.value,
          seriesId,
        );
        // The cached row follows; a rollback of the batch clears the cache.
        row.num_ts = last.tsMs;
        row.num_value = last.value;
      }
    }
    return out;
  }

  /** Stored numeric readings from the one before `fromMs` to the one after `toMs`. */
  private window(seriesId: number, fromMs: number, toMs: number): NumericPoint[] {
    const point = (row: unknown): NumericPoint[] => {
      if (!row) return [];
      const [tsMs, value] = row as [number, number];
      return [{ tsMs, value }];
    };
    const before = this.predecessor(seriesId, fromMs);
    const middle = (
      this.stmt(
        'SELECT ts_ms, value FROM readings WHERE series_id = ? AND ts_ms >= ? AND ts_ms <= ? AND value IS NOT NULL ORDER BY ts_ms',
      )
        .raw()
        .all(seriesId, fromMs, toMs) as Array<[number, number]>
    ).map(([tsMs, value]) => ({ tsMs, value }));
    const after = point(
      this.stmt(
        'SELECT ts_ms, value FROM readings WHERE series_id = ? AND ts_ms > ? AND value IS NOT NULL ORDER BY ts_ms LIMIT 1',
      )
        .raw()
        .get(seriesId, toMs),
    );
    return [...(before ? [before] : []), ...middle, ...after];
  }

  /**
   * The last numeric reading before `ms`: from raw history, or, where retention has already
   * deleted it, the last reading recorded in the hourly rollups.
   */
  private predecessor(seriesId: number, ms: number): NumericPoint | undefined {
    const row = (this.stmt(
      'SELECT ts_ms, value FROM readings WHERE series_id = ? AND ts_ms < ? AND value IS NOT NULL ORDER BY ts_ms DESC LIMIT 1',
    )
      .raw()
      .get(seriesId, ms) ??
      this.stmt(
        'SELECT last_ts, last_val FROM rollups_hourly WHERE series_id = ? AND last_ts < ? ORDER BY start_ms DESC LIMIT 1',
      )
        .raw()
        .get(seriesId, ms)) as [number, number] | undefined;
    return row ? { tsMs: row[0], value: row[1] } : undefined;
  }

  private writeRollups(series: SeriesInsert[]): void {
    if (series.length === 0) return;
    const deltas = rollupDeltas(series);
    for (const resolution of ['hourly', 'daily'] as RollupResolution[]) {
      const table = tableOf(resolution);
      const upsert = this.stmt(
        `INSERT INTO ${table} (series_id, start_ms, n, sum_val, min_val, max_val, first_ts, first_val, last_ts, last_val, increase)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (series_id, start_ms) DO UPDATE SET
           n = n + excluded.n, sum_val = sum_val + excluded.sum_val,
           min_val = min(min_val, excluded.min_val), max_val = max(max_val, excluded.max_val),
           first_val = CASE WHEN excluded.first_ts < first_ts THEN excluded.first_val ELSE first_val END,
           first_ts = min(first_ts, excluded.first_ts),
           last_val = CASE WHEN excluded.last_ts > last_ts THEN excluded.last_val ELSE last_val END,
           last_ts = max(last_ts, excluded.last_ts),
           increase = increase + excluded.increase`,
      );
      const correct = this.stmt(
        `UPDATE ${table} SET increase = increase + ? WHERE series_id = ? AND start_ms = ?`,
      );
      // Positional parameters: binding an object by names costs more, on the hottest statement.
      for (const d of deltas[resolution]) {
        if (d.n > 0) {
          upsert.run(
            d.seriesId,
            d.startMs,
            d.n,
            d.sum,
            d.min,
            d.max,
            d.firstTs,
            d.first,
            d.lastTs,
            d.last,
            d.increase,
          );
        } else if (d.increase !== 0) {
          correct.run(d.increase, d.seriesId, d.startMs);
        }
      }
    }
  }

  async summarize(query: {
    seriesId: number;
    source: SummarySource;
    ranges: TimeRange[];
  }): Promise<RangeSummary[]> {
    const accumulator = new RangeAccumulator(query.ranges);
    for (const run of contiguousRuns(query.ranges)) {
      if (query.source === 'raw') {
        let previous = this.predecessor(query.seriesId, run.fromMs)?.value;
        const rows = this.stmt(
          'SELECT ts_ms, value FROM readings WHERE series_id = ? AND ts_ms >= ? AND ts_ms < ? AND value IS NOT NULL ORDER BY ts_ms',
        )
          .raw()
          .iterate(query.seriesId, run.fromMs, run.toMs) as IterableIterator<[number, number]>;
        for (const [tsMs, value] of rows) {
          accumulator.addReading(tsMs, value, previous === undefined ? 0 : increaseBetween(previous, value));
          previous = value;
        }
      } else {
        const rows = this.stmt(
          `SELECT * FROM ${tableOf(query.source)} WHERE series_id = ? AND start_ms >= ? AND start_ms < ? ORDER BY start_ms`,
        ).iterate(query.seriesId, run.fromMs, run.toMs) as IterableIterator<
          Parameters<typeof rollupPart>[0] & { start_ms: number }
        >;
        for (const row of rows) accumulator.add(row.start_ms, rollupPart(row));
      }
    }
    return accumulator.result();
  }

  /** Rollups and newest numeric reading of every series stored before rollups existed (migration 3). */
  backfillRollups(): void {
    const series = this.db.prepare('SELECT id, zone FROM series').all() as Array<{
      id: number;
      zone: string;
    }>;
    for (const { id, zone } of series) {
      const points = (
        this.db
          .prepare(
            'SELECT ts_ms, value FROM readings WHERE series_id = ? AND value IS NOT NULL ORDER BY ts_ms',
          )
          .raw()
          .all(id) as Array<[number, number]>
      ).map(([tsMs, value]) => ({ tsMs, value }));
      if (points.length === 0) continue;
      this.writeRollups([{ seriesId: id, zone, inserted: points, previous: null }]);
      const last = points[points.length - 1]!;
      this.db
        .prepare('UPDATE series SET num_ts = ?, num_value = ? WHERE id = ?')
        .run(last.tsMs, last.value, id);
    }
  }
}
