import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { archivePath, type ArchiveSegment, type Camera } from '../../src/core/domain/media.ts';
import { gapsBetween, joinSpans } from '../../src/services/cameras/archive.ts';
import { archivePlaylist } from '../../src/services/cameras/playback.ts';
import { wantsRecording } from '../../src/services/cameras/recording.ts';

const T0 = Date.UTC(2026, 11, 7, 10, 0, 0);

function segment(id: string, startMs: number, fragmentsMs: number[]): ArchiveSegment {
  let offset = 1000;
  const fragments = fragmentsMs.map((durationMs) => {
    const fragment = { durationMs, offset, length: 50_000 };
    offset += 50_000;
    return fragment;
  });
  return {
    id,
    deviceId: 'cam',
    tenantId: 't',
    homeId: 'h',
    serverId: 's',
    diskId: 'disk1',
    path: `disk1/0/cam/2026/12/07/cam_${id}.mp4`,
    startMs,
    endMs: startMs + fragmentsMs.reduce((a, b) => a + b, 0),
    sizeBytes: offset,
    init: { offset: 0, length: 1000 },
    fragments,
    createdAtMs: startMs,
  };
}

describe('archive paths (seed 002 layout)', () => {
  it('are /<disk>/<number div 200>/<stream>/<yyyy>/<mm>/<dd>/<stream>_<HH_MM_SS>.mp4 in UTC', () => {
    assert.equal(
      archivePath('disk2', 401, 'abc', Date.UTC(2026, 0, 5, 3, 4, 5)),
      'disk2/2/abc/2026/01/05/abc_03_04_05.mp4',
    );
    assert.equal(archivePath('d', 199, 's', T0), 'd/0/s/2026/12/07/s_10_00_00.mp4');
  });
});

describe('timeline spans and gaps', () => {
  it('joins files that follow each other and clips to the range', () => {
    const a = segment('a', T0, [2000, 2000]);
    const b = segment('b', T0 + 5000, [2000]); // 1 s after a: the same span
    const c = segment('c', T0 + 60_000, [2000]);
    const spans = joinSpans([c, a, b], T0 + 1000, T0 + 61_000);
    assert.deepEqual(spans, [
      { startMs: T0 + 1000, endMs: T0 + 7000, segmentIds: ['a', 'b'] },
      { startMs: T0 + 60_000, endMs: T0 + 61_000, segmentIds: ['c'] },
    ]);
    assert.deepEqual(gapsBetween(spans, T0, T0 + 70_000), [
      { startMs: T0, endMs: T0 + 1000 },
      { startMs: T0 + 7000, endMs: T0 + 60_000 },
      { startMs: T0 + 61_000, endMs: T0 + 70_000 },
    ]);
  });
});

describe('archive playlists', () => {
  it('list the fragments of the range by byte range, start inside the first, and mark file changes', () => {
    const a = segment('a', T0, [2000, 2000, 2000]);
    const b = segment('b', T0 + 6000, [2000, 2000]);
    const text = archivePlaylist(
      [a, b],
      { fromMs: T0 + 2500, durationMs: 5000 },
      (file) => `https://m/${file.id}.mp4`,
    );
    const lines = text.trim().split('\n');
    assert.equal(lines[0], '#EXTM3U');
    assert.ok(lines.includes('#EXT-X-START:TIME-OFFSET=0.500,PRECISE=YES'), text);
    // a's 2nd and 3rd fragments, then b's 1st and nothing after the range's end.
    assert.deepEqual(
      lines.filter((line) => line.startsWith('#EXT-X-BYTERANGE')),
      ['#EXT-X-BYTERANGE:50000@51000', '#EXT-X-BYTERANGE:50000@101000', '#EXT-X-BYTERANGE:50000@1000'],
    );
    assert.deepEqual(
      lines.filter((line) => line.startsWith('#EXT-X-MAP')),
      [
        '#EXT-X-MAP:URI="https://m/a.mp4",BYTERANGE="1000@0"',
        '#EXT-X-MAP:URI="https://m/b.mp4",BYTERANGE="1000@0"',
      ],
    );
    assert.equal(lines.filter((line) => line === '#EXT-X-DISCONTINUITY').length, 1);
    assert.equal(lines.at(-1), '#EXT-X-ENDLIST');
  });
});

describe('what a camera records', () => {
  const camera = (patch: Partial<Camera>): Camera => ({
    deviceId: 'c',
    tenantId: 't',
    homeId: 'h',
    gatewayId: 'g',
    number: 1,
    mode: 'motion',
    serverId: 's',
    streaming: true,
    wantRecording: false,
    recordUntilMs: null,
    recording: { state: 'idle', reason: null, sinceMs: 0 },
    lastMotionAtMs: null,
    createdAtMs: 0,
    ...patch,
  });
  it('follows mode, stream and post-roll', () => {
    assert.equal(wantsRecording(camera({ mode: 'continuous' }), T0), true);
    assert.equal(wantsRecording(camera({ mode: 'continuous', streaming: false }), T0), false);
    assert.equal(wantsRecording(camera({ mode: 'continuous', serverId: null }), T0), false);
    assert.equal(wantsRecording(camera({ mode: 'off', recordUntilMs: T0 + 1000 }), T0), false);
    assert.equal(wantsRecording(camera({ mode: 'motion', recordUntilMs: T0 + 1000 }), T0), true);
    assert.equal(wantsRecording(camera({ mode: 'motion', recordUntilMs: T0 }), T0), false);
    assert.equal(wantsRecording(camera({ mode: 'motion' }), T0), false);
  });
});
