import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregateBuckets, parseInterval, planBuckets } from '../../src/services/statistics.ts';
import { RangeAccumulator } from '../../src/store/telemetry/rollups.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const plan = (from: string, to: string, interval: string, zone: string) =>
  planBuckets(Date.parse(from), Date.parse(to), parseInterval(interval), zone);

describe('calendar buckets', () => {
  it('a DST spring-forward day has 23 hourly buckets and a fall-back day 25 (Europe/Berlin)', () => {
    // 2024-03-31 local midnight = 2024-03-30T23:00Z; the next local midnight = 2024-03-31T22:00Z
    const spring = plan('2024-03-30T23:00:00Z', '2024-03-31T22:00:00Z', '1h', 'Europe/Berlin');
    assert.equal(spring.startsMs.length, 23);
    const fall = plan('2024-10-26T22:00:00Z', '2024-10-27T23:00:00Z', '1h', 'Europe/Berlin');
    assert.equal(fall.startsMs.length, 25);
    const days = plan('2024-10-25T22:00:00Z', '2024-10-28T23:00:00Z', '1d', 'Europe/Berlin');
    assert.deepEqual(days.startsMs.map(iso), [
      '2024-10-25T22:00:00.000Z',
      '2024-10-26T22:00:00.000Z',
      '2024-10-27T23:00:00.000Z',
    ]);
    const lengths = days.boundariesMs.slice(1).map((b, i) => (b - days.boundariesMs[i]!) / 3_600_000);
    assert.deepEqual(lengths, [24, 25, 24]);
  });

  it('weeks are ISO weeks starting Monday; months are calendar months in the zone', () => {
    const weeks = plan('2024-01-03T00:00:00Z', '2024-01-20T00:00:00Z', '1w', 'UTC');
    assert.deepEqual(weeks.startsMs.map(iso), [
      '2024-01-01T00:00:00.000Z',
      '2024-01-08T00:00:00.000Z',
      '2024-01-15T00:00:00.000Z',
    ]);
    const months = plan('2024-01-01T05:00:00Z', '2025-01-01T05:00:00Z', '1mo', 'America/New_York');
    assert.equal(months.startsMs.length, 12);
    assert.equal(iso(months.startsMs[2]!), '2024-03-01T05:00:00.000Z'); // EST
    assert.equal(iso(months.startsMs[3]!), '2024-04-01T04:00:00.000Z'); // EDT
    assert.equal(plan('2024-01-01T00:00:00Z', '2024-12-31T00:00:00Z', '3mo', 'UTC').startsMs.length, 4);
  });

  it('sub-day buckets follow local quarter hours in a half-hour zone (Asia/Kolkata)', () => {
    const quarters = plan('2024-01-01T00:00:00Z', '2024-01-01T01:00:00Z', '15m', 'Asia/Kolkata');
    assert.deepEqual(quarters.startsMs.map(iso), [
      '2024-01-01T00:00:00.000Z',
      '2024-01-01T00:15:00.000Z',
      '2024-01-01T00:30:00.000Z',
      '2024-01-01T00:45:00.000Z',
    ]);
    const hours = plan('2024-01-01T00:00:00Z', '2024-01-01T02:00:00Z', '1h', 'Asia/Kolkata');
    assert.deepEqual(hours.startsMs.map(iso), [
      '2023-12-31T23:30:00.000Z',
      '2024-01-01T00:30:00.000Z',
      '2024-01-01T01:30:00.000Z',
    ]);
  });

  it('the first bucket starts aligned but only counts data from `from`', () => {
    const p = plan('2024-01-01T12:00:00Z', '2024-01-03T00:00:00Z', '1d', 'UTC');
    assert.equal(iso(p.startsMs[0]!), '2024-01-01T00:00:00.000Z');
    assert.equal(iso(p.boundariesMs[0]!), '2024-01-01T12:00:00.000Z');
  });

  it('rejects intervals that are malformed or do not divide a day, and absurd bucket counts', () => {
    assert.throws(() => parseInterval('1x'), /interval/);
    assert.throws(() => parseInterval('0d'), /interval/);
    assert.throws(() => parseInterval('7h'), /divide a day/);
    assert.throws(() => plan('2000-01-01T00:00:00Z', '2020-01-01T00:00:00Z', '1m', 'UTC'), /more than/);
    assert.throws(() => plan('2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z', '1d', 'UTC'), /after from/);
  });
});

describe('aggregation and fill', () => {
  const p = plan('2024-01-01T00:00:00Z', '2024-01-05T00:00:00Z', '1d', 'UTC');
  const acc = new RangeAccumulator(
    p.boundariesMs.slice(0, -1).map((fromMs, i) => ({ fromMs, toMs: p.boundariesMs[i + 1]! })),
  );
  for (const [day, hour, value] of [
    [0, 1, 10],
    [0, 2, 20],
    [0, 3, 6],
    [2, 5, -4],
  ] as const) {
    acc.addReading(Date.UTC(2024, 0, 1 + day, hour), value, 0);
  }
  const summaries = acc.result();

  it('computes each function per bucket', () => {
    const values = (agg: Parameters<typeof aggregateBuckets>[2]) =>
      aggregateBuckets(p, summaries, agg, 'null').map((x) => x.value);
    assert.deepEqual(values('mean'), [12, null, -4, null]);
    assert.deepEqual(values('min'), [6, null, -4, null]);
    assert.deepEqual(values('max'), [20, null, -4, null]);
    assert.deepEqual(values('sum'), [36, null, -4, null]);
    assert.deepEqual(values('first'), [10, null, -4, null]);
    assert.deepEqual(values('last'), [6, null, -4, null]);
    assert.deepEqual(values('count'), [3, 0, 1, 0], 'an empty bucket counts 0 whatever the fill');
  });

  it('fills empty buckets with null, the previous value or 0', () => {
    assert.deepEqual(
      aggregateBuckets(p, summaries, 'mean', 'previous').map((x) => x.value),
      [12, 12, -4, -4],
    );
    assert.deepEqual(
      aggregateBuckets(p, summaries, 'mean', '0').map((x) => x.value),
      [12, 0, -4, 0],
    );
    assert.deepEqual(
      aggregateBuckets(p, summaries, 'mean', 'null').map((x) => x.count),
      [3, 0, 1, 0],
    );
  });
});
