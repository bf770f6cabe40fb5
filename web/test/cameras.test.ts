import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Camera, CameraTimeline } from '../src/api.ts';
import type { LiveMessage } from '../src/live-feed.ts';
import {
  ARCHIVE_PLAY_MS,
  applyCameraLive,
  archiveChoice,
  dayOf,
  dayTimeline,
  hourTicks,
  instantAt,
  isDate,
  localDate,
  nearestPreview,
  positionOf,
  shiftDate,
  withLiveEvent,
} from '../src/cameras/timeline.ts';
import { messageKeys, translate } from '../src/i18n.ts';

const HOUR_MS = 3_600_000;
const ms = (iso: string) => Date.parse(iso);

function camera(overrides: Partial<Camera> = {}): Camera {
  return {
    deviceId: 'c1',
    homeId: 'h1',
    gatewayId: 'g1',
    name: 'Front door',
    mode: 'motion',
    streaming: true,
    serverName: 'media-1',
    recording: { state: 'idle', reason: null, since: '2026-11-20T08:00:00.000Z' },
    lastMotionAt: '2026-11-20T09:00:00.000Z',
    latestPreviewAt: null,
    ...overrides,
  };
}

function page(overrides: Partial<CameraTimeline> = {}): CameraTimeline {
  return {
    from: '2026-11-19T23:00:00.000Z',
    to: '2026-11-20T23:00:00.000Z',
    spans: [],
    gaps: [],
    events: [],
    previews: [],
    nextFrom: null,
    ...overrides,
  };
}

describe('camera timeline: the day in the home time zone', () => {
  it('a day runs from local midnight to the next, 23 or 25 hours on the days the clocks change', () => {
    const berlin = dayOf('2026-11-20', 'Europe/Berlin');
    assert.equal(berlin.startMs, ms('2026-11-19T23:00:00Z'));
    assert.equal(berlin.endMs, ms('2026-11-20T23:00:00Z'));
    const spring = dayOf('2026-03-29', 'Europe/Berlin');
    assert.equal(spring.endMs - spring.startMs, 23 * HOUR_MS);
    const autumn = dayOf('2026-10-25', 'Europe/Berlin');
    assert.equal(autumn.endMs - autumn.startMs, 25 * HOUR_MS);
    // Far east of UTC: noon UTC is already the next day there.
    const kiritimati = dayOf('2026-11-20', 'Pacific/Kiritimati');
    assert.equal(kiritimati.startMs, ms('2026-11-19T10:00:00Z'));
    assert.equal(localDate(kiritimati.startMs, 'Pacific/Kiritimati'), '2026-11-20');
    assert.equal(dayOf('2026-11-20', 'America/Los_Angeles').startMs, ms('2026-11-20T08:00:00Z'));
  });

  it('dates are checked and moved by calendar days', () => {
    assert.equal(isDate('2026-11-20'), true);
    assert.equal(isDate('2026-02-30'), false);
    assert.equal(isDate('20-11-2026'), false);
    assert.equal(isDate(undefined), false);
    assert.equal(shiftDate('2026-03-01', -1), '2026-02-28');
    assert.equal(shiftDate('2026-12-31', 1), '2027-01-01');
    assert.equal(localDate(ms('2026-11-20T23:30:00Z'), 'Europe/Berlin'), '2026-11-21');
  });

  it('instants and bar positions convert both ways, in whole seconds, inside the day', () => {
    const day = dayOf('2026-11-20', 'Europe/Berlin');
    assert.equal(positionOf(day.startMs, day), 0);
    assert.equal(positionOf(day.startMs + 6 * HOUR_MS, day), 0.25);
    assert.equal(positionOf(day.endMs + HOUR_MS, day), 1);
    assert.equal(instantAt(0.25, day), day.startMs + 6 * HOUR_MS);
    assert.equal(instantAt(0.5000001, day) % 1000, 0);
    assert.equal(instantAt(1, day), day.endMs - 1000, 'the last second belongs to the day');
  });

  it('ticks sit where the clock shows the hour, also on a day of 23 hours', () => {
    const day = dayOf('2026-03-29', 'Europe/Berlin');
    const ticks = hourTicks(day, 'Europe/Berlin', 6);
    assert.deepEqual(
      ticks.map((tick) => tick.hour),
      [0, 6, 12, 18],
    );
    // 06:00 local is 04:00 UTC after the change (UTC+2), five hours after midnight (UTC+1).
    assert.equal(ticks[1]!.ms, ms('2026-03-29T04:00:00Z'));
  });
});

describe('camera timeline: what is drawn and what a click plays', () => {
  const day = dayOf('2026-11-20', 'Europe/Berlin');
  const at = (hhmm: string) => day.startMs + (Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3))) * 60_000;
  const iso = (hhmm: string) => new Date(at(hhmm)).toISOString();

  it('joins spans across pages, clips them to the day, and finds the gaps up to now', () => {
    const timeline = dayTimeline(
      [
        page({
          spans: [
            { start: new Date(day.startMs - HOUR_MS).toISOString(), end: iso('01:00'), files: 2 },
            { start: iso('08:00'), end: iso('09:00'), files: 2 },
          ],
          events: [{ id: 'e2', kind: 'doorbell', at: iso('08:30') }],
          previews: [{ at: iso('08:10'), contentType: 'image/jpeg', sizeBytes: 100 }],
          nextFrom: iso('09:00'),
        }),
        page({
          spans: [{ start: iso('09:00'), end: iso('10:00'), files: 2 }],
          events: [
            { id: 'e1', kind: 'motion', at: iso('07:59') },
            { id: 'e2', kind: 'doorbell', at: iso('08:30') },
          ],
        }),
      ],
      day,
      at('12:00'),
    );
    assert.deepEqual(timeline.spans, [
      { startMs: day.startMs, endMs: at('01:00') },
      { startMs: at('08:00'), endMs: at('10:00') },
    ]);
    assert.deepEqual(timeline.gaps, [
      { startMs: at('01:00'), endMs: at('08:00') },
      { startMs: at('10:00'), endMs: at('12:00') },
    ]);
    assert.deepEqual(
      timeline.events.map((event) => event.id),
      ['e1', 'e2'],
    );
    assert.equal(timeline.previews[0]!.atMs, at('08:10'));
  });

  const spans = [
    { startMs: at('08:00'), endMs: at('10:00') },
    { startMs: at('12:30'), endMs: at('12:50') },
  ];

  it('inside a recording: from the instant to its end, an hour at most', () => {
    assert.deepEqual(archiveChoice(spans, at('09:40')), {
      fromMs: at('09:40'),
      durationMs: 20 * 60_000,
      snapped: false,
    });
    assert.deepEqual(archiveChoice(spans, at('08:15')), {
      fromMs: at('08:15'),
      durationMs: ARCHIVE_PLAY_MS,
      snapped: false,
    });
    // The very end of a recording still plays its last second.
    assert.deepEqual(archiveChoice(spans, at('10:00') - 1), {
      fromMs: at('10:00') - 1000,
      durationMs: 1000,
      snapped: false,
    });
  });

  it('between recordings: the next one from its start; after the last: the instant, and the API says', () => {
    assert.deepEqual(archiveChoice(spans, at('11:00')), {
      fromMs: at('12:30'),
      durationMs: 20 * 60_000,
      snapped: true,
    });
    assert.deepEqual(archiveChoice(spans, at('20:00')), {
      fromMs: at('20:00'),
      durationMs: ARCHIVE_PLAY_MS,
      snapped: false,
    });
  });

  it('the picture nearest a moment, if one was taken within two hours', () => {
    const previews = [{ atMs: at('08:00') }, { atMs: at('08:10') }, { atMs: at('12:00') }];
    assert.equal(nearestPreview(previews, at('08:04'))?.atMs, at('08:00'));
    assert.equal(nearestPreview(previews, at('08:06'))?.atMs, at('08:10'));
    assert.equal(nearestPreview(previews, at('07:00'))?.atMs, at('08:00'));
    assert.equal(nearestPreview(previews, at('23:00')), undefined);
    assert.equal(nearestPreview([], at('08:00')), undefined);
  });
});

describe('camera live messages', () => {
  const recording = (
    state: 'recording' | 'failed',
    at: string,
    reason: string | null = null,
  ): LiveMessage => ({
    type: 'recording',
    homeId: 'h1',
    deviceId: 'c1',
    state,
    reason,
    at,
  });

  it('recording state follows the feed; a late, older message changes nothing', () => {
    const failed = applyCameraLive(camera(), recording('failed', '2026-11-20T09:30:00.000Z', 'media-1 down'));
    assert.deepEqual(failed.recording, {
      state: 'failed',
      reason: 'media-1 down',
      since: '2026-11-20T09:30:00.000Z',
    });
    const older = recording('recording', '2026-11-20T07:00:00.000Z');
    assert.equal(applyCameraLive(failed, older), failed);
    const other = { ...recording('recording', '2026-11-20T10:00:00.000Z'), deviceId: 'c2' };
    assert.equal(applyCameraLive(failed, other), failed);
  });

  it('motion moves the last motion forward and appears once on the day it happened', () => {
    const motion: LiveMessage = {
      type: 'cameraEvent',
      homeId: 'h1',
      deviceId: 'c1',
      kind: 'motion',
      at: '2026-11-20T10:00:00.000Z',
    };
    assert.equal(applyCameraLive(camera(), motion).lastMotionAt, '2026-11-20T10:00:00.000Z');
    const day = dayOf('2026-11-20', 'Europe/Berlin');
    const empty = dayTimeline([], day);
    const once = withLiveEvent(empty, motion, 'c1', day);
    assert.equal(once.events.length, 1);
    assert.equal(withLiveEvent(once, motion, 'c1', day), once, 'the same event again is not added');
    const nextDay = dayOf('2026-11-21', 'Europe/Berlin');
    assert.equal(withLiveEvent(empty, motion, 'c1', nextDay), empty);
  });
});

describe('camera texts', () => {
  it('every camera text exists in Chinese, with the same parameters', () => {
    const keys = messageKeys().filter((key) => key.startsWith('camera'));
    assert.ok(keys.length > 40);
    for (const key of keys) {
      const params = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
      assert.deepEqual(params(translate('zh', key)), params(translate('en', key)), key);
      assert.notEqual(translate('zh', key), translate('en', key), `${key} is translated`);
    }
  });
});
