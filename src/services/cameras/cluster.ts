import type { AppContext } from '../../core/context.ts';
import type { Extension } from '../../core/extension.ts';
import type { MediaDisk } from '../../core/domain/media.ts';
import type { MediaEngine, MediaEngineFactory, MediaEngineStatus } from '../../core/ports/media-engine.ts';
import type { MediaServerWithSecret } from '../../core/ports/media.ts';
import { HestiaError } from '../../core/errors.ts';
import type { AuditService } from '../audit.ts';
import { SYSTEM_ORIGIN } from '../principal.ts';

/** Bandwidth a camera that was just assigned is counted with until a poll shows its stream (the seed's 1 Mbps). */
const ASSUMED_STREAM_BITS_PER_SEC = 1_000_000;

/** Why a server was left out of a choice, for the log and the error detail. */
type Exclusion = { serverId: string; reason: string };

/** What happened to a server in one poll, for the listeners that act on it. */
export interface PollOutcome {
  server: MediaServerWithSecret;
  /** It was healthy before this poll and is not any more. */
  becameUnhealthy: boolean;
  /** Disks that crossed the fill threshold in this poll. */
  newlyFullDiskIds: string[];
  status: MediaEngineStatus | null;
}

/**
 * The media-server cluster as Hestia sees it: one engine adapter per server, a poll of every
 * server's load, health and disks every `media.pollIntervalSeconds`, and the balancer (the
 * seed's Dynamic Load Balancing): a camera is sent to the least-loaded healthy, active server
 * with a disk below the fill threshold, preferring its region.
 *
 * Load counts streams and bandwidth, each as a share of the server's capacity (its maxStreams
 * and maxBitsPerSec, by default the seed's 400 cameras and 400 Mbps), the larger share deciding.
 * Cameras assigned since the last poll are added, so that a burst of requests does not all go
 * to the server that was idlest a few seconds ago.
 */
export class MediaCluster implements Extension {
  private readonly engines = new Map<string, { engine: MediaEngine; fingerprint: string }>();
  private readonly assignedSincePoll = new Map<string, number>();
  private readonly listeners: Array<(outcome: PollOutcome) => Promise<void>> = [];
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;

  constructor(
    private readonly ctx: AppContext,
    private readonly deps: { engines: MediaEngineFactory; audit: AuditService },
  ) {}

  start(): void {
    const everyMs = this.ctx.config.media.pollIntervalSeconds * 1000;
    this.timer = setInterval(() => this.pollSoon(), everyMs);
    this.timer.unref();
    this.pollSoon();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
  }

  /** Called after every poll of a server (the recording controller moves cameras off a failed one). */
  onPolled(listener: (outcome: PollOutcome) => Promise<void>): void {
    this.listeners.push(listener);
  }

  /** The adapter for a server, rebuilt when its addresses or secret change. */
  engineFor(server: MediaServerWithSecret): MediaEngine {
    const fingerprint = JSON.stringify([
      server.engine,
      server.controlUrl,
      server.agentUrl,
      server.application,
      server.secret,
    ]);
    const cached = this.engines.get(server.id);
    if (cached && cached.fingerprint === fingerprint) return cached.engine;
    const engine = this.deps.engines({
      server,
      secret: server.secret,
      timeoutMs: this.ctx.config.media.requestTimeoutMs,
    });
    this.engines.set(server.id, { engine, fingerprint });
    return engine;
  }

  private pollSoon(): void {
    if (this.polling) return; // a slow server: the next tick catches up
    this.polling = this.pollAll()
      .catch((error: unknown) => this.ctx.logger.error({ err: error }, 'media server poll failed'))
      .finally(() => {
        this.polling = null;
      });
  }

  /** Polls every server once, in parallel (one slow server does not delay the others' figures). */
  async pollAll(): Promise<void> {
    const servers = await this.ctx.store.media.servers.list();
    await Promise.all(servers.map((server) => this.poll(server)));
  }

  private async poll(server: MediaServerWithSecret): Promise<void> {
    const { store, clock, config, metrics, logger } = this.ctx;
    const checkedAtMs = clock.now();
    let status: MediaEngineStatus | null = null;
    let failure: string | null = null;
    try {
      status = await this.engineFor(server).status();
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    const failures = failure === null ? 0 : server.health.failures + 1;
    const healthy =
      failure === null || (server.health.healthy && failures < config.media.unhealthyAfterFailures);
    const disks = status?.disks ?? null;
    const fullDiskIds = disks ? this.fullDisks(disks) : server.fullDiskIds;
    await store.media.servers.recordPoll(server.id, {
      health: { healthy, failures, reason: failure, checkedAtMs },
      load: status?.load ?? null,
      disks,
      fullDiskIds,
    });
    this.assignedSincePoll.delete(server.id);
    metrics.mediaServerUp.set({ server: server.name }, healthy ? 1 : 0);
    if (status) {
      metrics.mediaServerStreams.set({ server: server.name }, status.load.publishing);
      for (const disk of status.disks) {
        metrics.mediaDiskFreeBytes.set({ server: server.name, disk: disk.id }, disk.freeBytes);
        metrics.mediaDiskFull.set(
          { server: server.name, disk: disk.id },
          fullDiskIds.includes(disk.id) ? 1 : 0,
        );
      }
    }
    const becameUnhealthy = server.health.healthy && !healthy;
    if (becameUnhealthy) logger.warn({ server: server.name, reason: failure }, 'media server is unhealthy');
    const newlyFullDiskIds = fullDiskIds.filter((id) => !server.fullDiskIds.includes(id));
    if (newlyFullDiskIds.length > 0) {
      logger.warn(
        { server: server.name, disks: newlyFullDiskIds, threshold: config.media.diskFillThreshold },
        'media server disks are full: they receive no new recordings',
      );
      await this.deps.audit.record({
        tenantId: null,
        action: 'media_server.disk_full',
        actor: { kind: 'system', id: 'media-cluster' },
        origin: SYSTEM_ORIGIN,
        target: { type: 'media_server', id: server.id },
        detail: { disks: newlyFullDiskIds },
      });
    }
    const updated = (await store.media.servers.find(server.id)) ?? server;
    for (const listener of this.listeners) {
      await listener({ server: updated, becameUnhealthy, newlyFullDiskIds, status }).catch((error: unknown) =>
        logger.error({ err: error, server: server.name }, 'media poll listener failed'),
      );
    }
  }

  private fullDisks(disks: readonly MediaDisk[]): string[] {
    const threshold = this.ctx.config.media.diskFillThreshold;
    return disks
      .filter(
        (disk) => disk.totalBytes > 0 && (disk.totalBytes - disk.freeBytes) / disk.totalBytes >= threshold,
      )
      .map((disk) => disk.id);
  }

  /**
   * The server a camera should stream to. `current` is kept while it is still a candidate (a
   * camera that asks again is not moved for a few percent of load).
   */
  async choose(region: string | null, current: string | null = null): Promise<MediaServerWithSecret> {
    const servers = await this.ctx.store.media.servers.list();
    const excluded: Exclusion[] = [];
    const candidates: Array<{ server: MediaServerWithSecret; load: number }> = [];
    for (const server of servers) {
      const reason = this.exclusion(server);
      if (reason) {
        excluded.push({ serverId: server.id, reason });
        continue;
      }
      const load = this.loadShare(server);
      if (load >= 1) {
        excluded.push({ serverId: server.id, reason: 'at capacity' });
        continue;
      }
      candidates.push({ server, load });
    }
    const inRegion = region === null ? [] : candidates.filter((c) => c.server.region === region);
    const pool = inRegion.length > 0 ? inRegion : candidates;
    const kept = pool.find((c) => c.server.id === current);
    const best =
      kept ?? pool.sort((a, b) => a.load - b.load || a.server.name.localeCompare(b.server.name))[0];
    if (!best) {
      throw new HestiaError('HESTIA_MEDIA_NO_SERVER', undefined, {
        servers: excluded.map((e) => ({ id: e.serverId, reason: e.reason })),
      });
    }
    this.assignedSincePoll.set(best.server.id, (this.assignedSincePoll.get(best.server.id) ?? 0) + 1);
    return best.server;
  }

  /** Why a server takes no new camera now, or null. */
  exclusion(server: MediaServerWithSecret): string | null {
    if (server.state !== 'active') return 'draining';
    if (!server.health.healthy) return `unhealthy: ${server.health.reason ?? 'no answer'}`;
    if (server.disks.length > 0 && server.disks.every((disk) => server.fullDiskIds.includes(disk.id)))
      return 'every disk is full';
    return null;
  }

  /** The larger of the stream share and the bandwidth share, counting cameras assigned since the poll. */
  loadShare(server: MediaServerWithSecret): number {
    const pending = this.assignedSincePoll.get(server.id) ?? 0;
    const load = server.load ?? { publishing: 0, playing: 0, bwInBitsPerSec: 0, bwOutBitsPerSec: 0 };
    const streams = (load.publishing + pending) / server.maxStreams;
    const bandwidth =
      (load.bwInBitsPerSec + load.bwOutBitsPerSec + pending * ASSUMED_STREAM_BITS_PER_SEC) /
      server.maxBitsPerSec;
    return Math.max(streams, bandwidth);
  }
}
