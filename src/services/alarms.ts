import { randomUUID } from 'node:crypto';
import type { AppContext } from '../core/context.ts';
import type { Alarm, AlarmCause, AlarmState, AlarmRaise, HomeSecurity } from '../core/domain/alarm.ts';
import type { HomeMode } from '../core/domain/home.ts';
import { HestiaError } from '../core/errors.ts';
import type { Extension } from '../core/extension.ts';
import { DEFAULT_LANGUAGE, renderNotification } from '../core/messages.ts';
import type { SqlRunner } from '../core/ports/sql.ts';
import type { ReadingWrite } from '../core/domain/telemetry.ts';
import {
  ALARM_CAPABILITIES,
  CapabilityCache,
  INTRUSION_CAUSES,
  alarmNotification,
  evaluateReading,
  type HomeAlarmSettings,
} from './alarm-rules.ts';
import type { AuditService } from './audit.ts';
import type { Authorizer } from './authorization.ts';
import type { NotificationService } from './notifications/notifications.ts';
import type { Principal, RequestOrigin } from './principal.ts';

export interface AlarmDeps {
  authorize: Authorizer;
  audit: AuditService;
  notifications: NotificationService;
}

/** A home's security as the API shows it: the mode, and the thresholds in force and its own. */
export interface SecurityView {
  homeId: string;
  mode: HomeMode;
  changedAtMs: number | null;
  changedBy: string | null;
  heatThresholdC: number;
  freezeThresholdC: number;
  /** The home's own thresholds; null where the configured default applies. */
  own: { heatThresholdC: number | null; freezeThresholdC: number | null };
}

/** Temperatures a threshold may be set to, in °C: wide enough for saunas and unheated cellars. */
export const THRESHOLD_RANGE_C = { min: -50, max: 150 } as const;
/** Heat must sit this far above freeze, so that their hysteresis bands cannot overlap. */
const MIN_THRESHOLD_GAP_C = 3;

interface CachedHome {
  tenantId: string;
  name: string;
  settings: HomeAlarmSettings;
  security: HomeSecurity | undefined;
  loadedAtMs: number;
}

/** One reading that may raise or clear an alarm, with the time its commit was announced. */
interface Candidate {
  reading: ReadingWrite & { homeId: string };
  capability: NonNullable<ReturnType<CapabilityCache['of']>>;
  committedAtMs: number;
}

const activeKey = (deviceId: string, cause: AlarmCause): string => `${deviceId}\u0000${cause}`;

/**
 * Alarms from readings (critical hazards, intrusion while armed, heat and freeze) and home modes.
 *
 * It listens to `telemetry.committed` and decides synchronously, with cached capabilities and
 * home settings, so that a reading that is no alarm costs a Map lookup. Readings that may raise
 * or clear go through one serial queue (the order of a device's readings is kept); a raise
 * writes the alarm, its gateway's usage count and its notification request in one transaction,
 * then wakes the notification dispatcher — no polling between a reading and its push.
 */
export class AlarmService implements Extension {
  private readonly capabilities = new CapabilityCache();
  private readonly homes = new Map<string, CachedHome>();
  /**
   * (device, cause) of active alarms, so that the many normal temperature readings need no
   * query to learn there is nothing to clear. Own changes apply at once; other workers' within
   * `alarms.cacheTtlSeconds` (the periodic reload).
   */
  private activeKeys = new Set<string>();
  /** Keys raised while a reload was running: the reload's older snapshot must not drop them. */
  private raisedDuringReload: Set<string> | null = null;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private reloadTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly deps: AlarmDeps,
  ) {}

  start(): void {
    this.stopped = false;
    this.ctx.bus.on('telemetry.committed', ({ readings }) => this.onCommitted(readings), this);
    const reload = (): void => {
      this.reloadActiveKeys().catch((error: unknown) =>
        this.ctx.logger.error({ err: error }, 'could not reload the active alarms'),
      );
    };
    reload();
    this.reloadTimer = setInterval(reload, this.ctx.config.alarms.cacheTtlSeconds * 1000);
    this.reloadTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.ctx.bus.removeListeners(this);
    if (this.reloadTimer) clearInterval(this.reloadTimer);
    this.reloadTimer = null;
    // Readings already committed are evaluated before the store closes.
    await this.queue;
  }

  // ---- readings ----

  /** The bus listener: must not throw and must not block (async work goes to the queue). */
  private onCommitted(readings: readonly ReadingWrite[]): void {
    let candidates: Candidate[] | null = null;
    for (const reading of readings) {
      const capability = this.capabilities.of(reading.label, reading.sensorType);
      if (capability === null || !ALARM_CAPABILITIES.has(capability) || !reading.homeId) continue;
      (candidates ??= []).push({
        reading: reading as Candidate['reading'],
        capability,
        committedAtMs: performance.now(),
      });
    }
    if (candidates === null || this.stopped) return;
    const batch = candidates;
    this.queued += batch.length;
    this.queue = this.queue
      .then(() => this.evaluate(batch))
      .catch((error: unknown) => this.ctx.logger.error({ err: error }, 'alarm evaluation failed'))
      .finally(() => {
        this.queued -= batch.length;
      });
  }

  /** Readings waiting for evaluation (for tests and diagnostics). */
  get pending(): number {
    return this.queued;
  }

  /** Resolves once every reading announced so far has been evaluated. */
  async settled(): Promise<void> {
    await this.queue;
  }

  private async evaluate(batch: readonly Candidate[]): Promise<void> {
    for (const candidate of batch) {
      try {
        await this.evaluateOne(candidate);
      } catch (error) {
        // One failed write must not stop the readings behind it.
        this.ctx.metrics.alarmEvaluationFailures.inc();
        this.ctx.logger.error(
          { err: error, deviceId: candidate.reading.deviceId, label: candidate.reading.label },
          'could not evaluate a reading for alarms',
        );
      }
    }
  }

  private async evaluateOne(candidate: Candidate): Promise<void> {
    const { reading } = candidate;
    const home = await this.home(reading.homeId);
    if (!home) return; // the home was deleted since the reading was accepted
    for (const decision of evaluateReading(candidate.capability, reading, home.settings)) {
      if (decision.kind === 'raise') {
        await this.raise(candidate, home, decision.cause, decision.severity);
      } else if (
        candidate.capability !== 'temperature' ||
        this.activeKeys.has(activeKey(reading.deviceId, decision.cause))
      ) {
        // Hazard sensors often report "normal" only once: always ask the store for those.
        await this.clearByDevice(reading, decision.cause);
      }
    }
  }

  private async raise(
    candidate: Candidate,
    home: CachedHome,
    cause: AlarmCause,
    severity: AlarmRaise['severity'],
  ): Promise<void> {
    const { reading } = candidate;
    const device = await this.ctx.store.devices.findDevice(reading.deviceId);
    if (!device) return;
    const deviceName = device.name ?? `${reading.label} sensor ${device.id.slice(0, 8)}`;
    const nowMs = this.ctx.clock.now();
    const input: AlarmRaise = {
      id: randomUUID(),
      tenantId: reading.tenantId,
      homeId: reading.homeId,
      gatewayId: reading.gatewayId,
      deviceId: reading.deviceId,
      cause,
      severity,
      label: reading.label,
      value: reading.value,
      atMs: reading.tsMs,
    };
    const { alarm, created } = await this.ctx.store.control.transaction(async (tx) => {
      const result = await this.ctx.store.control.alarms.raise(input, nowMs, tx);
      if (result.created) await this.enqueueRaised(result.alarm, deviceName, home.name, nowMs, tx);
      return result;
    });
    this.activeKeys.add(activeKey(alarm.deviceId, alarm.cause));
    this.raisedDuringReload?.add(activeKey(alarm.deviceId, alarm.cause));
    if (!created) return;
    this.ctx.metrics.alarmRaiseSeconds.observe((performance.now() - candidate.committedAtMs) / 1000);
    this.ctx.metrics.alarmsRaised.inc({ cause });
    this.deps.notifications.kick();
    this.ctx.bus.emit('alarm.changed', { alarm, change: 'raised' });
  }

  /** The alarm's notification request, in the raising transaction (the outbox). */
  private async enqueueRaised(
    alarm: Alarm,
    deviceName: string,
    homeName: string,
    nowMs: number,
    tx: SqlRunner,
  ): Promise<void> {
    const message = alarmNotification({ cause: alarm.cause, deviceName, homeName, value: alarm.value });
    const { title, body } = renderNotification(message, DEFAULT_LANGUAGE)!;
    await this.ctx.store.control.notifications.enqueue(
      {
        tenantId: alarm.tenantId,
        homeId: alarm.homeId,
        sourceKey: `alarm:${alarm.id}:raised`,
        kind: 'alarm',
        severity: alarm.severity,
        title,
        body,
        message,
        data: {
          alarmId: alarm.id,
          homeId: alarm.homeId,
          deviceId: alarm.deviceId,
          gatewayId: alarm.gatewayId,
          cause: alarm.cause,
          severity: alarm.severity,
        },
        userIds: null,
        createdAtMs: nowMs,
      },
      tx,
    );
  }

  private async clearByDevice(reading: ReadingWrite, cause: AlarmCause): Promise<void> {
    const cleared = await this.ctx.store.control.alarms.clearByDevice({
      deviceId: reading.deviceId,
      cause,
      measuredAtMs: reading.tsMs,
      atMs: this.ctx.clock.now(),
    });
    this.activeKeys.delete(activeKey(reading.deviceId, cause));
    if (cleared) this.announceCleared([cleared], 'device');
  }

  private announceCleared(alarms: readonly Alarm[], by: 'device' | 'person' | 'disarm'): void {
    for (const alarm of alarms) {
      this.activeKeys.delete(activeKey(alarm.deviceId, alarm.cause));
      this.ctx.metrics.alarmsCleared.inc({ by });
      this.ctx.bus.emit('alarm.changed', { alarm, change: 'cleared' });
    }
  }

  private async reloadActiveKeys(): Promise<void> {
    this.raisedDuringReload = new Set();
    try {
      const keys = await this.ctx.store.control.alarms.listActiveKeys();
      const next = new Set(keys.map((key) => activeKey(key.deviceId, key.cause)));
      for (const key of this.raisedDuringReload) next.add(key);
      this.activeKeys = next;
    } finally {
      this.raisedDuringReload = null;
    }
  }

  // ---- home settings ----

  /** A home's mode and thresholds, cached for `alarms.cacheTtlSeconds` (undefined: no such home). */
  private async home(homeId: string): Promise<CachedHome | undefined> {
    const cached = this.homes.get(homeId);
    const ttlMs = this.ctx.config.alarms.cacheTtlSeconds * 1000;
    if (cached && this.ctx.clock.now() - cached.loadedAtMs < ttlMs) return cached;
    const found = await this.ctx.store.directory.homes.findHome(homeId);
    if (!found) {
      this.homes.delete(homeId);
      return undefined;
    }
    const security = await this.ctx.store.control.alarms.findSecurity(homeId);
    return this.cacheHome(homeId, found.tenantId, found.name, security);
  }

  private cacheHome(
    homeId: string,
    tenantId: string,
    name: string,
    security: HomeSecurity | undefined,
  ): CachedHome {
    const defaults = this.ctx.config.alarms;
    const entry: CachedHome = {
      tenantId,
      name,
      security,
      settings: {
        mode: security?.mode ?? 'disarmed',
        heatThresholdC: security?.heatThresholdC ?? defaults.heatThresholdC,
        freezeThresholdC: security?.freezeThresholdC ?? defaults.freezeThresholdC,
      },
      loadedAtMs: this.ctx.clock.now(),
    };
    // Bounded: homes that stopped reporting fall out when the map grows large.
    if (this.homes.size >= 100_000) this.homes.clear();
    this.homes.set(homeId, entry);
    return entry;
  }

  /** The home's security mode (a home that never set one is disarmed). */
  async homeMode(homeId: string): Promise<HomeMode> {
    return (await this.home(homeId))?.settings.mode ?? 'disarmed';
  }

  private view(homeId: string, entry: CachedHome): SecurityView {
    return {
      homeId,
      mode: entry.settings.mode,
      changedAtMs: entry.security?.changedAtMs ?? null,
      changedBy: entry.security?.changedBy ?? null,
      heatThresholdC: entry.settings.heatThresholdC,
      freezeThresholdC: entry.settings.freezeThresholdC,
      own: {
        heatThresholdC: entry.security?.heatThresholdC ?? null,
        freezeThresholdC: entry.security?.freezeThresholdC ?? null,
      },
    };
  }

  /** The mode and thresholds of a home (anyone who may read the home). */
  async security(principal: Principal, homeId: string): Promise<SecurityView> {
    const { home } = await this.deps.authorize.home(principal, homeId, 'read');
    const security = await this.ctx.store.control.alarms.findSecurity(homeId);
    return this.view(homeId, this.cacheHome(homeId, home.tenantId, home.name, security));
  }

  /**
   * Arms, disarms or sets the home mode (members and owners). Disarming clears the home's active
   * intrusion alarms in the same transaction.
   */
  async setHomeMode(
    principal: Principal,
    homeId: string,
    mode: HomeMode,
    origin: RequestOrigin,
  ): Promise<SecurityView> {
    const { home } = await this.deps.authorize.home(principal, homeId, 'control');
    const by = actorId(principal);
    const nowMs = this.ctx.clock.now();
    const { previous, security, cleared } = await this.ctx.store.control.transaction(async (tx) => {
      const before = await this.ctx.store.control.alarms.findSecurity(homeId, tx);
      const previousMode = before?.mode ?? 'disarmed';
      if (previousMode === mode) return { previous: previousMode, security: before, cleared: [] as Alarm[] };
      const after = await this.ctx.store.control.alarms.setMode(
        { homeId, tenantId: home.tenantId, mode, by, atMs: nowMs },
        tx,
      );
      const clearedAlarms =
        mode === 'disarmed'
          ? await this.ctx.store.control.alarms.clearHomeCauses(
              { homeId, causes: INTRUSION_CAUSES, by, atMs: nowMs },
              tx,
            )
          : [];
      return { previous: previousMode, security: after, cleared: clearedAlarms };
    });
    const entry = this.cacheHome(homeId, home.tenantId, home.name, security);
    if (previous !== mode) {
      await this.deps.audit.record({
        tenantId: home.tenantId,
        action: 'home.security_mode_changed',
        actor: principal,
        origin,
        target: { type: 'home', id: homeId },
        homeId,
        detail: { mode, previous, clearedAlarms: cleared.length },
      });
      this.ctx.bus.emit('home.mode_changed', {
        tenantId: home.tenantId,
        homeId,
        mode,
        previous,
        changedBy: by,
        atMs: nowMs,
      });
      this.announceCleared(cleared, 'disarm');
    }
    return this.view(homeId, entry);
  }

  /** Sets the home's own heat/freeze thresholds (owners); null returns one to the default. */
  async setThresholds(
    principal: Principal,
    homeId: string,
    patch: { heatThresholdC?: number | null | undefined; freezeThresholdC?: number | null | undefined },
    origin: RequestOrigin,
  ): Promise<SecurityView> {
    const { home } = await this.deps.authorize.home(principal, homeId, 'manage');
    const defaults = this.ctx.config.alarms;
    const security = await this.ctx.store.control.transaction(async (tx) => {
      const before = await this.ctx.store.control.alarms.findSecurity(homeId, tx);
      const own = {
        heatThresholdC:
          patch.heatThresholdC === undefined ? (before?.heatThresholdC ?? null) : patch.heatThresholdC,
        freezeThresholdC:
          patch.freezeThresholdC === undefined ? (before?.freezeThresholdC ?? null) : patch.freezeThresholdC,
      };
      for (const [name, value] of Object.entries(own)) {
        if (
          value !== null &&
          (!Number.isFinite(value) || value < THRESHOLD_RANGE_C.min || value > THRESHOLD_RANGE_C.max)
        )
          throw new HestiaError(
            'HESTIA_VALIDATION_FAILED',
            `${name}: must be between ${THRESHOLD_RANGE_C.min} and ${THRESHOLD_RANGE_C.max} °C`,
          );
      }
      const heat = own.heatThresholdC ?? defaults.heatThresholdC;
      const freeze = own.freezeThresholdC ?? defaults.freezeThresholdC;
      if (heat - freeze < MIN_THRESHOLD_GAP_C)
        throw new HestiaError(
          'HESTIA_VALIDATION_FAILED',
          `heatThresholdC (${heat} °C) must be at least ${MIN_THRESHOLD_GAP_C} °C above freezeThresholdC (${freeze} °C)`,
        );
      return this.ctx.store.control.alarms.setThresholds({ homeId, tenantId: home.tenantId, ...own }, tx);
    });
    const entry = this.cacheHome(homeId, home.tenantId, home.name, security);
    await this.deps.audit.record({
      tenantId: home.tenantId,
      action: 'home.alarm_thresholds_changed',
      actor: principal,
      origin,
      target: { type: 'home', id: homeId },
      homeId,
      detail: { heatThresholdC: security.heatThresholdC, freezeThresholdC: security.freezeThresholdC },
    });
    return this.view(homeId, entry);
  }

  // ---- alarms ----

  /** A home's alarms newest first (anyone who may read the home). */
  async list(
    principal: Principal,
    homeId: string,
    query: {
      state: AlarmState | 'all';
      limit: number;
      before?: { raisedAtMs: number; id: string } | undefined;
    },
  ): Promise<Alarm[]> {
    await this.deps.authorize.home(principal, homeId, 'read');
    return this.ctx.store.control.alarms.list({ homeId, ...query });
  }

  /** One alarm, through its home: an alarm of a home one cannot see is "not found". */
  async get(principal: Principal, alarmId: string, action: 'read' | 'control' = 'read'): Promise<Alarm> {
    const alarm = await this.ctx.store.control.alarms.find(alarmId);
    if (!alarm) throw new HestiaError('HESTIA_NOT_FOUND', 'No such alarm');
    try {
      await this.deps.authorize.home(principal, alarm.homeId, action);
    } catch (error) {
      if (error instanceof HestiaError && error.code === 'HESTIA_NOT_FOUND')
        throw new HestiaError('HESTIA_NOT_FOUND', 'No such alarm');
      throw error;
    }
    return alarm;
  }

  /** Marks an alarm seen (members and owners); it stays active. A second acknowledgement keeps the first. */
  async acknowledge(principal: Principal, alarmId: string, origin: RequestOrigin): Promise<Alarm> {
    const alarm = await this.get(principal, alarmId, 'control');
    if (alarm.acknowledgedAtMs !== null) return alarm;
    const updated = await this.ctx.store.control.alarms.acknowledge(
      alarmId,
      actorId(principal),
      this.ctx.clock.now(),
    );
    if (!updated) throw new HestiaError('HESTIA_NOT_FOUND', 'No such alarm');
    await this.deps.audit.record({
      tenantId: alarm.tenantId,
      action: 'alarm.acknowledged',
      actor: principal,
      origin,
      target: { type: 'alarm', id: alarmId },
      homeId: alarm.homeId,
      detail: { cause: alarm.cause },
    });
    this.ctx.bus.emit('alarm.changed', { alarm: updated, change: 'acknowledged' });
    return updated;
  }

  /** Clears an active alarm (members and owners); 409 HESTIA_ALARM_CLEARED when it is not active. */
  async clear(principal: Principal, alarmId: string, origin: RequestOrigin): Promise<Alarm> {
    const alarm = await this.get(principal, alarmId, 'control');
    if (alarm.state === 'cleared') throw new HestiaError('HESTIA_ALARM_CLEARED');
    const cleared = await this.ctx.store.control.alarms.clear(
      alarmId,
      actorId(principal),
      this.ctx.clock.now(),
    );
    // Cleared in between by the sensor, by disarming or by someone else.
    if (!cleared) throw new HestiaError('HESTIA_ALARM_CLEARED');
    await this.deps.audit.record({
      tenantId: alarm.tenantId,
      action: 'alarm.cleared',
      actor: principal,
      origin,
      target: { type: 'alarm', id: alarmId },
      homeId: alarm.homeId,
      detail: { cause: alarm.cause },
    });
    this.announceCleared([cleared], 'person');
    return cleared;
  }
}

/** Who acted, as stored in changed_by / acknowledged_by / cleared_by. */
function actorId(principal: Principal): string {
  return principal.kind === 'user' ? principal.userId : principal.apiKeyId;
}
