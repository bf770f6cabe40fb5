import { DateTime, IANAZone } from 'luxon';
import { dayStart, nextDayStart } from '../core/calendar.ts';
import { HestiaError } from '../core/errors.ts';
import type { RangeSummary } from '../core/domain/telemetry.ts';

/**
 * Calendar-true bucketing and aggregation of a series. Buckets follow the caller's IANA
 * timezone: a day is local midnight to local midnight (23 or 25 hours across DST), weeks are
 * ISO weeks (Monday), months are calendar months. Sub-day intervals are fixed durations counted
 * from local midnight, so "1h" gives 23 or 25 buckets on DST days and "15m" follows the
 * local quarter hours even in zones with half-hour offsets.
 */

/**
 * `increase` is a cumulative meter's consumption: the rise between consecutive readings whose
 * later one falls in the bucket, a fall counting as a reset to zero (see store/rollups.ts).
 */
export type AggregateFunction = 'mean' | 'min' | 'max' | 'sum' | 'count' | 'first' | 'last' | 'increase';
export const AGGREGATE_FUNCTIONS: readonly AggregateFunction[] = [
  'mean',
  'min',
  'max',
  'sum',
  'count',
  'first',
  'last',
  'increase',
];
export type FillPolicy = 'null' | 'previous' | '0';
export const FILL_POLICIES: readonly FillPolicy[] = ['null', 'previous', '0'];

export type IntervalUnit = 'm' | 'h' | 'd' | 'w' | 'mo' | 'y';
export interface Interval {
  count: number;
  unit: IntervalUnit;
}

/** Upper bound on buckets per query, so one request cannot ask for millions of points. */
export const MAX_BUCKETS = 10_000;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export function parseInterval(text: string): Interval {
  const match = /^(\d{1,4})(m|h|d|w|mo|y)$/.exec(text);
  const count = match ? Number(match[1]) : 0;
  if (!match || count < 1) {
    throw new HestiaError(
      'HESTIA_VALIDATION_FAILED',
      `interval: expected a count and a unit (m, h, d, w, mo, y), e.g. 15m, 1h, 1d, 1w, 1mo; got ${JSON.stringify(text)}`,
    );
  }
  const unit = match[2] as IntervalUnit;
  if ((unit === 'm' && DAY_MS % (count * MINUTE_MS) !== 0) || (unit === 'h' && 24 % count !== 0)) {
    throw new HestiaError('HESTIA_VALIDATION_FAILED', `interval: ${text} does not divide a day evenly`);
  }
  return { count, unit };
}

export function checkTimezone(zone: string): string {
  if (!IANAZone.isValidZone(zone)) {
    throw new HestiaError(
      'HESTIA_VALIDATION_FAILED',
      `timezone: ${JSON.stringify(zone)} is not an IANA timezone name`,
    );
  }
  return zone;
}

/** Start of the bucket that contains `ms`, in the given zone. */
function bucketStart(ms: number, interval: Interval, zone: string): DateTime {
  const local = DateTime.fromMillis(ms, { zone });
  const { count, unit } = interval;
  switch (unit) {
    case 'm':
    case 'h': {
      const day = local.startOf('day');
      const stepMs = count * (unit === 'm' ? MINUTE_MS : 60 * MINUTE_MS);
      const elapsed = ms - day.toMillis();
      return DateTime.fromMillis(day.toMillis() + Math.floor(elapsed / stepMs) * stepMs, { zone });
    }
    case 'd': {
      const day = local.startOf('day');
      // Multi-day buckets are aligned on the local calendar's day number since 1970-01-01.
      const dayNumber = Math.round(Date.UTC(day.year, day.month - 1, day.day) / DAY_MS);
      return day.minus({ days: ((dayNumber % count) + count) % count });
    }
    case 'w': {
      const week = local.startOf('week');
      const weekNumber = Math.round(Date.UTC(week.year, week.month - 1, week.day) / (7 * DAY_MS));
      return week.minus({ weeks: ((weekNumber % count) + count) % count });
    }
    case 'mo': {
      const month = local.startOf('month');
      const monthNumber = month.year * 12 + month.month - 1;
      return month.minus({ months: monthNumber % count });
    }
    case 'y': {
      const year = local.startOf('year');
      return year.minus({ years: year.year % count });
    }
  }
}

function nextBucket(start: DateTime, interval: Interval): DateTime {
  const { count, unit } = interval;
  switch (unit) {
    case 'm':
    case 'h': {
      const stepMs = count * (unit === 'm' ? MINUTE_MS : 60 * MINUTE_MS);
      const next = DateTime.fromMillis(start.toMillis() + stepMs, { zone: start.zone });
      // Restart at local midnight so a 23- or 25-hour day does not shift the next day's buckets.
      const nextMidnight = start.startOf('day').plus({ days: 1 });
      return next.toMillis() > nextMidnight.toMillis() ? nextMidnight : next;
    }
    case 'd':
      return start.plus({ days: count });
    case 'w':
      return start.plus({ weeks: count });
    case 'mo':
      return start.plus({ months: count });
    case 'y':
      return start.plus({ years: count });
  }
}

export interface BucketPlan {
  /** Reported start of each bucket (aligned, so the first may precede `fromMs`). */
  startsMs: number[];
  /** Query boundaries: [fromMs, start_2, …, toMs]; bucket i covers [boundaries[i], boundaries[i+1]). */
  boundariesMs: number[];
}

/** Buckets covering [fromMs, toMs). Like InfluxDB's GROUP BY time(), the first bucket starts aligned. */
export function planBuckets(fromMs: number, toMs: number, interval: Interval, zone: string): BucketPlan {
  if (!(toMs > fromMs)) throw new HestiaError('HESTIA_VALIDATION_FAILED', 'to: must be after from');
  const startsMs: number[] = [];
  const boundariesMs: number[] = [fromMs];
  const tooMany = () =>
    new HestiaError(
      'HESTIA_VALIDATION_FAILED',
      `the range holds more than ${MAX_BUCKETS} buckets of this interval; use a longer interval`,
    );
  if (interval.unit === 'm' || interval.unit === 'h') {
    // The hot case (charts of a thousand buckets): local midnights from the cached calendar,
    // fixed steps within each day.
    const stepMs = interval.count * (interval.unit === 'm' ? MINUTE_MS : 60 * MINUTE_MS);
    let day = dayStart(zone, fromMs);
    let nextDay = nextDayStart(zone, day);
    let start = day + Math.floor((fromMs - day) / stepMs) * stepMs;
    for (;;) {
      startsMs.push(start);
      let next = start + stepMs;
      if (next >= nextDay) {
        next = nextDay;
        day = nextDay;
        nextDay = nextDayStart(zone, day);
      }
      if (next >= toMs) break;
      boundariesMs.push(next);
      start = next;
      if (startsMs.length >= MAX_BUCKETS) throw tooMany();
    }
    boundariesMs.push(toMs);
    return { startsMs, boundariesMs };
  }
  let start = bucketStart(fromMs, interval, zone);
  for (;;) {
    startsMs.push(start.toMillis());
    const next = nextBucket(start, interval);
    if (next.toMillis() >= toMs) break;
    boundariesMs.push(next.toMillis());
    start = next;
    if (startsMs.length >= MAX_BUCKETS) throw tooMany();
  }
  boundariesMs.push(toMs);
  return { startsMs, boundariesMs };
}

export interface AggregatePoint {
  /** Bucket start, epoch ms. */
  tsMs: number;
  value: number | null;
  /** Readings in the bucket (0 for an empty bucket, whatever the fill). */
  count: number;
}

export function pick(summary: RangeSummary, agg: AggregateFunction): number {
  switch (agg) {
    case 'mean':
      return summary.sum / summary.count;
    case 'min':
      return summary.min;
    case 'max':
      return summary.max;
    case 'sum':
      return summary.sum;
    case 'count':
      return summary.count;
    case 'first':
      return summary.first;
    case 'last':
      return summary.last;
    case 'increase':
      return summary.increase;
  }
}

/** One point per planned bucket, empty buckets filled by the policy (count is always 0 there). */
export function aggregateBuckets(
  plan: BucketPlan,
  summaries: RangeSummary[],
  agg: AggregateFunction,
  fill: FillPolicy,
): AggregatePoint[] {
  const byIndex = new Map(summaries.map((s) => [s.index, s]));
  let previous: number | null = null;
  return plan.startsMs.map((tsMs, index) => {
    const summary = byIndex.get(index);
    if (summary && summary.count > 0) {
      const value = pick(summary, agg);
      previous = value;
      return { tsMs, value, count: summary.count };
    }
    const value = agg === 'count' ? 0 : fill === '0' ? 0 : fill === 'previous' ? previous : null;
    return { tsMs, value, count: 0 };
  });
}
