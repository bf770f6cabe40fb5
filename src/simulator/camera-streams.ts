import type { GatewayCredentials } from './files.ts';
import type { SimulatedCamera } from './model.ts';
import { publishCamera, type CameraPublication } from './video.ts';

/** Wait before asking again when no media server could take a camera (503) or one failed. */
const RETRY_MS = 10_000;

export type CameraStreamEvent =
  | { kind: 'streaming'; gatewayId: string; deviceId: string; server: string }
  | { kind: 'streamError'; gatewayId: string; deviceId: string; reason: string };

/**
 * The simulated cameras' video: each camera of a registered gateway asks Hestia where to stream
 * (its gateway's credentials, the seed's balancer), then publishes the clip there in a loop
 * with stream copy. A camera told to change its media server asks again; one that could not get
 * a server, or whose publication ended, tries again after a while.
 */
export class CameraStreams {
  private readonly publications = new Map<string, CameraPublication>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: { apiUrl: string; onEvent?: (event: CameraStreamEvent) => void }) {}

  /** Starts the cameras that do not stream yet. */
  start(gateway: GatewayCredentials, cameras: readonly SimulatedCamera[]): void {
    for (const camera of cameras)
      if (!this.publications.has(camera.deviceId) && !this.retries.has(camera.deviceId))
        void this.stream(gateway, camera.deviceId);
  }

  /** Stops a camera's publication and asks for a server again. */
  move(gateway: GatewayCredentials, deviceId: string): void {
    const publication = this.publications.get(deviceId);
    this.publications.delete(deviceId);
    void (publication?.stop() ?? Promise.resolve()).then(() => this.stream(gateway, deviceId));
  }

  get streaming(): number {
    return this.publications.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
    await Promise.all([...this.publications.values()].map((publication) => publication.stop()));
    this.publications.clear();
  }

  private async stream(gateway: GatewayCredentials, deviceId: string): Promise<void> {
    this.retries.delete(deviceId);
    if (this.stopped) return;
    try {
      const response = await fetch(
        `${this.options.apiUrl.replace(/\/+$/, '')}/v1/gateway/cameras/${deviceId}/stream`,
        {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${gateway.gatewayId}:${gateway.token}`).toString('base64')}`,
          },
        },
      );
      const body = (await response.json()) as {
        rtmpUrl?: string;
        serverName?: string;
        error?: { message: string };
      };
      if (response.status !== 200 || !body.rtmpUrl)
        throw new Error(body.error?.message ?? `HTTP ${response.status}`);
      if (this.stopped) return;
      const publication = await publishCamera(body.rtmpUrl);
      this.publications.set(deviceId, publication);
      this.options.onEvent?.({
        kind: 'streaming',
        gatewayId: gateway.gatewayId,
        deviceId,
        server: body.serverName ?? '',
      });
    } catch (error) {
      this.options.onEvent?.({
        kind: 'streamError',
        gatewayId: gateway.gatewayId,
        deviceId,
        reason: error instanceof Error ? error.message : String(error),
      });
      if (!this.stopped) {
        const timer = setTimeout(() => void this.stream(gateway, deviceId), RETRY_MS);
        timer.unref();
        this.retries.set(deviceId, timer);
      }
    }
  }
}
