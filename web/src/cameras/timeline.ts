import type { Camera, CameraEvent, CameraTimeline, PreviewEntry } from '../api.ts';
import type { LiveMessage } from '../live-feed.ts';
import { startOfLocalDay } from '../model.ts';

/**
 * Pure rules of the camera pages: the day shown in the home's time zone, where an instant sits
 * on the day's bar, what a click on it plays, and how live messages change what is shown.
 */

const HOUR_MS = 3_600_000;
/** Longer than any day (23 to 25 hours), shorter than two: from a midnight into the next day. */
const INTO_NEXT_DAY_MS = 26 * HOUR_MS;
/** What one click plays at most: the API's limit is larger, an hour is what people watch. */
export const ARCHIVE_PLAY_MS = HOUR_MS;
/** The shortest archive playback the API grants. */
export const MIN_PLAY_MS = 1000;
/** An event is played from a little before it: the moment that triggered it is seen. */
export const EVENT_LEAD_MS = 5000;

/** A local day: its midnight and the next one (UTC epoch milliseconds), and its date. */
export interface Day {
  date: string;
  startMs: number;
  endMs: number;
}

export interface Span {
  startMs: number;
  endMs: number;
}

/** A timeline with its times as numbers, sorted, as the bar draws it. */
export interface DayTimeline {
  spans: Span[];
  /** What was not recorded between the day's start and `untilMs` (now, on today). */
  gaps: Span[];
  events: Array<CameraEvent & { atMs: number }>;
  previews: Array<PreviewEntry & { atMs: number }>;
}

function zonedParts(ms: number, timeZone: string): Record<string, number> {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const out: Record<string, number> = {};
  for (const part of parts) if (part.type !== 'literal') out[part.type] = Number(part.value);
  return out;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** The calendar date (YYYY-MM-DD) at the instant `ms` in `timeZone`. */
export function localDate(ms: number, timeZone: string): string {
  const { year = 1970, month = 1, day = 1 } = zonedParts(ms, timeZone);
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

/** Whether `text` is a real calendar date written YYYY-MM-DD (as `<input type="date">` gives it). */
export function isDate(text: string | undefined): text is string {
  if (!text || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().startsWith(text);
}

/** The date `days` calendar days after `date` (before, when negative). */
export function shiftDate(date: string, days: number): string {
  const ms = Date.parse(`${date}T00:00:00Z`) + days * 24 * HOUR_MS;
  return new Date(ms).toISOString().slice(0, 10);
}

/** The local day `date` in `timeZone`: 23, 24 or 25 hours long. */
export function dayOf(date: string, timeZone: string): Day {
  // Noon UTC of the date is on that date wherever the offset is within ±12 h; the few zones
  // further east (UTC+13, +14) are a day ahead then, which one step back corrects.
  let probe = Date.parse(`${date}T12:00:00Z`);
  const seen = localDate(probe, timeZone);
  if (seen > date) probe -= 24 * HOUR_MS;
  else if (seen < date) probe += 24 * HOUR_MS;
  const startMs = startOfLocalDay(probe, timeZone);
  return { date, startMs, endMs: startOfLocalDay(startMs + INTO_NEXT_DAY_MS, timeZone) };
}

/** Where `ms` sits on the day's bar, from 0 (its midnight) to 1 (the next). */
export function positionOf(ms: number, day: Day): number {
  return Math.min(1, Math.max(0, (ms - day.startMs) / (day.endMs - day.startMs)));
}

/** The instant (whole seconds) at a position of the bar. */
export function instantAt(position: number, day: Day): number {
  const ms = day.startMs + Math.min(1, Math.max(0, position)) * (day.endMs - day.startMs);
  return Math.min(day.endMs - 1000, Math.round(ms / 1000) * 1000);
}

/**
 * Ticks of the bar at local whole hours (every `everyHours`), placed where the clock shows
 * them: on the day the clocks change they are an hour closer or further apart.
 */
export function hourTicks(day: Day, timeZone: string, everyHours = 3): Array<{ ms: number; hour: number }> {
  const ticks: Array<{ ms: number; hour: number }> = [];
  for (let hour = 0; hour < 24; hour += everyHours) {
    let ms = day.startMs + hour * HOUR_MS;
    const shown = zonedParts(ms, timeZone).hour ?? hour;
    if (shown !== hour) ms += (hour - shown) * HOUR_MS;
    if (ms >= day.startMs && ms < day.endMs) ticks.push({ ms, hour });
  }
  return ticks;
}

/**
 * The API's timeline pages of one day as numbers, sorted, the spans clipped to the day and
 * joined across pages, the gaps between them up to `untilMs` (the future is no gap).
 */
export function dayTimeline(pages: readonly CameraTimeline[], day: Day, untilMs = day.endMs): DayTimeline {
  const spans: Span[] = [];
  const events = new Map<string, CameraEvent & { atMs: number }>();
  const previews = new Map<string, PreviewEntry & { atMs: number }>();
  for (const page of pages) {
    for (const span of page.spans) {
      const startMs = Math.max(Date.parse(span.start), day.startMs);
      const endMs = Math.min(Date.parse(span.end), day.endMs);
      if (endMs > startMs) spans.push({ startMs, endMs });
    }
    for (const event of page.events) events.set(event.id, { ...event, atMs: Date.parse(event.at) });
    for (const preview of page.previews)
      previews.set(preview.at, { ...preview, atMs: Date.parse(preview.at) });
  }
  spans.sort((a, b) => a.startMs - b.startMs);
  // A span cut by a page boundary continues on the next page: one span again.
  const joined: Span[] = [];
  for (const span of spans) {
    const last = joined[joined.length - 1];
    if (last && span.startMs <= last.endMs) last.endMs = Math.max(last.endMs, span.endMs);
    else joined.push({ ...span });
  }
  const endMs = Math.min(day.endMs, untilMs);
  const gaps: Span[] = [];
  let atMs = day.startMs;
  for (const span of joined) {
    if (span.startMs > atMs) gaps.push({ startMs: atMs, endMs: Math.min(span.startMs, endMs) });
    atMs = Math.max(atMs, span.endMs);
  }
  if (endMs > atMs) gaps.push({ startMs: atMs, endMs });
  return {
    spans: joined,
    gaps: gaps.filter((gap) => gap.endMs > gap.startMs),
    events: [...events.values()].sort((a, b) => a.atMs - b.atMs),
    previews: [...previews.values()].sort((a, b) => a.atMs - b.atMs),
  };
}

/** The recorded span containing `ms`, if any. */
export function spanAt(spans: readonly Span[], ms: number): Span | undefined {
  return spans.find((span) => span.startMs <= ms && ms < span.endMs);
}

/** What a click at `ms` asks the API to play; `snapped` when it starts at the next recording instead. */
export interface ArchiveChoice {
  fromMs: number;
  durationMs: number;
  snapped: boolean;
}

/**
 * Inside a recorded span: from the instant to the span's end (an hour at most). In a gap: from
 * the start of the next span that day. After the last span: from the instant for an hour, and
 * the API says whether anything newer was recorded (files are listed once they are finished).
 */
export function archiveChoice(spans: readonly Span[], ms: number): ArchiveChoice {
  const inside = spanAt(spans, ms);
  if (inside) {
    const fromMs = Math.min(ms, inside.endMs - MIN_PLAY_MS);
    return { fromMs, durationMs: clampPlay(inside.endMs - fromMs), snapped: false };
  }
  const next = spans.find((span) => span.startMs > ms);
  if (next) return { fromMs: next.startMs, durationMs: clampPlay(next.endMs - next.startMs), snapped: true };
  return { fromMs: ms, durationMs: ARCHIVE_PLAY_MS, snapped: false };
}

function clampPlay(durationMs: number): number {
  return Math.min(ARCHIVE_PLAY_MS, Math.max(MIN_PLAY_MS, Math.round(durationMs)));
}

/** The preview taken closest to `ms` (previews sorted by time), if any within `withinMs`. */
export function nearestPreview<P extends { atMs: number }>(
  previews: readonly P[],
  ms: number,
  withinMs = 2 * HOUR_MS,
): P | undefined {
  let low = 0;
  let high = previews.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (previews[middle]!.atMs < ms) low = middle + 1;
    else high = middle;
  }
  const candidates = [previews[low - 1], previews[low]].filter((p): p is P => p !== undefined);
  const best = candidates.sort((a, b) => Math.abs(a.atMs - ms) - Math.abs(b.atMs - ms))[0];
  return best && Math.abs(best.atMs - ms) <= withinMs ? best : undefined;
}

/** A camera after a live message about it; the same object when the message is not about it. */
export function applyCameraLive(camera: Camera, message: LiveMessage): Camera {
  if (message.type === 'recording' && message.deviceId === camera.deviceId) {
    if (Date.parse(message.at) < Date.parse(camera.recording.since)) return camera;
    return { ...camera, recording: { state: message.state, reason: message.reason, since: message.at } };
  }
  if (message.type === 'cameraEvent' && message.deviceId === camera.deviceId && message.kind === 'motion') {
    const newer = camera.lastMotionAt === null || Date.parse(message.at) > Date.parse(camera.lastMotionAt);
    return newer ? { ...camera, lastMotionAt: message.at } : camera;
  }
  return camera;
}

/** The day's timeline with an event that came over the live feed (once; only if on that day). */
export function withLiveEvent(timeline: DayTimeline, message: LiveMessage, deviceId: string, day: Day) {
  if (message.type !== 'cameraEvent' || message.deviceId !== deviceId) return timeline;
  const atMs = Date.parse(message.at);
  if (atMs < day.startMs || atMs >= day.endMs) return timeline;
  if (timeline.events.some((event) => event.kind === message.kind && event.atMs === atMs)) return timeline;
  const event = { id: `live-${message.kind}-${atMs}`, kind: message.kind, at: message.at, atMs };
  return { ...timeline, events: [...timeline.events, event].sort((a, b) => a.atMs - b.atMs) };
}
