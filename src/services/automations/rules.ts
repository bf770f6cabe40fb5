import { COMMAND_ACTIONS, MAX_RECORDING_SECONDS } from '../../core/capabilities.ts';
import { ALARM_CAUSES, ALARM_SEVERITIES } from '../../core/domain/alarm.ts';
import { HOME_MODES, type HomeMode } from '../../core/domain/home.ts';
import { HestiaError, isHestiaError } from '../../core/errors.ts';
import {
  DEVICE_CONDITION_OPS,
  DEVICE_TRIGGER_OPS,
  type Action,
  type AutomationInput,
  type Condition,
  type DeviceConditionOp,
  type DeviceTriggerOp,
  type SceneInput,
  type SceneStep,
  type SunEvent,
  type Trigger,
} from '../../core/domain/automation.ts';
import type { NotificationSeverity } from '../../core/domain/notification.ts';
import { cronProblem, parseClock } from './schedule.ts';

/**
 * Structural validation of automations and scenes: every field is checked and named in the
 * error (`triggers[1].op: one of …`), unknown fields are refused (a misspelt `offsetMinute`
 * must not be silently ignored). What needs the store (devices in the home, scenes, members)
 * is checked by the service afterwards.
 */

export const MAX_TRIGGERS = 20;
export const MAX_CONDITIONS = 20;
export const MAX_ACTIONS = 50;
export const MAX_SCENE_ACTIONS = 50;
/** A cooldown longer than a day is a disabled rule in disguise. */
export const MAX_COOLDOWN_SECONDS = 24 * 60 * 60;
/** Sun offsets within half a day either side of the event. */
export const MAX_SUN_OFFSET_MINUTES = 12 * 60;
export const MAX_NOTIFY_RECIPIENTS = 100;

const SUN_EVENTS: readonly SunEvent[] = ['sunrise', 'sunset'];

export interface RuleLimits {
  maxDelaySeconds: number;
}

export function invalid(field: string, message: string): HestiaError {
  return new HestiaError('HESTIA_AUTOMATION_INVALID', `${field}: ${message}`, { field });
}

/** One problem of a rule or scene, as `details.errors` lists it. */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * Gathers the problems of a rule's parts checked one by one (the name, each trigger, condition
 * and action): within a part, checking stops at its first problem. `done()` throws them as one
 * HESTIA_AUTOMATION_INVALID whose message and `details.field` are those of the first (as when
 * checking stopped there) and whose `details.errors` lists every one.
 */
export class RuleProblems {
  private readonly problems: FieldProblem[] = [];

  check<T>(work: () => T): T | undefined {
    try {
      return work();
    } catch (error) {
      this.note(error);
      return undefined;
    }
  }

  async checkAsync<T>(work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (error) {
      this.note(error);
      return undefined;
    }
  }

  get empty(): boolean {
    return this.problems.length === 0;
  }

  done(): void {
    const [first] = this.problems;
    if (!first) return;
    throw new HestiaError('HESTIA_AUTOMATION_INVALID', `${first.field}: ${first.message}`, {
      field: first.field,
      errors: this.problems,
    });
  }

  /** Rule problems are kept; anything else (a store failure) is not the rule's fault and goes on up. */
  private note(error: unknown): void {
    if (!isHestiaError(error) || error.code !== 'HESTIA_AUTOMATION_INVALID') throw error;
    const { field, errors } = error.details as { field: string; errors?: FieldProblem[] };
    if (errors) {
      this.problems.push(...errors);
      return;
    }
    const prefix = `${field}: `;
    this.problems.push({
      field,
      message: error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message,
    });
  }
}

type Json = Record<string, unknown>;

function object(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(field, 'expected an object');
  return value as Json;
}

function onlyKeys(value: Json, field: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      throw invalid(`${field}.${key.slice(0, 64)}`, `unknown field (allowed: ${allowed.join(', ')})`);
  }
}

function text(value: unknown, field: string, max: number, optional: true): string | undefined;
function text(value: unknown, field: string, max: number, optional?: false): string;
function text(value: unknown, field: string, max: number, optional = false): string | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string') throw invalid(field, 'expected a string');
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > max) throw invalid(field, `1 to ${max} characters`);
  return trimmed;
}

function number(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(field, 'expected a number');
  return value;
}

function whole(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalid(field, `a whole number from ${min} to ${max}`);
  return value;
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T))
    throw invalid(field, `one of ${allowed.join(', ')}`);
  return value as T;
}

function list(value: unknown, field: string, min: number, max: number): unknown[] {
  if (!Array.isArray(value)) throw invalid(field, 'expected an array');
  if (value.length < min || value.length > max)
    throw invalid(field, min === max ? `exactly ${min} entries` : `${min} to ${max} entries`);
  return value;
}

function id(value: unknown, field: string): string {
  return text(value, field, 200);
}

const THRESHOLD_OPS: ReadonlySet<string> = new Set(['above', 'below', 'equals']);

export function validateTrigger(value: unknown, field: string): Trigger {
  const trigger = object(value, field);
  switch (trigger.type) {
    case 'device': {
      onlyKeys(trigger, field, ['type', 'deviceId', 'label', 'op', 'value']);
      const op: DeviceTriggerOp = oneOf(trigger.op, `${field}.op`, DEVICE_TRIGGER_OPS);
      const result: Trigger = {
        type: 'device',
        deviceId: id(trigger.deviceId, `${field}.deviceId`),
        label: text(trigger.label, `${field}.label`, 100),
        op,
      };
      if (THRESHOLD_OPS.has(op)) result.value = number(trigger.value, `${field}.value`);
      else if (trigger.value !== undefined) throw invalid(`${field}.value`, `not used by op ${op}`);
      return result;
    }
    case 'alarm': {
      onlyKeys(trigger, field, ['type', 'cause', 'severity']);
      const result: Trigger = { type: 'alarm' };
      if (trigger.cause !== undefined) result.cause = oneOf(trigger.cause, `${field}.cause`, ALARM_CAUSES);
      if (trigger.severity !== undefined)
        result.severity = oneOf(trigger.severity, `${field}.severity`, ALARM_SEVERITIES);
      return result;
    }
    case 'schedule': {
      onlyKeys(trigger, field, ['type', 'cron']);
      const cron = text(trigger.cron, `${field}.cron`, 100);
      const problem = cronProblem(cron);
      if (problem) throw invalid(`${field}.cron`, problem);
      return { type: 'schedule', cron };
    }
    case 'sun': {
      onlyKeys(trigger, field, ['type', 'event', 'offsetMinutes']);
      const result: Trigger = { type: 'sun', event: oneOf(trigger.event, `${field}.event`, SUN_EVENTS) };
      if (trigger.offsetMinutes !== undefined)
        result.offsetMinutes = whole(
          trigger.offsetMinutes,
          `${field}.offsetMinutes`,
          -MAX_SUN_OFFSET_MINUTES,
          MAX_SUN_OFFSET_MINUTES,
        );
      return result;
    }
    case 'mode': {
      onlyKeys(trigger, field, ['type', 'mode']);
      const result: Trigger = { type: 'mode' };
      if (trigger.mode !== undefined)
        result.mode = oneOf<HomeMode>(trigger.mode, `${field}.mode`, HOME_MODES);
      return result;
    }
    default:
      throw invalid(`${field}.type`, 'one of device, alarm, schedule, sun, mode');
  }
}

export function validateCondition(value: unknown, field: string): Condition {
  const condition = object(value, field);
  switch (condition.type) {
    case 'time': {
      onlyKeys(condition, field, ['type', 'after', 'before']);
      if (condition.after === undefined && condition.before === undefined)
        throw invalid(field, 'give after, before or both ("HH:MM", in the home\'s timezone)');
      const result: Condition = { type: 'time' };
      for (const bound of ['after', 'before'] as const) {
        if (condition[bound] === undefined) continue;
        if (typeof condition[bound] !== 'string' || parseClock(condition[bound]) === null)
          throw invalid(`${field}.${bound}`, 'a time of day "HH:MM" (00:00 to 23:59)');
        result[bound] = condition[bound];
      }
      if (result.after !== undefined && result.after === result.before)
        throw invalid(field, 'after and before are the same time: the window would be empty');
      return result;
    }
    case 'sun': {
      onlyKeys(condition, field, ['type', 'after', 'before']);
      if (condition.after === undefined && condition.before === undefined)
        throw invalid(field, 'give after, before or both (sunrise or sunset)');
      const result: Condition = { type: 'sun' };
      if (condition.after !== undefined) result.after = oneOf(condition.after, `${field}.after`, SUN_EVENTS);
      if (condition.before !== undefined)
        result.before = oneOf(condition.before, `${field}.before`, SUN_EVENTS);
      // after sunset and before sunrise is the night; after sunrise and before sunset the day.
      // The same event on both sides names no window.
      if (result.after !== undefined && result.after === result.before)
        throw invalid(
          field,
          `after and before are both ${result.after}: use after sunset/before sunrise (night) or after sunrise/before sunset (day)`,
        );
      return result;
    }
    case 'device': {
      onlyKeys(condition, field, ['type', 'deviceId', 'label', 'op', 'value']);
      const op: DeviceConditionOp = oneOf(condition.op, `${field}.op`, DEVICE_CONDITION_OPS);
      const result: Condition = {
        type: 'device',
        deviceId: id(condition.deviceId, `${field}.deviceId`),
        label: text(condition.label, `${field}.label`, 100),
        op,
      };
      if (THRESHOLD_OPS.has(op)) result.value = number(condition.value, `${field}.value`);
      else if (condition.value !== undefined) throw invalid(`${field}.value`, `not used by op ${op}`);
      return result;
    }
    case 'mode': {
      onlyKeys(condition, field, ['type', 'mode']);
      return { type: 'mode', mode: oneOf<HomeMode>(condition.mode, `${field}.mode`, HOME_MODES) };
    }
    default:
      throw invalid(`${field}.type`, 'one of time, sun, device, mode');
  }
}

function validateParams(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined) return {};
  const params = object(value, field);
  if (Object.keys(params).length > 20) throw invalid(field, 'at most 20 parameters');
  return params;
}

function validateStep(action: Json, field: string): SceneStep | null {
  switch (action.type) {
    case 'command': {
      onlyKeys(action, field, ['type', 'deviceId', 'action', 'params']);
      const name = text(action.action, `${field}.action`, 64);
      if (!COMMAND_ACTIONS.has(name))
        throw invalid(`${field}.action`, `unknown action (one of ${[...COMMAND_ACTIONS].join(', ')})`);
      return {
        type: 'command',
        deviceId: id(action.deviceId, `${field}.deviceId`),
        action: name,
        params: validateParams(action.params, `${field}.params`),
      };
    }
    case 'record': {
      onlyKeys(action, field, ['type', 'deviceId', 'durationSeconds']);
      return {
        type: 'record',
        deviceId: id(action.deviceId, `${field}.deviceId`),
        durationSeconds: whole(action.durationSeconds, `${field}.durationSeconds`, 1, MAX_RECORDING_SECONDS),
      };
    }
    default:
      return null;
  }
}

export function validateAction(value: unknown, field: string, limits: RuleLimits): Action {
  const action = object(value, field);
  const step = validateStep(action, field);
  if (step) return step;
  switch (action.type) {
    case 'scene':
      onlyKeys(action, field, ['type', 'sceneId']);
      return { type: 'scene', sceneId: id(action.sceneId, `${field}.sceneId`) };
    case 'notify': {
      onlyKeys(action, field, ['type', 'title', 'body', 'severity', 'userIds']);
      let userIds: string[] | null = null;
      if (action.userIds !== undefined && action.userIds !== null) {
        userIds = list(action.userIds, `${field}.userIds`, 1, MAX_NOTIFY_RECIPIENTS).map((userId, index) =>
          id(userId, `${field}.userIds[${index}]`),
        );
      }
      return {
        type: 'notify',
        title: text(action.title, `${field}.title`, 200),
        body: text(action.body, `${field}.body`, 2000),
        severity:
          action.severity === undefined
            ? 'info'
            : oneOf<NotificationSeverity>(action.severity, `${field}.severity`, ALARM_SEVERITIES),
        userIds,
      };
    }
    case 'delay':
      onlyKeys(action, field, ['type', 'seconds']);
      return { type: 'delay', seconds: whole(action.seconds, `${field}.seconds`, 1, limits.maxDelaySeconds) };
    default:
      throw invalid(`${field}.type`, 'one of command, scene, notify, record, delay');
  }
}

/** Checks each entry of a list on its own, gathering the problems; null when the list itself is wrong. */
function entries<T>(
  problems: RuleProblems,
  value: unknown,
  field: string,
  min: number,
  max: number,
  validate: (entry: unknown, field: string) => T,
): T[] | null {
  const all = problems.check(() => list(value, field, min, max));
  if (!all) return null;
  const checked = all.map((entry, index) => problems.check(() => validate(entry, `${field}[${index}]`)));
  return checked.every((entry): entry is T => entry !== undefined) ? checked : null;
}

/**
 * A whole automation as the API takes it (POST, PUT); defaults: enabled, no conditions, no
 * cooldown. Every part is checked; the problems are thrown together (RuleProblems), the first in
 * the order enabled, actions, name, triggers, conditions, cooldownSeconds.
 */
export function validateAutomation(value: unknown, limits: RuleLimits): AutomationInput {
  const input = object(value, 'automation');
  onlyKeys(input, 'automation', ['name', 'enabled', 'triggers', 'conditions', 'actions', 'cooldownSeconds']);
  const problems = new RuleProblems();
  problems.check(() => {
    if (input.enabled !== undefined && typeof input.enabled !== 'boolean')
      throw invalid('enabled', 'expected true or false');
  });
  const actions = entries(problems, input.actions, 'actions', 1, MAX_ACTIONS, (action, field) =>
    validateAction(action, field, limits),
  );
  if (actions?.every((action) => action.type === 'delay'))
    problems.check(() => {
      throw invalid('actions', 'at least one action other than a delay');
    });
  const name = problems.check(() => text(input.name, 'name', 100));
  const triggers = entries(problems, input.triggers, 'triggers', 1, MAX_TRIGGERS, validateTrigger);
  const conditions = entries(
    problems,
    input.conditions ?? [],
    'conditions',
    0,
    MAX_CONDITIONS,
    validateCondition,
  );
  const cooldownSeconds = problems.check(() =>
    input.cooldownSeconds === undefined
      ? 0
      : whole(input.cooldownSeconds, 'cooldownSeconds', 0, MAX_COOLDOWN_SECONDS),
  );
  problems.done();
  return {
    name: name!,
    enabled: input.enabled !== false,
    triggers: triggers!,
    conditions: conditions!,
    actions: actions!,
    cooldownSeconds: cooldownSeconds!,
  };
}

/** A scene: a name and the commands it sends (command or record steps); problems as for rules. */
export function validateScene(value: unknown): SceneInput {
  const input = object(value, 'scene');
  onlyKeys(input, 'scene', ['name', 'actions']);
  const problems = new RuleProblems();
  const actions = entries(problems, input.actions, 'actions', 1, MAX_SCENE_ACTIONS, (action, field) => {
    const step = validateStep(object(action, field), field);
    if (!step) throw invalid(`${field}.type`, 'a scene holds command and record actions');
    return step;
  });
  const name = problems.check(() => text(input.name, 'name', 100));
  problems.done();
  return { name: name!, actions: actions! };
}

/**
 * Splits a parameter error of validateCommand ("params.level: expected a number") into the
 * parameter's path and the rest, so that the rule's error names the full field
 * (`actions[0].params.level`). The name is matched against the parameters given and those the
 * action takes, longest first, rather than cut at the first colon: a given name may hold one.
 */
export function paramProblem(message: string, names: readonly string[]): { path: string; message: string } {
  const candidates = [...new Set(names.map((name) => name.slice(0, 64)))].sort((a, b) => b.length - a.length);
  for (const name of candidates) {
    const prefix = `params.${name}: `;
    if (message.startsWith(prefix)) return { path: `params.${name}`, message: message.slice(prefix.length) };
  }
  if (message.startsWith('params: ')) return { path: 'params', message: message.slice('params: '.length) };
  return { path: 'params', message };
}

/** Every device an automation names, with the field that names it (for the home check). */
export function referencedDevices(input: {
  triggers?: Trigger[];
  conditions?: Condition[];
  actions: Action[];
}): Array<{
  deviceId: string;
  field: string;
  camera: boolean;
}> {
  const found: Array<{ deviceId: string; field: string; camera: boolean }> = [];
  input.triggers?.forEach((trigger, index) => {
    if (trigger.type === 'device')
      found.push({ deviceId: trigger.deviceId, field: `triggers[${index}].deviceId`, camera: false });
  });
  input.conditions?.forEach((condition, index) => {
    if (condition.type === 'device')
      found.push({ deviceId: condition.deviceId, field: `conditions[${index}].deviceId`, camera: false });
  });
  input.actions.forEach((action, index) => {
    if (action.type === 'command' || action.type === 'record')
      found.push({
        deviceId: action.deviceId,
        field: `actions[${index}].deviceId`,
        camera: action.type === 'record',
      });
  });
  return found;
}
