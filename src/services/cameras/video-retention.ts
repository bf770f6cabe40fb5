import type { AppContext } from '../../core/context.ts';
import type { Extension } from '../../core/extension.ts';
import type { MediaCluster, PollOutcome } from './cluster.ts';

const DAY_MS = 86_400_000;
/** Index rows moved to the deletion queue per statement. */
const EXPIRE_BATCH = 500;
/** Files one delete call to a media server names. */
const DELETE_BATCH = 200;
/** Longest wait before a failed deletion is tried again. */
const MAX_RETRY_MS = 3600_000;
const CAMERA_PAGE = 500;

export interface VideoRetentionResult {
  cameras: number;
  files: number;
  events: number;
  previews: number;
}

/**
 * Video retention by tariff: recordings, events and previews older than the home's
 * `videoRetentionDays` go. Index rows leave at once (the timeline stops showing them) and their
 * files enter a queue that is drained per media server by its agent; a server that is down
 * keeps its queue until it answers, so nothing is forgotten. Removing a gateway queues its
 * cameras' files the same way. A pass runs with the sensor retention's interval and soon after
 * a tariff change; it works in short statements and never blocks ingestion or recording.
 */
export class VideoRetention implements Extension {
  private passTimer: NodeJS.Timeout | null = null;
  private drainTimer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private draining: Promise<void> | null = null;

  constructor(
    private readonly ctx: AppContext,
    private readonly deps: { cluster: MediaCluster },
  ) {}

  start(): void {
    const { bus, config } = this.ctx;
    bus.on('retention.policy_changed', () => this.passSoon(), this);
    bus.on('gateway.data_deleted', ({ gatewayId }) => void this.removeGateway(gatewayId), this);
    this.passTimer = setInterval(() => this.passSoon(), config.retention.intervalSeconds * 1000);
    this.passTimer.unref();
    this.drainTimer = setInterval(() => this.drainSoon(), config.media.reconcileIntervalSeconds * 1000);
    this.drainTimer.unref();
    this.deps.cluster.onPolled((outcome) => this.onPolled(outcome));
  }

  async stop(): Promise<void> {
    this.ctx.bus.removeListeners(this);
    if (this.passTimer) clearInterval(this.passTimer);
    if (this.drainTimer) clearInterval(this.drainTimer);
    await this.running;
    await this.draining;
  }

  private passSoon(): void {
    if (this.running) return;
    this.running = this.runPass()
      .then(() => this.drainSoon())
      .catch((error: unknown) => this.ctx.logger.error({ err: error }, 'video retention pass failed'))
      .finally(() => {
        this.running = null;
      });
  }

  private drainSoon(): void {
    if (this.draining) return;
    this.draining = this.drain()
      .catch((error: unknown) => this.ctx.logger.error({ err: error }, 'archive deletion failed'))
      .finally(() => {
        this.draining = null;
      });
  }

  /** One pass over every camera: what its home's tariff no longer keeps goes. */
  async runPass(): Promise<VideoRetentionResult> {
    const { store, clock } = this.ctx;
    const result: VideoRetentionResult = { cameras: 0, files: 0, events: 0, previews: 0 };
    const days = new Map<string, number | null>();
    let after: string | null = null;
    for (;;) {
      const page = await store.media.cameras.listPage(after, CAMERA_PAGE);
      if (page.length === 0) break;
      for (const camera of page) {
        if (!days.has(camera.homeId))
          days.set(
            camera.homeId,
            (await store.directory.tariffs.tariffForHome(camera.homeId))?.videoRetentionDays ?? null,
          );
        const retentionDays = days.get(camera.homeId);
        if (!retentionDays) continue;
        const cutoffMs = clock.now() - retentionDays * DAY_MS;
        result.cameras++;
        for (;;) {
          const moved = await store.media.archive.expire(
            camera.deviceId,
            cutoffMs,
            EXPIRE_BATCH,
            clock.now(),
          );
          result.files += moved;
          if (moved < EXPIRE_BATCH) break;
        }
        result.events += await store.media.events.expire(camera.deviceId, cutoffMs);
        result.previews += await store.media.previews.expire(camera.deviceId, cutoffMs);
      }
      after = page[page.length - 1]!.deviceId;
    }
    if (result.files + result.events + result.previews > 0)
      this.ctx.logger.info(result, 'video retention: expired recordings, events and previews');
    return result;
  }

  /** A gateway's data was deleted: its cameras' files are queued for deletion, their events go. */
  async removeGateway(gatewayId: string): Promise<void> {
    try {
      const files = await this.ctx.store.media.archive.expireGateway(gatewayId, this.ctx.clock.now());
      await this.ctx.store.media.events.deleteGateway(gatewayId);
      if (files > 0) this.drainSoon();
    } catch (error) {
      this.ctx.logger.error({ err: error, gatewayId }, 'queueing the removed gateway’s video failed');
    }
  }

  private async onPolled({ server, status }: PollOutcome): Promise<void> {
    // A server that answered again may have a queue waiting.
    if (status && server.health.healthy) this.drainSoon();
  }

  /** Deletes queued files on every server that answers; the others keep their queue. */
  async drain(): Promise<void> {
    const { store, clock, metrics, logger } = this.ctx;
    for (const server of await store.media.servers.list()) {
      const engine = this.deps.cluster.engineFor(server);
      for (;;) {
        const due = await store.media.deletions.due(server.id, clock.now(), DELETE_BATCH);
        if (due.length === 0) break;
        try {
          const { deleted, missing } = await engine.deleteFiles(due.map((d) => d.path));
          await store.media.deletions.done(due.map((d) => d.id));
          metrics.archiveDeletions.inc({ outcome: 'deleted' }, deleted);
          metrics.archiveDeletions.inc({ outcome: 'missing' }, missing);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          const attempts = Math.max(...due.map((d) => d.attempts)) + 1;
          await store.media.deletions.retryLater(
            due.map((d) => d.id),
            message,
            clock.now() + Math.min(1000 * 2 ** attempts, MAX_RETRY_MS),
          );
          metrics.archiveDeletions.inc({ outcome: 'failed' }, due.length);
          logger.warn(
            { server: server.name, files: due.length, err: message },
            'archive deletion failed; retried later',
          );
          break;
        }
      }
    }
  }
}
