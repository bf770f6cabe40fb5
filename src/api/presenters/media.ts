import type { CameraEvent, PreviewEntry } from '../../core/domain/media.ts';
import type { MediaServerWithSecret } from '../../core/ports/media.ts';
import type { Timeline } from '../../services/cameras/archive.ts';
import type { CameraView } from '../../services/cameras/cameras.ts';
import type { PlaybackGrant } from '../../services/cameras/playback.ts';

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

/** A media server for the platform administrator; never its secret. */
export function presentMediaServer(server: MediaServerWithSecret) {
  return {
    id: server.id,
    name: server.name,
    engine: server.engine,
    controlUrl: redactUserinfo(server.controlUrl),
    agentUrl: server.agentUrl,
    ingestUrl: server.ingestUrl,
    playbackUrl: server.playbackUrl,
    application: server.application,
    region: server.region,
    state: server.state,
    maxStreams: server.maxStreams,
    maxBitsPerSec: server.maxBitsPerSec,
    health: {
      healthy: server.health.healthy,
      failures: server.health.failures,
      reason: server.health.reason,
      checkedAt: isoOrNull(server.health.checkedAtMs),
    },
    load: server.load,
    disks: server.disks.map((disk) => ({ ...disk, full: server.fullDiskIds.includes(disk.id) })),
    createdAt: iso(server.createdAtMs),
  };
}

/** Credentials in a control URL (Wowza's REST user) are not shown back. */
function redactUserinfo(value: string): string {
  try {
    const url = new URL(value);
    if (!url.username && !url.password) return value;
    url.username = url.username ? '***' : '';
    url.password = url.password ? '***' : '';
    return url.toString();
  } catch {
    return value;
  }
}

export function presentCamera(camera: CameraView) {
  return {
    deviceId: camera.deviceId,
    homeId: camera.homeId,
    gatewayId: camera.gatewayId,
    name: camera.name,
    number: camera.number,
    mode: camera.mode,
    streaming: camera.streaming,
    serverName: camera.serverName,
    recording: {
      state: camera.recording.state,
      reason: camera.recording.reason,
      since: iso(camera.recording.sinceMs),
    },
    lastMotionAt: isoOrNull(camera.lastMotionAtMs),
    latestPreviewAt: isoOrNull(camera.latestPreviewAtMs),
  };
}

export function presentEvent(event: CameraEvent) {
  return { id: event.id, kind: event.kind, at: iso(event.atMs) };
}

export function presentPreviewEntry(preview: PreviewEntry) {
  return { at: iso(preview.tsMs), contentType: preview.contentType, sizeBytes: preview.sizeBytes };
}

export function presentTimeline(timeline: Timeline) {
  return {
    from: iso(timeline.fromMs),
    to: iso(timeline.toMs),
    spans: timeline.spans.map((span) => ({
      start: iso(span.startMs),
      end: iso(span.endMs),
      files: span.segmentIds.length,
    })),
    gaps: timeline.gaps.map((gap) => ({ start: iso(gap.startMs), end: iso(gap.endMs) })),
    events: timeline.events.map(presentEvent),
    previews: timeline.previews.map(presentPreviewEntry),
    nextFrom: isoOrNull(timeline.nextFromMs),
  };
}

export function presentPlayback(grant: PlaybackGrant) {
  return {
    kind: grant.kind,
    url: grant.url,
    expiresAt: iso(grant.expiresAtMs),
    from: isoOrNull(grant.fromMs),
    durationMs: grant.durationMs,
  };
}
