import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type {
  DeadLetter,
  Device,
  DeviceWithChannels,
  Gateway,
  GatewayStatus,
  GatewayWithSecret,
  Preview,
  Reading,
} from '../../core/domain.ts';
import type { BucketSummary, HistoryQuery, IngestBatch, Page, Store } from '../ports.ts';
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
  BucketAccumulator,
  latestGatewaySeen,
  mergePerDevice,
  newestPerSeries,
  seriesKey,
  historyWindow,
} from '../shared.ts';
import { DirectoryStore } from '../directory/directory-store.ts';
import { sqliteMigrations } from './schema.ts';
import { SqliteLock, SqliteRunner } from './sqlite-runner.ts';

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
  private readonly statements = new Map<string, Database.Statement>();
  /** Group commits and directory transactions take turns on the one connection. */
  private readonly lock = new SqliteLock();
  readonly directory: DirectoryStore;

  constructor(options: SqliteStoreOptions) {
    if (options.file !== ':memory:') mkdirSync(path.dirname(options.file), { recursive: true });
    this.db = new Database(options.file);
    this.db.pragma('journal_mode = WAL');
    // WAL + FULL fsyncs every commit: an acknowledged reading survives power loss, not only kill -9.
    this.db.pragma(`synchronous = ${options.synchronous.toUpperCase()}`);
    this.db.pragma('foreign_keys = ON');
    // The CLI may write while the server runs; wait for the lock instead of failing at once.
    this.db.pragma('busy_timeout = 5000');
    this.directory = new DirectoryStore(new SqliteRunner(this.db, (sql) => this.stmt(sql), this.lock));
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
        this.db
          .prepare('INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?, ?)')
          .run(migration.version, Date.now());
      })();
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
    this.stmt(
      `UPDATE gateways SET status = ?, status_changed_at_ms = ?,
         last_seen_at_ms = max(coalesce(last_seen_at_ms, 0), ?)
       WHERE id = ? AND (status_changed_at_ms IS NULL OR status_changed_at_ms <= ?)`,
    ).run(input.status, input.atMs, input.atMs, input.gatewayId, input.atMs);
  }

  async markAllGatewaysOffline(atMs: number): Promise<number> {
    return this.stmt(
      `UPDATE gateways SET status = 'offline', status_changed_at_ms = ? WHERE status = 'online'`,
    ).run(atMs).changes;
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
        this.db.transaction(() => this.writeBatch(batch))();
      } catch (error) {
        // Series rows created inside the rolled-back transaction are gone: forget their ids.
        this.seriesIds.clear();
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
      for (const reading of batch.readings) {
        insertReading.run(this.seriesId(reading), reading.tsMs, reading.value, reading.text);
      }
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
      'INSERT OR IGNORE INTO series (tenant_id, gateway_id, device_id, label) VALUES (?, ?, ?, ?)',
    ).run(reading.tenantId, reading.gatewayId, reading.deviceId, reading.label);
    const row = this.stmt('SELECT id FROM series WHERE device_id = ? AND label = ?').get(
      reading.deviceId,
      reading.label,
    ) as {
      id: number;
    };
    this.seriesIds.set(key, row.id);
    return row.id;
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

  async summarizeBuckets(query: {
    deviceId: string;
    label: string;
    boundariesMs: number[];
  }): Promise<BucketSummary[]> {
    const series = this.stmt('SELECT id FROM series WHERE device_id = ? AND label = ?').get(
      query.deviceId,
      query.label,
    ) as { id: number } | undefined;
    const boundaries = query.boundariesMs;
    if (!series || boundaries.length < 2) return [];
    const accumulator = new BucketAccumulator(boundaries);
    const rows = this.stmt(
      'SELECT ts_ms, value FROM readings WHERE series_id = ? AND ts_ms >= ? AND ts_ms < ? AND value IS NOT NULL ORDER BY ts_ms',
    )
      .raw()
      .iterate(series.id, boundaries[0], boundaries[boundaries.length - 1]) as IterableIterator<
      [number, number]
    >;
    for (const [tsMs, value] of rows) accumulator.add(tsMs, value);
    return accumulator.result();
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
        this.stmt('DELETE FROM series WHERE gateway_id = ?').run(gatewayId);
        // previews and series rows cascade with their devices.
        return this.stmt('DELETE FROM devices WHERE gateway_id = ?').run(gatewayId).changes;
      })(),
    );
    // Cached series ids of the deleted series would point nowhere if the devices came back.
    this.seriesIds.clear();
    return { devices, readings };
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
