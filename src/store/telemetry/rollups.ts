import { dayStart, hourStart } from '../../core/calendar.ts';
import type { RangeSummary, TimeRange } from '../../core/domain/telemetry.ts';
import { bucketIndex } from './batch.ts';

/**
 * Hourly and daily rollups, computed the same way by both adapters. A batch's readings that
 * were actually inserted (duplicates of stored ones are not) are folded into per-bucket deltas
 * that the adapter adds to the stored rows in the batch's transaction, so rollups always equal
 * what the raw readings would give, whatever the order or repetition of arrival.
 *
 * The increase of a bucket is the sum, over consecutive numeric readings (p, r) of the series
 * with r in the bucket, of r − p, or of r when the value fell (a meter reset: it counts again
 * from zero). A reading arriving late, between p and n, replaces the pair (p, n) by (p, r) and
 * (r, n): the adapter supplies the stored neighbourhood (`window`) and the difference is
 * applied to the buckets of r and n.
 */

export interface NumericPoint {
  tsMs: number;
  value: number;
}

export type RollupResolution = 'hourly' | 'daily';

/** One bucket's figures, or (n = 0) only an increase correction to an existing bucket. */
export interface RollupDelta {
  seriesId: number;
  startMs: number;
  n: number;
  sum: number;
  min: number;
  max: number;
  firstTs: number;
  first: number;
  lastTs: number;
  last: number;
  increase: number;
}

export interface SeriesInsert {
  seriesId: number;
  /** The series' rollup zone. */
  zone: string;
  /** Numeric readings this batch inserted, ascending by time. */
  inserted: NumericPoint[];
  /**
   * When every inserted reading is newer than the stored ones: the newest stored numeric
   * reading (null for none). Otherwise undefined, and `window` is given.
   */
  previous?: NumericPoint | null | undefined;
  /**
   * For late readings: the stored numeric readings (this batch's included) from the one before
   * the earliest inserted reading to the one after the latest, ascending.
   */
  window?: NumericPoint[] | undefined;
}

/** The rise from `previous` to `next`, or `next` itself after a reset. */
export function increaseBetween(previous: number, next: number): number {
  return next >= previous ? next - previous : next;
}

export const BUCKET_START: Record<RollupResolution, (zone: string, ms: number) => number> = {
  hourly: hourStart,
  daily: dayStart,
};

/** Per-bucket deltas of a batch, for each resolution, ordered by (series, bucket start). */
export function rollupDeltas(series: SeriesInsert[]): Record<RollupResolution, RollupDelta[]> {
  return { hourly: deltasAt('hourly', series), daily: deltasAt('daily', series) };
}

function deltasAt(resolution: RollupResolution, series: SeriesInsert[]): RollupDelta[] {
  const startOf = BUCKET_START[resolution];
  const out: RollupDelta[] = [];
  for (const s of [...series].sort((a, b) => a.seriesId - b.seriesId)) {
    const buckets = new Map<number, RollupDelta>();
    const bucket = (tsMs: number): RollupDelta => {
      const startMs = startOf(s.zone, tsMs);
      let delta = buckets.get(startMs);
      if (!delta) {
        delta = {
          seriesId: s.seriesId,
          startMs,
          n: 0,
          sum: 0,
          min: Infinity,
          max: -Infinity,
          firstTs: Infinity,
          first: 0,
          lastTs: -Infinity,
          last: 0,
          increase: 0,
        };
        buckets.set(startMs, delta);
      }
      return delta;
    };
    for (const point of s.inserted) {
      const delta = bucket(point.tsMs);
      delta.n += 1;
      delta.sum += point.value;
      if (point.value < delta.min) delta.min = point.value;
      if (point.value > delta.max) delta.max = point.value;
      if (point.tsMs < delta.firstTs) {
        delta.firstTs = point.tsMs;
        delta.first = point.value;
      }
      if (point.tsMs > delta.lastTs) {
        delta.lastTs = point.tsMs;
        delta.last = point.value;
      }
    }
    for (const [tsMs, change] of increaseChanges(s)) bucket(tsMs).increase += change;
    out.push(...[...buckets.values()].sort((a, b) => a.startMs - b.startMs));
  }
  return out;
}

/** (timestamp of the later reading, change of increase) for every pair the batch altered. */
function increaseChanges(s: SeriesInsert): Array<[number, number]> {
  const changes: Array<[number, number]> = [];
  if (s.window === undefined) {
    let previous = s.previous ?? null;
    for (const point of s.inserted) {
      if (previous) changes.push([point.tsMs, increaseBetween(previous.value, point.value)]);
      previous = point;
    }
    return changes;
  }
  const inserted = new Set(s.inserted.map((p) => p.tsMs));
  const window = s.window;
  // New pairs that involve an inserted reading.
  for (let i = 1; i < window.length; i++) {
    const a = window[i - 1]!;
    const b = window[i]!;
    if (inserted.has(a.tsMs) || inserted.has(b.tsMs)) {
      changes.push([b.tsMs, increaseBetween(a.value, b.value)]);
    }
  }
  // Old pairs that an inserted reading now separates.
  let previousOld: { point: NumericPoint; index: number } | null = null;
  for (let i = 0; i < window.length; i++) {
    const point = window[i]!;
    if (inserted.has(point.tsMs)) continue;
    if (previousOld && i - previousOld.index > 1) {
      changes.push([point.tsMs, -increaseBetween(previousOld.point.value, point.value)]);
    }
    previousOld = { point, index: i };
  }
  return changes;
}

/** Inserted numeric readings grouped per series, ascending by time. */
export function groupInserted(
  rows: Array<{ seriesId: number; tsMs: number; value: number | null }>,
): Map<number, NumericPoint[]> {
  const grouped = new Map<number, NumericPoint[]>();
  for (const row of rows) {
    if (row.value === null) continue;
    let points = grouped.get(row.seriesId);
    if (!points) grouped.set(row.seriesId, (points = []));
    points.push({ tsMs: row.tsMs, value: row.value });
  }
  for (const points of grouped.values()) points.sort((a, b) => a.tsMs - b.tsMs);
  return grouped;
}

/**
 * Folds points (raw readings or rollup rows, ascending by time) into per-range summaries.
 * `point` gives the position used to find the range (a reading's time, a row's bucket start).
 */
export class RangeAccumulator {
  private readonly summaries = new Map<number, RangeSummary>();
  private readonly starts: number[];

  constructor(private readonly ranges: TimeRange[]) {
    this.starts = [...ranges.map((r) => r.fromMs), Infinity];
  }

  /** Index of the range containing `ms`, or -1. */
  rangeOf(ms: number): number {
    const index = bucketIndex(this.starts, ms);
    return index >= 0 && ms < this.ranges[index]!.toMs ? index : -1;
  }

  /** Parts must arrive in ascending time order. */
  add(atMs: number, part: Omit<RangeSummary, 'index'>): void {
    const index = this.rangeOf(atMs);
    if (index < 0) return;
    const current = this.summaries.get(index);
    if (!current) {
      this.summaries.set(index, { index, ...part });
      return;
    }
    current.count += part.count;
    current.sum += part.sum;
    if (part.min < current.min) current.min = part.min;
    if (part.max > current.max) current.max = part.max;
    current.last = part.last;
    current.lastTs = part.lastTs;
    current.increase += part.increase;
  }

  /** A raw reading, with the increase of its pair with the reading before it (0 for none). */
  addReading(tsMs: number, value: number, increase: number): void {
    this.add(tsMs, {
      count: 1,
      sum: value,
      min: value,
      max: value,
      first: value,
      last: value,
      increase,
      firstTs: tsMs,
      lastTs: tsMs,
    });
  }

  result(): RangeSummary[] {
    return [...this.summaries.values()].sort((a, b) => a.index - b.index);
  }
}

/** A stored rollup row as a summary part. */
export function rollupPart(row: {
  n: number;
  sum_val: number;
  min_val: number;
  max_val: number;
  first_ts: number;
  first_val: number;
  last_ts: number;
  last_val: number;
  increase: number;
}): Omit<RangeSummary, 'index'> {
  return {
    count: row.n,
    sum: row.sum_val,
    min: row.min_val,
    max: row.max_val,
    first: row.first_val,
    last: row.last_val,
    increase: row.increase,
    firstTs: row.first_ts,
    lastTs: row.last_ts,
  };
}
