import { DateTime, IANAZone } from 'luxon';

/**
 * Local hours and days of an IANA zone as epoch milliseconds, for rollup buckets and the query
 * planner. A local hour starts where the zone's wall clock shows minute 0 (for zones with a
 * whole-hour offset that is the UTC hour; in Asia/Kolkata it is half past the UTC hour). A
 * local day runs from local midnight to the next one: 23 or 25 hours across DST.
 *
 * Every zone's offset and transitions fall on quarter hours, so the answers are cached per
 * zone and UTC quarter hour: ingestion computes two bucket starts per reading without luxon.
 */

const QUARTER_MS = 15 * 60_000;
const HOUR_MS = 3_600_000;
const MAX_CACHED = 200_000;

interface Quarter {
  hourStartMs: number;
  dayStartMs: number;
}

const cache = new Map<string, Quarter>();

function quarterOf(zone: string, ms: number): Quarter {
  const quarter = Math.floor(ms / QUARTER_MS);
  const key = `${zone}\u0000${quarter}`;
  let hit = cache.get(key);
  if (!hit) {
    const startMs = quarter * QUARTER_MS;
    // Arithmetic on the offset in force, not luxon's startOf('hour'): in the repeated hour of
    // a DST fall-back a wall-clock hour start is ambiguous, an offset is not.
    const offsetMs = IANAZone.create(zone).offset(startMs) * 60_000;
    hit = {
      hourStartMs: startMs - mod(startMs + offsetMs, HOUR_MS),
      dayStartMs: DateTime.fromMillis(startMs, { zone }).startOf('day').toMillis(),
    };
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, hit);
  }
  return hit;
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/** Start of the local hour containing `ms`. */
export function hourStart(zone: string, ms: number): number {
  return quarterOf(zone, ms).hourStartMs;
}

/** Start of the local day containing `ms`. */
export function dayStart(zone: string, ms: number): number {
  return quarterOf(zone, ms).dayStartMs;
}

/** Start of the local hour after the one containing `ms`. */
export function nextHourStart(zone: string, ms: number): number {
  const start = hourStart(zone, ms);
  // A transition by less than an hour (Australia/Lord_Howe) can move the next start back.
  let next = hourStart(zone, start + HOUR_MS);
  if (next <= start) next = hourStart(zone, start + 2 * HOUR_MS);
  return next;
}

/** Start of the local day after the one containing `ms`. */
export function nextDayStart(zone: string, ms: number): number {
  // Local days last 23 to 25 hours (24.5 on Lord Howe): 30 hours after a day's start is always
  // inside the next day, whose start the cache then knows.
  return dayStart(zone, dayStart(zone, ms) + 30 * HOUR_MS);
}

/** The first hour start at or after `ms`. */
export function ceilHour(zone: string, ms: number): number {
  const start = hourStart(zone, ms);
  return start === ms ? ms : nextHourStart(zone, ms);
}

/** The first day start at or after `ms`. */
export function ceilDay(zone: string, ms: number): number {
  const start = dayStart(zone, ms);
  return start === ms ? ms : nextDayStart(zone, ms);
}
