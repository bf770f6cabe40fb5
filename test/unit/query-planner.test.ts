import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planSources } from '../../src/services/query-planner.ts';
import { parseInterval, planBuckets } from '../../src/services/statistics.ts';

const HOUR = 3_600_000;
const boundaries = (from: string, to: string, interval: string, zone: string) =>
  planBuckets(Date.parse(from), Date.parse(to), parseInterval(interval), zone).boundariesMs;
const summary = (plan: ReturnType<typeof planSources>) => ({
  raw: plan.raw.length,
  hourly: plan.hourly.length,
  daily: plan.daily.length,
});

describe('query planner', () => {
  it('whole local days of the series zone come from daily rollups, across a DST change', () => {
    // 2024-10-26 … 2024-10-29 local days in Berlin, the 27th has 25 hours.
    const plan = planSources(
      boundaries('2024-10-25T22:00:00Z', '2024-10-28T23:00:00Z', '1d', 'Europe/Berlin'),
      'Europe/Berlin',
    );
    assert.deepEqual(summary(plan), { raw: 0, hourly: 0, daily: 3 });
    assert.deepEqual(
      plan.daily.map((p) => (p.toMs - p.fromMs) / HOUR),
      [24, 25, 24],
    );
  });

  it('unaligned edges are read raw, whole hours from hourly rollups, whole days from daily ones', () => {
    const plan = planSources([Date.parse('2024-05-01T10:17:00Z'), Date.parse('2024-05-04T13:40:00Z')], 'UTC');
    assert.deepEqual(
      plan.raw.map((p) => [new Date(p.fromMs).toISOString(), new Date(p.toMs).toISOString()]),
      [
        ['2024-05-01T10:17:00.000Z', '2024-05-01T11:00:00.000Z'],
        ['2024-05-04T13:00:00.000Z', '2024-05-04T13:40:00.000Z'],
      ],
    );
    assert.deepEqual(
      plan.hourly.map((p) => (p.toMs - p.fromMs) / HOUR),
      [13, 13],
    );
    assert.deepEqual(
      plan.daily.map((p) => (p.toMs - p.fromMs) / HOUR),
      [48],
    );
  });

  it('days of another zone: hourly rollups when offsets differ by whole hours; raw only for the fractions at the edges otherwise', () => {
    const utcDays = boundaries('2024-05-01T00:00:00Z', '2024-05-08T00:00:00Z', '1d', 'UTC');
    assert.deepEqual(summary(planSources(utcDays, 'Europe/Berlin')), { raw: 0, hourly: 7, daily: 0 });
    const kolkataDays = boundaries('2024-04-30T18:30:00Z', '2024-05-07T18:30:00Z', '1d', 'Asia/Kolkata');
    assert.deepEqual(summary(planSources(kolkataDays, 'Asia/Kolkata')), { raw: 0, hourly: 0, daily: 7 });
    // Each Kolkata day is a Berlin half hour, 23 whole hours and another half hour.
    assert.deepEqual(summary(planSources(kolkataDays, 'Europe/Berlin')), { raw: 14, hourly: 7, daily: 0 });
  });

  it('sub-hour buckets are raw; hourly buckets are hourly rollups', () => {
    const quarter = boundaries('2024-05-01T00:00:00Z', '2024-05-01T02:00:00Z', '15m', 'UTC');
    assert.deepEqual(summary(planSources(quarter, 'UTC')), { raw: 8, hourly: 0, daily: 0 });
    const hours = boundaries('2024-05-01T00:00:00Z', '2024-05-02T00:00:00Z', '1h', 'UTC');
    assert.deepEqual(summary(planSources(hours, 'UTC')), { raw: 0, hourly: 24, daily: 0 });
  });

  it('a month in a zone with a 45-minute offset is its days', () => {
    const months = boundaries('2024-02-29T18:15:00Z', '2024-04-30T18:15:00Z', '1mo', 'Asia/Kathmandu');
    const plan = planSources(months, 'Asia/Kathmandu');
    assert.deepEqual(summary(plan), { raw: 0, hourly: 0, daily: 2 });
  });
});
