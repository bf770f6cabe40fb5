import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppContext } from '../../core/context.ts';
import type { Extension } from '../../core/extension.ts';
import type { Camera, CameraEventKind, RecordingState } from '../../core/domain/media.ts';
import { RECORDING_MODES, type RecordingMode } from '../../core/domain/tariff.ts';
import type { ReadingWrite } from '../../core/domain/telemetry.ts';
import { MediaEngineError } from '../../core/ports/media-engine.ts';
import type { CameraService } from './cameras.ts';
import type { MediaCluster, PollOutcome } from './cluster.ts';

/** The deviceState texts of seed 002. */
const STREAMING_ON = 'streamingOn';
const STREAMING_OFF = 'streamingOff';
/** Labels of camera readings that drive recording and the timeline. */
const STATE_LABEL = 'State';
const EVENT_LABELS: Record<string, CameraEventKind> = { motion: 'motion', doorbell: 'doorbell' };
/** First pause between attempts at a recording call; it doubles each time. */
const FIRST_RETRY_MS = 200;
/**
 * A camera's detector repeats itself while something moves (and a doorbell button bounces): one
 * event per camera and kind in this window (of the camera's timestamps) goes to the timeline, the notification and the
 * database; the repeats only extend the motion post-roll, in memory. Ingest pays nothing for them.
 */
const EVENT_GAP_MS = 5000;
/** Device-type answers kept per process (a camera stays a camera). */
const TYPE_CACHE_LIMIT = 100_000;

/** What a camera needs now, from its mode, stream and motion. */
export function wantsRecording(camera: Camera, nowMs: number): boolean {
  if (!camera.streaming || camera.serverId === null) return false;
  if (camera.mode === 'continuous') return true;
  return camera.mode === 'motion' && camera.recordUntilMs !== null && camera.recordUntilMs > nowMs;
}

/**
 * Starts and stops recording on each camera's media server (the seed's RecordMediaStream), by
 * its mode and what it reports: streamingOn/Off (deviceState), motion (sensorData), the
 * controller's recordingMode (command), the API. On motion, recording goes on
 * `media.motionPostRollSeconds` after the last motion.
 *
 * Each camera's calls run one after another. A call that fails is retried with backoff
 * (`media.recordingAttempts`); after that the camera's state is `failed` with the reason and
 * the reconciler tries again every `media.reconcileIntervalSeconds` while the recording is
 * still wanted, so no recording request is lost to a media server that was down for a while.
 */
export class RecordingController implements Extension {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly isCamera = new Map<string, boolean>();
  private readonly postRollTimers = new Map<string, NodeJS.Timeout>();
  /** The device time of the last event this process recorded, per camera and kind. */
  private readonly lastEventAt = new Map<string, number>();
  /** When this process last heard motion from a camera (repeats included). */
  private readonly motionHeardAt = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly deps: {
      cameras: CameraService;
      cluster: MediaCluster;
      moveCameras: (serverId: string) => Promise<void>;
    },
  ) {}

  start(): void {
    const { bus, config } = this.ctx;
    this.stopped = false;
    bus.on('telemetry.committed', ({ readings }) => this.onReadings(readings), this);
    bus.on('devices.settings_committed', ({ changes }) => this.onSettings(changes), this);
    bus.on('camera.changed', ({ deviceId }) => void this.reconcile(deviceId, this.ctx.clock.now()), this);
    this.deps.cluster.onPolled((outcome) => this.onPolled(outcome));
    this.timer = setInterval(() => void this.sweep(), config.media.reconcileIntervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.ctx.bus.removeListeners(this);
    if (this.timer) clearInterval(this.timer);
    for (const timer of this.postRollTimers.values()) clearTimeout(timer);
    this.postRollTimers.clear();
    await Promise.all([...this.chains.values()]);
  }

  private onReadings(readings: readonly ReadingWrite[]): void {
    for (const reading of readings) {
      const label = reading.label.toLowerCase();
      const kind = EVENT_LABELS[label];
      if (reading.label !== STATE_LABEL && !kind) continue;
      const receivedAtMs = this.ctx.clock.now();
      if (kind && (reading.value ?? 0) > 0) {
        if (kind === 'motion') this.motionHeardAt.set(reading.deviceId, receivedAtMs);
        const key = `${reading.deviceId}/${kind}`;
        // By the camera's own time: events a gateway sends late (after a reconnect) stay apart.
        const last = this.lastEventAt.get(key);
        if (last !== undefined && Math.abs(reading.tsMs - last) < EVENT_GAP_MS) continue;
        this.lastEventAt.set(key, reading.tsMs);
      }
      void this.cameraOf(reading.deviceId)
        .then(async (isCamera) => {
          if (!isCamera) return;
          if (reading.label === STATE_LABEL) {
            if (reading.text === STREAMING_ON || reading.text === STREAMING_OFF)
              await this.setStreaming(reading.deviceId, reading.text === STREAMING_ON, receivedAtMs);
          } else if (kind && (reading.value ?? 0) > 0) {
            await this.onEvent(reading, kind, receivedAtMs);
          }
        })
        .catch((error: unknown) =>
          this.ctx.logger.error({ err: error, device: reading.deviceId }, 'camera reading failed'),
        );
    }
  }

  private async cameraOf(deviceId: string): Promise<boolean> {
    const known = this.isCamera.get(deviceId);
    if (known !== undefined) return known;
    const device = await this.ctx.store.devices.findDevice(deviceId);
    const isCamera = device?.type === 'camera';
    if (this.isCamera.size >= TYPE_CACHE_LIMIT) this.isCamera.clear();
    if (device) this.isCamera.set(deviceId, isCamera);
    return isCamera;
  }

  private async setStreaming(deviceId: string, streaming: boolean, atMs: number): Promise<void> {
    const camera = await this.deps.cameras.ensureById(deviceId);
    if (!camera) return;
    if (camera.streaming !== streaming) await this.ctx.store.media.cameras.update(deviceId, { streaming });
    void this.reconcile(deviceId, atMs);
  }

  /** Motion or a doorbell press: an event on the timeline (armed or not), and motion recording. */
  private async onEvent(reading: ReadingWrite, kind: CameraEventKind, receivedAtMs: number): Promise<void> {
    const camera = await this.deps.cameras.ensureById(reading.deviceId);
    if (!camera) return;
    const { store, bus, config } = this.ctx;
    await store.media.events.add({
      id: randomUUID(),
      deviceId: camera.deviceId,
      tenantId: camera.tenantId,
      homeId: camera.homeId,
      gatewayId: camera.gatewayId,
      kind,
      atMs: reading.tsMs,
    });
    bus.emit('camera.event', {
      tenantId: camera.tenantId,
      homeId: camera.homeId,
      deviceId: camera.deviceId,
      kind,
      atMs: reading.tsMs,
    });
    // Post-roll counts from when Hestia heard the motion: a camera's clock may be off.
    const recordUntilMs = receivedAtMs + config.media.motionPostRollSeconds * 1000;
    await store.media.cameras.update(camera.deviceId, { lastMotionAtMs: reading.tsMs, recordUntilMs });
    if (camera.mode === 'motion') {
      this.armPostRoll(camera.deviceId, recordUntilMs);
      void this.reconcile(camera.deviceId, receivedAtMs);
    }
  }

  private armPostRoll(deviceId: string, untilMs: number): void {
    clearTimeout(this.postRollTimers.get(deviceId));
    const timer = setTimeout(
      () => {
        this.postRollTimers.delete(deviceId);
        void this.reconcile(deviceId, this.ctx.clock.now());
      },
      Math.max(untilMs - this.ctx.clock.now(), 0) + 10,
    );
    timer.unref();
    this.postRollTimers.set(deviceId, timer);
  }

  private onSettings(changes: ReadonlyArray<{ deviceId: string; settings: Record<string, string> }>): void {
    for (const change of changes) {
      const mode = change.settings.recordingMode;
      if (!mode || !(RECORDING_MODES as readonly string[]).includes(mode)) continue;
      void (async () => {
        const camera = await this.deps.cameras.ensureById(change.deviceId);
        if (!camera || camera.mode === mode) return;
        await this.ctx.store.media.cameras.update(change.deviceId, { mode: mode as RecordingMode });
        void this.reconcile(change.deviceId, this.ctx.clock.now());
      })().catch((error: unknown) => this.ctx.logger.error({ err: error }, 'camera mode change failed'));
    }
  }

  private async onPolled({ server, becameUnhealthy }: PollOutcome): Promise<void> {
    if (becameUnhealthy || server.state === 'draining') await this.deps.moveCameras(server.id);
  }

  /** Looks at every camera whose recording is not what it should be (retries, post-roll ends). */
  async sweep(): Promise<void> {
    if (this.stopped) return;
    const nowMs = this.ctx.clock.now();
    try {
      for (const camera of await this.ctx.store.media.cameras.listNeedingAttention(nowMs))
        void this.reconcile(camera.deviceId, nowMs);
    } catch (error) {
      this.ctx.logger.error({ err: error }, 'recording sweep failed');
    }
  }

  /** Queues a look at one camera behind its earlier calls; resolves when done. */
  reconcile(deviceId: string, eventAtMs: number): Promise<void> {
    const previous = this.chains.get(deviceId) ?? Promise.resolve();
    const next = previous
      .then(() => this.apply(deviceId, eventAtMs))
      .catch((error: unknown) =>
        this.ctx.logger.error({ err: error, camera: deviceId }, 'recording control failed'),
      )
      .finally(() => {
        if (this.chains.get(deviceId) === next) this.chains.delete(deviceId);
      });
    this.chains.set(deviceId, next);
    return next;
  }

  private async apply(deviceId: string, eventAtMs: number): Promise<void> {
    const { store, clock } = this.ctx;
    let camera = await store.media.cameras.find(deviceId);
    if (!camera) return;
    const nowMs = clock.now();
    // Motion heard since the last write (repeats within EVENT_GAP_MS) extends the post-roll.
    const heardAtMs = this.motionHeardAt.get(deviceId);
    if (camera.mode === 'motion' && heardAtMs !== undefined) {
      const untilMs = heardAtMs + this.ctx.config.media.motionPostRollSeconds * 1000;
      if (untilMs > nowMs && (camera.recordUntilMs === null || untilMs > camera.recordUntilMs)) {
        camera = (await store.media.cameras.update(deviceId, { recordUntilMs: untilMs })) ?? camera;
        this.armPostRoll(deviceId, untilMs);
      }
    }
    const want = wantsRecording(camera, nowMs);
    const expiredPostRoll = camera.recordUntilMs !== null && camera.recordUntilMs <= nowMs;
    if (want !== camera.wantRecording || expiredPostRoll)
      await store.media.cameras.update(deviceId, {
        wantRecording: want,
        ...(expiredPostRoll ? { recordUntilMs: null } : {}),
      });
    if (want && camera.recording.state !== 'recording') await this.call(camera, 'start', eventAtMs);
    else if (!want && camera.recording.state === 'recording') await this.call(camera, 'stop', eventAtMs);
    else if (!want && camera.recording.state === 'failed') await this.setState(camera, 'idle', null);
  }

  private async call(camera: Camera, what: 'start' | 'stop', eventAtMs: number): Promise<void> {
    const { store, config, metrics, logger } = this.ctx;
    const server = camera.serverId ? await store.media.servers.find(camera.serverId) : undefined;
    if (!server) {
      if (what === 'stop') await this.setState(camera, 'idle', null);
      return;
    }
    const engine = this.deps.cluster.engineFor(server);
    const ref = { application: server.application, stream: camera.deviceId, cameraNumber: camera.number };
    let lastError = '';
    for (let attempt = 1; attempt <= config.media.recordingAttempts && !this.stopped; attempt++) {
      try {
        if (what === 'start') {
          await engine.startRecording(ref, { segmentMs: config.media.segmentMs });
          metrics.recordingStartSeconds.observe(Math.max(this.ctx.clock.now() - eventAtMs, 0) / 1000);
          await this.setState(camera, 'recording', null);
        } else {
          await engine.stopRecording(ref);
          await this.setState(camera, 'idle', null);
        }
        return;
      } catch (error) {
        const retryable = !(error instanceof MediaEngineError) || error.retryable;
        lastError = error instanceof Error ? error.message : String(error);
        metrics.recordingFailures.inc({ engine: server.engine, retryable: String(retryable) });
        logger.warn(
          { camera: camera.deviceId, server: server.name, attempt, err: lastError },
          `recording ${what} failed`,
        );
        if (!retryable) break;
        await sleep(FIRST_RETRY_MS * 2 ** (attempt - 1));
      }
    }
    await this.setState(camera, 'failed', `${what} on ${server.name}: ${lastError}`);
  }

  private async setState(camera: Camera, state: RecordingState, reason: string | null): Promise<void> {
    if (camera.recording.state === state && camera.recording.reason === reason) return;
    const atMs = this.ctx.clock.now();
    await this.ctx.store.media.cameras.update(camera.deviceId, {
      recording: { state, reason, sinceMs: atMs },
    });
    this.ctx.bus.emit('camera.recording', {
      tenantId: camera.tenantId,
      homeId: camera.homeId,
      deviceId: camera.deviceId,
      state,
      reason,
      atMs,
    });
  }
}
