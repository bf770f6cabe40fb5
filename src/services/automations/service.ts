import { randomUUID } from 'node:crypto';
import { capabilityOf, commandsFor, validateCommand } from '../../core/capabilities.ts';
import type { AppContext } from '../../core/context.ts';
import type { Device } from '../../core/domain/device.ts';
import type { Home } from '../../core/domain/home.ts';
import { HestiaError, isHestiaError } from '../../core/errors.ts';
import type { Extension } from '../../core/extension.ts';
import type { ScheduleRow } from '../../core/ports/control.ts';
import type { AlarmService } from '../alarms.ts';
import type { AuditService } from '../audit.ts';
import type { Authorizer, HomeAction } from '../authorization.ts';
import type { CommandService } from '../commands.ts';
import type { NotificationService } from '../notifications/notifications.ts';
import type { Principal, RequestOrigin } from '../principal.ts';
import { AutomationEngine } from './engine.ts';
import { placeOf, scheduleRows } from './scheduler.ts';
import type {
  Action,
  Automation,
  AutomationInput,
  AutomationRun,
  AutomationWithLastRun,
  Condition,
  Scene,
  SceneInput,
  SceneStep,
  Trigger,
} from '../../core/domain/automation.ts';
import { invalid, paramProblem, RuleProblems, validateAutomation, validateScene } from './rules.ts';

export interface AutomationDeps {
  authorize: Authorizer;
  audit: AuditService;
  commands: CommandService;
  notifications: NotificationService;
  alarms: AlarmService;
}

/** What PATCH changes; enabling clears a loop-protection flag. */
export interface AutomationPatch {
  enabled?: boolean | undefined;
  name?: string | undefined;
  cooldownSeconds?: number | undefined;
}

/** One command of an activated scene: sent (with its id and status) or refused (with the error). */
export interface SceneStepResult {
  index: number;
  deviceId: string;
  action: string;
  commandId: string | null;
  status: string | null;
  error: { code: string; message: string } | null;
}

/** An automation with its newest run and the next fire of each of its timed triggers. */
export interface AutomationDetail extends AutomationWithLastRun {
  schedule: ScheduleRow[];
}

const RUNS_PAGE_MAX = 200;

function notFound(what: string): HestiaError {
  return new HestiaError('HESTIA_NOT_FOUND', `No such ${what}`);
}

/**
 * Rules (triggers, conditions, actions), scenes and schedules of a home. People who may
 * control a home (members, owners) create, change and run them; guests read them. Every rule is
 * checked as a whole on save, including that the devices and scenes it names are the home's
 * own. The engine (automations/engine.ts) runs them.
 */
export class AutomationService implements Extension {
  private readonly engine: AutomationEngine;

  constructor(
    private readonly ctx: AppContext,
    private readonly deps: AutomationDeps,
  ) {
    this.engine = new AutomationEngine(ctx, deps);
  }

  start(): void {
    this.engine.start();
  }

  async stop(): Promise<void> {
    await this.engine.stop();
  }

  private get store() {
    return this.ctx.store.control.automations;
  }

  // ---- automations ----

  /** The home's rules, each with its newest run (read with the rules, in one query). */
  async list(principal: Principal, homeId: string): Promise<AutomationWithLastRun[]> {
    await this.deps.authorize.home(principal, homeId, 'read');
    return this.store.listHomeAutomations(homeId);
  }

  async get(principal: Principal, id: string): Promise<AutomationDetail> {
    await this.visibleAutomation(principal, id, 'read');
    const automation = await this.store.findAutomationWithLastRun(id);
    if (!automation) throw notFound('automation');
    return { ...automation, schedule: await this.store.listSchedules(id) };
  }

  async create(
    principal: Principal,
    homeId: string,
    body: unknown,
    origin: RequestOrigin,
  ): Promise<AutomationDetail> {
    const { home } = await this.deps.authorize.home(principal, homeId, 'control');
    const input = await this.checkAutomation(home, body);
    const now = this.ctx.clock.now();
    const automation: Automation = {
      ...input,
      id: randomUUID(),
      tenantId: home.tenantId,
      homeId,
      flaggedAtMs: null,
      flagReason: null,
      createdBy: principal.kind === 'user' ? principal.userId : null,
      createdAtMs: now,
      updatedAtMs: now,
    };
    const schedule = scheduleRows(automation, placeOf(home), now);
    const limit = this.ctx.config.automations.maxRulesPerHome;
    await this.ctx.store.control.transaction(async (tx) => {
      if ((await this.store.countHomeAutomations(homeId, tx)) >= limit)
        throw new HestiaError('HESTIA_AUTOMATION_LIMIT', `A home may have at most ${limit} automations`);
      await this.store.createAutomation(automation, tx);
      await this.store.replaceSchedules(automation.id, schedule, tx);
    });
    this.engine.changed(automation);
    await this.audited(principal, origin, 'automation.created', automation, { name: automation.name });
    return { ...automation, lastRun: null, schedule };
  }

  /** Replaces the whole rule (PUT); its schedules restart from now. */
  async replace(
    principal: Principal,
    id: string,
    body: unknown,
    origin: RequestOrigin,
  ): Promise<AutomationDetail> {
    const { automation: current, home } = await this.visibleAutomation(principal, id, 'control');
    const input = await this.checkAutomation(home, body);
    return this.save(principal, origin, current, home, input);
  }

  /** Enables, disables, renames or changes the cooldown; enabling clears a loop-protection flag. */
  async patch(
    principal: Principal,
    id: string,
    patch: AutomationPatch,
    origin: RequestOrigin,
  ): Promise<AutomationDetail> {
    const { automation: current, home } = await this.visibleAutomation(principal, id, 'control');
    // The merged rule is validated as a whole (a name of spaces is refused here as on create).
    const input = validateAutomation(
      {
        name: patch.name ?? current.name,
        enabled: patch.enabled ?? current.enabled,
        cooldownSeconds: patch.cooldownSeconds ?? current.cooldownSeconds,
        triggers: current.triggers,
        conditions: current.conditions,
        actions: current.actions,
      },
      { maxDelaySeconds: this.ctx.config.automations.maxDelaySeconds },
    );
    return this.save(principal, origin, current, home, input);
  }

  private async save(
    principal: Principal,
    origin: RequestOrigin,
    current: Automation,
    home: Home,
    input: AutomationInput,
  ): Promise<AutomationDetail> {
    const now = this.ctx.clock.now();
    const schedule = scheduleRows(
      { id: current.id, triggers: input.triggers, enabled: input.enabled },
      placeOf(home),
      now,
    );
    await this.ctx.store.control.transaction(async (tx) => {
      if (!(await this.store.replaceAutomation(current.id, input, now, tx))) throw notFound('automation');
      await this.store.replaceSchedules(current.id, schedule, tx);
    });
    const saved = await this.store.findAutomationWithLastRun(current.id);
    if (!saved) throw notFound('automation');
    this.engine.changed(saved);
    await this.audited(principal, origin, 'automation.updated', saved, {
      name: saved.name,
      enabled: saved.enabled,
      ...(current.flaggedAtMs !== null && saved.flaggedAtMs === null
        ? { flagCleared: current.flagReason }
        : {}),
    });
    return { ...saved, schedule };
  }

  async delete(principal: Principal, id: string, origin: RequestOrigin): Promise<void> {
    const { automation } = await this.visibleAutomation(principal, id, 'control');
    if (!(await this.store.deleteAutomation(id))) throw notFound('automation');
    this.engine.changed({ id, deleted: true });
    await this.audited(principal, origin, 'automation.deleted', automation, { name: automation.name });
  }

  async runs(
    principal: Principal,
    id: string,
    page: { limit?: number | undefined; before?: string | undefined },
  ): Promise<AutomationRun[]> {
    await this.visibleAutomation(principal, id, 'read');
    const limit = Math.min(Math.max(page.limit ?? 50, 1), RUNS_PAGE_MAX);
    return this.store.listRuns(id, { limit, before: page.before });
  }

  /**
   * Runs the rule now, as a person asks (conditions evaluated unless `force`). Returns the run
   * as it stands: finished, or waiting at a delay.
   */
  async runNow(
    principal: Principal,
    id: string,
    options: { force?: boolean | undefined },
  ): Promise<AutomationRun> {
    const { automation } = await this.visibleAutomation(principal, id, 'control');
    return this.engine.runManually(
      automation,
      principal.kind === 'user' ? principal.userId : null,
      options.force === true,
    );
  }

  // ---- scenes ----

  async listScenes(principal: Principal, homeId: string): Promise<Scene[]> {
    await this.deps.authorize.home(principal, homeId, 'read');
    return this.store.listHomeScenes(homeId);
  }

  async getScene(principal: Principal, id: string): Promise<Scene> {
    return (await this.visibleScene(principal, id, 'read')).scene;
  }

  async createScene(
    principal: Principal,
    homeId: string,
    body: unknown,
    origin: RequestOrigin,
  ): Promise<Scene> {
    const { home } = await this.deps.authorize.home(principal, homeId, 'control');
    const input = await this.checkScene(home, body);
    const now = this.ctx.clock.now();
    const scene: Scene = {
      ...input,
      id: randomUUID(),
      tenantId: home.tenantId,
      homeId,
      createdBy: principal.kind === 'user' ? principal.userId : null,
      createdAtMs: now,
      updatedAtMs: now,
    };
    const limit = this.ctx.config.automations.maxScenesPerHome;
    await this.ctx.store.control.transaction(async (tx) => {
      if ((await this.store.countHomeScenes(homeId, tx)) >= limit)
        throw new HestiaError('HESTIA_AUTOMATION_LIMIT', `A home may have at most ${limit} scenes`);
      await this.store.createScene(scene, tx);
    });
    await this.audited(principal, origin, 'scene.created', scene, { name: scene.name });
    return scene;
  }

  async replaceScene(principal: Principal, id: string, body: unknown, origin: RequestOrigin): Promise<Scene> {
    const { scene, home } = await this.visibleScene(principal, id, 'control');
    const input = await this.checkScene(home, body);
    if (!(await this.store.replaceScene(id, input, this.ctx.clock.now()))) throw notFound('scene');
    const saved = (await this.store.findScene(id))!;
    await this.audited(principal, origin, 'scene.updated', scene, { name: saved.name });
    return saved;
  }

  /** Deletes a scene; rules that activate it fail at that action from then on (their runs say so). */
  async deleteScene(principal: Principal, id: string, origin: RequestOrigin): Promise<void> {
    const { scene } = await this.visibleScene(principal, id, 'control');
    if (!(await this.store.deleteScene(id))) throw notFound('scene');
    await this.audited(principal, origin, 'scene.deleted', scene, { name: scene.name });
  }

  /**
   * Sends the scene's commands as the caller (each checked as if sent on its own). One refused
   * command does not keep the others from being sent: the result lists each.
   */
  async activateScene(
    principal: Principal,
    id: string,
    origin: RequestOrigin,
  ): Promise<{ scene: Scene; results: SceneStepResult[] }> {
    const { scene } = await this.visibleScene(principal, id, 'control');
    const activation = randomUUID();
    const results: SceneStepResult[] = [];
    for (const [index, step] of scene.actions.entries()) {
      const action = step.type === 'record' ? 'startRecording' : step.action;
      const params = step.type === 'record' ? { durationSeconds: step.durationSeconds } : step.params;
      try {
        const { command } = await this.deps.commands.create(
          principal,
          {
            deviceId: step.deviceId,
            action,
            params,
            idempotencyKey: `scene:${activation}:${index}`,
            whenOffline: 'queue',
          },
          origin,
        );
        results.push({
          index,
          deviceId: step.deviceId,
          action,
          commandId: command.id,
          status: command.status,
          error: null,
        });
      } catch (error) {
        if (!isHestiaError(error)) throw error;
        results.push({
          index,
          deviceId: step.deviceId,
          action,
          commandId: null,
          status: null,
          error: { code: error.code, message: error.message },
        });
      }
    }
    return { scene, results };
  }

  // ---- checks ----

  private async visibleAutomation(
    principal: Principal,
    id: string,
    action: HomeAction,
  ): Promise<{ automation: Automation; home: Home }> {
    const automation = await this.store.findAutomation(id);
    if (!automation) throw notFound('automation');
    const home = await this.homeOf(principal, automation.homeId, action, 'automation');
    return { automation, home };
  }

  private async visibleScene(
    principal: Principal,
    id: string,
    action: HomeAction,
  ): Promise<{ scene: Scene; home: Home }> {
    const scene = await this.store.findScene(id);
    if (!scene) throw notFound('scene');
    const home = await this.homeOf(principal, scene.homeId, action, 'scene');
    return { scene, home };
  }

  /** The object's home, authorized; an object of a home one cannot see does not exist (404). */
  private async homeOf(
    principal: Principal,
    homeId: string,
    action: HomeAction,
    what: string,
  ): Promise<Home> {
    try {
      return (await this.deps.authorize.home(principal, homeId, action)).home;
    } catch (error) {
      if (isHestiaError(error) && error.code === 'HESTIA_NOT_FOUND') throw notFound(what);
      throw error;
    }
  }

  /**
   * Validates a rule and what it names against the home: devices, scenes, members, location.
   * The structure first (its problems together), then each part against the home (theirs
   * together): the first problem is the one a check stopping at the first would have found.
   */
  private async checkAutomation(home: Home, body: unknown): Promise<AutomationInput> {
    const input = validateAutomation(body, { maxDelaySeconds: this.ctx.config.automations.maxDelaySeconds });
    const problems = new RuleProblems();
    const devices = new DeviceLookup(this.ctx, home.id);
    const located = home.latitude !== null && home.longitude !== null;
    const noLocation =
      'the home has no location: set its latitude and longitude (PATCH /v1/homes/{id}) first';
    for (const [index, trigger] of input.triggers.entries()) {
      await problems.checkAsync(async () => {
        await this.checkTrigger(trigger, `triggers[${index}]`, devices);
        if (trigger.type === 'sun' && !located) throw invalid(`triggers[${index}]`, noLocation);
      });
    }
    for (const [index, condition] of input.conditions.entries()) {
      await problems.checkAsync(async () => {
        await this.checkCondition(condition, `conditions[${index}]`, devices);
        if (condition.type === 'sun' && !located) throw invalid(`conditions[${index}]`, noLocation);
      });
    }
    let members: Set<string> | null = null;
    const actions: Action[] = [];
    for (const [index, action] of input.actions.entries()) {
      const field = `actions[${index}]`;
      const checked = await problems.checkAsync(async (): Promise<Action> => {
        switch (action.type) {
          case 'command':
          case 'record':
            return this.checkStep(action, field, devices);
          case 'scene': {
            const scene = await this.store.findScene(action.sceneId);
            if (!scene || scene.homeId !== home.id)
              throw invalid(`${field}.sceneId`, 'no such scene in this home');
            return action;
          }
          case 'notify':
            if (action.userIds) {
              members ??= new Set(
                (await this.ctx.store.directory.homes.listMembers(home.id)).map((member) => member.userId),
              );
              const stranger = action.userIds.findIndex((userId) => !members!.has(userId));
              if (stranger >= 0) throw invalid(`${field}.userIds[${stranger}]`, 'not a member of this home');
            }
            return action;
          case 'delay':
            return action;
        }
      });
      if (checked) actions.push(checked);
    }
    problems.done();
    return { ...input, actions };
  }

  private async checkTrigger(trigger: Trigger, field: string, devices: DeviceLookup): Promise<void> {
    if (trigger.type === 'device') await devices.inHome(trigger.deviceId, `${field}.deviceId`);
  }

  private async checkCondition(condition: Condition, field: string, devices: DeviceLookup): Promise<void> {
    if (condition.type === 'device') await devices.inHome(condition.deviceId, `${field}.deviceId`);
  }

  /**
   * A command or record step: the device is the home's, and it accepts the action with these
   * parameters (stored in canonical form: a °F setpoint is kept in °C). A device that has not
   * reported any channel yet cannot be checked beyond the action's name.
   */
  private async checkStep(step: SceneStep, field: string, devices: DeviceLookup): Promise<SceneStep> {
    const device = await devices.inHome(step.deviceId, `${field}.deviceId`);
    if (step.type === 'record') {
      if (device.type !== 'camera') throw invalid(`${field}.deviceId`, 'record needs a camera');
      return step;
    }
    const capabilities = device.channels.map((channel) => capabilityOf(channel.label, channel.sensorType));
    if (device.channels.length === 0 && device.type !== 'camera') return step;
    const checked = validateCommand({ capabilities, deviceType: device.type }, step.action, step.params);
    if (!checked.ok) {
      if (checked.code === 'HESTIA_COMMAND_UNSUPPORTED') throw invalid(`${field}.action`, checked.message);
      const problem = paramProblem(checked.message, [
        ...Object.keys(step.params),
        ...Object.keys(
          commandsFor(capabilities, device.type).find((spec) => spec.action === step.action)?.params ?? {},
        ),
      ]);
      throw invalid(`${field}.${problem.path}`, problem.message);
    }
    return { ...step, params: checked.params };
  }

  private async checkScene(home: Home, body: unknown): Promise<SceneInput> {
    const input = validateScene(body);
    const problems = new RuleProblems();
    const devices = new DeviceLookup(this.ctx, home.id);
    const actions: SceneStep[] = [];
    for (const [index, step] of input.actions.entries()) {
      const checked = await problems.checkAsync(() => this.checkStep(step, `actions[${index}]`, devices));
      if (checked) actions.push(checked);
    }
    problems.done();
    return { ...input, actions };
  }

  private async audited(
    principal: Principal,
    origin: RequestOrigin,
    action:
      | 'automation.created'
      | 'automation.updated'
      | 'automation.deleted'
      | 'scene.created'
      | 'scene.updated'
      | 'scene.deleted',
    target: { id: string; tenantId: string; homeId: string },
    detail: Record<string, unknown>,
  ): Promise<void> {
    await this.deps.audit.record({
      tenantId: target.tenantId,
      action,
      actor: principal,
      origin,
      target: { type: action.startsWith('scene') ? 'scene' : 'automation', id: target.id },
      homeId: target.homeId,
      detail,
    });
  }
}

/** Devices named by one rule, looked up once each, and required to be in the rule's home. */
class DeviceLookup {
  private readonly seen = new Map<
    string,
    Device & { channels: Array<{ label: string; sensorType: string | null }> }
  >();

  constructor(
    private readonly ctx: AppContext,
    private readonly homeId: string,
  ) {}

  async inHome(
    deviceId: string,
    field: string,
  ): Promise<Device & { channels: Array<{ label: string; sensorType: string | null }> }> {
    const known = this.seen.get(deviceId);
    if (known) return known;
    const device = await this.ctx.store.devices.findDeviceWithChannels(deviceId);
    const gateway =
      device && !device.removedAtMs
        ? await this.ctx.store.directory.gateways.findGateway(device.gatewayId)
        : undefined;
    if (!device || !gateway || gateway.homeId !== this.homeId)
      throw invalid(field, 'no such device in this home');
    this.seen.set(deviceId, device);
    return device;
  }
}
