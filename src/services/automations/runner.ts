import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../core/context.ts';
import type {
  Action,
  ActionResult,
  Automation,
  AutomationRun,
  RunTrigger,
} from '../../core/domain/automation.ts';
import type { CommandService } from '../commands.ts';
import type { NotificationService } from '../notifications/notifications.ts';
import type { LoopGuard } from './loop-guard.ts';

export interface ActionRunnerDeps {
  commands: CommandService;
  notifications: NotificationService;
  /** Commands are noted here before they are sent, so that a rule they re-trigger is caught. */
  guard: LoopGuard;
  /** A paused run resumes at this time: the scheduler's timer is brought forward. */
  wake(atMs: number | null): void;
}

/**
 * Runs a rule's actions in order and records the run: commands (traced for loop protection),
 * scenes, notifications, recordings; a delay persists the run with what is left, for the
 * scheduler to resume. Every finished or paused run is announced on the bus and counted.
 */
export class ActionRunner {
  constructor(
    private readonly ctx: AppContext,
    private readonly deps: ActionRunnerDeps,
  ) {}

  private get store() {
    return this.ctx.store.control.automations;
  }

  /**
   * Runs `actions` (the rule's, from `baseIndex`) in order. A delay persists the run with what
   * is left and its resume time, and returns; the scheduler continues it. The first failing
   * action ends the run as failed (later actions may depend on it).
   */
  async execute(
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
        this.deps.wake(run.resumeAtMs);
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
    this.deps.guard.noteCommand(command.deviceId, [...run.causes, automation.id], this.ctx.clock.now());
    const sent = await this.deps.commands.sendForAutomation({
      tenantId: automation.tenantId,
      homeId: automation.homeId,
      automationId: automation.id,
      ...command,
    });
    return sent.id;
  }

  async finish(
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

  announce(run: AutomationRun): void {
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
}

/** A run of `automation` that starts now, before its conditions and actions. */
export function newRun(
  automation: Automation,
  trigger: RunTrigger,
  causes: string[],
  nowMs: number,
): AutomationRun {
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

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
