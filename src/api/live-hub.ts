import { EventBus } from '../core/bus.ts';
import type { AppContext } from '../core/context.ts';
import { presentAlarm, presentCommand } from './presenters/control.ts';
import { capabilityOf, type Capability } from '../core/capabilities.ts';
import { iso } from './presenters/time.ts';

/** One message of the live feed, as JSON on the WebSocket. Times are ISO 8601 in UTC. */
export type LiveMessage = { type: string; homeId: string } & Record<string, unknown>;

/** A live-feed connection as the hub sees it: which home, whose, and how to send. */
export interface LiveSubscriber {
  readonly homeId: string;
  /** The person's user id (in-app notifications are theirs only); null for API keys and staff keys. */
  readonly userId: string | null;
  send(message: LiveMessage): void;
}

/**
 * Fans the bus out to the live-feed connections of each home. Work happens only for homes
 * with someone listening: a committed batch of 20,000 readings costs one Map lookup per
 * reading when nobody watches their home.
 */
export class LiveHub {
  private readonly byHome = new Map<string, Set<LiveSubscriber>>();
  private readonly capabilities = new Map<string, Capability | null>();
  private readonly gatewayHomes = new Map<string, { homeId: string | null; atMs: number }>();

  constructor(private readonly ctx: AppContext) {
    const { bus } = ctx;
    const on: EventBus['on'] = (name, listener) => bus.on(name, listener, this);
    on('telemetry.committed', ({ readings }) => {
      if (this.byHome.size === 0) return;
      for (const reading of readings) {
        if (!reading.homeId || !this.byHome.has(reading.homeId)) continue;
        this.publish({
          type: 'state',
          homeId: reading.homeId,
          gatewayId: reading.gatewayId,
          deviceId: reading.deviceId,
          label: reading.label,
          capability: this.capabilityOf(reading.label, reading.sensorType),
          value: reading.value,
          text: reading.text,
          unit: reading.unit,
          ts: iso(reading.tsMs),
        });
      }
    });
    on('command.status', ({ command }) =>
      this.publish({
        type: 'command',
        homeId: command.homeId,
        command: presentCommand(command),
      }),
    );
    on('alarm.changed', ({ alarm, change }) =>
      this.publish({ type: 'alarm', homeId: alarm.homeId, change, alarm: presentAlarm(alarm) }),
    );
    on('home.mode_changed', (event) =>
      this.publish({
        type: 'mode',
        homeId: event.homeId,
        mode: event.mode,
        previous: event.previous,
        at: iso(event.atMs),
      }),
    );
    on('device.availability', (event) =>
      this.publish({
        type: 'availability',
        homeId: event.homeId,
        gatewayId: event.gatewayId,
        deviceId: event.deviceId,
        availability: event.availability,
        at: iso(event.atMs),
      }),
    );
    on('automation.run', (event) =>
      this.publish({
        type: 'automation',
        homeId: event.homeId,
        automationId: event.automationId,
        runId: event.runId,
        outcome: event.outcome,
        at: iso(event.atMs),
      }),
    );
    on('camera.recording', (event) =>
      this.publish({
        type: 'recording',
        homeId: event.homeId,
        deviceId: event.deviceId,
        state: event.state,
        reason: event.reason,
        at: iso(event.atMs),
      }),
    );
    on('camera.event', (event) =>
      this.publish({
        type: 'cameraEvent',
        homeId: event.homeId,
        deviceId: event.deviceId,
        kind: event.kind,
        at: iso(event.atMs),
      }),
    );
    on('notification.in_app', (event) => {
      if (event.homeId === null) return;
      this.publish(
        {
          type: 'notification',
          homeId: event.homeId,
          notificationId: event.notificationId,
          severity: event.severity,
          title: event.title,
          body: event.body,
          at: iso(event.atMs),
        },
        event.userId,
      );
    });
    on('gateway.status', (event) => {
      if (this.byHome.size === 0) return;
      this.homeOfGateway(event.gatewayId).then(
        (homeId) => {
          if (homeId)
            this.publish({
              type: 'gateway',
              homeId,
              gatewayId: event.gatewayId,
              status: event.status,
              at: iso(event.atMs),
            });
        },
        (error: unknown) => ctx.logger.warn({ err: error }, 'live feed: gateway home lookup failed'),
      );
    });
    on('gateway.registration', ({ gatewayId }) => this.gatewayHomes.delete(gatewayId));
  }

  add(subscriber: LiveSubscriber): void {
    let set = this.byHome.get(subscriber.homeId);
    if (!set) {
      set = new Set();
      this.byHome.set(subscriber.homeId, set);
    }
    set.add(subscriber);
  }

  remove(subscriber: LiveSubscriber): void {
    const set = this.byHome.get(subscriber.homeId);
    if (!set) return;
    set.delete(subscriber);
    if (set.size === 0) this.byHome.delete(subscriber.homeId);
  }

  close(): void {
    this.ctx.bus.removeListeners(this);
    this.byHome.clear();
  }

  /** To every subscriber of the message's home; with `onlyUserId`, to that person's connections only. */
  private publish(message: LiveMessage, onlyUserId?: string): void {
    const set = this.byHome.get(message.homeId);
    if (!set) return;
    for (const subscriber of set) {
      if (onlyUserId !== undefined && subscriber.userId !== onlyUserId) continue;
      subscriber.send(message);
    }
  }

  private capabilityOf(label: string, sensorType: string | null): Capability | null {
    const key = `${label}\u0000${sensorType ?? ''}`;
    let capability = this.capabilities.get(key);
    if (capability === undefined) {
      capability = capabilityOf(label, sensorType);
      if (this.capabilities.size > 10_000) this.capabilities.clear();
      this.capabilities.set(key, capability);
    }
    return capability;
  }

  /** Status events carry no home: looked up, and remembered for a minute. */
  private async homeOfGateway(gatewayId: string): Promise<string | null> {
    const now = this.ctx.clock.now();
    const cached = this.gatewayHomes.get(gatewayId);
    if (cached && now - cached.atMs < 60_000) return cached.homeId;
    const gateway = await this.ctx.store.directory.gateways.findGateway(gatewayId);
    const homeId = gateway?.homeId ?? null;
    if (this.gatewayHomes.size > 100_000) this.gatewayHomes.clear();
    this.gatewayHomes.set(gatewayId, { homeId, atMs: now });
    return homeId;
  }
}
