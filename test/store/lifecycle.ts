import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { Device } from '../../src/core/domain/device.ts';
import { TelemetryService } from '../../src/services/telemetry.ts';
import { parseInterval, planBuckets } from '../../src/services/statistics.ts';
import { increaseBetween } from '../../src/store/telemetry/rollups.ts';
import type { Store } from '../../src/core/ports/store.ts';
import { emptyBatch, type IngestBatch, type ReadingWrite } from '../../src/core/domain/telemetry.ts';

/**
 * Conformance of the data lifecycle: rollups kept exact under late and duplicate readings
 * (a property test against raw data), the query planner, retention trims and gateway usage.
 * Runs inside the store conformance suite, on each adapter's store.
 */

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Deterministic PRNG (mulberry32): a failing seed reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Truth {
  count: number;
  sum: number;
  min: number;
  max: number;
  first: number;
  last: number;
  increase: number;
}

/** What raw data says for [from, to): the readings kept (first arrival per timestamp). */
function truthOf(
  points: Array<{ tsMs: number; value: number }>,
  fromMs: number,
  toMs: number,
): Truth | undefined {
  let truth: Truth | undefined;
  let previous: number | undefined;
  for (const { tsMs, value } of points) {
    if (tsMs >= toMs) break;
    if (tsMs >= fromMs) {
      const increase = previous === undefined ? 0 : increaseBetween(previous, value);
      if (!truth)
        truth = { count: 1, sum: value, min: value, max: value, first: value, last: value, increase };
      else {
        truth.count += 1;
        truth.sum += value;
        truth.min = Math.min(truth.min, value);
        truth.max = Math.max(truth.max, value);
        truth.last = value;
        truth.increase += increase;
      }
    }
    previous = value;
  }
  return truth;
}

function close(actual: number, expected: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= 1e-6 + 1e-9 * Math.abs(expected),
    `${what}: ${actual} differs from ${expected}`,
  );
}

export function lifecycleSuite(getStore: () => Store): void {
  describe('data lifecycle', () => {
    const tenantId = `tenant-${randomUUID().slice(0, 8)}`;
    const t0 = Date.UTC(2024, 0, 1);
    let ownerId: string;
    const store = () => getStore();
    const telemetry = () => new TelemetryService({ store: getStore() });

    before(async () => {
      await store().directory.tenants.createTenant({
        id: tenantId,
        slug: tenantId,
        name: 'Life',
        createdAtMs: t0,
      });
      ownerId = (
        await store().directory.people.createUser({
          id: randomUUID(),
          tenantId,
          email: `${tenantId}@example.com`,
          passwordHash: 'scrypt$x',
          role: 'user',
          createdAtMs: t0,
        })
      ).id;
    });

    /** A gateway registered to a new home in `zone`, with one device. */
    async function homeDevice(zone: string): Promise<{ gatewayId: string; deviceId: string }> {
      const homeId = randomUUID();
      await store().directory.homes.createHome(
        {
          id: homeId,
          tenantId,
          name: zone,
          timezone: zone,
          latitude: null,
          longitude: null,
          createdAtMs: t0,
        },
        ownerId,
      );
      const gatewayId = randomUUID();
      await store().directory.gateways.createGateways([
        { id: gatewayId, tenantId, name: zone, tokenHash: 'h', claimCodeHash: null, createdAtMs: t0 },
      ]);
      assert.ok(await store().directory.gateways.registerGateway(gatewayId, homeId, t0));
      const deviceId = randomUUID();
      await store().telemetry.applyIngest({
        ...emptyBatch(),
        devices: [
          {
            id: deviceId,
            tenantId,
            gatewayId,
            type: 'sensor',
            protocol: 'zwave',
            nodeId: null,
            networkId: null,
            name: null,
            seenAtMs: t0,
          },
        ],
      });
      return { gatewayId, deviceId };
    }

    function reading(gatewayId: string, deviceId: string, tsMs: number, value: number | null): ReadingWrite {
      return {
        tenantId,
        gatewayId,
        deviceId,
        label: 'Meter',
        unit: 'kWh',
        sensorType: null,
        tsMs,
        value,
        text: value === null ? 'n/a' : null,
      };
    }

    const batch = (parts: Partial<IngestBatch>): IngestBatch => ({ ...emptyBatch(), ...parts });

    it('property: every aggregate from rollups equals the one from raw data, with late, duplicate and reset readings, in every zone', async () => {
      const zones = [
        'Europe/Berlin',
        'America/New_York',
        'Asia/Kolkata',
        'Asia/Kathmandu',
        'Australia/Lord_Howe',
        'UTC',
      ];
      // Windows around DST changes: Europe spring, Europe and Lord Howe autumn, US autumn.
      const windows = [
        Date.UTC(2024, 2, 28),
        Date.UTC(2024, 9, 25),
        Date.UTC(2024, 10, 1),
        Date.UTC(2024, 3, 4),
      ];
      const used = { raw: 0, hourly: 0, daily: 0 };
      const trials = 12;
      for (let trial = 0; trial < trials; trial++) {
        const seed = 1000 + trial;
        const random = prng(seed);
        const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
        const zone = zones[trial % zones.length]!;
        const start = pick(windows);
        const span = 5 * DAY;
        const { gatewayId, deviceId } = await homeDevice(zone);
        const meter = random() < 0.5;

        // Distinct timestamps, values by time: a meter rises and sometimes resets.
        const times = [
          ...new Set(
            Array.from(
              { length: 150 + Math.floor(random() * 350) },
              () => start + Math.floor(random() * span),
            ),
          ),
        ].sort((a, b) => a - b);
        let level = random() * 100;
        const truthPoints = times.map((tsMs) => {
          if (meter) level = random() < 0.03 ? random() * 2 : level + Math.round(random() * 500) / 1000;
          else level = Math.round((random() * 100 - 50) * 100) / 100;
          return { tsMs, value: level };
        });
        // Delivery: mostly in time order in batches of 1–40, 25% held back and delivered
        // late, 10% delivered twice (the repeat with another value, which must be ignored),
        // and a few text readings in between.
        const onTime: ReadingWrite[] = [];
        const late: ReadingWrite[] = [];
        for (const point of truthPoints) {
          const write = reading(gatewayId, deviceId, point.tsMs, point.value);
          (random() < 0.25 ? late : onTime).push(write);
        }
        const repeats = [...onTime, ...late]
          .filter(() => random() < 0.1)
          .map((r) => ({ ...r, value: (r.value ?? 0) + 1000 }));
        const texts = Array.from({ length: 5 }, () =>
          reading(gatewayId, deviceId, start + Math.floor(random() * span) + 0.5, null),
        )
          .map((r) => ({ ...r, tsMs: Math.floor(r.tsMs) }))
          .filter((r) => !times.includes(r.tsMs));
        late.sort(() => random() - 0.5);
        const deliveries = [...onTime, ...texts.slice(0, 2), ...late, ...repeats, ...texts.slice(2)];
        for (let i = 0; i < deliveries.length;) {
          const size = 1 + Math.floor(random() * 40);
          await store().telemetry.applyIngest(batch({ readings: deliveries.slice(i, i + size) }));
          i += size;
        }

        const device = { id: deviceId } as Device;
        for (let q = 0; q < 12; q++) {
          const interval = pick(['15m', '1h', '3h', '1d', '1d', '1w', '1mo']);
          const timezone = random() < 0.7 ? zone : pick(zones);
          let fromMs = start - DAY + Math.floor(random() * 3 * DAY);
          let toMs = fromMs + HOUR + Math.floor(random() * (span + DAY));
          if (random() < 0.5) {
            // Aligned to local days, as apps ask for them.
            const days = planBuckets(fromMs, toMs, parseInterval('1d'), timezone).boundariesMs;
            fromMs = days[1] ?? fromMs;
            toMs = days[days.length - 2] ?? toMs;
            if (toMs <= fromMs) continue;
          }
          if (interval === '15m' && toMs - fromMs > 2 * DAY) toMs = fromMs + 2 * DAY;
          const result = await telemetry().summaries(device, {
            label: 'Meter',
            fromMs,
            toMs,
            interval,
            timezone,
          });
          for (const source of ['raw', 'hourly', 'daily'] as const) used[source] += result.sources[source];
          const byIndex = new Map(result.summaries.map((s) => [s.index, s]));
          result.plan.boundariesMs.slice(0, -1).forEach((bucketFrom, index) => {
            const bucketTo = result.plan.boundariesMs[index + 1]!;
            const expected = truthOf(truthPoints, bucketFrom, bucketTo);
            const actual = byIndex.get(index);
            const what = `seed ${seed} zone ${zone} query ${timezone} ${interval} bucket ${new Date(bucketFrom).toISOString()}`;
            if (!expected) {
              assert.equal(actual, undefined, `${what}: expected no data`);
              return;
            }
            assert.ok(actual, `${what}: missing`);
            assert.equal(actual.count, expected.count, `${what}: count`);
            assert.equal(actual.min, expected.min, `${what}: min`);
            assert.equal(actual.max, expected.max, `${what}: max`);
            assert.equal(actual.first, expected.first, `${what}: first`);
            assert.equal(actual.last, expected.last, `${what}: last`);
            close(actual.sum, expected.sum, `${what}: sum`);
            close(actual.increase, expected.increase, `${what}: increase`);
          });
        }
      }
      assert.ok(
        used.daily > 0 && used.hourly > 0 && used.raw > 0,
        `every source was exercised: ${JSON.stringify(used)}`,
      );
    });

    it('retention trims raw history past the horizon in small steps; rollups answer the long ranges; late data that old is dropped', async () => {
      const { gatewayId, deviceId } = await homeDevice('Europe/Berlin');
      const end = Date.UTC(2024, 5, 1);
      const begin = end - 60 * DAY;
      const points: Array<{ tsMs: number; value: number }> = [];
      for (let ts = begin, v = 0; ts < end; ts += 10 * 60_000)
        points.push({ tsMs: ts, value: (v += (ts % 7) / 10) });
      for (let i = 0; i < points.length; i += 2000) {
        await store().telemetry.applyIngest(
          batch({
            readings: points.slice(i, i + 2000).map((p) => reading(gatewayId, deviceId, p.tsMs, p.value)),
          }),
        );
      }
      const device = { id: deviceId } as Device;
      const query = { label: 'Meter', fromMs: begin, toMs: end, interval: '1d', timezone: 'Europe/Berlin' };
      const daysBefore = await telemetry().aggregate(device, { ...query, agg: 'mean', fill: 'null' });
      const energyBefore = await telemetry().aggregate(device, {
        ...query,
        interval: '1w',
        agg: 'increase',
        fill: 'null',
      });

      const horizon = end - 45 * DAY;
      let total = 0;
      let steps = 0;
      for (;;) {
        const trimmed = await store().telemetry.trimHistory({
          gatewayId,
          rawBeforeMs: horizon,
          rollupsBeforeMs: end - 1095 * DAY,
          maxRows: 500,
        });
        total += trimmed.readings;
        steps += 1;
        assert.ok(trimmed.readings + trimmed.rollups <= 500, 'a call deletes at most maxRows');
        if (!trimmed.more) break;
      }
      const expired = points.filter((p) => p.tsMs < horizon).length;
      assert.equal(total, expired);
      assert.ok(steps > expired / 500, 'the trim went in steps');
      assert.equal(await store().telemetry.countReadings({ deviceId }), points.length - expired);
      const rawOld = await store().telemetry.readHistory({
        deviceId,
        label: 'Meter',
        fromMs: begin,
        toMs: horizon,
        limit: 10,
        order: 'asc',
      });
      assert.deepEqual(rawOld, []);

      // Whole days and weeks come from rollups: the answers are those before the trim.
      const daysAfter = await telemetry().aggregate(device, { ...query, agg: 'mean', fill: 'null' });
      assert.deepEqual(daysAfter.points, daysBefore.points);
      assert.equal(daysAfter.sources.raw, 0);
      const energyAfter = await telemetry().aggregate(device, {
        ...query,
        interval: '1w',
        agg: 'increase',
        fill: 'null',
      });
      assert.deepEqual(
        energyAfter.points.map((p) => p.value),
        energyBefore.points.map((p) => p.value),
      );

      // A reading stamped before the horizon arriving now is dropped, and changes nothing.
      await store().telemetry.applyIngest(
        batch({ readings: [reading(gatewayId, deviceId, begin + 5 * 60_000, 1e9)] }),
      );
      assert.equal(await store().telemetry.countReadings({ deviceId }), points.length - expired);
      assert.deepEqual(
        (await telemetry().aggregate(device, { ...query, agg: 'mean', fill: 'null' })).points,
        daysBefore.points,
      );

      // A shorter sensor retention deletes old rollups too.
      for (;;) {
        const trimmed = await store().telemetry.trimHistory({
          gatewayId,
          rawBeforeMs: horizon,
          rollupsBeforeMs: end - 50 * DAY,
          maxRows: 10_000,
        });
        if (!trimmed.more) break;
      }
      const early = await telemetry().aggregate(device, {
        ...query,
        toMs: end - 52 * DAY,
        agg: 'count',
        fill: 'null',
      });
      assert.ok(
        early.points.every((p) => p.count === 0),
        'nothing older than the rollup horizon remains',
      );
      const later = await telemetry().aggregate(device, {
        ...query,
        fromMs: end - 48 * DAY,
        agg: 'mean',
        fill: 'null',
      });
      assert.ok(
        later.points.every((p) => p.count > 0),
        'rollups newer than the horizon remain',
      );
    });

    it('late readings and meter resets keep the increase exact; removal deletes rollups', async () => {
      const { gatewayId, deviceId } = await homeDevice('UTC');
      const at = (h: number) => t0 + h * HOUR;
      await store().telemetry.applyIngest(
        batch({
          readings: [reading(gatewayId, deviceId, at(0), 10), reading(gatewayId, deviceId, at(2), 14)],
        }),
      );
      // Late, between the two: (10 → 14) becomes (10 → 12) + (12 → 14), in other hours.
      await store().telemetry.applyIngest(batch({ readings: [reading(gatewayId, deviceId, at(1), 12)] }));
      // Reset: 14 → 3 counts 3; then 3 → 5 counts 2.
      await store().telemetry.applyIngest(
        batch({ readings: [reading(gatewayId, deviceId, at(3), 3), reading(gatewayId, deviceId, at(4), 5)] }),
      );
      const device = { id: deviceId } as Device;
      const hourly = await telemetry().aggregate(device, {
        label: 'Meter',
        fromMs: at(0),
        toMs: at(5),
        interval: '1h',
        timezone: 'UTC',
        agg: 'increase',
        fill: 'null',
      });
      assert.deepEqual(
        hourly.points.map((p) => p.value),
        [0, 2, 2, 3, 2],
      );
      assert.deepEqual(hourly.sources, { raw: 0, hourly: 1, daily: 0 });
      const daily = await telemetry().aggregate(device, {
        label: 'Meter',
        fromMs: t0,
        toMs: t0 + DAY,
        interval: '1d',
        timezone: 'UTC',
        agg: 'increase',
        fill: 'null',
      });
      assert.deepEqual(
        daily.points.map((p) => p.value),
        [9],
      );
      assert.deepEqual(daily.sources, { raw: 0, hourly: 0, daily: 1 });

      const removed = await store().telemetry.deleteGatewayData(gatewayId);
      assert.equal(removed.readings, 5);
      assert.equal(await store().telemetry.findSeries(deviceId, 'Meter'), undefined);
    });

    it('gateway usage: messages per month, online time split at month ends, unclean stops counted to last contact', async () => {
      const { gatewayId } = await homeDevice('UTC');
      const jan31 = Date.UTC(2024, 0, 31, 23);
      await store().telemetry.applyIngest(
        batch({
          gatewaySeen: [
            { gatewayId, tenantId, atMs: jan31, messages: 3, firmware: null, vendor: null },
            { gatewayId, tenantId, atMs: jan31 + 2 * HOUR, messages: 4, firmware: null, vendor: null },
          ],
        }),
      );
      await store().telemetry.applyIngest(
        batch({
          gatewaySeen: [
            { gatewayId, tenantId, atMs: jan31 + 3 * HOUR, messages: 1, firmware: null, vendor: null },
          ],
        }),
      );
      await store().directory.gateways.setGatewayStatus({ gatewayId, status: 'online', atMs: jan31 });
      await store().directory.gateways.setGatewayStatus({
        gatewayId,
        status: 'offline',
        atMs: jan31 + 2 * HOUR,
      });
      // An older change is ignored and counts nothing.
      await store().directory.gateways.setGatewayStatus({ gatewayId, status: 'online', atMs: jan31 - HOUR });
      const usage = await store().telemetry.listGatewayUsage(tenantId, '2024-01', '2024-02');
      const mine = usage.filter((u) => u.gatewayId === gatewayId);
      assert.deepEqual(
        mine.map((u) => [u.month, u.messages, u.onlineMs]),
        [
          ['2024-01', 3, HOUR],
          ['2024-02', 5, HOUR],
        ],
      );
      await store().directory.gateways.setGatewayStatus({
        gatewayId,
        status: 'online',
        atMs: jan31 + 10 * HOUR,
      });
      await store().telemetry.applyIngest(
        batch({
          gatewaySeen: [
            { gatewayId, tenantId, atMs: jan31 + 10.5 * HOUR, messages: 1, firmware: null, vendor: null },
          ],
        }),
      );
      await store().directory.gateways.markAllGatewaysOffline(jan31 + 20 * HOUR);
      const feb = (await store().telemetry.listGatewayUsage(tenantId, '2024-02', '2024-02')).find(
        (u) => u.gatewayId === gatewayId,
      );
      assert.equal(feb?.onlineMs, HOUR + HOUR / 2);
      assert.deepEqual(await store().telemetry.listGatewayUsage('no-such-tenant', '2024-01', '2024-12'), []);
    });
  });
}
