import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../core/context.ts';
import type { ArchiveFragment, ArchiveSegment, CameraEvent, PreviewEntry } from '../../core/domain/media.ts';
import { isArchivePath } from '../../core/media-signing.ts';
import type { MediaServerWithSecret } from '../../core/ports/media.ts';
import { HestiaError } from '../../core/errors.ts';
import type { Authorizer } from '../authorization.ts';
import type { AuditService } from '../audit.ts';
import type { Principal, RequestOrigin } from '../principal.ts';

/** A finished recording as the media agent reports it. */
export interface SegmentReport {
  stream: string;
  diskId: string;
  path: string;
  startMs: number;
  endMs: number;
  sizeBytes: number;
  init: { offset: number; length: number };
  fragments: Array<[number, number, number]>;
}

/** A stretch of the timeline with video, built from files that follow each other. */
export interface RecordedSpan {
  startMs: number;
  endMs: number;
  segmentIds: string[];
}

export interface Timeline {
  fromMs: number;
  toMs: number;
  spans: RecordedSpan[];
  gaps: Array<{ startMs: number; endMs: number }>;
  events: CameraEvent[];
  previews: PreviewEntry[];
  /** Where the next page starts when this one was cut (more files, events or previews than the limit). */
  nextFromMs: number | null;
}

/** Files closer than this are one span: the engine leaves a moment between two files. */
const SPAN_JOIN_MS = 3000;
/** Longest file Hestia indexes: a segment is 30 minutes by default; a day is absurd. */
const MAX_SEGMENT_MS = 6 * 3600_000;

/**
 * The archive: the index of recorded files that media agents report, and each camera's
 * timeline (recorded spans, gaps, motion and doorbell events, previews), paged by time.
 */
export class ArchiveService {
  constructor(
    private readonly ctx: AppContext,
    private readonly deps: { authorize: Authorizer; audit: AuditService },
  ) {}

  /**
   * Indexes a file a media server's agent placed. Idempotent on (server, path): the agent
   * retries until it hears 2xx. Refused (4xx, and the agent sets the file aside): an unknown
   * camera or one of another server's, a path outside the seed layout, a clock far off.
   */
  async indexSegment(
    server: MediaServerWithSecret,
    report: SegmentReport,
  ): Promise<{ segment: ArchiveSegment; created: boolean }> {
    const { store, clock, config, metrics } = this.ctx;
    const reject = (detail: string): never => {
      metrics.archiveSegments.inc({ outcome: 'rejected' });
      throw new HestiaError('HESTIA_VALIDATION_FAILED', detail);
    };
    const camera = await store.media.cameras.find(report.stream);
    if (!camera) {
      metrics.archiveSegments.inc({ outcome: 'rejected' });
      throw new HestiaError('HESTIA_NOT_FOUND', `No camera streams as ${report.stream}`);
    }
    if (
      !isArchivePath(report.path) ||
      !report.path.startsWith(`${report.diskId}/`) ||
      !report.path.includes(`/${report.stream}/`)
    )
      reject(`path: not an archive path of this camera on disk ${report.diskId}`);
    if (!(report.endMs > report.startMs) || report.endMs - report.startMs > MAX_SEGMENT_MS)
      reject('endMs: must be after startMs, by at most 6 hours');
    const skewMs = config.media.maxClockSkewSeconds * 1000;
    if (report.endMs > clock.now() + skewMs)
      reject(
        `endMs: ${new Date(report.endMs).toISOString()} is in the future (the media host's clock is off?)`,
      );
    const fragmentMs = report.fragments.reduce((sum, [durationMs]) => sum + durationMs, 0);
    if (report.fragments.length === 0 || Math.abs(fragmentMs - (report.endMs - report.startMs)) > 2000)
      reject('fragments: must cover the file from startMs to endMs');
    const result = await store.media.archive.insert({
      id: randomUUID(),
      deviceId: camera.deviceId,
      tenantId: camera.tenantId,
      homeId: camera.homeId,
      gatewayId: camera.gatewayId,
      serverId: server.id,
      diskId: report.diskId,
      path: report.path,
      startMs: report.startMs,
      endMs: report.endMs,
      sizeBytes: report.sizeBytes,
      init: report.init,
      fragments: report.fragments.map(([durationMs, offset, length]): ArchiveFragment => ({
        durationMs,
        offset,
        length,
      })),
      createdAtMs: clock.now(),
    });
    // The agent deletes its copy of the report when it hears 2xx: the row must survive a crash.
    await store.durable();
    metrics.archiveSegments.inc({ outcome: result.created ? 'indexed' : 'duplicate' });
    return result;
  }

  /**
   * Deletes a camera's whole video: its recordings (index rows now, files through the deletion
   * queue), events and preview history (home owners and the provider's staff). Because this
   * deletes data, the caller repeats the camera's id as `confirm`; without it the answer says
   * what would be deleted.
   */
  async deleteVideo(
    principal: Principal,
    deviceId: string,
    confirm: string | undefined,
    origin: RequestOrigin,
  ): Promise<{ files: number; events: number; previews: number }> {
    const device = await this.deps.authorize.device(principal, deviceId, 'manage');
    if (device.type !== 'camera') throw new HestiaError('HESTIA_NOT_A_CAMERA');
    const { media } = this.ctx.store;
    const everything = Number.MAX_SAFE_INTEGER;
    if (confirm !== deviceId) {
      const files = (await media.archive.spans(deviceId, 0, everything, 1_000_000)).length;
      throw new HestiaError(
        'HESTIA_CONFIRMATION_REQUIRED',
        `Deleting the camera's video deletes ${files} recorded file(s) with its events and previews: repeat with confirm=${deviceId}`,
        { files },
      );
    }
    let files = 0;
    for (;;) {
      const moved = await media.archive.expire(deviceId, everything, 500, this.ctx.clock.now());
      files += moved;
      if (moved < 500) break;
    }
    const deleted = {
      files,
      events: await media.events.expire(deviceId, everything),
      previews: await media.previews.expire(deviceId, everything),
    };
    const gateway = await this.ctx.store.directory.gateways.findGateway(device.gatewayId);
    await this.deps.audit.record({
      tenantId: device.tenantId,
      action: 'data.deleted',
      actor: principal,
      origin,
      homeId: gateway?.homeId ?? null,
      target: { type: 'device', id: deviceId },
      detail: deleted,
    });
    return deleted;
  }

  /** A camera's timeline over [fromMs, toMs) for its home's members (guests included). */
  async timeline(
    principal: Principal,
    deviceId: string,
    fromMs: number,
    toMs: number,
    limit: number,
  ): Promise<Timeline> {
    const device = await this.deps.authorize.device(principal, deviceId, 'read');
    if (device.type !== 'camera') throw new HestiaError('HESTIA_NOT_A_CAMERA');
    if (!(toMs > fromMs)) throw new HestiaError('HESTIA_VALIDATION_FAILED', 'to: must be after from');
    const { media } = this.ctx.store;
    const [segments, events, previews] = await Promise.all([
      media.archive.spans(deviceId, fromMs, toMs, limit + 1),
      media.events.list(deviceId, fromMs, toMs, limit + 1),
      media.previews.list(deviceId, fromMs, toMs, limit + 1),
    ]);
    // A page ends where the first of the three lists was cut; everything before it is complete.
    let pageEndMs = toMs;
    if (segments.length > limit) pageEndMs = Math.min(pageEndMs, segments[limit]!.startMs);
    if (events.length > limit) pageEndMs = Math.min(pageEndMs, events[limit]!.atMs);
    if (previews.length > limit) pageEndMs = Math.min(pageEndMs, previews[limit]!.tsMs);
    if (pageEndMs <= fromMs) pageEndMs = fromMs + 1; // many items at one instant: still move on
    const spans = joinSpans(
      segments.filter((s) => s.startMs < pageEndMs),
      fromMs,
      pageEndMs,
    );
    return {
      fromMs,
      toMs: pageEndMs,
      spans,
      gaps: gapsBetween(spans, fromMs, pageEndMs),
      events: events.filter((e) => e.atMs < pageEndMs),
      previews: previews.filter((p) => p.tsMs < pageEndMs),
      nextFromMs: pageEndMs < toMs ? pageEndMs : null,
    };
  }
}

/** Joins files that follow each other (within SPAN_JOIN_MS) into spans, clipped to the range. */
export function joinSpans(
  segments: ReadonlyArray<Pick<ArchiveSegment, 'id' | 'startMs' | 'endMs'>>,
  fromMs: number,
  toMs: number,
): RecordedSpan[] {
  const spans: RecordedSpan[] = [];
  for (const segment of [...segments].sort((a, b) => a.startMs - b.startMs)) {
    const startMs = Math.max(segment.startMs, fromMs);
    const endMs = Math.min(segment.endMs, toMs);
    if (endMs <= startMs) continue;
    const last = spans[spans.length - 1];
    if (last && startMs <= last.endMs + SPAN_JOIN_MS) {
      last.endMs = Math.max(last.endMs, endMs);
      last.segmentIds.push(segment.id);
    } else {
      spans.push({ startMs, endMs, segmentIds: [segment.id] });
    }
  }
  return spans;
}

export function gapsBetween(
  spans: readonly RecordedSpan[],
  fromMs: number,
  toMs: number,
): Array<{ startMs: number; endMs: number }> {
  const gaps: Array<{ startMs: number; endMs: number }> = [];
  let cursor = fromMs;
  for (const span of spans) {
    if (span.startMs > cursor) gaps.push({ startMs: cursor, endMs: span.startMs });
    cursor = Math.max(cursor, span.endMs);
  }
  if (cursor < toMs) gaps.push({ startMs: cursor, endMs: toMs });
  return gaps;
}
