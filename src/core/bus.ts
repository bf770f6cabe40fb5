import type { Logger } from 'pino';
import type { GatewayStatus } from './domain.ts';
import type { ReadingWrite } from '../store/ports.ts';

/** Events that cross extensions. Listeners must not throw; if one does, the bus logs it and goes on. */
export interface BusEvents {
  'gateway.status': { gatewayId: string; tenantId: string; status: GatewayStatus; atMs: number };
  /** Readings made durable by one group commit. */
  'telemetry.committed': { readings: ReadingWrite[] };
  'ingest.rejected': { tenantId: string | null; gatewayId: string | null; reason: string; detail: string };
  /** A gateway was registered to a home (homeId) or returned to pending (null). */
  'gateway.registration': { gatewayId: string; tenantId: string; homeId: string | null };
  /** The gateway's credentials no longer hold for its live session: the broker closes it. */
  'gateway.credentials_changed': { gatewayId: string; reason: 'rotated' | 'revoked' | 'tenant_suspended' };
  /** A gateway's devices and history were deleted: caches that know its devices forget them. */
  'gateway.data_deleted': { gatewayId: string };
  /**
   * A tariff's retention changed, or homes moved to another tariff: retention runs soon for the
   * tenant's gateways so that data already stored follows the new horizons.
   */
  'retention.policy_changed': { tenantId: string };
}

type Listener<K extends keyof BusEvents> = (event: BusEvents[K]) => void;

export class EventBus {
  private readonly listeners = new Map<keyof BusEvents, Set<Listener<never>>>();

  constructor(private readonly logger: Logger) {}

  on<K extends keyof BusEvents>(name: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<K extends keyof BusEvents>(name: K, event: BusEvents[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as Listener<K>)(event);
      } catch (error) {
        // One failing listener must not take the emitter (or the other listeners) down.
        this.logger.error({ err: error, event: name }, 'bus listener failed');
      }
    }
  }
}
