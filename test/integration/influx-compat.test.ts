import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import { gatewayTopic } from '../../src/ingest/topics.ts';
import { SEED_GATEWAY_ID, seedMessages, startTestApp, type TestApp } from '../helpers/app.ts';
import { startInfluxDb, type InfluxDbServer, type InfluxValue } from '../helpers/influxdb.ts';

/**
 * Acceptance: the seed's weekly mean temperature by day (shared/fixtures) equals what InfluxDB's
 * `GROUP BY time(1d) fill(null)` returns for the same points, and so do the other aggregates,
 * fill(previous) and a timezone. One week of irregular readings goes to a real Hestia over MQTT
 * through a real gateway, and the same points go to a real InfluxDB 1.6 in the seed's shape
 * (measurement device_<id>, tags class/label/units, field value_float, ms precision).
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** Relative tolerance for MEAN and SUM: InfluxDB may add up per shard and then merge, Hestia adds in time order. */
const RELATIVE_TOLERANCE = 1e-9;

interface SeedFixture {
  sensorData: Record<string, string>;
  energyMeterAsInfluxInsert: string;
  weeklyMeanTemperatureInfluxQL: string;
}

const fixture = (await seedMessages()) as unknown as SeedFixture;
const SEED_QUERY = fixture.weeklyMeanTemperatureInfluxQL;
const queryShape =
  /^SELECT MEAN\("value_float"\) FROM (device_[0-9a-f_]+) WHERE label = '(\w+)' AND time >= '([^']+)' AND time <= '([^']+)' GROUP BY time\(1d\) fill\(null\)$/.exec(
    SEED_QUERY,
  );
if (!queryShape) throw new Error(`the seed's weekly query changed shape: ${SEED_QUERY}`);
const [, MEASUREMENT = '', LABEL = '', FROM_TEXT = '', LAST_TEXT = ''] = queryShape;
/** The device of the seed's query (its measurement name), so the query runs verbatim. */
const DEVICE_ID = MEASUREMENT.slice('device_'.length).replaceAll('_', '-');
const WEEK_FROM_MS = Date.parse(FROM_TEXT); // 2019-10-21T00:00:00.000Z, inclusive
const WEEK_TO_MS = Date.parse(LAST_TEXT) + 1; // 2019-10-28T00:00:00.000Z: Hestia's `to` is exclusive
const DATABASE = `gateway_${SEED_GATEWAY_ID}_sensors`;

// ---- the data set --------------------------------------------------------------------------

interface Point {
  tsMs: number;
  /** The reading as the gateway sends it (a decimal string, like the seed's "26.1"). */
  text: string;
  value: number;
}

/** Mulberry32: a small seeded PRNG, so the "random" week is the same on every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const at = (iso: string): number => Date.parse(iso);

/** No readings here: a whole day (Wednesday 23rd in UTC and in Moscow) and a few hours of the 22nd. */
const GAPS: readonly [number, number][] = [
  [at('2019-10-22T03:10:00.000Z'), at('2019-10-22T07:50:00.000Z')],
  [at('2019-10-22T21:00:00.000Z'), at('2019-10-24T00:00:00.000Z')],
];
const inGap = (tsMs: number): boolean => GAPS.some(([from, to]) => tsMs >= from && tsMs < to);

function buildWeek(): Point[] {
  const random = prng(20191021);
  const times = new Set<number>();
  // Irregular readings every 7 to 23 minutes (at any millisecond), starting before the week and
  // ending after it, so a few points fall outside the range on both sides.
  for (let t = at('2019-10-20T22:03:17.250Z'); t < at('2019-10-28T01:30:00.000Z');) {
    if (!inGap(t)) times.add(t);
    t += 7 * MINUTE_MS + Math.floor(random() * 16 * MINUTE_MS);
  }
  // Boundaries: each UTC midnight and the millisecond before it, and the same for Moscow's
  // midnight (21:00 UTC), from the day before the week to the day after it.
  for (let day = WEEK_FROM_MS - DAY_MS; day <= WEEK_TO_MS; day += DAY_MS) {
    for (const t of [day, day - 1, day + 21 * HOUR_MS, day + 21 * HOUR_MS - 1]) {
      if (!inGap(t)) times.add(t);
    }
  }
  return [...times]
    .sort((a, b) => a - b)
    .map((tsMs) => {
      const value = (1800 + Math.floor(random() * 951)) / 100; // 18.00 … 27.50
      return { tsMs, text: String(value), value };
    });
}

const POINTS = buildWeek();

// ---- the seed's two write paths ------------------------------------------------------------

/** The seed's sensorData uplink for one reading of the query's device. */
function uplink(point: Point): Record<string, string> {
  return {
    ...fixture.sensorData,
    deviceId: DEVICE_ID,
    gatewayId: SEED_GATEWAY_ID,
    timestampMs: String(point.tsMs),
    sensorData: point.text,
  };
}

const escapeTag = (value: string): string => value.replace(/[,= \\]/g, (c) => `\\${c}`);

/** The seed's InfluxDB point for a sensorData message (its `energyMeterAsInfluxInsert` shape). */
function influxLine(message: Record<string, string>): string {
  const measurement = `device_${(message.deviceId ?? '').replaceAll('-', '_')}`;
  const tags = [
    ['class', message.sensorType],
    ['label', message.label],
    ['units', message.units],
  ]
    .map(([key, value]) => `${key}=${escapeTag(value ?? '')}`)
    .join(',');
  return `${measurement},${tags} value_float=${message.sensorData} ${message.timestampMs}`;
}

/** InfluxQL in the seed's form, for other aggregates, intervals, fills and zones. */
function influxQL(options: {
  select: string;
  fromMs: number;
  toMs: number;
  interval: string;
  fill: 'null' | 'previous';
  tz?: string;
}): string {
  const last = new Date(options.toMs - 1).toISOString();
  return (
    `SELECT ${options.select} FROM ${MEASUREMENT} WHERE label = '${LABEL}' AND time >= '${new Date(options.fromMs).toISOString()}' ` +
    `AND time <= '${last}' GROUP BY time(${options.interval}) fill(${options.fill})` +
    (options.tz ? ` tz('${options.tz}')` : '')
  );
}

/** JSON arrays of at most `maxMessages` messages and `maxBytes` bytes each. */
function payloads(messages: object[], maxMessages: number, maxBytes: number): string[] {
  const result: string[] = [];
  let batch: string[] = [];
  let bytes = 2; // the brackets
  for (const message of messages) {
    const text = JSON.stringify(message);
    const size = Buffer.byteLength(text) + 1; // and a comma
    if (batch.length > 0 && (batch.length === maxMessages || bytes + size > maxBytes)) {
      result.push(`[${batch.join(',')}]`);
      batch = [];
      bytes = 2;
    }
    batch.push(text);
    bytes += size;
  }
  if (batch.length > 0) result.push(`[${batch.join(',')}]`);
  return result;
}

// ---- comparing -----------------------------------------------------------------------------

interface Bucket {
  tsMs: number;
  value: number | null;
}
interface HestiaBucket extends Bucket {
  count: number;
}

async function influxBuckets(influx: InfluxDbServer, q: string): Promise<Bucket[]> {
  const [result] = await influx.query(q, DATABASE);
  const series = result?.series ?? [];
  assert.equal(series.length, 1, `one series from ${q}`);
  const [only] = series;
  assert.deepEqual(only?.columns.length, 2, `time and one value from ${q}`);
  return (only?.values ?? []).map((row: InfluxValue[]) => {
    const [tsMs, value] = row;
    assert.equal(typeof tsMs, 'number');
    assert.ok(value === null || typeof value === 'number', `a number or null, got ${JSON.stringify(value)}`);
    return { tsMs: tsMs as number, value };
  });
}

async function hestiaBuckets(
  app: TestApp,
  params: { agg: string; fromMs: number; toMs: number; interval: string; timezone: string; fill: string },
): Promise<HestiaBucket[]> {
  const query = new URLSearchParams({
    label: LABEL,
    from: new Date(params.fromMs).toISOString(),
    to: new Date(params.toMs).toISOString(),
    agg: params.agg,
    interval: params.interval,
    timezone: params.timezone,
    fill: params.fill,
  });
  const response = await app.request('GET', `/v1/devices/${DEVICE_ID}/aggregate?${query.toString()}`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  const body = response.body as { points: HestiaBucket[] };
  return body.points.map(({ tsMs, value, count }) => ({ tsMs, value, count }));
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Same buckets (count and start times), null in the same buckets, values equal (exactly, or
 * within RELATIVE_TOLERANCE when `approximate`).
 */
function assertSameSeries(hestia: Bucket[], influx: Bucket[], what: string, approximate: boolean): void {
  assert.deepEqual(
    hestia.map((b) => iso(b.tsMs)),
    influx.map((b) => iso(b.tsMs)),
    `${what}: bucket starts`,
  );
  assert.deepEqual(
    hestia.map((b) => b.value === null),
    influx.map((b) => b.value === null),
    `${what}: null buckets`,
  );
  hestia.forEach((bucket, i) => {
    const expected = influx[i]?.value ?? null;
    const actual = bucket.value;
    if (actual === null || expected === null) return;
    const where = `${what}: bucket ${iso(bucket.tsMs)}`;
    if (!approximate) {
      assert.equal(actual, expected, where);
      return;
    }
    const scale = Math.max(Math.abs(actual), Math.abs(expected));
    assert.ok(
      Math.abs(actual - expected) <= RELATIVE_TOLERANCE * scale,
      `${where}: Hestia ${actual} vs InfluxDB ${expected}`,
    );
  });
}

/** The points of [fromMs, toMs), for checks that need no engine. */
const pointsIn = (fromMs: number, toMs: number): Point[] =>
  POINTS.filter((p) => p.tsMs >= fromMs && p.tsMs < toMs);

// ---- the tests -----------------------------------------------------------------------------

const name = 'Hestia aggregates match InfluxDB 1.6 GROUP BY time()';
let started: InfluxDbServer | { skipped: string } | { failed: unknown };
try {
  started = await startInfluxDb();
} catch (error) {
  started = { failed: error };
}

if ('failed' in started) {
  const { failed } = started;
  test(name, () => {
    throw failed;
  });
} else if ('skipped' in started) {
  test(name, { skip: started.skipped }, () => {});
} else {
  const influx = started;

  describe(name, () => {
    let app: TestApp | undefined;
    const hestia = (): TestApp => {
      assert.ok(app, 'Hestia started');
      return app;
    };

    before(async () => {
      // The seed's database per gateway, but with the default (infinite) retention: its
      // 61320h policy would refuse points from 2019 today.
      await influx.query(`CREATE DATABASE "${DATABASE}"`);
      const messages = POINTS.map(uplink);
      const lines = messages.map(influxLine);
      for (let i = 0; i < lines.length; i += 5000) {
        await influx.write(DATABASE, lines.slice(i, i + 5000).join('\n'), 'ms');
      }

      app = await startTestApp();
      const gateway = await app.createGateway(SEED_GATEWAY_ID);
      const client = await app.connectGateway(gateway);
      // QoS 1: the PUBACK comes once the readings are committed. Up to 200 messages a payload,
      // within the broker's payload limit (64 KiB by default: about 150 of these messages).
      const { maxPayloadBytes } = app.hestia.ctx.config.ingest;
      for (const payload of payloads(messages, 200, maxPayloadBytes)) {
        await client.publishAsync(gatewayTopic(SEED_GATEWAY_ID, 'up'), payload, { qos: 1 });
      }
      const deadLetters = await app.request('GET', '/v1/dead-letters');
      assert.deepEqual((deadLetters.body as { items: unknown[] }).items, [], 'Hestia rejected nothing');
    });

    // Runs whether the tests passed or not: stops Hestia, then influxd (and removes its files).
    after(async () => {
      try {
        await app?.stop();
      } finally {
        await influx.stop();
      }
    });

    it("writes the seed shape: the energy meter message becomes the seed's INSERT", () => {
      const energy = {
        deviceId: '20873eb0-dd5e-4213-a175-000000000001',
        sensorType: 'METER',
        label: 'Energy',
        units: 'kWh',
        sensorData: '0.05',
        timestampMs: '1572194550125',
      };
      assert.equal(`INSERT ${influxLine(energy)}`, fixture.energyMeterAsInfluxInsert);
      assert.equal(
        influxQL({
          select: 'MEAN("value_float")',
          fromMs: WEEK_FROM_MS,
          toMs: WEEK_TO_MS,
          interval: '1d',
          fill: 'null',
        }),
        SEED_QUERY,
      );
    });

    it('both engines hold every point, including those outside the week', async () => {
      const outside = POINTS.length - pointsIn(WEEK_FROM_MS, WEEK_TO_MS).length;
      assert.ok(outside >= 4, `points outside the week on both sides (${outside})`);
      assert.ok(POINTS.some((p) => p.tsMs < WEEK_FROM_MS) && POINTS.some((p) => p.tsMs >= WEEK_TO_MS));

      const [result] = await influx.query(`SELECT COUNT("value_float") FROM ${MEASUREMENT}`, DATABASE);
      assert.equal(result?.series?.[0]?.values[0]?.[1], POINTS.length, 'points in InfluxDB');

      const history = await hestia().request(
        'GET',
        `/v1/devices/${DEVICE_ID}/history?label=${LABEL}&from=2019-10-01T00:00:00Z&to=2019-11-01T00:00:00Z&limit=10000`,
      );
      assert.equal(history.status, 200, JSON.stringify(history.body));
      const items = (history.body as { items: { tsMs: number; value: number }[] }).items;
      assert.deepEqual(
        items.map((r) => [r.tsMs, r.value]),
        POINTS.map((p) => [p.tsMs, p.value]),
        'readings in Hestia',
      );
    });

    it("the seed's weekly mean by day equals InfluxDB's GROUP BY time(1d) fill(null)", async () => {
      const influxSeries = await influxBuckets(influx, SEED_QUERY); // verbatim from the fixture
      const hestiaSeries = await hestiaBuckets(hestia(), {
        agg: 'mean',
        fromMs: at('2019-10-21T00:00:00Z'),
        toMs: at('2019-10-28T00:00:00Z'),
        interval: '1d',
        timezone: 'UTC',
        fill: 'null',
      });
      assert.equal(hestiaSeries.length, 7);
      assert.equal(influxSeries.length, 7);
      assertSameSeries(hestiaSeries, influxSeries, 'mean 1d', true);
      // The data set is built so that Wednesday has no reading: one null bucket, count 0.
      const empty = hestiaSeries.filter((b) => b.value === null);
      assert.deepEqual(
        empty.map((b) => [iso(b.tsMs), b.count]),
        [['2019-10-23T00:00:00.000Z', 0]],
      );
      assert.equal(
        hestiaSeries.reduce((n, b) => n + b.count, 0),
        pointsIn(WEEK_FROM_MS, WEEK_TO_MS).length,
        'every point of the week, including those at 00:00:00.000 and 23:59:59.999, in exactly one bucket',
      );
    });

    describe('min, max, count, sum, first and last by day, fill(null)', () => {
      const functions = [
        { agg: 'min', influx: 'MIN', approximate: false },
        { agg: 'max', influx: 'MAX', approximate: false },
        { agg: 'count', influx: 'COUNT', approximate: false },
        { agg: 'sum', influx: 'SUM', approximate: true },
        { agg: 'first', influx: 'FIRST', approximate: false },
        { agg: 'last', influx: 'LAST', approximate: false },
      ] as const;
      for (const fn of functions) {
        it(`${fn.agg} equals InfluxDB's ${fn.influx}`, async () => {
          const q = influxQL({
            select: `${fn.influx}("value_float")`,
            fromMs: WEEK_FROM_MS,
            toMs: WEEK_TO_MS,
            interval: '1d',
            fill: 'null',
          });
          const influxSeries = await influxBuckets(influx, q);
          const hestiaSeries = await hestiaBuckets(hestia(), {
            agg: fn.agg,
            fromMs: WEEK_FROM_MS,
            toMs: WEEK_TO_MS,
            interval: '1d',
            timezone: 'UTC',
            fill: 'null',
          });
          assert.equal(hestiaSeries.length, 7);
          if (fn.agg !== 'count') {
            assertSameSeries(hestiaSeries, influxSeries, fn.agg, fn.approximate);
            return;
          }
          // COUNT: Hestia documents 0 for an empty bucket whatever the fill. InfluxDB 1.6 also
          // answers 0 there (it counts no points, and fill(null) only fills absent values);
          // either 0 or null is accepted from it, the non-empty buckets must match exactly.
          assert.deepEqual(
            hestiaSeries.map((b) => iso(b.tsMs)),
            influxSeries.map((b) => iso(b.tsMs)),
          );
          hestiaSeries.forEach((bucket, i) => {
            const theirs = influxSeries[i]?.value ?? null;
            assert.equal(bucket.value, bucket.count, 'count is the number of readings');
            if (bucket.count === 0) {
              assert.equal(bucket.value, 0, `Hestia's count of the empty bucket ${iso(bucket.tsMs)}`);
              assert.ok(theirs === 0 || theirs === null, `InfluxDB's count of an empty bucket: ${theirs}`);
            } else {
              assert.equal(bucket.value, theirs, `count of ${iso(bucket.tsMs)}`);
            }
          });
          assert.ok(
            hestiaSeries.some((b) => b.count === 0),
            'the week has an empty bucket',
          );
        });
      }
    });

    it("hourly mean with fill(previous) equals InfluxDB's fill(previous)", async () => {
      const windows = [
        // The calendar day of the 22nd: a gap of hours in the morning, none after 21:00.
        { fromMs: at('2019-10-22T00:00:00Z'), toMs: at('2019-10-23T00:00:00Z') },
        // A day that starts inside the morning gap: nothing before it to carry forward.
        { fromMs: at('2019-10-22T04:00:00Z'), toMs: at('2019-10-23T04:00:00Z') },
      ];
      for (const { fromMs, toMs } of windows) {
        const what = `mean 1h fill(previous) ${iso(fromMs)}`;
        const influxSeries = await influxBuckets(
          influx,
          influxQL({ select: 'MEAN("value_float")', fromMs, toMs, interval: '1h', fill: 'previous' }),
        );
        const hestiaSeries = await hestiaBuckets(hestia(), {
          agg: 'mean',
          fromMs,
          toMs,
          interval: '1h',
          timezone: 'UTC',
          fill: 'previous',
        });
        assert.equal(hestiaSeries.length, 24, what);
        assertSameSeries(hestiaSeries, influxSeries, what, true);
        assert.ok(
          hestiaSeries.some((b) => b.count === 0 && b.value !== null),
          `${what}: some bucket is filled from the one before`,
        );
      }
      const shifted = await hestiaBuckets(hestia(), {
        agg: 'mean',
        fromMs: at('2019-10-22T04:00:00Z'),
        toMs: at('2019-10-23T04:00:00Z'),
        interval: '1h',
        timezone: 'UTC',
        fill: 'previous',
      });
      assert.equal(shifted[0]?.value, null, 'fill(previous) does not look before the range');
    });

    it("days in Europe/Moscow equal InfluxDB's GROUP BY time(1d) tz('Europe/Moscow')", async () => {
      const checks = [
        // The seed's UTC range, cut into Moscow days: partial first and last buckets.
        { fromMs: WEEK_FROM_MS, toMs: WEEK_TO_MS, buckets: 8 },
        // Moscow's own week (UTC+3 all year since 2014).
        { fromMs: at('2019-10-21T00:00:00+03:00'), toMs: at('2019-10-28T00:00:00+03:00'), buckets: 7 },
      ];
      for (const { fromMs, toMs, buckets } of checks) {
        for (const fn of [
          { agg: 'mean', influx: 'MEAN', approximate: true },
          { agg: 'min', influx: 'MIN', approximate: false },
          { agg: 'last', influx: 'LAST', approximate: false },
          { agg: 'count', influx: 'COUNT', approximate: false },
        ]) {
          const what = `${fn.agg} 1d Europe/Moscow from ${iso(fromMs)}`;
          const influxSeries = await influxBuckets(
            influx,
            influxQL({
              select: `${fn.influx}("value_float")`,
              fromMs,
              toMs,
              interval: '1d',
              fill: 'null',
              tz: 'Europe/Moscow',
            }),
          );
          const hestiaSeries = await hestiaBuckets(hestia(), {
            agg: fn.agg,
            fromMs,
            toMs,
            interval: '1d',
            timezone: 'Europe/Moscow',
            fill: 'null',
          });
          assert.equal(hestiaSeries.length, buckets, what);
          assert.equal(
            iso(hestiaSeries[0]?.tsMs ?? 0),
            '2019-10-20T21:00:00.000Z',
            `${what}: Moscow midnight`,
          );
          assertSameSeries(hestiaSeries, influxSeries, what, fn.approximate);
          if (fn.agg === 'mean') {
            assert.deepEqual(
              hestiaSeries.filter((b) => b.value === null).map((b) => iso(b.tsMs)),
              ['2019-10-22T21:00:00.000Z'],
              `${what}: Wednesday in Moscow is empty`,
            );
          }
        }
      }
    });
    it("across the end of DST (Europe/Berlin, 2019-10-27) days and hours equal InfluxDB's tz()", async () => {
      const zone = 'Europe/Berlin';
      const checks = [
        // The seed's UTC range in Berlin days: the last full day has 25 hours.
        { interval: '1d', fromMs: WEEK_FROM_MS, toMs: WEEK_TO_MS, buckets: 8 },
        // The 25-hour day itself, by the hour: 02:00 comes twice.
        {
          interval: '1h',
          fromMs: at('2019-10-27T00:00:00+02:00'),
          toMs: at('2019-10-28T00:00:00+01:00'),
          buckets: 25,
        },
      ];
      for (const { interval, fromMs, toMs, buckets } of checks) {
        for (const fn of [
          { agg: 'mean', influx: 'MEAN', approximate: true },
          { agg: 'count', influx: 'COUNT', approximate: false },
        ]) {
          const what = `${fn.agg} ${interval} ${zone} from ${iso(fromMs)}`;
          const influxSeries = await influxBuckets(
            influx,
            influxQL({
              select: `${fn.influx}("value_float")`,
              fromMs,
              toMs,
              interval,
              fill: 'null',
              tz: zone,
            }),
          );
          const hestiaSeries = await hestiaBuckets(hestia(), {
            agg: fn.agg,
            fromMs,
            toMs,
            interval,
            timezone: zone,
            fill: 'null',
          });
          assert.equal(hestiaSeries.length, buckets, what);
          assertSameSeries(hestiaSeries, influxSeries, what, fn.approximate);
        }
      }
    });
  });
}
