import type { Logger } from 'pino';
import type { Alarm } from './domain/alarm.ts';
import type { Command } from './domain/command.ts';
import type { DeviceAvailability } from './domain/device.ts';
import type { GatewayStatus } from './domain/gateway.ts';
import type { HomeMode } from './domain/home.ts';
import type { CameraEventKind, RecordingState } from './domain/media.ts';
import type { IngestBatch, ReadingWrite } from './domain/telemetry.ts';

/** Events that cross extensions. Listeners must not throw; if one does, the bus logs it and goes on. */
export interface BusEvents {
  'gateway.status': { gatewayId: string; tenantId: string; status: GatewayStatus; atMs: number };
  /** Readings made durable by one group commit. */
  'telemetry.committed': { readings: ReadingWrite[] };
  /** Device settings changed on controllers (messageType "command"), made durable by one group commit. */
  'devices.settings_committed': { changes: IngestBatch['deviceSettings'] };
  /**
   * A camera's mode, streaming or assignment changed (API, media-server callback): the
   * recording controller looks at it again.
   */
  'camera.changed': { deviceId: string; reason: 'mode' | 'streaming' | 'server' };
  /** A camera's recording state changed (the live feed shows it). */
  'camera.recording': {
    tenantId: string;
    homeId: string;
    deviceId: string;
    state: RecordingState;
    reason: string | null;
    atMs: number;
  };
  /** A camera saw something (motion, a doorbell press): the live feed and the timeline show it. */
  'camera.event': { tenantId: string; homeId: string; deviceId: string; kind: CameraEventKind; atMs: number };
  /** Camera previews made durable by one group commit. */
  'previews.committed': { previews: Array<{ deviceId: string; tenantId: string; tsMs: number }> };
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
  /**
   * A gateway's session subscribed to its down topic: from now on a QoS 1 publish reaches it
   * (one published before the SUBSCRIBE is lost), so queued commands are delivered.
   */
  'gateway.down_subscribed': { gatewayId: string; tenantId: string };
  /** A command was created or changed status. */
  'command.status': { command: Command };
  /** An alarm was raised, acknowledged or cleared. */
  'alarm.changed': { alarm: Alarm; change: 'raised' | 'acknowledged' | 'cleared' };
  /** A home's security mode changed (arm, disarm, home). */
  'home.mode_changed': {
    tenantId: string;
    homeId: string;
    mode: HomeMode;
    previous: HomeMode;
    changedBy: string;
    atMs: number;
  };
  /** A device went stale (missed its reporting interval), unavailable (gateway offline) or back online. */
  'device.availability': {
    tenantId: string;
    homeId: string;
    gatewayId: string;
    deviceId: string;
    availability: DeviceAvailability;
    atMs: number;
  };
  /** An in-app notification for one person (the live feed shows it). */
  'notification.in_app': {
    tenantId: string;
    homeId: string | null;
    userId: string;
    notificationId: string;
    severity: string;
    title: string;
    body: string;
    atMs: number;
  };
  /** An automation ran (or was throttled). */
  'automation.run': {
    tenantId: string;
    homeId: string;
    automationId: string;
    runId: string;
    outcome: string;
    atMs: number;
  };
}

type Listener<K extends keyof BusEvents> = (event: BusEvents[K]) => void;

/**
 * The typed event bus between extensions. A listener is registered with its owner (the
 * extension that added it) so that the owner's `stop()` removes all of its listeners at once
 * with `removeListeners(this)`: a stopped feature leaves nothing behind.
 */
export class EventBus {
  private readonly listeners = new Map<keyof BusEvents, Set<Listener<never>>>();
  private readonly owned = new Map<object, Array<() => void>>();

  constructor(private readonly logger: Logger) {}

  /** Adds a listener; returns its removal. With an owner, `removeListeners(owner)` removes it too. */
  on<K extends keyof BusEvents>(name: K, listener: Listener<K>, owner?: object): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    const entry = listener as Listener<never>;
    set.add(entry);
    const remove = (): void => {
      set.delete(entry);
    };
    if (owner) {
      const removals = this.owned.get(owner) ?? [];
      removals.push(remove);
      this.owned.set(owner, removals);
    }
    return remove;
  }

  /** Removes every listener `owner` added. */
  removeListeners(owner: object): void {
    for (const remove of this.owned.get(owner) ?? []) remove();
    this.owned.delete(owner);
  }

  /** How many listeners are registered (for tests: a stopped extension leaves none). */
  listenerCount(name?: keyof BusEvents): number {
    if (name) return this.listeners.get(name)?.size ?? 0;
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
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
