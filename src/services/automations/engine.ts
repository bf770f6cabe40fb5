import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../core/context.ts';
import type { Alarm } from '../../core/domain/alarm.ts';
import type { Home, HomeMode } from '../../core/domain/home.ts';
import { DEFAULT_LANGUAGE, renderNotification, type NotificationMessage } from '../../core/messages.ts';
import type { ReadingWrite } from '../../core/domain/telemetry.ts';
import type { ScheduleRow } from '../../store/control/automation-store.ts';
import type { AlarmService } from '../alarms.ts';
import type { CommandService } from '../commands.ts';
import type { NotificationService } from '../notifications/notifications.ts';
import { evaluateConditions, type ConditionEnv } from './conditions.ts';
import { LoopGuard } from './loop-guard.ts';
import {
  isTimedTrigger,
  type Action,
  type ActionResult,
  type Automation,
  type AutomationRun,
  type DeviceTrigger,
  type FlagReason,
  type RunTrigger,
  type TimedTrigger,
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

/** Due schedules and paused runs taken per scheduler turn (the rest follow on the next turn at once). */
const SCHEDULER_BATCH = 100;
/** A run still 'running' this long after it started was left by a process that stopped mid-run. */
const ABANDONED_RUN_MS = 10 * 60_000; // 10 minutes
/** Homes (timezone, location) are re-read this often for schedules and conditions. */
const PLACE_TTL_MS = 60_000; // 1 minute
/** Device names (for run descriptions) are re-read this often: a renamed device shows soon after. */
const DEVICE_NAME_TTL_MS = 60_000; // 1 minute
const RUN_RETENTION_EVERY_MS = 60 * 60_000; // 1 hour
/** setTimeout holds at most 2^31-1 ms; the periodic check comes sooner anyway. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function channelKey(deviceId: string, label: string): string {
  return `${deviceId}\u0000${label}`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Enabled rules indexed by what fires them: (device, label) for device triggers, home for alarm
 * and mode triggers. A reading of a device no rule watches costs one Map lookup.
 */
class TriggerIndex {
  readonly automations = new Map<string, Automation>();
  readonly byChannel = new Map<string, Array<{ automation: Automation; index: number }>>();
  readonly byHome = new Map<string, Automation[]>();

  set(automation: Automation): void {
    this.remove(automation.id);
    if (!automation.enabled) return;
    this.automations.set(automation.id, automation);
    let homeWide = false;
    automation.triggers.forEach((trigger, index) => {
      if (trigger.type === 'device') {
        const key = channelKey(trigger.deviceId, trigger.label);
        const entries = this.byChannel.get(key) ?? [];
        entries.push({ automation, index });
        this.byChannel.set(key, entries);
      } else if (trigger.type === 'alarm' || trigger.type === 'mode') {
        homeWide = true;
      }
    });
    if (homeWide)
      this.byHome.set(automation.homeId, [...(this.byHome.get(automation.homeId) ?? []), automation]);
  }

  remove(id: string): void {
    const automation = this.automations.get(id);
    if (!automation) return;
    this.automations.delete(id);
    for (const trigger of automation.triggers) {
      if (trigger.type !== 'device') continue;
      const key = channelKey(trigger.deviceId, trigger.label);
      const entries = (this.byChannel.get(key) ?? []).filter((entry) => entry.automation.id !== id);
      if (entries.length > 0) this.byChannel.set(key, entries);
      else this.byChannel.delete(key);
    }
    const homeWide = (this.byHome.get(automation.homeId) ?? []).filter((other) => other.id !== id);
    if (homeWide.length > 0) this.byHome.set(automation.homeId, homeWide);
    else this.byHome.delete(automation.homeId);
  }
}

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
  /** Previous state of each watched channel, for crossings and changes. */
  private readonly channels = new Map<string, ChannelValue>();
  /** Readings of channels whose previous state is being read from history, in arrival order. */
  private readonly seeding = new Map<string, ReadingWrite[]>();
  private readonly lastRunStart = new Map<string, number>();
  private readonly places = new Map<string, { place: HomePlace; loadedAtMs: number }>();
  /** The lookup (not its result) is kept, so that runs of one reading wait for one query, in order. */
  private readonly deviceNames = new Map<string, { name: Promise<string>; loadedAtMs: number }>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly unsubscribers: Array<() => void> = [];
  private tickTimer: NodeJS.Timeout | null = null;
  private tickArmedAtMs = Number.POSITIVE_INFINITY;
  private refreshTimer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private tickRequested = false;
  private lastRetentionAtMs = 0;
  private stopped = true;

  constructor(
    private readonly ctx: AppContext,
    private readonly deps: EngineDeps,
  ) {
    const { causalityWindowSeconds, maxRunsPerMinute } = ctx.config.automations;
    this.guard = new LoopGuard(causalityWindowSeconds * 1000, maxRunsPerMinute);
  }

  private get store() {
    return this.ctx.store.control.automations;
  }

  // ---- lifecycle ----

  start(): void {
    this.stopped = false;
    const { bus } = this.ctx;
    this.unsubscribers.push(
      bus.on('telemetry.committed', ({ readings }) => this.onReadings(readings)),
      bus.on('alarm.changed', ({ alarm, change }) => {
        if (change === 'raised') this.onAlarm(alarm);
      }),
      bus.on('home.mode_changed', (event) => this.onModeChanged(event.homeId, event.mode, event.atMs)),
    );
    this.track(this.load());
    const refreshMs = this.ctx.config.automations.refreshIntervalSeconds * 1000;
    this.refreshTimer = setInterval(() => this.track(this.refresh()), refreshMs);
    this.refreshTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.refreshTimer = null;
    this.tickTimer = null;
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
    this.requestTick();
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
    this.requestTick();
  }

  /** A rule was created, changed or deleted in this process: the index follows at once. */
  changed(automation: Automation | { id: string; deleted: true }): void {
    if ('deleted' in automation) {
      this.index.remove(automation.id);
      this.guard.forget(automation.id);
    } else {
      this.index.set(automation);
    }
    this.requestTick();
  }

  async placeOf(homeId: string): Promise<HomePlace | null> {
    const cached = this.places.get(homeId);
    const now = this.ctx.clock.now();
    if (cached && now - cached.loadedAtMs <= PLACE_TTL_MS) return cached.place;
    const home = await this.ctx.store.directory.findHome(homeId);
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
      name: this.ctx.store.findDevice(deviceId).then(
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
      const [reading] = await this.ctx.store.readHistory({
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
        return this.finish(run, 'skipped_condition', `conditions[${verdict.index}]: ${verdict.reason}`, true);
      }
    }
    if (!request.manual) {
      if (request.causes.includes(automation.id)) return this.throttle(automation, run, 'loop');
      if (this.guard.overRate(automation.id, now)) return this.throttle(automation, run, 'rate');
    }
    this.lastRunStart.set(automation.id, now);
    return this.execute(automation, run, automation.actions, 0, true, request.eventAtMs);
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
        const device = await this.ctx.store.findDeviceWithChannels(deviceId);
        const channel = device?.channels.find((candidate) => candidate.label === label);
        return channel ? { value: channel.value, text: channel.text, tsMs: channel.tsMs } : null;
      },
    };
  }

  /**
   * Runs `actions` (the rule's, from `baseIndex`) in order. A delay persists the run with what
   * is left and its resume time, and returns; the scheduler continues it. The first failing
   * action ends the run as failed (later actions may depend on it).
   */
  private async execute(
    automation: Automation,
    run: AutomationRun,
    actions: Action[],
    baseIndex: number,
    isNew: boolean,
    eventAtMs: number | null,
  ): Promise<AutomationRun> {
    let reacted = eventAtMs === null;
    for (const [offset, action] of actions.entries()) {
      const index = baseIndex + offset;
      const now = this.ctx.clock.now();
      if (action.type === 'delay') {
        run.actions.push({ index, type: 'delay', status: 'done', atMs: now });
        run.outcome = 'waiting';
        run.pending = actions.slice(offset + 1);
        run.nextActionIndex = index + 1;
        run.resumeAtMs = now + action.seconds * 1000;
        if (isNew) await this.store.insertRun(run);
        else await this.store.saveRun(run);
        this.announce(run);
        this.wake(run.resumeAtMs);
        return run;
      }
      try {
        run.actions.push(await this.perform(automation, run, action, index));
      } catch (error) {
        run.actions.push({ index, type: action.type, status: 'failed', error: message(error), atMs: now });
        return this.finish(run, 'failed', `actions[${index}]: ${message(error)}`, isNew);
      }
      if (!reacted) {
        reacted = true;
        this.ctx.metrics.automationReactionSeconds.observe((this.ctx.clock.now() - eventAtMs!) / 1000);
      }
    }
    return this.finish(run, 'succeeded', null, isNew);
  }

  private async perform(
    automation: Automation,
    run: AutomationRun,
    action: Action,
    index: number,
  ): Promise<ActionResult> {
    const atMs = this.ctx.clock.now();
    switch (action.type) {
      case 'command':
      case 'record': {
        const command = await this.send(automation, run, {
          deviceId: action.deviceId,
          action: action.type === 'record' ? 'startRecording' : action.action,
          params: action.type === 'record' ? { durationSeconds: action.durationSeconds } : action.params,
          idempotencyKey: `automation:${run.id}:${index}`,
        });
        return { index, type: action.type, status: 'done', commandIds: [command], atMs };
      }
      case 'scene': {
        const scene = await this.ctx.store.control.automations.findScene(action.sceneId);
        if (!scene || scene.homeId !== automation.homeId) throw new Error('the scene no longer exists');
        const commandIds: string[] = [];
        const errors: string[] = [];
        // A scene sets several devices: one that fails does not keep the others from their state.
        for (const [step, command] of scene.actions.entries()) {
          try {
            commandIds.push(
              await this.send(automation, run, {
                deviceId: command.deviceId,
                action: command.type === 'record' ? 'startRecording' : command.action,
                params:
                  command.type === 'record' ? { durationSeconds: command.durationSeconds } : command.params,
                idempotencyKey: `automation:${run.id}:${index}:${step}`,
              }),
            );
          } catch (error) {
            errors.push(`scene actions[${step}]: ${message(error)}`);
          }
        }
        if (errors.length > 0) throw new Error(errors.join('; '));
        return { index, type: 'scene', status: 'done', commandIds, atMs };
      }
      case 'notify': {
        const { id } = await this.deps.notifications.notify({
          tenantId: automation.tenantId,
          homeId: automation.homeId,
          sourceKey: `automation:${run.id}:${index}`,
          kind: 'automation',
          severity: action.severity,
          title: action.title,
          body: action.body,
          data: { automationId: automation.id, runId: run.id },
          userIds: action.userIds,
          createdAtMs: atMs,
        });
        return { index, type: 'notify', status: 'done', notificationId: id, atMs };
      }
      case 'delay':
        throw new Error('a delay is handled by the run itself');
    }
  }

  private async send(
    automation: Automation,
    run: AutomationRun,
    command: { deviceId: string; action: string; params: Record<string, unknown>; idempotencyKey: string },
  ): Promise<string> {
    // Noted before sending: the device's answering reading may come back before the call returns.
    this.guard.noteCommand(command.deviceId, [...run.causes, automation.id], this.ctx.clock.now());
    const sent = await this.deps.commands.sendForAutomation({
      tenantId: automation.tenantId,
      homeId: automation.homeId,
      automationId: automation.id,
      ...command,
    });
    return sent.id;
  }

  private async finish(
    run: AutomationRun,
    outcome: AutomationRun['outcome'],
    error: string | null,
    isNew: boolean,
  ): Promise<AutomationRun> {
    run.outcome = outcome;
    run.error = error;
    run.finishedAtMs = this.ctx.clock.now();
    run.pending = [];
    run.nextActionIndex = null;
    run.resumeAtMs = null;
    if (isNew) await this.store.insertRun(run);
    else await this.store.saveRun(run);
    this.announce(run);
    return run;
  }

  private announce(run: AutomationRun): void {
    this.ctx.metrics.automationRuns.inc({ outcome: run.outcome });
    this.ctx.bus.emit('automation.run', {
      tenantId: run.tenantId,
      homeId: run.homeId,
      automationId: run.automationId,
      runId: run.id,
      outcome: run.outcome,
      atMs: this.ctx.clock.now(),
    });
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
    this.announce(run);
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

  // ---- scheduler ----

  /** The schedule rows of a rule's timed triggers, next fires computed from `afterMs`. */
  scheduleRows(
    automation: Pick<Automation, 'id' | 'triggers' | 'enabled'>,
    place: HomePlace,
    afterMs: number,
  ): ScheduleRow[] {
    if (!automation.enabled) return [];
    const rows: ScheduleRow[] = [];
    automation.triggers.forEach((trigger, triggerIndex) => {
      if (isTimedTrigger(trigger))
        rows.push({
          automationId: automation.id,
          triggerIndex,
          nextFireAtMs: nextTimedFire(trigger, place, afterMs),
        });
    });
    return rows;
  }

  /** Something timed falls due at `atMs`: bring the timer forward if it is set later. */
  wake(atMs: number | null): void {
    if (this.stopped || atMs === null) return;
    if (atMs < this.tickArmedAtMs) this.arm(atMs);
  }

  private arm(atMs: number): void {
    if (this.tickTimer) clearTimeout(this.tickTimer);
    const now = this.ctx.clock.now();
    const periodicAt = now + this.ctx.config.automations.schedulerIntervalSeconds * 1000;
    const at = Math.min(atMs, periodicAt);
    this.tickArmedAtMs = at;
    this.tickTimer = setTimeout(
      () => {
        this.tickTimer = null;
        this.tickArmedAtMs = Number.POSITIVE_INFINITY;
        this.requestTick();
      },
      Math.min(Math.max(0, at - now), MAX_TIMER_MS),
    );
    this.tickTimer.unref();
  }

  /** Runs a scheduler turn now (one at a time; a request during a turn runs another after it). */
  requestTick(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.tickRequested = true;
      return;
    }
    const turn = this.tick()
      .catch((error: unknown) => this.ctx.logger.error({ err: error }, 'automation scheduler turn failed'))
      .finally(() => {
        this.ticking = null;
        if (this.tickRequested) {
          this.tickRequested = false;
          this.requestTick();
        }
      });
    this.ticking = turn;
    this.track(turn);
  }

  private async tick(): Promise<void> {
    const now = this.ctx.clock.now();
    const schedules = await this.store.listDueSchedules(now, SCHEDULER_BATCH);
    for (const row of schedules) await this.fireSchedule(row, now);
    const runs = await this.store.listDueRuns(now, SCHEDULER_BATCH);
    for (const run of runs) {
      if (await this.store.claimRun(run.id, run.resumeAtMs!)) this.track(this.resume(run));
    }
    if (this.stopped) return;
    if (schedules.length === SCHEDULER_BATCH || runs.length === SCHEDULER_BATCH) {
      this.tickRequested = true;
      return;
    }
    const next = await this.store.nextDueAt();
    this.arm(next ?? Number.POSITIVE_INFINITY);
  }

  /**
   * Claims one due fire (moving the trigger to its following fire) and runs the rule, or, when
   * the fire is older than the grace period (the process was down), records it as missed. The
   * following fire is computed from now, so a long outage yields one missed run, not many.
   */
  private async fireSchedule(row: ScheduleRow, now: number): Promise<void> {
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
      await this.finish(
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
  private async resume(run: AutomationRun): Promise<void> {
    const automation = await this.store.findAutomation(run.automationId);
    if (!automation) return;
    if (!automation.enabled && run.trigger.type !== 'manual') {
      await this.finish(run, 'failed', 'the automation was disabled while the run waited', false);
      return;
    }
    await this.execute(automation, run, run.pending, run.nextActionIndex ?? 0, false, null);
  }
}

export function placeOf(home: Pick<Home, 'timezone' | 'latitude' | 'longitude'>): HomePlace {
  return { timezone: home.timezone, latitude: home.latitude, longitude: home.longitude };
}

function describeTimed(trigger: TimedTrigger, place: HomePlace | null, dueMs: number): string {
  const at = new Date(dueMs).toISOString();
  if (trigger.type === 'schedule')
    return `schedule "${trigger.cron}" (${place?.timezone ?? 'UTC'}) due at ${at}`;
  const offset = trigger.offsetMinutes
    ? ` ${trigger.offsetMinutes > 0 ? '+' : ''}${trigger.offsetMinutes} min`
    : '';
  return `${trigger.event}${offset} due at ${at}`;
}

/** A run of `automation` that starts now, before its conditions and actions. */
function newRun(automation: Automation, trigger: RunTrigger, causes: string[], nowMs: number): AutomationRun {
  return {
    id: randomUUID(),
    automationId: automation.id,
    tenantId: automation.tenantId,
    homeId: automation.homeId,
    trigger,
    startedAtMs: nowMs,
    finishedAtMs: null,
    outcome: 'running',
    actions: [],
    error: null,
    pending: [],
    nextActionIndex: null,
    resumeAtMs: null,
    causes,
  };
}
