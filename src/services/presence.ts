import type { AppContext } from '../core/context.ts';
import type { Device, DeviceAvailability } from '../core/domain/device.ts';
import type { Gateway } from '../core/domain/gateway.ts';
import { HestiaError } from '../core/errors.ts';
import type { Extension } from '../core/extension.ts';
import type { HeardWrite, StaleWindow } from '../core/ports/control.ts';
import type { ReadingWrite } from '../core/domain/telemetry.ts';
import type { Authorizer } from './authorization.ts';
import type { Principal } from './principal.ts';

/** A device's presence as the API shows it. */
export interface DevicePresence {
  availability: DeviceAvailability;
  /** Expected seconds between the device's reports: its own, else the configured default. */
  reportIntervalSeconds: number;
  /** Whether the interval is the device's own (false: presence.defaultReportIntervalSeconds). */
  ownReportInterval: boolean;
  /** When Hestia last heard from the device (null: never). */
  lastHeardAtMs: number | null;
}

/** The range of a device's own reporting interval, in seconds (one second to one week). */
export const REPORT_INTERVAL_RANGE = { min: 1, max: 7 * 24 * 60 * 60 } as const;

/** Heard times are written in batches at most this often (1 second). */
const FLUSH_INTERVAL_MS = 1000;
/**
 * A device's heard time is written again only once it moved by this share of its stale window,
 * so that a sensor reporting every few seconds costs a write every few minutes, not each time.
 * A device that falls silent may then be marked stale up to this share of its window early
 * (never while it keeps its interval: a report per interval is always written).
 */
const REWRITE_SHARE = 0.1;
/** Devices marked stale per sweep statement; the sweep repeats while it finds a full batch. */
const SWEEP_BATCH = 1000;

export interface PresenceDeps {
  authorize: Authorizer;
}

/**
 * Device presence: stale when a device misses its reporting interval, unavailable behind an
 * offline gateway, else online.
 *
 * Gateway online/offline comes from the broker (Last Will, keepalive expiry, disconnect) as
 * `gateway.status`; this turns it into `device.availability` for the gateway's devices. Device
 * silence is found by a sweep over an index of stale times (`device_presence`), fed from
 * `telemetry.committed`; a reading of a device known stale announces it online at once.
 */
export class PresenceService implements Extension {
  /** Newest heard time per device not yet written. */
  private readonly unwritten = new Map<string, HeardWrite>();
  /** The heard time last written per device, to thin out writes. */
  private readonly written = new Map<string, number>();
  /** When this process last heard from each device (what the API shows; the store may lag). */
  private readonly heard = new Map<string, number>();
  /** Devices marked stale (by any worker, as of the last sweep); a reading brings them back. */
  private stale = new Set<string>();
  /** Devices with an interval of their own, in seconds (reloaded each sweep for other workers' changes). */
  private intervals = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private sweeping: Promise<void> = Promise.resolve();
  private readonly announcing = new Set<Promise<void>>();

  constructor(
    private readonly ctx: AppContext,
    private readonly deps: PresenceDeps,
  ) {
    const { missedReportsBeforeStale, defaultReportIntervalSeconds } = ctx.config.presence;
    this.window = {
      missedMs: Math.round(missedReportsBeforeStale * 1000),
      defaultIntervalSeconds: defaultReportIntervalSeconds,
    };
  }

  start(): void {
    const { bus } = this.ctx;
    bus.on('telemetry.committed', ({ readings }) => this.onReadings(readings), this);
    bus.on(
      'gateway.status',
      (event) => {
        if (event.status === 'never_connected') return;
        const announcing = this.announceGateway(event.gatewayId, event.status === 'online', event.atMs)
          .catch((error: unknown) =>
            this.ctx.logger.error(
              { err: error, gatewayId: event.gatewayId },
              'could not announce device availability',
            ),
          )
          .finally(() => this.announcing.delete(announcing));
        this.announcing.add(announcing);
      },
      this,
    );
    this.flushTimer = setInterval(() => this.flushSoon(), FLUSH_INTERVAL_MS);
    this.flushTimer.unref();
    this.sweepTimer = setInterval(
      () => this.sweepSoon(),
      this.ctx.config.presence.sweepIntervalSeconds * 1000,
    );
    this.sweepTimer.unref();
    this.sweepSoon();
  }

  async stop(): Promise<void> {
    this.ctx.bus.removeListeners(this);
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.flushTimer = null;
    this.sweepTimer = null;
    await this.sweeping;
    // Gateways disconnected by the broker's close are still being announced: the store closes next.
    await Promise.all([...this.announcing]);
    this.flushSoon();
    await this.flushing;
  }

  /** How the stale time follows from the last report (configuration is frozen at start). */
  private readonly window: StaleWindow;

  private staleWindowMs(deviceId: string): number {
    return this.window.missedMs * (this.intervals.get(deviceId) ?? this.window.defaultIntervalSeconds);
  }

  // ---- readings ----

  /** Bus listener: a Map update per reading; writes happen on the flush timer. */
  private onReadings(readings: readonly ReadingWrite[]): void {
    const nowMs = this.ctx.clock.now();
    for (const reading of readings) {
      const { deviceId } = reading;
      this.heard.set(deviceId, nowMs);
      const back = this.stale.delete(deviceId);
      const writtenMs = this.written.get(deviceId);
      if (
        back ||
        writtenMs === undefined ||
        nowMs - writtenMs >= this.staleWindowMs(deviceId) * REWRITE_SHARE
      ) {
        this.unwritten.set(deviceId, {
          deviceId,
          tenantId: reading.tenantId,
          gatewayId: reading.gatewayId,
          heardAtMs: nowMs,
        });
      }
      if (back && reading.homeId) this.announce(reading, reading.homeId, 'online', nowMs);
    }
  }

  private flushSoon(): void {
    if (this.unwritten.size === 0) return;
    const rows = [...this.unwritten.values()];
    this.unwritten.clear();
    for (const row of rows) this.written.set(row.deviceId, row.heardAtMs);
    this.flushing = this.flushing
      .then(() => this.ctx.store.control.presence.recordHeard(rows, this.window))
      .catch((error: unknown) => {
        // A device deleted meanwhile fails the batch; its devices are recorded at their next reading.
        for (const row of rows) this.written.delete(row.deviceId);
        this.ctx.logger.warn({ err: error, devices: rows.length }, 'could not record device presence');
      });
  }

  // ---- sweep ----

  private sweepSoon(): void {
    this.sweeping = this.sweeping
      .then(() => this.sweep())
      .catch((error: unknown) => this.ctx.logger.error({ err: error }, 'presence sweep failed'));
  }

  /** Marks devices whose time is up stale and announces those behind an online gateway. */
  async sweep(): Promise<void> {
    await this.flushing;
    const store = this.ctx.store.control.presence;
    this.intervals = await store.listReportIntervals();
    const nowMs = this.ctx.clock.now();
    const gateways = new Map<string, Gateway | undefined>();
    for (;;) {
      const marked = await store.markStale(nowMs, SWEEP_BATCH);
      for (const row of marked) {
        if (!gateways.has(row.gatewayId))
          gateways.set(row.gatewayId, await this.ctx.store.directory.gateways.findGateway(row.gatewayId));
        const gateway = gateways.get(row.gatewayId);
        // Behind an offline gateway the device is already announced unavailable, which says more.
        if (!gateway?.homeId || gateway.status !== 'online') continue;
        this.announce(row, gateway.homeId, 'stale', nowMs);
      }
      if (marked.length < SWEEP_BATCH) break;
    }
    // Every worker learns which devices are stale, whoever marked them.
    const staleIds = new Set(await store.listStaleIds());
    // A reading that arrived while the list was read is newer than its mark.
    for (const deviceId of this.unwritten.keys()) staleIds.delete(deviceId);
    this.stale = staleIds;
  }

  // ---- gateways ----

  /** A gateway went offline (its devices are unavailable) or came back (each is online or stale). */
  private async announceGateway(gatewayId: string, online: boolean, atMs: number): Promise<void> {
    const gateway = await this.ctx.store.directory.gateways.findGateway(gatewayId);
    if (!gateway?.homeId) return;
    const devices = await this.ctx.store.devices.listGatewayDevices(gatewayId);
    const presence = online ? await this.describeMany(devices, gateway) : new Map<string, DevicePresence>();
    for (const device of devices) {
      const availability = online ? (presence.get(device.id)?.availability ?? 'online') : 'unavailable';
      this.announce(
        { tenantId: device.tenantId, gatewayId, deviceId: device.id },
        gateway.homeId,
        availability,
        atMs,
      );
    }
  }

  private announce(
    device: { tenantId: string; gatewayId: string; deviceId: string },
    homeId: string,
    availability: DeviceAvailability,
    atMs: number,
  ): void {
    this.ctx.metrics.deviceAvailabilityChanges.inc({ availability });
    this.ctx.bus.emit('device.availability', {
      tenantId: device.tenantId,
      homeId,
      gatewayId: device.gatewayId,
      deviceId: device.deviceId,
      availability,
      atMs,
    });
  }

  // ---- views ----

  /** The presence of one device, for the API. */
  async describe(device: Device & { channels?: Array<{ tsMs: number }> }): Promise<DevicePresence> {
    return (await this.describeMany([device])).get(device.id)!;
  }

  /**
   * The presence of several devices (one gateway lookup per gateway, one presence query). Device
   * views in lists use it: `describeMany(devices)` then `presentDevice(device, presence.get(id))`.
   */
  async describeMany(
    devices: ReadonlyArray<Device & { channels?: Array<{ tsMs: number }> }>,
    knownGateway?: Gateway,
  ): Promise<Map<string, DevicePresence>> {
    const gateways = new Map<string, Gateway | undefined>();
    if (knownGateway) gateways.set(knownGateway.id, knownGateway);
    for (const device of devices) {
      if (!gateways.has(device.gatewayId))
        gateways.set(device.gatewayId, await this.ctx.store.directory.gateways.findGateway(device.gatewayId));
    }
    const rows = new Map(
      (await this.ctx.store.control.presence.findMany(devices.map((d) => d.id))).map((row) => [
        row.deviceId,
        row,
      ]),
    );
    const nowMs = this.ctx.clock.now();
    const window = this.window;
    const result = new Map<string, DevicePresence>();
    for (const device of devices) {
      const row = rows.get(device.id);
      const own = row?.reportIntervalSeconds ?? null;
      const interval = own ?? window.defaultIntervalSeconds;
      // This process's unwritten readings are the freshest; then the store; then, for a device
      // not heard from since presence was recorded, its last reading or its creation.
      const lastHeardAtMs =
        maxOrNull(row?.lastHeardAtMs ?? null, this.heard.get(device.id) ?? null) ??
        device.lastSeenAtMs ??
        (device.channels && device.channels.length > 0
          ? Math.max(...device.channels.map((c) => c.tsMs))
          : null);
      const gateway = gateways.get(device.gatewayId);
      let availability: DeviceAvailability;
      if (gateway?.status !== 'online') availability = 'unavailable';
      else if (lastHeardAtMs === null || nowMs > lastHeardAtMs + window.missedMs * interval)
        availability = 'stale';
      else availability = 'online';
      result.set(device.id, {
        availability,
        reportIntervalSeconds: interval,
        ownReportInterval: own !== null,
        lastHeardAtMs,
      });
    }
    return result;
  }

  /**
   * Sets how often a device is expected to report (members and owners: it is a device setting);
   * null returns it to presence.defaultReportIntervalSeconds.
   */
  async setReportInterval(
    principal: Principal,
    deviceId: string,
    seconds: number | null,
  ): Promise<DevicePresence> {
    const device = await this.deps.authorize.device(principal, deviceId, 'control');
    if (
      seconds !== null &&
      (!Number.isInteger(seconds) ||
        seconds < REPORT_INTERVAL_RANGE.min ||
        seconds > REPORT_INTERVAL_RANGE.max)
    )
      throw new HestiaError(
        'HESTIA_VALIDATION_FAILED',
        `reportIntervalSeconds: must be a whole number of seconds from ${REPORT_INTERVAL_RANGE.min} to ${REPORT_INTERVAL_RANGE.max}`,
      );
    const heardAtMs = this.heard.get(deviceId) ?? device.lastSeenAtMs ?? this.ctx.clock.now();
    await this.ctx.store.control.presence.setReportInterval(
      {
        deviceId,
        tenantId: device.tenantId,
        gatewayId: device.gatewayId,
        heardAtMs,
        reportIntervalSeconds: seconds,
      },
      this.window,
    );
    if (seconds === null) this.intervals.delete(deviceId);
    else this.intervals.set(deviceId, seconds);
    return this.describe(device);
  }
}

function maxOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}
