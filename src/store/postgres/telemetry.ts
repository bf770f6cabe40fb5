import pg from 'pg';
import type { PoolClient } from 'pg';
import {
  contiguousRuns,
  type IngestBatch,
  type RangeSummary,
  type SummarySource,
  type TimeRange,
} from '../../core/domain/telemetry.ts';
import type { Row, SqlRunner } from '../../core/ports/sql.ts';
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
import {
  upsertRounds,
  lockInOrder,
  latestPreviews,
  previewHistory,
  compareText,
  withoutNul,
} from './batch-order.ts';

/**
 * A group commit is retried this many times in all when PostgreSQL aborts it to break a
 * deadlock or a serialization conflict. Retrying is safe: the transaction was rolled back whole.
 */
const MAX_BATCH_ATTEMPTS = 3;
/** SQLSTATEs of aborts that a retry of the same transaction resolves. */
const TRANSIENT_SQLSTATES = new Set(['40P01' /* deadlock_detected */, '40001' /* serialization_failure */]);

/**
 * PostgreSQL's batch write and summary queries. Several workers may write one database: a group
 * commit takes its row locks in key order and sends each table's rows as arrays (`unnest`), and
 * a deadlock or serialization abort is retried, the whole transaction having rolled back.
 */
export class PostgresTelemetryStore extends SqlTelemetryStore {
  /**
   * (device, label) → series id; series rows are never renumbered, so entries stay valid. Only
   * ids that are committed are cached: a concurrent batch must never use the id of a series
   * that another transaction created and then rolled back.
   */
  private readonly seriesIds = new Map<string, number>();

  constructor(
    sql: SqlRunner,
    private readonly pool: pg.Pool,
    private readonly transaction: <T>(work: (client: PoolClient) => Promise<T>) => Promise<T>,
  ) {
    super(sql, 'postgres');
  }

  protected forgetSeries(): void {
    this.seriesIds.clear();
  }

  /** Nothing cached: the batch write reads each series' horizon inside its transaction. */
  protected rawHorizonMoved(): void {}

  private async rows(sql: string, values: unknown[] = []): Promise<Row[]> {
    return (await this.pool.query<Row>(sql, values)).rows;
  }

  async applyIngest(batch: IngestBatch): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const usedSeriesIds = await this.transaction((client) => this.writeBatch(client, batch));
        for (const [key, id] of usedSeriesIds) this.seriesIds.set(key, id);
        return;
      } catch (error) {
        // Only committed ids are cached, so this is not needed for the failed batch itself; it
        // is cheap, matches the SQLite adapter, and re-resolves ids after any surprise.
        this.seriesIds.clear();
        if (attempt < MAX_BATCH_ATTEMPTS && isTransient(error)) continue;
        throw error;
      }
    }
  }

  /**
   * Writes a batch with set-based statements, in the same order as the SQLite adapter. Rows are
   * locked in key order (sorted input, or an explicit ordered lock) so that workers writing
   * overlapping batches wait for each other instead of deadlocking; the rare remaining deadlock
   * (rows of one table locked by two statements) is retried by `applyIngest`.
   *
   * Returns the series ids the batch used, to be cached once the transaction has committed.
   */
  private async writeBatch(client: PoolClient, batch: IngestBatch): Promise<Map<string, number>> {
    for (const devices of upsertRounds(batch.devices)) {
      await client.query(
        `INSERT INTO devices (id, tenant_id, gateway_id, type, protocol, name, node_id, network_id, created_at_ms, last_seen_at_ms)
         SELECT id, tenant_id, gateway_id, type, protocol, name, node_id, network_id, seen_at_ms, seen_at_ms
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[])
           AS d (id, tenant_id, gateway_id, type, protocol, name, node_id, network_id, seen_at_ms)
         ON CONFLICT (id) DO UPDATE SET
           type = excluded.type, protocol = excluded.protocol,
           name = coalesce(excluded.name, devices.name),
           node_id = coalesce(excluded.node_id, devices.node_id),
           network_id = coalesce(excluded.network_id, devices.network_id),
           last_seen_at_ms = greatest(coalesce(devices.last_seen_at_ms, 0), excluded.last_seen_at_ms),
           removed_at_ms = NULL
         WHERE devices.gateway_id = excluded.gateway_id`,
        [
          devices.map((d) => d.id),
          devices.map((d) => d.tenantId),
          devices.map((d) => d.gatewayId),
          devices.map((d) => d.type),
          devices.map((d) => d.protocol),
          devices.map((d) => d.name),
          devices.map((d) => d.nodeId),
          devices.map((d) => d.networkId),
          devices.map((d) => d.seenAtMs),
        ],
      );
    }

    // One statement per list: lists of one gateway apply in order, and a batch holds few of them.
    for (const list of batch.deviceLists) {
      await client.query(
        `UPDATE devices SET removed_at_ms = $1
         WHERE gateway_id = $2 AND removed_at_ms IS NULL AND id <> ALL ($3::text[])`,
        [list.atMs, list.gatewayId, list.deviceIds],
      );
    }

    let seriesIds = new Map<string, number>();
    if (batch.readings.length > 0) {
      seriesIds = await this.resolveSeriesIds(client, batch.readings);
      const idOf = (r: { deviceId: string; label: string }): number => {
        const id = seriesIds.get(seriesKey(r.deviceId, r.label));
        if (id === undefined)
          throw new Error(`series of device ${r.deviceId} label ${r.label} was not resolved`);
        return id;
      };

      // Series rows are locked first, in id order: batches of other workers touching the same
      // series wait, so each sees the other's readings when it computes rollup increases.
      const { rows: seriesRows } = await client.query<{
        id: number;
        zone: string;
        num_ts: number | null;
        num_value: number | null;
        raw_horizon_ms: number | null;
      }>(
        `SELECT id, zone, num_ts, num_value, raw_horizon_ms FROM series
         WHERE id = ANY ($1::bigint[]) ORDER BY id FOR NO KEY UPDATE`,
        [[...new Set(seriesIds.values())]],
      );
      const horizons = new Map(seriesRows.map((row) => [row.id, row.raw_horizon_ms ?? -Infinity]));

      // Sorted by (series, time) so that concurrent batches insert overlapping keys in the same
      // order. The sort is stable: among duplicates the first of the batch is kept, as in SQLite.
      // Readings of a time range retention already deleted are dropped too.
      const history = batch.readings
        .map((r) => ({ seriesId: idOf(r), tsMs: r.tsMs, value: r.value, text: r.text }))
        .filter((h) => h.tsMs >= horizons.get(h.seriesId)!)
        .sort((a, b) => a.seriesId - b.seriesId || a.tsMs - b.tsMs);
      const { rows: insertedRows } = await client.query<{
        series_id: number;
        ts_ms: number;
        value: number | null;
      }>(
        `INSERT INTO readings (series_id, ts_ms, value, text)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::float8[], $4::text[])
         ON CONFLICT DO NOTHING
         RETURNING series_id, ts_ms, value`,
        [
          history.map((h) => h.seriesId),
          history.map((h) => h.tsMs),
          history.map((h) => h.value),
          history.map((h) => h.text),
        ],
      );
      const inserted = groupInserted(
        insertedRows.map((r) => ({ seriesId: r.series_id, tsMs: r.ts_ms, value: r.value })),
      );
      const inserts: SeriesInsert[] = [];
      const newest: Array<{ id: number; tsMs: number; value: number }> = [];
      for (const row of seriesRows) {
        const points = inserted.get(row.id);
        if (!points) continue;
        const first = points[0]!;
        const last = points[points.length - 1]!;
        if (row.num_ts === null || first.tsMs > row.num_ts) {
          const previous = row.num_ts === null ? null : { tsMs: row.num_ts, value: row.num_value! };
          inserts.push({ seriesId: row.id, zone: row.zone, inserted: points, previous });
        } else {
          const window = await this.window(client, row.id, first.tsMs, last.tsMs);
          inserts.push({ seriesId: row.id, zone: row.zone, inserted: points, window });
        }
        if (row.num_ts === null || last.tsMs > row.num_ts)
          newest.push({ id: row.id, tsMs: last.tsMs, value: last.value });
      }
      if (newest.length > 0) {
        await client.query(
          `UPDATE series AS s SET num_ts = n.ts_ms, num_value = n.value
           FROM unnest($1::bigint[], $2::bigint[], $3::float8[]) AS n (id, ts_ms, value) WHERE s.id = n.id`,
          [newest.map((n) => n.id), newest.map((n) => n.tsMs), newest.map((n) => n.value)],
        );
      }
      await this.writeRollups(client, inserts);

      const state = newestPerSeries(batch.readings)
        .map((r) => ({ ...r, seriesId: idOf(r) }))
        .sort((a, b) => a.seriesId - b.seriesId);
      // Same rule as shared.ts `isNewer`: newer timestamp, then larger value (null lowest), then
      // larger text in byte order (the column's "C" collation).
      await client.query(
        `UPDATE series AS s SET value = r.value, text = r.text, ts_ms = r.ts_ms,
           unit = coalesce(r.unit, s.unit), sensor_type = coalesce(r.sensor_type, s.sensor_type)
         FROM unnest($1::bigint[], $2::bigint[], $3::float8[], $4::text[], $5::text[], $6::text[])
           AS r (id, ts_ms, value, text, unit, sensor_type)
         WHERE s.id = r.id AND (s.ts_ms IS NULL OR s.ts_ms < r.ts_ms OR (s.ts_ms = r.ts_ms
           AND (coalesce(s.value, '-Infinity'), coalesce(s.text, '') COLLATE "C")
             < (coalesce(r.value, '-Infinity'), coalesce(r.text, '') COLLATE "C")))`,
        [
          state.map((s) => s.seriesId),
          state.map((s) => s.tsMs),
          state.map((s) => s.value),
          state.map((s) => s.text),
          state.map((s) => s.unit),
          state.map((s) => s.sensorType),
        ],
      );
    }

    const attributes = mergePerDevice(batch.deviceAttributes, 'attributes');
    const settings = mergePerDevice(batch.deviceSettings, 'settings');
    if (attributes.size > 0 || settings.size > 0) {
      await lockInOrder(client, 'devices', 'text', [...new Set([...attributes.keys(), ...settings.keys()])]);
      // `||` is a shallow merge, like json_patch for the flat string maps stored here.
      if (attributes.size > 0) {
        await client.query(
          `UPDATE devices AS d SET attributes = d.attributes || p.value
           FROM jsonb_each($1::jsonb) AS p WHERE d.id = p.key`,
          [JSON.stringify(Object.fromEntries(attributes))],
        );
      }
      if (settings.size > 0) {
        await client.query(
          `UPDATE devices AS d SET settings = d.settings || p.value
           FROM jsonb_each($1::jsonb) AS p WHERE d.id = p.key`,
          [JSON.stringify(Object.fromEntries(settings))],
        );
      }
    }

    const previews = latestPreviews(batch.previews);
    if (previews.length > 0) {
      await client.query(
        `INSERT INTO previews (device_id, tenant_id, ts_ms, content_type, image)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bytea[])
         ON CONFLICT (device_id) DO UPDATE SET ts_ms = excluded.ts_ms, content_type = excluded.content_type, image = excluded.image
         WHERE excluded.ts_ms >= previews.ts_ms`,
        [
          previews.map((p) => p.deviceId),
          previews.map((p) => p.tenantId),
          previews.map((p) => p.tsMs),
          previews.map((p) => p.contentType),
          previews.map((p) => p.image),
        ],
      );
    }

    // Every preview is also kept in the camera's history (the video retention pass trims it).
    const history = previewHistory(batch.previews);
    if (history.length > 0) {
      await client.query(
        `INSERT INTO camera_previews (device_id, tenant_id, ts_ms, content_type, image)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bytea[])
         ON CONFLICT (device_id, ts_ms) DO NOTHING`,
        [
          history.map((p) => p.deviceId),
          history.map((p) => p.tenantId),
          history.map((p) => p.tsMs),
          history.map((p) => p.contentType),
          history.map((p) => p.image),
        ],
      );
    }

    const usage = usageMessages(batch);
    if (usage.length > 0) {
      await client.query(
        `INSERT INTO gateway_usage (gateway_id, month, tenant_id, messages)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
         ON CONFLICT (gateway_id, month) DO UPDATE SET messages = gateway_usage.messages + excluded.messages`,
        [
          usage.map((u) => u.gatewayId),
          usage.map((u) => u.month),
          usage.map((u) => u.tenantId),
          usage.map((u) => u.messages),
        ],
      );
    }

    const seen = latestGatewaySeen(batch).sort((a, b) => compareText(a.gatewayId, b.gatewayId));
    if (seen.length > 0) {
      await lockInOrder(
        client,
        'gateways',
        'text',
        seen.map((s) => s.gatewayId),
      );
      await client.query(
        `UPDATE gateways AS g SET last_seen_at_ms = greatest(coalesce(g.last_seen_at_ms, 0), s.at_ms),
           firmware = coalesce(s.firmware, g.firmware), vendor = coalesce(s.vendor, g.vendor)
         FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) AS s (id, at_ms, firmware, vendor)
         WHERE g.id = s.id`,
        [
          seen.map((s) => s.gatewayId),
          seen.map((s) => s.atMs),
          seen.map((s) => s.firmware),
          seen.map((s) => s.vendor),
        ],
      );
    }

    if (batch.unregisteredDrops.length > 0) {
      const drops = [...batch.unregisteredDrops].sort((a, b) => compareText(a.gatewayId, b.gatewayId));
      await lockInOrder(
        client,
        'gateways',
        'text',
        drops.map((d) => d.gatewayId),
      );
      await client.query(
        `UPDATE gateways AS g SET unregistered_messages = g.unregistered_messages + d.messages
         FROM unnest($1::text[], $2::bigint[]) AS d (id, messages) WHERE g.id = d.id`,
        [drops.map((d) => d.gatewayId), drops.map((d) => d.messages)],
      );
    }
    if (batch.deadLetters.length > 0) {
      const letters = batch.deadLetters;
      // Ordered by position so that ids follow the batch order (newest last), as in SQLite.
      // Dead letters hold whatever a gateway sent: the payload is stored as UTF-8 bytes so that
      // NUL characters survive, which PostgreSQL text cannot hold; other fields lose them.
      await client.query(
        `INSERT INTO dead_letters (tenant_id, gateway_id, received_at_ms, reason, detail, payload, payload_bytes)
         SELECT tenant_id, gateway_id, received_at_ms, reason, detail, payload, payload_bytes
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::bytea[], $7::int[])
           WITH ORDINALITY AS l (tenant_id, gateway_id, received_at_ms, reason, detail, payload, payload_bytes, position)
         ORDER BY position`,
        [
          letters.map((l) => l.tenantId),
          letters.map((l) => l.gatewayId),
          letters.map((l) => l.receivedAtMs),
          letters.map((l) => withoutNul(l.reason)),
          letters.map((l) => withoutNul(l.detail)),
          letters.map((l) => Buffer.from(l.payload, 'utf8')),
          letters.map((l) => l.payloadBytes),
        ],
      );
    }
    return seriesIds;
  }

  /**
   * The series id of every (device, label) of `readings`, from the cache (copied, as another
   * batch may clear it meanwhile) or the database, creating missing series rows in one
   * statement. A series created concurrently by another worker makes the insert wait for that
   * transaction; the SELECT that follows is a new statement and so sees its row.
   */
  private async resolveSeriesIds(
    client: PoolClient,
    readings: IngestBatch['readings'],
  ): Promise<Map<string, number>> {
    const resolved = new Map<string, number>();
    const missing = new Map<string, IngestBatch['readings'][number]>();
    for (const reading of readings) {
      const key = seriesKey(reading.deviceId, reading.label);
      if (resolved.has(key) || missing.has(key)) continue;
      const cached = this.seriesIds.get(key);
      if (cached === undefined) missing.set(key, reading);
      else resolved.set(key, cached);
    }
    if (missing.size === 0) return resolved;
    const wanted = [...missing.values()].sort(
      (a, b) => compareText(a.deviceId, b.deviceId) || compareText(a.label, b.label),
    );
    const deviceIds = wanted.map((r) => r.deviceId);
    const labels = wanted.map((r) => r.label);
    await client.query(
      `INSERT INTO series (tenant_id, gateway_id, device_id, label, zone)
       SELECT w.tenant_id, w.gateway_id, w.device_id, w.label, coalesce(h.timezone, 'UTC')
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS w (tenant_id, gateway_id, device_id, label)
         LEFT JOIN gateways AS g ON g.id = w.gateway_id LEFT JOIN homes AS h ON h.id = g.home_id
       ORDER BY w.device_id, w.label
       ON CONFLICT (device_id, label) DO NOTHING`,
      [wanted.map((r) => r.tenantId), wanted.map((r) => r.gatewayId), deviceIds, labels],
    );
    const { rows } = await client.query<{ id: number; device_id: string; label: string }>(
      `SELECT s.id, s.device_id, s.label FROM series AS s
       JOIN unnest($1::text[], $2::text[]) AS w (device_id, label)
         ON s.device_id = w.device_id AND s.label = w.label`,
      [deviceIds, labels],
    );
    for (const row of rows) resolved.set(seriesKey(row.device_id, row.label), row.id);
    return resolved;
  }

  /** Stored numeric readings from the one before `fromMs` to the one after `toMs`. */
  private async window(
    client: PoolClient,
    seriesId: number,
    fromMs: number,
    toMs: number,
  ): Promise<NumericPoint[]> {
    const before = await this.predecessor(client, seriesId, fromMs);
    const { rows } = await client.query<{ ts_ms: number; value: number }>(
      `(SELECT ts_ms, value FROM readings WHERE series_id = $1 AND ts_ms >= $2 AND ts_ms <= $3 AND value IS NOT NULL)
       UNION ALL
       (SELECT ts_ms, value FROM readings WHERE series_id = $1 AND ts_ms > $3 AND value IS NOT NULL ORDER BY ts_ms LIMIT 1)
       ORDER BY ts_ms`,
      [seriesId, fromMs, toMs],
    );
    return [...(before ? [before] : []), ...rows.map((r) => ({ tsMs: r.ts_ms, value: r.value }))];
  }

  /**
   * The last numeric reading before `ms`: from raw history, or, where retention has already
   * deleted it, the last reading recorded in the hourly rollups.
   */
  private async predecessor(
    client: PoolClient | pg.Pool,
    seriesId: number,
    ms: number,
  ): Promise<NumericPoint | undefined> {
    const { rows } = await client.query<{ ts_ms: number; value: number }>(
      `SELECT * FROM (
         (SELECT ts_ms, value FROM readings WHERE series_id = $1 AND ts_ms < $2 AND value IS NOT NULL
          ORDER BY ts_ms DESC LIMIT 1)
         UNION ALL
         (SELECT last_ts, last_val FROM rollups_hourly WHERE series_id = $1 AND last_ts < $2
          ORDER BY start_ms DESC LIMIT 1)
       ) AS candidates ORDER BY ts_ms DESC LIMIT 1`,
      [seriesId, ms],
    );
    const row = rows[0];
    return row ? { tsMs: row.ts_ms, value: row.value } : undefined;
  }

  /** Adds a batch's rollup deltas, in (series, bucket) order so that concurrent batches do not deadlock. */
  private async writeRollups(client: PoolClient, series: SeriesInsert[]): Promise<void> {
    if (series.length === 0) return;
    const deltas = rollupDeltas(series);
    for (const resolution of ['hourly', 'daily'] as RollupResolution[]) {
      const table = tableOf(resolution);
      const rows = deltas[resolution].filter((d) => d.n > 0);
      const corrections = deltas[resolution].filter((d) => d.n === 0 && d.increase !== 0);
      if (rows.length > 0) {
        await client.query(
          `INSERT INTO ${table} AS r (series_id, start_ms, n, sum_val, min_val, max_val, first_ts, first_val, last_ts, last_val, increase)
           SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[], $5::float8[], $6::float8[],
             $7::bigint[], $8::float8[], $9::bigint[], $10::float8[], $11::float8[])
           ON CONFLICT (series_id, start_ms) DO UPDATE SET
             n = r.n + excluded.n, sum_val = r.sum_val + excluded.sum_val,
             min_val = least(r.min_val, excluded.min_val), max_val = greatest(r.max_val, excluded.max_val),
             first_val = CASE WHEN excluded.first_ts < r.first_ts THEN excluded.first_val ELSE r.first_val END,
             first_ts = least(r.first_ts, excluded.first_ts),
             last_val = CASE WHEN excluded.last_ts > r.last_ts THEN excluded.last_val ELSE r.last_val END,
             last_ts = greatest(r.last_ts, excluded.last_ts),
             increase = r.increase + excluded.increase`,
          [
            rows.map((d) => d.seriesId),
            rows.map((d) => d.startMs),
            rows.map((d) => d.n),
            rows.map((d) => d.sum),
            rows.map((d) => d.min),
            rows.map((d) => d.max),
            rows.map((d) => d.firstTs),
            rows.map((d) => d.first),
            rows.map((d) => d.lastTs),
            rows.map((d) => d.last),
            rows.map((d) => d.increase),
          ],
        );
      }
      if (corrections.length > 0) {
        await client.query(
          `UPDATE ${table} AS r SET increase = r.increase + c.increase
           FROM unnest($1::bigint[], $2::bigint[], $3::float8[]) AS c (series_id, start_ms, increase)
           WHERE r.series_id = c.series_id AND r.start_ms = c.start_ms`,
          [
            corrections.map((d) => d.seriesId),
            corrections.map((d) => d.startMs),
            corrections.map((d) => d.increase),
          ],
        );
      }
    }
  }

  /**
   * Raw ranges are read in time order and folded in JavaScript, as in the SQLite adapter, so
   * that sums add in the same order and agree to the last bit.
   */
  async summarize(query: {
    seriesId: number;
    source: SummarySource;
    ranges: TimeRange[];
  }): Promise<RangeSummary[]> {
    const accumulator = new RangeAccumulator(query.ranges);
    for (const run of contiguousRuns(query.ranges)) {
      if (query.source === 'raw') {
        let previous = (await this.predecessor(this.pool, query.seriesId, run.fromMs))?.value;
        const { rows } = await this.pool.query<[number, number]>({
          text: `SELECT ts_ms, value FROM readings
                 WHERE series_id = $1 AND ts_ms >= $2 AND ts_ms < $3 AND value IS NOT NULL ORDER BY ts_ms`,
          values: [query.seriesId, run.fromMs, run.toMs],
          rowMode: 'array',
        });
        for (const [tsMs, value] of rows) {
          accumulator.addReading(tsMs, value, previous === undefined ? 0 : increaseBetween(previous, value));
          previous = value;
        }
      } else {
        const rows = await this.rows(
          `SELECT * FROM ${tableOf(query.source)} WHERE series_id = $1 AND start_ms >= $2 AND start_ms < $3 ORDER BY start_ms`,
          [query.seriesId, run.fromMs, run.toMs],
        );
        for (const row of rows)
          accumulator.add(row.start_ms as number, rollupPart(row as Parameters<typeof rollupPart>[0]));
      }
    }
    return accumulator.result();
  }

  /** Rollups and newest numeric reading of every series stored before rollups existed. */
  async backfillRollups(client: PoolClient): Promise<void> {
    const { rows: series } = await client.query<{ id: number; zone: string }>('SELECT id, zone FROM series');
    for (const { id, zone } of series) {
      const { rows } = await client.query<{ ts_ms: number; value: number }>(
        'SELECT ts_ms, value FROM readings WHERE series_id = $1 AND value IS NOT NULL ORDER BY ts_ms',
        [id],
      );
      if (rows.length === 0) continue;
      const inserted = rows.map((r) => ({ tsMs: r.ts_ms, value: r.value }));
      await this.writeRollups(client, [{ seriesId: id, zone, inserted, previous: null }]);
      const last = inserted[inserted.length - 1]!;
      await client.query('UPDATE series SET num_ts = $1, num_value = $2 WHERE id = $3', [
        last.tsMs,
        last.value,
        id,
      ]);
    }
  }
}

function isTransient(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.code !== undefined && TRANSIENT_SQLSTATES.has(error.code);
}
