import { useState } from 'preact/hooks';
import type { CameraEventKind } from '../api.ts';
import { useI18n } from '../i18n.ts';
import { usePicture, previewPath } from './shared.tsx';
import {
  EVENT_LEAD_MS,
  hourTicks,
  instantAt,
  nearestPreview,
  positionOf,
  shiftDate,
  spanAt,
  type Day,
  type DayTimeline,
} from './timeline.ts';

const MINUTE_MS = 60_000;
/** How far the arrow keys and Page Up/Down move the bar's cursor. */
const KEY_STEP_MS = 5 * MINUTE_MS;
const PAGE_STEP_MS = 60 * MINUTE_MS;

const percent = (position: number) => `${(position * 100).toFixed(3)}%`;

/** Times of day in the home's time zone, in the person's language. */
export function useClock(timezone: string) {
  const { locale } = useI18n();
  const time = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', timeZone: timezone });
  const hour = new Intl.DateTimeFormat(locale, { hour: 'numeric', timeZone: timezone });
  const date = new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeZone: timezone });
  return {
    time: (ms: number) => time.format(ms),
    hour: (ms: number) => hour.format(ms),
    date: (ms: number) => date.format(ms),
  };
}

/** The day shown: back and forth by a day, any date up to today. */
export function DayPicker(props: { date: string; today: string; onDate: (date: string) => void }) {
  const { t } = useI18n();
  const { date, today, onDate } = props;
  return (
    <div class="day-picker" data-testid="day-picker">
      <button
        type="button"
        class="button button-small"
        aria-label={t('camera.previousDay')}
        title={t('camera.previousDay')}
        onClick={() => onDate(shiftDate(date, -1))}
      >
        ‹
      </button>
      <label class="field-label" for="camera-day">
        {t('camera.day')}
      </label>
      <input
        id="camera-day"
        type="date"
        value={date}
        max={today}
        required
        onChange={(event) => {
          const picked = event.currentTarget.value;
          if (picked) onDate(picked > today ? today : picked);
        }}
      />
      <button
        type="button"
        class="button button-small"
        aria-label={t('camera.nextDay')}
        title={t('camera.nextDay')}
        disabled={date >= today}
        onClick={() => onDate(shiftDate(date, 1))}
      >
        ›
      </button>
      <button
        type="button"
        class="button button-small"
        disabled={date === today}
        onClick={() => onDate(today)}
      >
        {t('camera.today')}
      </button>
    </div>
  );
}

/**
 * The day as a bar: recorded spans, gaps (nothing recorded), motion and doorbell marks, the
 * moment playing; pointing at it shows the picture taken nearest that moment, a click (or
 * Enter on the focused bar) plays from there. `canWatch` false: pictures only.
 */
export function TimelineBar(props: {
  deviceId: string;
  day: Day;
  timezone: string;
  timeline: DayTimeline;
  nowMs: number;
  canWatch: boolean;
  playingMs: number | null;
  onPlay: (ms: number) => void;
}) {
  const { t } = useI18n();
  const clock = useClock(props.timezone);
  const { day, timeline, nowMs } = props;
  const [cursorMs, setCursorMs] = useState<number | null>(null);
  const lastMs = Math.min(day.endMs - 1000, nowMs);
  const clamp = (ms: number) => Math.max(day.startMs, Math.min(lastMs, ms));

  const fromPointer = (event: MouseEvent) => {
    const box = (event.currentTarget as HTMLElement).getBoundingClientRect();
    return clamp(instantAt((event.clientX - box.left) / box.width, day));
  };
  const play = (ms: number) => {
    if (props.canWatch && ms <= nowMs) props.onPlay(ms);
  };
  const onKey = (event: KeyboardEvent) => {
    const current = cursorMs ?? clamp(props.playingMs ?? lastMs);
    const moves: Record<string, number> = {
      ArrowLeft: -KEY_STEP_MS,
      ArrowDown: -KEY_STEP_MS,
      ArrowRight: KEY_STEP_MS,
      ArrowUp: KEY_STEP_MS,
      PageDown: -PAGE_STEP_MS,
      PageUp: PAGE_STEP_MS,
    };
    let next: number | undefined;
    if (event.key in moves) next = current + moves[event.key]!;
    else if (event.key === 'Home') next = day.startMs;
    else if (event.key === 'End') next = lastMs;
    else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      play(current);
      return;
    }
    if (next === undefined) return;
    event.preventDefault();
    setCursorMs(clamp(next));
  };

  const cursor = cursorMs === null ? null : clamp(cursorMs);
  const valueMs = cursor ?? clamp(props.playingMs ?? lastMs);
  const recordedAt = (ms: number) =>
    t(spanAt(timeline.spans, ms) ? 'camera.at.recorded' : 'camera.at.notRecorded', { time: clock.time(ms) });

  return (
    <div
      class="timeline"
      data-testid="timeline"
      data-day={day.date}
      data-from={new Date(day.startMs).toISOString()}
      data-to={new Date(day.endMs).toISOString()}
    >
      <div class="timeline-track">
        <div
          class={`timeline-bar${props.canWatch ? ' timeline-bar-playable' : ''}`}
          data-testid="timeline-bar"
          role="slider"
          tabIndex={0}
          aria-label={t('camera.barLabel', { date: clock.date(day.startMs) })}
          aria-describedby="timeline-help"
          aria-valuemin={day.startMs}
          aria-valuemax={lastMs}
          aria-valuenow={valueMs}
          aria-valuetext={recordedAt(valueMs)}
          onPointerMove={(event) => setCursorMs(fromPointer(event))}
          onPointerLeave={() => setCursorMs(null)}
          onBlur={() => setCursorMs(null)}
          onClick={(event) => play(fromPointer(event))}
          onKeyDown={onKey}
        >
          {nowMs < day.endMs && (
            <div class="timeline-future" style={{ left: percent(positionOf(nowMs, day)), right: 0 }} />
          )}
          {timeline.gaps.map((gap) => (
            <div
              key={`gap-${gap.startMs}`}
              class="timeline-gap"
              data-testid="timeline-gap"
              style={{
                left: percent(positionOf(gap.startMs, day)),
                width: percent(positionOf(gap.endMs, day) - positionOf(gap.startMs, day)),
              }}
            />
          ))}
          {timeline.spans.map((span) => (
            <div
              key={`span-${span.startMs}`}
              class="timeline-span"
              data-testid="timeline-span"
              data-start={new Date(span.startMs).toISOString()}
              data-end={new Date(span.endMs).toISOString()}
              title={t('camera.span', { start: clock.time(span.startMs), end: clock.time(span.endMs) })}
              style={{
                left: percent(positionOf(span.startMs, day)),
                width: percent(positionOf(span.endMs, day) - positionOf(span.startMs, day)),
              }}
            />
          ))}
          {timeline.events.map((event) => (
            <span
              key={event.id}
              class={`timeline-event timeline-event-${event.kind}`}
              data-testid={`timeline-event-${event.kind}`}
              data-at={event.at}
              style={{ left: percent(positionOf(event.atMs, day)) }}
            />
          ))}
          {nowMs >= day.startMs && nowMs < day.endMs && (
            <span class="timeline-now" style={{ left: percent(positionOf(nowMs, day)) }} />
          )}
          {props.playingMs !== null && props.playingMs >= day.startMs && props.playingMs < day.endMs && (
            <span
              class="timeline-playhead"
              data-testid="timeline-playhead"
              style={{ left: percent(positionOf(props.playingMs, day)) }}
            />
          )}
          {cursor !== null && (
            <span class="timeline-cursor" style={{ left: percent(positionOf(cursor, day)) }} />
          )}
        </div>
        {cursor !== null && (
          <CursorPicture
            deviceId={props.deviceId}
            timeline={timeline}
            atMs={cursor}
            position={positionOf(cursor, day)}
            label={recordedAt(cursor)}
          />
        )}
        <div class="timeline-ticks" aria-hidden="true">
          {hourTicks(day, props.timezone).map((tick) => (
            <span key={tick.ms} class="timeline-tick" style={{ left: percent(positionOf(tick.ms, day)) }}>
              {clock.hour(tick.ms)}
            </span>
          ))}
        </div>
      </div>
      <p class="hint" id="timeline-help">
        {t(props.canWatch ? 'camera.barHelp' : 'camera.barHelpGuest')}
      </p>
      <ul class="timeline-legend" aria-hidden="true">
        <li>
          <span class="legend-swatch timeline-span" /> {t('camera.recorded')}
        </li>
        <li>
          <span class="legend-swatch timeline-gap" /> {t('camera.notRecorded')}
        </li>
        <li>
          <span class="legend-mark timeline-event-motion" /> {t('camera.event.motion')}
        </li>
        <li>
          <span class="legend-mark timeline-event-doorbell" /> {t('camera.event.doorbell')}
        </li>
      </ul>
      {timeline.spans.length === 0 && <p class="muted small">{t('camera.nothingRecorded')}</p>}
    </div>
  );
}

/** The picture taken nearest the pointed moment, above the bar. */
function CursorPicture(props: {
  deviceId: string;
  timeline: DayTimeline;
  atMs: number;
  position: number;
  label: string;
}) {
  const { t } = useI18n();
  const preview = nearestPreview(props.timeline.previews, props.atMs);
  const picture = usePicture(preview ? previewPath(props.deviceId, preview.at) : null);
  // Kept inside the bar's width: at the ends the bubble leans inwards.
  const left = `clamp(0px, calc(${percent(props.position)} - 80px), calc(100% - 160px))`;
  return (
    <div class="timeline-bubble" data-testid="timeline-bubble" role="presentation" style={{ left }}>
      {picture.status === 'ready' ? (
        <img src={picture.src} alt="" data-testid="timeline-bubble-picture" data-at={preview?.at} />
      ) : (
        <div class="timeline-bubble-empty">
          {picture.status === 'loading' ? <span class="spinner" aria-hidden="true" /> : t('camera.noPicture')}
        </div>
      )}
      <span>{props.label}</span>
    </div>
  );
}

/** The day's motion and doorbell events; each plays from just before it, for those who may watch. */
export function EventList(props: {
  timeline: DayTimeline;
  timezone: string;
  canWatch: boolean;
  onPlay: (ms: number) => void;
}) {
  const { t } = useI18n();
  const clock = useClock(props.timezone);
  const what = (kind: CameraEventKind) => t(`camera.event.${kind}`);
  const events = [...props.timeline.events].reverse();
  return (
    <section class="camera-events" aria-labelledby="camera-events-title">
      <h3 id="camera-events-title">{t('camera.events')}</h3>
      {events.length === 0 ? (
        <p class="muted small">{t('camera.noEvents')}</p>
      ) : (
        <ul class="camera-event-list" data-testid="camera-events">
          {events.map((event) => (
            <li key={event.id} class={`camera-event camera-event-${event.kind}`}>
              {props.canWatch ? (
                <button
                  type="button"
                  class="button button-small"
                  aria-label={t('camera.watchEvent', {
                    what: what(event.kind),
                    time: clock.time(event.atMs),
                  })}
                  onClick={() => props.onPlay(event.atMs - EVENT_LEAD_MS)}
                >
                  <span class={`legend-mark timeline-event-${event.kind}`} aria-hidden="true" />
                  {clock.time(event.atMs)} {what(event.kind)}
                </button>
              ) : (
                <span class="camera-event-text">
                  <span class={`legend-mark timeline-event-${event.kind}`} aria-hidden="true" />
                  {clock.time(event.atMs)} {what(event.kind)}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
