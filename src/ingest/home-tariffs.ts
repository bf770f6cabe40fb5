import type { AppContext } from '../core/context.ts';
import type { Tariff } from '../core/domain/tariff.ts';

/** How long a home's tariff and camera count are trusted before they are read again. */
const TTL_MS = 30_000;

/**
 * The tariff in force for each home and the number of cameras in it, cached for the ingest path:
 * a new camera beyond the tariff's limit, or a recording mode it does not include, is refused.
 * Entries expire after 30 s and are dropped at once when tariffs change in this process.
 */
export class HomeTariffs {
  private readonly tariffs = new Map<string, { tariff: Tariff | undefined; atMs: number }>();
  private readonly cameras = new Map<string, { count: number; atMs: number }>();

  constructor(private readonly ctx: AppContext) {
    ctx.bus.on('retention.policy_changed', () => this.tariffs.clear(), this);
  }

  /** Leaves the bus. */
  stop(): void {
    this.ctx.bus.removeListeners(this);
  }

  async tariff(homeId: string): Promise<Tariff | undefined> {
    const nowMs = Date.now();
    const cached = this.tariffs.get(homeId);
    if (cached && nowMs - cached.atMs < TTL_MS) return cached.tariff;
    const tariff = await this.ctx.store.directory.tariffs.tariffForHome(homeId);
    this.tariffs.set(homeId, { tariff, atMs: nowMs });
    return tariff;
  }

  async cameraCount(homeId: string): Promise<number> {
    const nowMs = Date.now();
    const cached = this.cameras.get(homeId);
    if (cached && nowMs - cached.atMs < TTL_MS) return cached.count;
    const count = await this.ctx.store.directory.gateways.countHomeCameras(homeId);
    this.cameras.set(homeId, { count, atMs: nowMs });
    return count;
  }

  /** A camera is being created in the home (counted before its commit, like device limits). */
  cameraAdded(homeId: string): void {
    const cached = this.cameras.get(homeId);
    if (cached) cached.count += 1;
  }

  /** A gatewayConfig or a removal changed the home's devices: count again on next use. */
  forgetCameras(homeId: string): void {
    this.cameras.delete(homeId);
  }
}
