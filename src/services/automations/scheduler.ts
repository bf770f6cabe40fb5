import type { AppContext } from '../../core/context.ts';
import {
  isTimedTrigger,
  type Automation,
  type AutomationRun,
  type TimedTrigger,
} from '../../core/domain/automation.ts';
import type { Home } from '../../core/domain/home.ts';
import type { ScheduleRow } from '../../core/ports/control.ts';
import { nextTimedFire, type HomePlace } from './schedule.ts';

/** Due schedules and paused runs taken per scheduler turn (the rest follow on the next turn at once). */
const SCHEDULER_BATCH = 100;
/** setTimeout holds at most 2^31-1 ms; the periodic check comes sooner anyway. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What a scheduler turn does with what fell due (the engine). */
export interface SchedulerWork {
  /** Claims one due fire of a timed trigger and runs its rule. */
  fireSchedule(row: ScheduleRow, nowMs: number): Promise<void>;
  /** Continues a paused run that this worker claimed. */
  resume(run: AutomationRun): Promise<void>;
  /** Keeps async work visible to the engine's `stop` and logs its failure. */
  track(work: Promise<unknown>): void;
}

/**
 * Timed work: the next fires of schedule and sun triggers and the resume times of paused runs,
 * persisted and claimed in the store, so that each fires once across restarts and workers. One
 * timer, armed for the earliest due time or the periodic check, whichever comes first; one turn
 * at a time.
 */
export class AutomationScheduler {
  private tickTimer: NodeJS.Timeout | null = null;
  private tickArmedAtMs = Number.POSITIVE_INFINITY;
  private ticking: Promise<void> | null = null;
  private tickRequested = false;
  private stopped = true;

  constructor(
    private readonly ctx: AppContext,
    private readonly work: SchedulerWork,
  ) {}

  private get store() {
    return this.ctx.store.control.automations;
  }

  start(): void {
    this.stopped = false;
  }

  /** No more turns; a turn in progress ends on its own (the engine waits for what it tracks). */
  stop(): void {
    this.stopped = true;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = null;
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
    this.work.track(turn);
  }

  private async tick(): Promise<void> {
    const now = this.ctx.clock.now();
    const schedules = await this.store.listDueSchedules(now, SCHEDULER_BATCH);
    for (const row of schedules) await this.work.fireSchedule(row, now);
    const runs = await this.store.listDueRuns(now, SCHEDULER_BATCH);
    for (const run of runs) {
      if (await this.store.claimRun(run.id, run.resumeAtMs!)) this.work.track(this.work.resume(run));
    }
    if (this.stopped) return;
    if (schedules.length === SCHEDULER_BATCH || runs.length === SCHEDULER_BATCH) {
      this.tickRequested = true;
      return;
    }
    const next = await this.store.nextDueAt();
    this.arm(next ?? Number.POSITIVE_INFINITY);
  }
}

/** The schedule rows of a rule's timed triggers, next fires computed from `afterMs`. */
export function scheduleRows(
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

export function placeOf(home: Pick<Home, 'timezone' | 'latitude' | 'longitude'>): HomePlace {
  return { timezone: home.timezone, latitude: home.latitude, longitude: home.longitude };
}

/** How a timed fire is described in its run. */
export function describeTimed(trigger: TimedTrigger, place: HomePlace | null, dueMs: number): string {
  const at = new Date(dueMs).toISOString();
  if (trigger.type === 'schedule')
    return `schedule "${trigger.cron}" (${place?.timezone ?? 'UTC'}) due at ${at}`;
  const offset = trigger.offsetMinutes
    ? ` ${trigger.offsetMinutes > 0 ? '+' : ''}${trigger.offsetMinutes} min`
    : '';
  return `${trigger.event}${offset} due at ${at}`;
}
