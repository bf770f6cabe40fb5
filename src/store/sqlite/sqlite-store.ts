import { mkdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { DeadLetter, Reading } from '../../core/domain/telemetry.ts';
import type { Device, DeviceWithChannels, Preview } from '../../core/domain/device.ts';
import type { Gateway, GatewayStatus, GatewayWithSecret } from '../../core/domain/gateway.ts';
import type { HistoryQuery, Page, RangeSummary, SeriesInfo, Store, TimeRange, TrimResult } from '../ports.ts';
import type { GatewayUsage, IngestBatch, SummarySource } from '../../core/domain/telemetry.ts';
import {
  toChannel,
  toDeadLetter,
  toDevice,
  toGateway,
  toGatewayWithSecret,
  toReading,
  type Row,
} from '../rows.ts';
import {
  latestGatewaySeen,
  mergePerDevice,
  newestPerSeries,
  seriesKey,
  historyWindow,
  usageMessages,
} from '../shared.ts';
import { splitByMonth } from '../../core/domain/telemetry.ts';
import {
  RangeAccumulator,
  groupInserted,
  increaseBetween,
  rollupDeltas,
  rollupPart,
  type NumericPoint,
  type RollupResolution,
  type SeriesInsert,
} from '../rollups.ts';
import { contiguousRuns } from '../../core/domain/telemetry.ts';
import { RETENTION_CHUNK_ROWS, ROLLUP_TABLES, rollupHorizon, tableOf } from '../retention-sql.ts';
import { DirectoryStore } from '../directory/directory-store.ts';
import { ControlStore } from '../control/control-store.ts';
import { sqliteMigrations } from './schema.ts';
import { SqliteLock, SqliteRunner } from './sqlite-runner.ts';

/** A series row as the ingest path needs it, read before the batch's inserts. */
interface SeriesRow {
  zone: string;
  num_ts: number | null;
  num_value: number | null;
  raw_horizon_ms: number | null;
}

/** Series rows cached for the ingest path before the cache starts over. */
const MAX_CACHED_SERIES = 200_000;

/** Rows deleted per transaction when a gateway's history is removed. */
const DELETE_BATCH_ROWS = 5000;

export interface SqliteStoreOptions {
  /** Database file; ':memory:' for a throwaway store. */
  file: string;
  synchronous: 'full' | 'normal';
}

/** The embedded default: one SQLite file in WAL mode, written in group-committed transactions. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  /** (device, label) → series id; series rows are never renumbered, so entries stay valid. */
  private readonly seriesIds = new Map<string, number>();
  /**
   * Series id → the row fields the ingest path reads, kept current by this process, the only
   * writer of telemetry. Retention run by the CLI beside the server moves raw_horizon_ms in the
   * database only: until the next trim by this process, a reading older than the new horizon
   * may still be stored, and the next pass deletes it.
   */
  private readonly seriesRows = new Map<number, SeriesRow>();
  private readonly statements = new Map<string, Database.Statement>();
  /** Group commits and directory transactions take turns on the one connection. */
  private readonly lock = new SqliteLock();
  readonly directory: DirectoryStore;
  readonly control: ControlStore;
  /** Relaxed control commits so far, and how many of them are known to be on disk. */
  private relaxedCommits = 0;
  private syncedCommits = 0;
  private walSync: Promise<void> | null = null;

  constructor(private readonly options: SqliteStoreOptions) {
    if (options.file !== ':memory:') mkdirSync(path.dirname(options.file), { recursive: true });
    this.db = new Database(options.file);
    this.db.pragma('journal_mode = WAL');
    // WAL + FULL fsyncs every commit: an acknowledged reading survives power loss, not only kill -9.
    this.db.pragma(`synchronous = ${options.synchronous.toUpperCase()}`);
    this.db.pragma('foreign_keys = ON');
    // The CLI may write while the server runs; wait for the lock instead of failing at once.
    this.db.pragma('busy_timeout = 5000');
    const prepare = (sql: string): Database.Statement => this.stmt(sql);
    this.directory = new DirectoryStore(new SqliteRunner(this.db, prepare, this.lock));
    // Control writes (command status, alarms, outbox steps, automation runs) come in bursts of
    // small transactions on the path from a reading to its reaction. An fsync each would block
    // the event loop (better-sqlite3 is synchronous) and delay every gateway's PUBACK; they commit
    // relaxed instead, and `durable()` syncs the WAL off the loop before anything leaves the
    // process on their account (a command published, a notification sent, an API answer).
    this.control = new ControlStore(
      new SqliteRunner(this.db, prepare, this.lock, {
        relaxed: true,
        synchronous: options.synchronous,
        committed: () => {
          this.relaxedCommits += 1;
        },
      }),
      'sqlite',
    );
  }

  /**
   * Resolves once every write committed so far survives power loss: an fsync of the WAL file in
   * libuv's thread pool (it covers all frames written before it, relaxed or not), shared by the
   * callers that wait at the same time. A group commit (fsynced) covers them too.
   */
  async durable(): Promise<void> {
    if (this.options.synchronous !== 'full' || this.options.file === ':memory:') return;
    for (;;) {
      const target = this.relaxedCommits;
      if (this.syncedCommits >= target) return;
      if (!this.walSync) {
        this.walSync = this.syncWal(target).finally(() => {
          this.walSync = null;
        });
      }
      await this.walSync;
    }
  }

  private async syncWal(upTo: number): Promise<void> {
    const handle = await open(`${this.options.file}-wal`, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    this.syncedCommits = Math.max(this.syncedCommits, upTo);
  }

  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async migrate(): Promise<void> {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)',
    );
    const applied = new Set(
      (this.db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map(
        (r) => r.version,
      ),
    );
    for (const migration of sqliteMigrations) {
      if (applied.has(migration.version)) continue;
      this.db.transaction(() => {
        this.db.exec(migration.sql);
        if (migration.version === 3) this.backfillRollups();
        this.db
          .prepare('INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?, ?)')
          .run(migration.version, Date.now());
      })();
    }
  }

  /** Rollups and newest numeric reading of every series stored before rollups existed. */
  private backfillRollups(): void {
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

  async ping(): Promise<void> {
    this.stmt('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  // ---- gateways ----

  async findGateway(id: string): Promise<GatewayWithSecret | undefined> {
    const row = this.stmt('SELECT * FROM gateways WHERE id = ?').get(id) as Row | undefined;
    return row ? toGatewayWithSecret(row) : undefined;
  }

  async listGateways(tenantId: string, page: Page): Promise<Gateway[]> {
    const rows = this.stmt('SELECT * FROM gateways WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?').all(
      tenantId,
      page.after ?? '',
      page.limit,
    ) as Row[];
    return rows.map(toGateway);
  }

  async setGatewayStatus(input: { gatewayId: string; status: GatewayStatus; atMs: number }): Promise<void> {
    await this.lock.exclusive(() =>
      this.db.transaction(() => {
        const row = this.stmt(
          'SELECT tenant_id, status, status_changed_at_ms FROM gateways WHERE id = ?',
        ).get(input.gatewayId) as
          { tenant_id: string; status: string; status_changed_at_ms: number | null } | undefined;
        if (!row || (row.status_changed_at_ms !== null && row.status_changed_at_ms > input.atMs)) return;
        if (row.status === 'online' && row.status_changed_at_ms !== null) {
          this.addOnlineTime(input.gatewayId, row.tenant_id, row.status_changed_at_ms, input.atMs);
        }
        this.stmt(
          `UPDATE gateways SET status = ?, status_changed_at_ms = ?,
             last_seen_at_ms = max(coalesce(last_seen_at_ms, 0), ?)
           WHERE id = ?`,
        ).run(input.status, input.atMs, input.atMs, input.gatewayId);
      })(),
    );
  }

  async markAllGatewaysOffline(atMs: number): Promise<number> {
    return this.lock.exclusive(() =>
      this.db.transaction(() => {
        // Nobody knows when the unclean stop came: they were online until last heard from.
        const online = this.stmt(
          `SELECT id, tenant_id, status_changed_at_ms, last_seen_at_ms FROM gateways WHERE status = 'online'`,
        ).all() as Array<{
          id: string;
          tenant_id: string;
          status_changed_at_ms: number | null;
          last_seen_at_ms: number | null;
        }>;
        for (const gateway of online) {
          if (gateway.status_changed_at_ms === null) continue;
          this.addOnlineTime(
            gateway.id,
            gateway.tenant_id,
            gateway.status_changed_at_ms,
            Math.min(atMs, Math.max(gateway.status_changed_at_ms, gateway.last_seen_at_ms ?? 0)),
          );
        }
        return this.stmt(
          `UPDATE gateways SET status = 'offline', status_changed_at_ms = ? WHERE status = 'online'`,
        ).run(atMs).changes;
      })(),
    );
  }

  private addOnlineTime(gatewayId: string, tenantId: string, fromMs: number, toMs: number): void {
    for (const part of splitByMonth(fromMs, toMs)) {
      this.stmt(
        `INSERT INTO gateway_usage (gateway_id, month, tenant_id, online_ms) VALUES (?, ?, ?, ?)
         ON CONFLICT (gateway_id, month) DO UPDATE SET online_ms = online_ms + excluded.online_ms`,
      ).run(gatewayId, part.month, tenantId, part.ms);
    }
  }

  // ---- devices ----

  async findDevice(id: string): Promise<Device | undefined> {
    const row = this.stmt('SELECT * FROM devices WHERE id = ?').get(id) as Row | undefined;
    return row ? toDevice(row) : undefined;
  }

  async findDeviceWithChannels(id: string): Promise<DeviceWithChannels | undefined> {
    const row = this.stmt('SELECT * FROM devices WHERE id = ?').get(id) as Row | undefined;
    if (!row) return undefined;
    const channels = this.stmt('SELECT * FROM series WHERE device_id = ? ORDER BY label').all(id) as Row[];
    return { ...toDevice(row), channels: channels.map(toChannel) };
  }

  async listGatewayDevices(gatewayId: string): Promise<DeviceWithChannels[]> {
    const devices = this.stmt(
      'SELECT * FROM devices WHERE gateway_id = ? AND removed_at_ms IS NULL ORDER BY id',
    ).all(gatewayId) as Row[];
    const channels = this.stmt('SELECT * FROM series WHERE gateway_id = ? ORDER BY device_id, label').all(
      gatewayId,
    ) as Row[];
    const byDevice = new Map<string, DeviceWithChannels['channels']>();
    for (const channel of channels) {
      const list = byDevice.get(channel.device_id as string) ?? [];
      list.push(toChannel(channel));
      byDevice.set(channel.device_id as string, list);
    }
    return devices.map((row) => ({ ...toDevice(row), channels: byDevice.get(row.id as string) ?? [] }));
  }

  async countGatewayDevices(gatewayId: string): Promise<number> {
    return (
      this.stmt('SELECT count(*) AS n FROM devices WHERE gateway_id = ? AND removed_at_ms IS NULL').get(
        gatewayId,
      ) as { n: number }
    ).n;
  }

  async findPreview(deviceId: string): Promise<Preview | undefined> {
    const row = this.stmt('SELECT * FROM previews WHERE device_id = ?').get(deviceId) as Row | undefined;
    return row
      ? {
          deviceId: row.device_id as string,
          tsMs: row.ts_ms as number,
          contentType: row.content_type as string,
          image: row.image as Buffer,
        }
      : undefined;
  }

  // ---- telemetry ----

  async applyIngest(batch: IngestBatch): Promise<void> {
    await this.lock.exclusive(() => {
      try {
        const relaxedBefore = this.relaxedCommits;
        this.db.transaction(() => this.writeBatch(batch))();
        // This commit fsynced the WAL, and with it every relaxed commit written before it.
        this.syncedCommits = Math.max(this.syncedCommits, relaxedBefore);
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

  async findSeries(deviceId: string, label: string): Promise<SeriesInfo | undefined> {
    return this.stmt('SELECT id, zone FROM series WHERE device_id = ? AND label = ?').get(deviceId, label) as
      SeriesInfo | undefined;
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

  async readHistory(query: HistoryQuery): Promise<Reading[]> {
    const series = this.stmt('SELECT id FROM series WHERE device_id = ? AND label = ?').get(
      query.deviceId,
      query.label,
    ) as { id: number } | undefined;
    if (!series) return [];
    const { from, to, direction } = historyWindow(query);
    const rows = this.stmt(
      `SELECT ts_ms, value, text FROM readings WHERE series_id = ? AND ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms ${direction} LIMIT ?`,
    ).all(series.id, from, to, query.limit) as Row[];
    return rows.map(toReading);
  }

  async countReadings(filter: { deviceId?: string; gatewayId?: string } = {}): Promise<number> {
    const row = filter.deviceId
      ? this.stmt(
          'SELECT count(*) AS n FROM readings WHERE series_id IN (SELECT id FROM series WHERE device_id = ?)',
        ).get(filter.deviceId)
      : filter.gatewayId
        ? this.stmt(
            'SELECT count(*) AS n FROM readings WHERE series_id IN (SELECT id FROM series WHERE gateway_id = ?)',
          ).get(filter.gatewayId)
        : this.stmt('SELECT count(*) AS n FROM readings').get();
    return (row as { n: number }).n;
  }

  async deleteGatewayData(gatewayId: string): Promise<{ devices: number; readings: number }> {
    let readings = 0;
    const seriesIds = (
      this.stmt('SELECT id FROM series WHERE gateway_id = ?').all(gatewayId) as Array<{ id: number }>
    ).map((row) => row.id);
    for (const seriesId of seriesIds) {
      // Small transactions, each taking its turn with the group commits.
      for (;;) {
        const deleted = await this.lock.exclusive(
          () =>
            this.stmt(
              'DELETE FROM readings WHERE series_id = ? AND ts_ms IN (SELECT ts_ms FROM readings WHERE series_id = ? LIMIT ?)',
            ).run(seriesId, seriesId, DELETE_BATCH_ROWS).changes,
        );
        readings += deleted;
        if (deleted < DELETE_BATCH_ROWS) break;
      }
    }
    const devices = await this.lock.exclusive(() =>
      this.db.transaction(() => {
        for (const table of ROLLUP_TABLES) {
          this.stmt(
            `DELETE FROM ${table} WHERE series_id IN (SELECT id FROM series WHERE gateway_id = ?)`,
          ).run(gatewayId);
        }
        this.stmt('DELETE FROM series WHERE gateway_id = ?').run(gatewayId);
        // previews and series rows cascade with their devices.
        return this.stmt('DELETE FROM devices WHERE gateway_id = ?').run(gatewayId).changes;
      })(),
    );
    // Cached series ids of the deleted series would point nowhere if the devices came back.
    this.seriesIds.clear();
    this.seriesRows.clear();
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
      this.stmt('SELECT id FROM series WHERE gateway_id = ? ORDER BY id').all(input.gatewayId) as Array<{
        id: number;
      }>
    ).map((row) => row.id);
    const targets = [
      { table: 'readings', column: 'ts_ms', beforeMs: input.rawBeforeMs, counter: 'readings' as const },
      ...(['hourly', 'daily'] as const).map((resolution) => ({
        table: tableOf(resolution),
        column: 'start_ms',
        beforeMs: rollupHorizon(resolution, input.rollupsBeforeMs),
        counter: 'rollups' as const,
      })),
    ];
    await this.lock.exclusive(() =>
      this.stmt(
        'UPDATE series SET raw_horizon_ms = ? WHERE gateway_id = ? AND (raw_horizon_ms IS NULL OR raw_horizon_ms < ?)',
      ).run(input.rawBeforeMs, input.gatewayId, input.rawBeforeMs),
    );
    for (const seriesId of seriesIds) {
      const cached = this.seriesRows.get(seriesId);
      if (cached && (cached.raw_horizon_ms === null || cached.raw_horizon_ms < input.rawBeforeMs)) {
        cached.raw_horizon_ms = input.rawBeforeMs;
      }
    }
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
          const deleted = await this.lock.exclusive(
            () =>
              this.stmt(
                `DELETE FROM ${target.table} WHERE series_id = ? AND ${target.column} < coalesce(
                   (SELECT ${target.column} FROM ${target.table} WHERE series_id = ? AND ${target.column} < ?
                    ORDER BY ${target.column} LIMIT 1 OFFSET ?), ?)`,
              ).run(seriesId, seriesId, target.beforeMs, chunk, target.beforeMs).changes,
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
    const rows = this.stmt(
      `SELECT gateway_id, month, messages, online_ms, alarms FROM gateway_usage
       WHERE tenant_id = ? AND month >= ? AND month <= ? ORDER BY month, gateway_id`,
    ).all(tenantId, fromMonth, toMonth) as Row[];
    return rows.map((row) => ({
      gatewayId: row.gateway_id as string,
      month: row.month as string,
      messages: row.messages as number,
      onlineMs: row.online_ms as number,
      alarms: row.alarms as number,
    }));
  }

  // ---- dead letters ----

  async listDeadLetters(
    tenantId: string | null,
    page: { limit: number; beforeId?: number | undefined },
  ): Promise<DeadLetter[]> {
    const rows = this.stmt(
      'SELECT * FROM dead_letters WHERE tenant_id IS ? AND id < ? ORDER BY id DESC LIMIT ?',
    ).all(tenantId, page.beforeId ?? Number.MAX_SAFE_INTEGER, page.limit) as Row[];
    return rows.map(toDeadLetter);
  }

  async trimDeadLetters(maxPerTenant: number): Promise<number> {
    const result = this.stmt(
      `DELETE FROM dead_letters WHERE id IN (
         SELECT id FROM (
           SELECT id, row_number() OVER (PARTITION BY tenant_id ORDER BY id DESC) AS rank FROM dead_letters
         ) WHERE rank > ?)`,
    ).run(maxPerTenant);
    return result.changes;
  }
}
