import { CronExpressionParser } from 'cron-parser';
import { DateTime } from 'luxon';
import * as SunCalc from 'suncalc';
import type { SunEvent, TimedTrigger } from '../../core/domain/automation.ts';

/**
 * Time in a home: cron schedules and sun events in the home's timezone and at its location,
 * and the time-of-day and sun conditions. Pure functions of an instant (epoch ms), so that
 * they are tested on chosen days (DST changes, midsummer, polar night) without a clock.
 */

/** Where a home is, for its schedules and sun events. */
export interface HomePlace {
  timezone: string;
  latitude: number | null;
  longitude: number | null;
}

/** Sun events are searched this many days ahead: polar nights last under half a year away from the pole. */
const SUN_SEARCH_DAYS = 400;

// ---- cron ----

/** Day and month names cron accepts (thu, mar…), removed before looking for `H`. */
const CRON_NAMES = /\b(mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\b/gi;

/**
 * Why a cron expression is refused, or null. Five fields only (minute resolution: a schedule
 * firing every second is a load test, not an automation); no `H` (its random minute would differ
 * between workers); and it must fire at some point.
 */
export function cronProblem(cron: string): string | null {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5)
    return 'five fields: minute hour day-of-month month day-of-week, e.g. "0 7 * * 1-5"';
  if (/h/i.test(cron.replace(CRON_NAMES, ''))) return 'H (hashed values) is not supported';
  try {
    const expression = CronExpressionParser.parse(cron, {
      currentDate: new Date(Date.UTC(2000, 0, 1)),
      tz: 'UTC',
    });
    // An impossible date (31 February) never fires; 8 years covers every leap-day schedule.
    const fire = expression.next().getTime();
    if (fire > Date.UTC(2008, 0, 1)) return 'never fires';
  } catch (error) {
    return (error as Error).message.slice(0, 200);
  }
  return null;
}

/** The first time strictly after `afterMs` that `cron` fires in `timezone`. */
export function nextCronFire(cron: string, timezone: string, afterMs: number): number | null {
  try {
    const expression = CronExpressionParser.parse(cron, { currentDate: new Date(afterMs), tz: timezone });
    const fire = expression.next().getTime();
    // cron-parser starts at the next whole second or minute; guard the contract anyway.
    return fire > afterMs ? fire : expression.next().getTime();
  } catch {
    return null;
  }
}

// ---- sun ----

/** Noon of a local calendar day, the instant suncalc anchors that day's solar events to. */
function localNoon(day: DateTime): Date {
  return day.set({ hour: 12, minute: 0, second: 0, millisecond: 0 }).toJSDate();
}

/**
 * Sunrise and sunset of the home's local calendar day containing `atMs`, or null for an event
 * that does not happen that day (polar day or night).
 */
export function sunEventsOfDay(
  place: { timezone: string; latitude: number; longitude: number },
  atMs: number,
): { sunrise: number | null; sunset: number | null; alwaysUp: boolean; alwaysDown: boolean } {
  const day = DateTime.fromMillis(atMs, { zone: place.timezone });
  const times = SunCalc.getTimes(localNoon(day), place.latitude, place.longitude);
  return {
    sunrise: times.sunrise ? times.sunrise.getTime() : null,
    sunset: times.sunset ? times.sunset.getTime() : null,
    alwaysUp: times.alwaysUp === true,
    alwaysDown: times.alwaysDown === true,
  };
}

/**
 * The first sunrise or sunset (plus `offsetMinutes`) strictly after `afterMs` at the home's
 * location, one per local day; a day without the event (polar day or night) has none. Null
 * when the home has no location or no such event comes within a year.
 */
export function nextSunFire(
  event: SunEvent,
  offsetMinutes: number,
  place: HomePlace,
  afterMs: number,
): number | null {
  if (place.latitude === null || place.longitude === null) return null;
  const located = { timezone: place.timezone, latitude: place.latitude, longitude: place.longitude };
  const offsetMs = offsetMinutes * 60_000;
  // Start the day before: its event shifted by a positive offset (up to 12 h) may still lie ahead.
  let day = DateTime.fromMillis(afterMs, { zone: place.timezone }).startOf('day').minus({ days: 1 });
  for (let index = 0; index < SUN_SEARCH_DAYS; index++, day = day.plus({ days: 1 })) {
    const events = sunEventsOfDay(located, localNoon(day).getTime());
    const at = events[event];
    if (at !== null && at + offsetMs > afterMs) return at + offsetMs;
  }
  return null;
}

/** The next fire of a timed trigger after `afterMs` for this home, or null if there is none. */
export function nextTimedFire(trigger: TimedTrigger, place: HomePlace, afterMs: number): number | null {
  return trigger.type === 'schedule'
    ? nextCronFire(trigger.cron, place.timezone, afterMs)
    : nextSunFire(trigger.event, trigger.offsetMinutes ?? 0, place, afterMs);
}

/**
 * Whether the sun is down at `atMs`: the latest sunrise or sunset before it was a sunset. On
 * days without either (polar day or night) the day's state decides.
 */
export function isSunDown(place: HomePlace, atMs: number): boolean | null {
  if (place.latitude === null || place.longitude === null) return null;
  const located = { timezone: place.timezone, latitude: place.latitude, longitude: place.longitude };
  // From the next local day back (a zone far from the location's solar time can put an event
  // of "tomorrow" before now), day by day (at most a polar night's length) to the latest event.
  const today = DateTime.fromMillis(atMs, { zone: place.timezone }).startOf('day');
  let day = today.plus({ days: 1 });
  for (let index = 0; index < SUN_SEARCH_DAYS; index++, day = day.minus({ days: 1 })) {
    const events = sunEventsOfDay(located, localNoon(day).getTime());
    const candidates: Array<[number, SunEvent]> = [];
    if (events.sunrise !== null && events.sunrise <= atMs) candidates.push([events.sunrise, 'sunrise']);
    if (events.sunset !== null && events.sunset <= atMs) candidates.push([events.sunset, 'sunset']);
    if (candidates.length > 0) {
      candidates.sort((a, b) => b[0] - a[0]);
      return candidates[0]![1] === 'sunset';
    }
    if (+day === +today && (events.alwaysUp || events.alwaysDown)) return events.alwaysDown;
  }
  return null;
}

// ---- time of day ----

/** "HH:MM" → minutes after midnight, or null when it is not a time of day. */
export function parseClock(value: string): number | null {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

/** Minutes after local midnight in `timezone` (wall clock: 02:30 on a DST day is 150). */
export function localMinutes(timezone: string, atMs: number): number {
  const local = DateTime.fromMillis(atMs, { zone: timezone });
  return local.hour * 60 + local.minute;
}

/**
 * Whether the wall-clock time is within [after, before) in the home's timezone. A window whose
 * `after` is later than its `before` wraps midnight (22:00–06:00); one bound alone runs to or
 * from midnight.
 */
export function isWithinClockWindow(
  window: { after?: string | undefined; before?: string | undefined },
  timezone: string,
  atMs: number,
): boolean {
  const now = localMinutes(timezone, atMs);
  const after = window.after === undefined ? 0 : parseClock(window.after);
  const before = window.before === undefined ? 24 * 60 : parseClock(window.before);
  if (after === null || before === null) return false;
  return after <= before ? now >= after && now < before : now >= after || now < before;
}
