import { ApiError, type Home, type HomeMode } from '../api.ts';

/**
 * Automations and scenes as the API reads and writes them (src/services/automations/model.ts,
 * docs/automations.md). Bodies are checked by the API field by field; a refused one answers
 * `400 HESTIA_AUTOMATION_INVALID` with `details.errors` listing every refused field
 * (`triggers[0].value`, `actions[1].params.level`) and `details.field` naming the first.
 */

export type DeviceTriggerOp =
  'changes' | 'above' | 'below' | 'equals' | 'becomes_active' | 'becomes_inactive';
export const DEVICE_TRIGGER_OPS: readonly DeviceTriggerOp[] = [
  'above',
  'below',
  'equals',
  'changes',
  'becomes_active',
  'becomes_inactive',
];
export type DeviceConditionOp = 'above' | 'below' | 'equals' | 'active' | 'inactive';
export const DEVICE_CONDITION_OPS: readonly DeviceConditionOp[] = [
  'above',
  'below',
  'equals',
  'active',
  'inactive',
];
/** Operators that compare with a number (`value`). */
export const THRESHOLD_OPS: ReadonlySet<string> = new Set(['above', 'below', 'equals']);

export type SunEvent = 'sunrise' | 'sunset';
export const SUN_EVENTS: readonly SunEvent[] = ['sunrise', 'sunset'];
export const HOME_MODES: readonly HomeMode[] = ['disarmed', 'home', 'armed'];
export type Severity = 'critical' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];
export const ALARM_CAUSES = [
  'smoke',
  'co',
  'gas',
  'water_leak',
  'glass_break',
  'intrusion_motion',
  'intrusion_door',
  'heat',
  'freeze',
] as const;
export type AlarmCause = (typeof ALARM_CAUSES)[number];

export type Trigger =
  | { type: 'device'; deviceId: string; label: string; op: DeviceTriggerOp; value?: number }
  | { type: 'alarm'; cause?: AlarmCause; severity?: Severity }
  | { type: 'schedule'; cron: string }
  | { type: 'sun'; event: SunEvent; offsetMinutes?: number }
  | { type: 'mode'; mode?: HomeMode };
export type TriggerType = Trigger['type'];
export const TRIGGER_TYPES: readonly TriggerType[] = ['device', 'alarm', 'schedule', 'sun', 'mode'];

export type Condition =
  | { type: 'time'; after?: string; before?: string }
  | { type: 'sun'; after?: SunEvent; before?: SunEvent }
  | { type: 'device'; deviceId: string; label: string; op: DeviceConditionOp; value?: number }
  | { type: 'mode'; mode: HomeMode };
export type ConditionType = Condition['type'];
export const CONDITION_TYPES: readonly ConditionType[] = ['time', 'sun', 'device', 'mode'];

export type Action =
  | { type: 'command'; deviceId: string; action: string; params: Record<string, unknown> }
  | { type: 'scene'; sceneId: string }
  | { type: 'notify'; title: string; body: string; severity: Severity; userIds: string[] | null }
  | { type: 'record'; deviceId: string; durationSeconds: number }
  | { type: 'delay'; seconds: number };
export type ActionType = Action['type'];
export const ACTION_TYPES: readonly ActionType[] = ['command', 'scene', 'notify', 'record', 'delay'];
export type SceneStep = Extract<Action, { type: 'command' | 'record' }>;

export type FlagReason = 'loop' | 'rate';

/** The newest run of an automation, as listings carry it (`at`: when it started). */
export interface LastRun {
  id: string;
  at: string;
  outcome: RunOutcome;
  /** Why it failed or was skipped. */
  error: string | null;
}

export interface Automation {
  id: string;
  homeId: string;
  name: string;
  enabled: boolean;
  triggers: Trigger[];
  conditions: Condition[];
  actions: Action[];
  cooldownSeconds: number;
  flaggedAt: string | null;
  flagReason: FlagReason | null;
  createdAt: string;
  updatedAt: string;
  /** Its newest run, or null when it never ran. */
  lastRun: LastRun | null;
  schedule?: Array<{ triggerIndex: number; nextFireAt: string | null }>;
}

export type RunOutcome =
  'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped_condition' | 'throttled' | 'missed';

export interface RunTrigger {
  type: TriggerType | 'manual';
  description: string;
  index?: number;
  deviceId?: string;
  label?: string;
  value?: number | string | null;
  previous?: number | string | null;
  scheduledAtMs?: number;
}

export interface ActionResult {
  index: number;
  type: ActionType;
  status: 'done' | 'failed';
  commandIds?: string[];
  notificationId?: string;
  error?: string;
  atMs: number;
}

export interface AutomationRun {
  id: string;
  automationId: string;
  trigger: RunTrigger;
  startedAt: string;
  finishedAt: string | null;
  outcome: RunOutcome;
  actions: ActionResult[];
  error: string | null;
  resumeAt: string | null;
  causes: string[];
}

export interface Scene {
  id: string;
  homeId: string;
  name: string;
  actions: SceneStep[];
  createdAt: string;
  updatedAt: string;
}

export interface SceneStepResult {
  index: number;
  deviceId: string;
  action: string;
  commandId: string | null;
  status: string | null;
  error: { code: string; message: string } | null;
}

/** The home as GET /v1/homes/{id} gives it, with its location (sun triggers need it). */
export interface HomeWithPlace extends Home {
  latitude?: number | null;
  longitude?: number | null;
}

export function hasLocation(home: HomeWithPlace): boolean {
  return typeof home.latitude === 'number' && typeof home.longitude === 'number';
}

export const homePath = (homeId: string) => `/v1/homes/${encodeURIComponent(homeId)}`;
export const automationPath = (id: string) => `/v1/automations/${encodeURIComponent(id)}`;
export const scenePath = (id: string) => `/v1/scenes/${encodeURIComponent(id)}`;

/** A refused field: where (`triggers[0].value`) and why, without the field repeated. */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * Every field an API error names (`details.errors`, the first being `details.field`); empty
 * when it names none (the error is then shown as a whole).
 */
export function fieldProblems(error: unknown): FieldProblem[] {
  if (!(error instanceof ApiError) || error.code !== 'HESTIA_AUTOMATION_INVALID') return [];
  const details = error.details as { field?: unknown; errors?: unknown } | undefined;
  if (Array.isArray(details?.errors)) {
    const problems = details.errors.filter(
      (item): item is FieldProblem =>
        typeof (item as FieldProblem | null)?.field === 'string' &&
        typeof (item as FieldProblem).message === 'string',
    );
    if (problems.length > 0) return problems;
  }
  if (typeof details?.field !== 'string') return [];
  const field = details.field;
  const message = error.message.startsWith(`${field}: `)
    ? error.message.slice(field.length + 2)
    : error.message;
  return [{ field, message }];
}

/** The DOM id of the input of a field path (`triggers[0].value` → `auto-triggers-0-value`). */
export function fieldId(path: string): string {
  return `auto-${path.replace(/[^A-Za-z0-9]+/g, '-').replace(/-$/, '')}`;
}
