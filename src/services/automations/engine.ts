import type { AppContext } from '../../core/context.ts';
import type { Alarm } from '../../core/domain/alarm.ts';
import type { HomeMode } from '../../core/domain/home.ts';
import { DEFAULT_LANGUAGE, renderNotification, type NotificationMessage } from '../../core/messages.ts';
import type { ReadingWrite } from '../../core/domain/telemetry.ts';
import type { ScheduleRow } from '../../core/ports/control.ts';
import type { AlarmService } from '../alarms.ts';
import type { CommandService } from '../commands.ts';
import type { NotificationService } from '../notifications/notifications.ts';
import { evaluateConditions, type ConditionEnv } from './conditions.ts';
import { LoopGuard } from './loop-guard.ts';
import { ActionRunner, newRun } from './runner.ts';
import { AutomationScheduler, describeTimed, placeOf } from './scheduler.ts';
import { TriggerIndex, channelKey } from './trigger-index.ts';
import {
  isTimedTrigger,
  type Automation,
  type AutomationRun,
  type DeviceTrigger,
  type FlagReason,
  type RunTrigger,
} from '../../core/domain/automation.ts';
import { nextTimedFire, type HomePlace } from './schedule.ts';
import {
  alarmTriggerFires,
  describeDeviceTrigger,
  deviceDisplayName,
  deviceTriggerFires,
  modeTriggerFires,
  type ChannelValue,
} from './triggers.ts';

export interface EngineDeps {
  commands: CommandService;
  notifications: NotificationService;
  alarms: AlarmService;
}

/** A run still 'running' this long after it started was left by a process that stopped mid-run. */
const ABANDONED_RUN_MS = 10 * 60_000; // 10 minutes
/** Homes (timezone, location) are re-read this often for schedules and conditions. */
const PLACE_TTL_MS = 60_000; // 1 minute
/** Device names (for run descriptions) are re-read this often: a renamed device shows soon after. */
const DEVICE_NAME_TTL_MS = 60_000; // 1 minute
const RUN_RETENTION_EVERY_MS = 60 * 60_000; // 1 hour

/** A description that names a device: written once the device's display name is known. */
interface DeviceDescription {
  deviceId: string;
  describe: (deviceName: string) => string;
}

/** How a run came about: what fired it, the automations that caused it, whether a person asked. */
interface RunRequest {
  trigger: Omit<RunTrigger, 'description'> & { description: string | DeviceDescription };
  causes: string[];
  /** When the event happened (reading committed, alarm raised…), for the reaction metric. */
  eventAtMs: number;
  manual?: { force: boolean };
}

/**
 * The automation engine: reacts to readings, alarms and mode changes without polling (the
 * reading → command path is a Map lookup, the conditions and the command), fires timed
 * triggers from persisted next-fire times, runs actions in order (pausing at delays, resumable
 * after a restart), records each run, and stops rules that loop.
 */
export class AutomationEngine {
  private readonly index = new TriggerIndex();
  private readonly guard: LoopGuard;
  private readonly scheduler: AutomationScheduler;
  private readonly runner: ActionRunner;
  /** Previous state of each watched channel, for crossings and changes. */
  private readonly channels = new Map<string, ChannelValue>();
  /** Readings of channels whose previous state is being read from history, in arrival order. */
  private readonly seeding = new Map<string, ReadingWrite[]>();
  private readonly lastRunStart = new Map<string, number>();
  private readonly places = new Map<string, { place: HomePlace; loadedAtMs: number }>();
  /** The lookup (not its result) is kept, so that runs of one reading wait for one query, in order. */
  private readonly deviceNames = new Map<string, { name: Promise<string>; loadedAtMs: number }>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private refreshTimer: NodeJS.Timeout | null = null;
  private lastRetentionAtMs = 0;
  private stopped = true;

  constructor(
    private readonly ctx: AppContext,
    private readonly deps: EngineDeps,
  ) {
    const { causalityWindowSeconds, maxRunsPerMinute } = ctx.config.automations;
    this.guard = new LoopGuard(causalityWindowSeconds * 1000, maxRunsPerMinute);
    this.scheduler = new AutomationScheduler(ctx, {
      fireSchedule: (row, nowMs) => this.fireSchedule(row, nowMs),
      resume: (run) => this.resume(run),
      track: (work) => this.track(work),
    });
    this.runner = new ActionRunner(ctx, {
      commands: deps.commands,
      notifications: deps.notifications,
      guard: this.guard,
      wake: (atMs) => this.scheduler.wake(atMs),
    });
  }

  private get store() {
    return this.ctx.store.control.automations;
  }

  // ---- lifecycle ----

  start(): void {
    this.stopped = false;
    this.scheduler.start();
    const { bus } = this.ctx;
    bus.on('telemetry.committed', ({ readings }) => this.onReadings(readings), this);
    bus.on(
      'alarm.changed',
      ({ alarm, change }) => {
        if (change === 'raised') this.onAlarm(alarm);
      },
      this,
    );
    bus.on('home.mode_changed', (event) => this.onModeChanged(event.homeId, event.mode, event.atMs), this);
    this.track(this.load());
    const refreshMs = this.ctx.config.automations.refreshIntervalSeconds * 1000;
    this.refreshTimer = setInterval(() => this.track(this.refresh()), refreshMs);
    this.refreshTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.ctx.bus.removeListeners(this);
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.scheduler.stop();
    this.refreshTimer = null;
    // Runs in flight finish (or reach their next delay, where they are persisted and resume later).
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Keeps async work visible to `stop` and logs its failure (bus listeners must not throw). */
  private track<T>(work: Promise<T>): void {
    const tracked = work.catch((error: unknown) => {
      this.ctx.logger.error({ err: error }, 'automation work failed');
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private async load(): Promise<void> {
    const now = this.ctx.clock.now();
    const abandoned = await this.store.failAbandonedRuns(now - ABANDONED_RUN_MS, now);
    if (abandoned > 0)
      this.ctx.logger.warn({ runs: abandoned }, 'automation runs interrupted by a stop ended as failed');
    for (const automation of await this.store.listEnabledAutomations()) this.index.set(automation);
    this.ctx.logger.info({ automations: this.index.automations.size }, 'automations loaded');
    this.scheduler.requestTick();
  }

  /** Picks up changes made by other workers (or the CLI), prunes memory, trims run history. */
  private async refresh(): Promise<void> {
    if (this.stopped) return;
    const now = this.ctx.clock.now();
    const versions = await this.store.listEnabledVersions();
    const enabled = new Set<string>();
    for (const { id, updatedAtMs } of versions) {
      enabled.add(id);
      if (this.index.automations.get(id)?.updatedAtMs === updatedAtMs) continue;
      const automation = await this.store.findAutomation(id);
      if (automation) this.index.set(automation);
    }
    for (const id of [...this.index.automations.keys()]) if (!enabled.has(id)) this.index.remove(id);
    this.guard.prune(now);
    for (const [homeId, entry] of this.places)
      if (now - entry.loadedAtMs > PLACE_TTL_MS) this.places.delete(homeId);
    for (const [deviceId, entry] of this.deviceNames)
      if (now - entry.loadedAtMs > DEVICE_NAME_TTL_MS) this.deviceNames.delete(deviceId);
    if (now - this.lastRetentionAtMs > RUN_RETENTION_EVERY_MS) {
      this.lastRetentionAtMs = now;
      const days = this.ctx.config.automations.runRetentionDays;
      await this.store.deleteRunsBefore(now - days * 24 * 60 * 60_000);
    }
    this.scheduler.requestTick();
  }

  /** A rule was created, changed or deleted in this process: the index follows at once. */
  changed(automation: Automation | { id: string; deleted: true }): void {
    if ('deleted' in automation) {
      this.index.remove(automation.id);
      this.guard.forget(automation.id);
    } else {
      this.index.set(automation);
    }
    this.scheduler.requestTick();
  }

  async placeOf(homeId: string): Promise<HomePlace | null> {
    const cached = this.places.get(homeId);
    const now = this.ctx.clock.now();
    if (cached && now - cached.loadedAtMs <= PLACE_TTL_MS) return cached.place;
    const home = await this.ctx.store.directory.homes.findHome(homeId);
    if (!home) return null;
    const place = placeOf(home);
    this.places.set(homeId, { place, loadedAtMs: now });
    return place;
  }

  /**
   * How runs name a device (deviceDisplayName), cached for a minute. A failed lookup is logged
   * and the run names the device by its id: the run matters more than its wording.
   */
  private deviceName(deviceId: string): Promise<string> {
    const now = this.ctx.clock.now();
    const cached = this.deviceNames.get(deviceId);
    if (cached && now - cached.loadedAtMs <= DEVICE_NAME_TTL_MS) return cached.name;
    const entry = {
      name: this.ctx.store.devices.findDevice(deviceId).then(
        (device) => deviceDisplayName(device, deviceId),
        (error: unknown) => {
          this.ctx.logger.warn({ err: error, deviceId }, 'device name lookup for an automation run failed');
          if (this.deviceNames.get(deviceId) === entry) this.deviceNames.delete(deviceId);
          return deviceDisplayName(undefined, deviceId);
        },
      ),
      loadedAtMs: now,
    };
    this.deviceNames.set(deviceId, entry);
    return entry.name;
  }

  // ---- events ----

  private onReadings(readings: ReadingWrite[]): void {
    for (const reading of readings) {
      const key = channelKey(reading.deviceId, reading.label);
      if (!this.index.byChannel.has(key)) continue;
      const queued = this.seeding.get(key);
      if (queued) {
        queued.push(reading);
        continue;
      }
      const previous = this.channels.get(key);
      if (previous === undefined) {
        this.seeding.set(key, [reading]);
        this.track(this.seed(key, reading));
        continue;
      }
      this.onChannelReading(key, previous, reading);
    }
  }

  /**
   * The previous state of a channel seen for the first time: the reading before this one in
   * history. (The stored current state already holds this reading: it was committed before the
   * event.) Readings that arrive meanwhile wait, in order.
   */
  private async seed(key: string, first: ReadingWrite): Promise<void> {
    let previous: ChannelValue | null = null;
    try {
      const [reading] = await this.ctx.store.telemetry.readHistory({
        deviceId: first.deviceId,
        label: first.label,
        fromMs: 0,
        toMs: first.tsMs,
        limit: 1,
        order: 'desc',
      });
      if (reading) previous = { value: reading.value, text: reading.text, tsMs: reading.tsMs };
    } finally {
      const queued = this.seeding.get(key) ?? [];
      this.seeding.delete(key);
      let state: ChannelValue | null = previous;
      for (const reading of queued) state = this.onChannelReading(key, state, reading);
    }
  }

  /** Evaluates the device triggers of one reading; returns the channel's state after it. */
  private onChannelReading(
    key: string,
    previous: ChannelValue | null,
    reading: ReadingWrite,
  ): ChannelValue | null {
    // Newest device time wins, as in the stored state: a late or repeated reading changes nothing.
    if (previous !== null && reading.tsMs <= previous.tsMs) return previous;
    const next: ChannelValue = { value: reading.value, text: reading.text, tsMs: reading.tsMs };
    this.channels.set(key, next);
    const eventAtMs = this.ctx.clock.now();
    for (const { automation, index } of this.index.byChannel.get(key) ?? []) {
      if (reading.homeId !== undefined && reading.homeId !== automation.homeId) continue;
      const trigger = automation.triggers[index] as DeviceTrigger;
      if (!deviceTriggerFires(trigger, previous, next)) continue;
      this.track(
        this.trigger(automation, {
          trigger: {
            type: 'device',
            index,
            description: {
              deviceId: reading.deviceId,
              describe: (deviceName) => describeDeviceTrigger(trigger, next, deviceName),
            },
            deviceId: reading.deviceId,
            label: reading.label,
            value: next.value ?? next.text,
            previous: previous === null ? null : (previous.value ?? previous.text),
          },
          causes: this.guard.causesOf(reading.deviceId, eventAtMs),
          eventAtMs,
        }),
      );
    }
    return next;
  }

  private onAlarm(alarm: Alarm): void {
    const eventAtMs = this.ctx.clock.now();
    for (const automation of this.index.byHome.get(alarm.homeId) ?? []) {
      const index = automation.triggers.findIndex(
        (trigger) => trigger.type === 'alarm' && alarmTriggerFires(trigger, alarm),
      );
      if (index < 0) continue;
      this.track(
        this.trigger(automation, {
          trigger: {
            type: 'alarm',
            index,
            description: {
              deviceId: alarm.deviceId,
              describe: (deviceName) => `${alarm.severity} ${alarm.cause} alarm raised by ${deviceName}`,
            },
            alarmId: alarm.id,
            deviceId: alarm.deviceId,
          },
          causes: this.guard.causesOf(alarm.deviceId, eventAtMs),
          eventAtMs,
        }),
      );
    }
  }

  private onModeChanged(homeId: string, mode: HomeMode, atMs: number): void {
    for (const automation of this.index.byHome.get(homeId) ?? []) {
      const index = automation.triggers.findIndex(
        (trigger) => trigger.type === 'mode' && modeTriggerFires(trigger, mode),
      );
      if (index < 0) continue;
      this.track(
        this.trigger(automation, {
          trigger: { type: 'mode', index, description: `the home's mode changed to ${mode}` },
          causes: [],
          eventAtMs: atMs,
        }),
      );
    }
  }

  // ---- runs ----

  /** A person's "run now": conditions are evaluated unless `force`; no cooldown or loop checks. */
  runManually(automation: Automation, userId: string | null, force: boolean): Promise<AutomationRun> {
    const work = this.trigger(automation, {
      trigger: {
        type: 'manual',
        description: force ? 'run by hand (conditions skipped)' : 'run by hand',
        ...(userId ? { userId } : {}),
      },
      causes: [],
      eventAtMs: this.ctx.clock.now(),
      manual: { force },
    });
    this.track(work);
    // Only the cooldown answers null, and manual runs are not subject to it.
    return work as Promise<AutomationRun>;
  }

  private async trigger(automation: Automation, request: RunRequest): Promise<AutomationRun | null> {
    // Named before the cooldown check, so that the check and the start it records stay together.
    const { description } = request.trigger;
    const trigger: RunTrigger = {
      ...request.trigger,
      description:
        typeof description === 'string'
          ? description
          : description.describe(await this.deviceName(description.deviceId)),
    };
    const now = this.ctx.clock.now();
    if (!request.manual) {
      const last = this.lastRunStart.get(automation.id);
      if (last !== undefined && now - last < automation.cooldownSeconds * 1000) {
        this.ctx.metrics.automationTriggersSuppressed.inc({ reason: 'cooldown' });
        return null;
      }
    }
    const run = newRun(automation, trigger, request.causes, now);
    if (!request.manual?.force && automation.conditions.length > 0) {
      const verdict = await evaluateConditions(automation.conditions, await this.conditionEnv(automation));
      if (!verdict.holds) {
        return this.runner.finish(
          run,
          'skipped_condition',
          `conditions[${verdict.index}]: ${verdict.reason}`,
          true,
        );
      }
    }
    if (!request.manual) {
      if (request.causes.includes(automation.id)) return this.throttle(automation, run, 'loop');
      if (this.guard.overRate(automation.id, now)) return this.throttle(automation, run, 'rate');
    }
    this.lastRunStart.set(automation.id, now);
    return this.runner.execute(automation, run, automation.actions, 0, true, request.eventAtMs);
  }

  private async conditionEnv(automation: Automation): Promise<ConditionEnv> {
    const place = (await this.placeOf(automation.homeId)) ?? {
      timezone: 'UTC',
      latitude: null,
      longitude: null,
    };
    return {
      nowMs: this.ctx.clock.now(),
      place,
      homeMode: () => this.deps.alarms.homeMode(automation.homeId),
      channel: async (deviceId, label) => {
        const device = await this.ctx.store.devices.findDeviceWithChannels(deviceId);
        const channel = device?.channels.find((candidate) => candidate.label === label);
        return channel ? { value: channel.value, text: channel.text, tsMs: channel.tsMs } : null;
      },
    };
  }

  /**
   * Loop protection: the run is recorded as throttled, the rule disabled and flagged (the API
   * shows why), its schedules dropped, and the home told. Removing it from the index first stops
   * the loop at once, before anything is written.
   */
  private async throttle(
    automation: Automation,
    run: AutomationRun,
    reason: FlagReason,
  ): Promise<AutomationRun> {
    this.index.remove(automation.id);
    const limit = this.ctx.config.automations.maxRunsPerMinute;
    const why =
      reason === 'loop'
        ? `re-triggered by its own actions (through automations ${run.causes.join(', ')})`
        : `more than ${limit} runs in a minute`;
    const message: NotificationMessage = {
      key: `automation.stopped.${reason}`,
      params: { automation: automation.name, causes: run.causes.join(', '), limit: String(limit) },
    };
    const atMs = this.ctx.clock.now();
    Object.assign(run, { outcome: 'throttled', error: why, finishedAtMs: atMs });
    // The run and the flag together: whoever sees the throttled run sees the rule stopped.
    const flagged = await this.ctx.store.control.transaction(async (tx) => {
      await this.store.insertRun(run, tx);
      const changed = await this.store.flagAutomation(automation.id, reason, atMs, tx);
      if (changed) await this.store.replaceSchedules(automation.id, [], tx);
      return changed;
    });
    this.runner.announce(run);
    if (!flagged) return run;
    this.ctx.metrics.automationFlagged.inc({ reason });
    this.ctx.logger.warn({ automationId: automation.id, reason }, 'automation stopped by loop protection');
    await this.deps.notifications.notify({
      tenantId: automation.tenantId,
      homeId: automation.homeId,
      sourceKey: `automation:${automation.id}:flagged:${atMs}`,
      kind: 'automation',
      severity: 'warning',
      ...renderNotification(message, DEFAULT_LANGUAGE)!,
      message,
      data: { automationId: automation.id, runId: run.id, reason },
      userIds: null,
      createdAtMs: atMs,
    });
    return run;
  }

  // ---- timed work (the scheduler calls these) ----

  /**
   * Claims one due fire (moving the trigger to its following fire) and runs the rule, or, when
   * the fire is older than the grace period (the process was down), records it as missed. The
   * following fire is computed from now, so a long outage yields one missed run, not many.
   */
  async fireSchedule(row: ScheduleRow, now: number): Promise<void> {
    const due = row.nextFireAtMs!;
    const automation =
      this.index.automations.get(row.automationId) ?? (await this.store.findAutomation(row.automationId));
    const trigger = automation?.triggers[row.triggerIndex];
    if (!automation || !automation.enabled || !trigger || !isTimedTrigger(trigger)) {
      await this.store.claimSchedule(row, due, null);
      return;
    }
    const place = await this.placeOf(automation.homeId);
    const following = place ? nextTimedFire(trigger, place, Math.max(now, due)) : null;
    if (!(await this.store.claimSchedule(row, due, following))) return;
    const runTrigger: RunTrigger = {
      type: trigger.type,
      index: row.triggerIndex,
      description: describeTimed(trigger, place, due),
      scheduledAtMs: due,
    };
    if (now - due > this.ctx.config.automations.missedGraceSeconds * 1000) {
      const run = newRun(automation, runTrigger, [], now);
      const lateMinutes = Math.round((now - due) / 60_000);
      await this.runner.finish(
        run,
        'missed',
        `due ${lateMinutes} min ago while Hestia was not running; skipped to the next time`,
        true,
      );
      return;
    }
    this.track(this.trigger(automation, { trigger: runTrigger, causes: [], eventAtMs: due }));
  }

  /** Continues a paused run (claimed by this worker) with the actions it kept. */
  async resume(run: AutomationRun): Promise<void> {
    const automation = await this.store.findAutomation(run.automationId);
    if (!automation) return;
    if (!automation.enabled && run.trigger.type !== 'manual') {
      await this.runner.finish(run, 'failed', 'the automation was disabled while the run waited', false);
      return;
    }
    await this.runner.execute(automation, run, run.pending, run.nextActionIndex ?? 0, false, null);
  }
}
