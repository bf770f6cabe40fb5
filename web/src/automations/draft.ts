import type { Device, HomeMode } from '../api.ts';
import {
  THRESHOLD_OPS,
  type Action,
  type ActionType,
  type AlarmCause,
  type Automation,
  type Condition,
  type ConditionType,
  type DeviceConditionOp,
  type DeviceTriggerOp,
  type SceneStep,
  type Severity,
  type SunEvent,
  type Trigger,
  type TriggerType,
} from './api.ts';

/**
 * What the editor holds while a rule is being edited: every field as typed (numbers as text,
 * so that "abc" reaches the API and comes back named, rather than silently becoming 0), and a
 * stable key per item so that reordering keeps each item's inputs.
 */

let nextKey = 0;
const newKey = () => `item-${++nextKey}`;

export interface TriggerDraft {
  key: string;
  type: TriggerType;
  deviceId: string;
  label: string;
  op: DeviceTriggerOp;
  value: string;
  cause: AlarmCause | '';
  severity: Severity | '';
  cron: string;
  event: SunEvent;
  offsetMinutes: string;
  mode: HomeMode | '';
}

export interface ConditionDraft {
  key: string;
  type: ConditionType;
  after: string;
  before: string;
  sunAfter: SunEvent | '';
  sunBefore: SunEvent | '';
  deviceId: string;
  label: string;
  op: DeviceConditionOp;
  value: string;
  mode: HomeMode;
}

export type DelayUnit = 'seconds' | 'minutes';

export interface ActionDraft {
  key: string;
  type: ActionType;
  deviceId: string;
  action: string;
  params: Record<string, string>;
  sceneId: string;
  title: string;
  body: string;
  severity: Severity;
  /** Kept as saved: null sends to every member of the home. */
  userIds: string[] | null;
  durationSeconds: string;
  delay: string;
  delayUnit: DelayUnit;
}

export interface AutomationDraft {
  name: string;
  enabled: boolean;
  cooldownSeconds: string;
  triggers: TriggerDraft[];
  conditions: ConditionDraft[];
  actions: ActionDraft[];
}

export function newTrigger(type: TriggerType = 'device'): TriggerDraft {
  return {
    key: newKey(),
    type,
    deviceId: '',
    label: '',
    op: 'above',
    value: '',
    cause: '',
    severity: '',
    cron: '0 7 * * *',
    event: 'sunset',
    offsetMinutes: '0',
    mode: '',
  };
}

export function newCondition(type: ConditionType = 'time'): ConditionDraft {
  return {
    key: newKey(),
    type,
    after: '22:00',
    before: '06:00',
    sunAfter: 'sunset',
    sunBefore: 'sunrise',
    deviceId: '',
    label: '',
    op: 'above',
    value: '',
    mode: 'home',
  };
}

export function newAction(type: ActionType = 'command'): ActionDraft {
  return {
    key: newKey(),
    type,
    deviceId: '',
    action: '',
    params: {},
    sceneId: '',
    title: '',
    body: '',
    severity: 'info',
    userIds: null,
    durationSeconds: '60',
    delay: '1',
    delayUnit: 'minutes',
  };
}

export function emptyDraft(): AutomationDraft {
  return {
    name: '',
    enabled: true,
    cooldownSeconds: '0',
    triggers: [newTrigger()],
    conditions: [],
    actions: [newAction()],
  };
}

const text = (value: number | undefined) => (value === undefined ? '' : String(value));

export function triggerDraft(trigger: Trigger): TriggerDraft {
  const draft = newTrigger(trigger.type);
  switch (trigger.type) {
    case 'device':
      return {
        ...draft,
        deviceId: trigger.deviceId,
        label: trigger.label,
        op: trigger.op,
        value: text(trigger.value),
      };
    case 'alarm':
      return { ...draft, cause: trigger.cause ?? '', severity: trigger.severity ?? '' };
    case 'schedule':
      return { ...draft, cron: trigger.cron };
    case 'sun':
      return { ...draft, event: trigger.event, offsetMinutes: text(trigger.offsetMinutes ?? 0) };
    case 'mode':
      return { ...draft, mode: trigger.mode ?? '' };
  }
}

export function conditionDraft(condition: Condition): ConditionDraft {
  const draft = newCondition(condition.type);
  switch (condition.type) {
    case 'time':
      return { ...draft, after: condition.after ?? '', before: condition.before ?? '' };
    case 'sun':
      return { ...draft, sunAfter: condition.after ?? '', sunBefore: condition.before ?? '' };
    case 'device':
      return {
        ...draft,
        deviceId: condition.deviceId,
        label: condition.label,
        op: condition.op,
        value: text(condition.value),
      };
    case 'mode':
      return { ...draft, mode: condition.mode };
  }
}

export function actionDraft(action: Action): ActionDraft {
  const draft = newAction(action.type);
  switch (action.type) {
    case 'command':
      return {
        ...draft,
        deviceId: action.deviceId,
        action: action.action,
        params: Object.fromEntries(
          Object.entries(action.params).map(([name, value]) => [name, String(value)]),
        ),
      };
    case 'scene':
      return { ...draft, sceneId: action.sceneId };
    case 'notify':
      return {
        ...draft,
        title: action.title,
        body: action.body,
        severity: action.severity,
        userIds: action.userIds,
      };
    case 'record':
      return { ...draft, deviceId: action.deviceId, durationSeconds: String(action.durationSeconds) };
    case 'delay': {
      const minutes = action.seconds % 60 === 0;
      return {
        ...draft,
        delay: String(minutes ? action.seconds / 60 : action.seconds),
        delayUnit: minutes ? 'minutes' : 'seconds',
      };
    }
  }
}

export function automationDraft(automation: Automation): AutomationDraft {
  return {
    name: automation.name,
    enabled: automation.enabled,
    cooldownSeconds: String(automation.cooldownSeconds),
    triggers: automation.triggers.map(triggerDraft),
    conditions: automation.conditions.map(conditionDraft),
    actions: automation.actions.map(actionDraft),
  };
}

/**
 * A number as typed: the number when it is one; otherwise the text itself (the API then names
 * the field: "expected a number"), or nothing when left empty.
 */
export function numberOrText(value: string): number | string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  const number = Number(trimmed);
  return Number.isFinite(number) ? number : trimmed;
}

/** The body of POST/PUT for what the editor holds (the API checks it). */
export function automationBody(draft: AutomationDraft): Record<string, unknown> {
  return {
    name: draft.name,
    enabled: draft.enabled,
    cooldownSeconds: numberOrText(draft.cooldownSeconds) ?? 0,
    triggers: draft.triggers.map(triggerBody),
    conditions: draft.conditions.map(conditionBody),
    actions: draft.actions.map(actionBody),
  };
}

function triggerBody(draft: TriggerDraft): Record<string, unknown> {
  switch (draft.type) {
    case 'device':
      return {
        type: 'device',
        deviceId: draft.deviceId,
        label: draft.label,
        op: draft.op,
        ...(THRESHOLD_OPS.has(draft.op) ? { value: numberOrText(draft.value) } : {}),
      };
    case 'alarm':
      return {
        type: 'alarm',
        ...(draft.cause ? { cause: draft.cause } : {}),
        ...(draft.severity ? { severity: draft.severity } : {}),
      };
    case 'schedule':
      return { type: 'schedule', cron: draft.cron };
    case 'sun': {
      const offset = numberOrText(draft.offsetMinutes);
      return {
        type: 'sun',
        event: draft.event,
        ...(offset !== undefined && offset !== 0 ? { offsetMinutes: offset } : {}),
      };
    }
    case 'mode':
      return { type: 'mode', ...(draft.mode ? { mode: draft.mode } : {}) };
  }
}

function conditionBody(draft: ConditionDraft): Record<string, unknown> {
  switch (draft.type) {
    case 'time':
      return {
        type: 'time',
        ...(draft.after ? { after: draft.after } : {}),
        ...(draft.before ? { before: draft.before } : {}),
      };
    case 'sun':
      return {
        type: 'sun',
        ...(draft.sunAfter ? { after: draft.sunAfter } : {}),
        ...(draft.sunBefore ? { before: draft.sunBefore } : {}),
      };
    case 'device':
      return {
        type: 'device',
        deviceId: draft.deviceId,
        label: draft.label,
        op: draft.op,
        ...(THRESHOLD_OPS.has(draft.op) ? { value: numberOrText(draft.value) } : {}),
      };
    case 'mode':
      return { type: 'mode', mode: draft.mode };
  }
}

/** A command's parameters as typed: numbers where the command takes numbers. */
export function paramsBody(action: string, params: Record<string, string>): Record<string, unknown> {
  const spec = COMMAND_SPECS.find((candidate) => candidate.action === action);
  const body: Record<string, unknown> = {};
  for (const [name, param] of Object.entries(spec?.params ?? {})) {
    const value = params[name] ?? '';
    if (param.kind === 'enum') {
      if (value !== '') body[name] = value;
    } else {
      const number = numberOrText(value);
      if (number !== undefined) body[name] = number;
    }
  }
  return body;
}

export function actionBody(draft: ActionDraft): Record<string, unknown> {
  switch (draft.type) {
    case 'command':
      return {
        type: 'command',
        deviceId: draft.deviceId,
        action: draft.action,
        params: paramsBody(draft.action, draft.params),
      };
    case 'scene':
      return { type: 'scene', sceneId: draft.sceneId };
    case 'notify':
      return {
        type: 'notify',
        title: draft.title,
        body: draft.body,
        severity: draft.severity,
        ...(draft.userIds ? { userIds: draft.userIds } : {}),
      };
    case 'record':
      return {
        type: 'record',
        deviceId: draft.deviceId,
        durationSeconds: numberOrText(draft.durationSeconds),
      };
    case 'delay': {
      const amount = numberOrText(draft.delay);
      return {
        type: 'delay',
        seconds: typeof amount === 'number' && draft.delayUnit === 'minutes' ? amount * 60 : amount,
      };
    }
  }
}

/** A scene step for the scene editor (command or record). */
export function stepBody(draft: ActionDraft): Record<string, unknown> {
  return actionBody(draft.type === 'record' ? draft : { ...draft, type: 'command' });
}

export function stepDraft(step: SceneStep): ActionDraft {
  return actionDraft(step);
}

// ---- what a device accepts (src/core/capabilities.ts, docs/commands.md) ----

export type ParamSpec =
  | { kind: 'number'; min: number; max: number; integer: boolean; unit?: string; required: boolean }
  | { kind: 'enum'; values: readonly string[]; required: boolean };

export interface CommandSpec {
  action: string;
  source: string;
  params: Record<string, ParamSpec>;
}

const PERCENT = (name: string): Record<string, ParamSpec> => ({
  [name]: { kind: 'number', min: 0, max: 100, integer: true, unit: '%', required: true },
});

export const COMMAND_SPECS: readonly CommandSpec[] = [
  { action: 'turnOn', source: 'switch', params: {} },
  { action: 'turnOff', source: 'switch', params: {} },
  { action: 'toggle', source: 'switch', params: {} },
  { action: 'turnOn', source: 'dimmer', params: {} },
  { action: 'turnOff', source: 'dimmer', params: {} },
  { action: 'setLevel', source: 'dimmer', params: PERCENT('level') },
  { action: 'lock', source: 'lock', params: {} },
  { action: 'unlock', source: 'lock', params: {} },
  {
    action: 'setTemperature',
    source: 'thermostat',
    params: { temperature: { kind: 'number', min: 5, max: 35, integer: false, unit: '°C', required: true } },
  },
  {
    action: 'setMode',
    source: 'thermostat',
    params: { mode: { kind: 'enum', values: ['off', 'heat', 'cool', 'auto'], required: true } },
  },
  { action: 'open', source: 'curtain', params: {} },
  { action: 'close', source: 'curtain', params: {} },
  { action: 'stop', source: 'curtain', params: {} },
  { action: 'setPosition', source: 'curtain', params: PERCENT('position') },
  {
    action: 'startRecording',
    source: 'camera',
    params: {
      durationSeconds: { kind: 'number', min: 1, max: 3600, integer: true, unit: 's', required: false },
    },
  },
  { action: 'stopRecording', source: 'camera', params: {} },
];

/** The commands a device accepts: those of its channels' capabilities, and a camera's. */
export function commandsOf(device: Device | undefined): CommandSpec[] {
  if (!device) return [];
  const sources = new Set(device.channels.map((channel) => channel.capability ?? ''));
  if (device.type === 'camera') sources.add('camera');
  const byAction = new Map<string, CommandSpec>();
  for (const spec of COMMAND_SPECS)
    if (sources.has(spec.source) && !byAction.has(spec.action)) byAction.set(spec.action, spec);
  return [...byAction.values()];
}

export function controllable(device: Device): boolean {
  return commandsOf(device).length > 0;
}

/** The default parameters of a command, so a new action starts valid. */
export function defaultParams(spec: CommandSpec | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, param] of Object.entries(spec?.params ?? {})) {
    if (!param.required) continue;
    params[name] =
      param.kind === 'enum' ? (param.values[0] ?? '') : name === 'temperature' ? '20' : String(param.max);
  }
  return params;
}

/** Daily cron ("every day at HH:MM"): `M H * * *`. */
export function dailyCron(clock: string): string | null {
  const match = /^(\d{1,2}):(\d{2})$/.exec(clock);
  if (!match) return null;
  return `${Number(match[2])} ${Number(match[1])} * * *`;
}

/** "HH:MM" of a daily cron, or null when the cron is something else. */
export function clockOfDailyCron(cron: string): string | null {
  const match = /^(\d{1,2}) (\d{1,2}) \* \* \*$/.exec(cron.trim());
  if (!match) return null;
  const minute = Number(match[1]);
  const hour = Number(match[2]);
  if (minute > 59 || hour > 23) return null;
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}
