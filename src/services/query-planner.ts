import { ceilDay, ceilHour, dayStart, hourStart } from '../core/calendar.ts';
import type { TimeRange, SummarySource } from '../core/domain/telemetry.ts';

/**
 * Chooses, for each query bucket, the data that answers it exactly at least cost. Rollup rows
 * are whole local hours and days of the series' rollup zone; a query bucket is cut into its
 * whole days (daily rollups), the whole hours around them (hourly rollups) and the minutes at
 * either edge (raw readings). Inner bucket boundaries of day, week, month and year intervals in
 * the rollup zone fall on local midnights, so those queries read daily rows plus at most two
 * raw edges; an hourly chart reads hourly rows; a query in another zone whose offset differs by
 * whole hours still reads hourly rows, and one that differs by a fraction of an hour reads
 * hourly rows inside each bucket and raw readings for the fraction of an hour at each edge.
 */

export interface Piece extends TimeRange {
  /** The query bucket this piece belongs to. */
  bucket: number;
}

export type SourcePlan = Record<SummarySource, Piece[]>;

function isHour(zone: string, ms: number): boolean {
  return hourStart(zone, ms) === ms;
}

function isDay(zone: string, ms: number): boolean {
  return dayStart(zone, ms) === ms;
}

/** Last hour start at or before `ms`. */
function floorHour(zone: string, ms: number): number {
  return hourStart(zone, ms);
}

function floorDay(zone: string, ms: number): number {
  return dayStart(zone, ms);
}

/** Pieces per source for buckets [boundaries[i], boundaries[i+1]) of a series bucketed in `zone`. */
export function planSources(boundariesMs: number[], zone: string): SourcePlan {
  const plan: SourcePlan = { raw: [], hourly: [], daily: [] };
  const add = (source: SummarySource, bucket: number, fromMs: number, toMs: number): void => {
    if (toMs > fromMs) plan[source].push({ bucket, fromMs, toMs });
  };
  for (let bucket = 0; bucket + 1 < boundariesMs.length; bucket++) {
    const from = boundariesMs[bucket]!;
    const to = boundariesMs[bucket + 1]!;
    const hourFrom = isHour(zone, from) ? from : ceilHour(zone, from);
    const hourTo = floorHour(zone, to);
    if (hourFrom >= hourTo) {
      add('raw', bucket, from, to);
      continue;
    }
    add('raw', bucket, from, hourFrom);
    const dayFrom = isDay(zone, hourFrom) ? hourFrom : ceilDay(zone, hourFrom);
    const dayTo = floorDay(zone, hourTo);
    if (dayFrom < dayTo) {
      add('hourly', bucket, hourFrom, dayFrom);
      add('daily', bucket, dayFrom, dayTo);
      add('hourly', bucket, dayTo, hourTo);
    } else {
      add('hourly', bucket, hourFrom, hourTo);
    }
    add('raw', bucket, hourTo, to);
  }
  return plan;
}
