import type { AlarmCause, AlarmSeverity } from './alarm.ts';
import type { HomeMode } from './home.ts';
import type { NotificationSeverity } from './notification.ts';

/**
 * The automation model: a rule of a home runs its actions, in order, when any of its triggers
 * fires and all of its conditions hold. Stored as JSON (triggers, conditions, actions) beside
 * the rule's own columns; validated by rules.ts before it is stored.
 */

/** How a device trigger compares a channel's new value with its previous one. */
export type DeviceTriggerOp =
  'changes' | 'above' | 'below' | 'equals' | 'becomes_active' | 'becomes_inactive';
export const DEVICE_TRIGGER_OPS: readonly DeviceTriggerOp[] = [
  'changes',
  'above',
  'below',
  'equals',
  'becomes_active',
  'becomes_inactive',
];

/** How a device condition tests a channel's current value. */
export type DeviceConditionOp = 'above' | 'below' | 'equals' | 'active' | 'inactive';
export const DEVICE_CONDITION_OPS: readonly DeviceConditionOp[] = [
  'above',
  'below',
  'equals',
  'active',
  'inactive',
];

export type SunEvent = 'sunrise' | 'sunset';

export type DeviceTrigger = {
  type: 'device';
  deviceId: string;
  label: string;
  op: DeviceTriggerOp;
  /** The threshold of above/below/equals. */
  value?: number;
};
export type AlarmTrigger = { type: 'alarm'; cause?: AlarmCause; severity?: AlarmSeverity };
/** Five-field cron (minute hour day-of-month month day-of-week) in the home's timezone. */
export type ScheduleTrigger = { type: 'schedule'; cron: string };
export type SunTrigger = { type: 'sun'; event: SunEvent; offsetMinutes?: number };
export type ModeTrigger = { type: 'mode'; mode?: HomeMode };

export type Trigger = DeviceTrigger | AlarmTrigger | ScheduleTrigger | SunTrigger | ModeTrigger;
/** Triggers that fire at computed times (persisted next fire, see the scheduler). */
export type TimedTrigger = ScheduleTrigger | SunTrigger;

export type TimeCondition = { type: 'time'; after?: string; before?: string };
export type SunCondition = { type: 'sun'; after?: SunEvent; before?: SunEvent };
export type DeviceCondition = {
  type: 'device';
  deviceId: string;
  label: string;
  op: DeviceConditionOp;
  value?: number;
};
export type ModeCondition = { type: 'mode'; mode: HomeMode };
export type Condition = TimeCondition | SunCondition | DeviceCondition | ModeCondition;

export type CommandAction = {
  type: 'command';
  deviceId: string;
  action: string;
  params: Record<string, unknown>;
};
export type SceneAction = { type: 'scene'; sceneId: string };
export type NotifyAction = {
  type: 'notify';
  title: string;
  body: string;
  severity: NotificationSeverity;
  /** Null: every member of the home. */
  userIds: string[] | null;
};
/** Records a camera: a startRecording command with this duration. */
export type RecordAction = { type: 'record'; deviceId: string; durationSeconds: number };
export type DelayAction = { type: 'delay'; seconds: number };
export type Action = CommandAction | SceneAction | NotifyAction | RecordAction | DelayAction;
/** What a scene holds: commands only, sent together. */
export type SceneStep = CommandAction | RecordAction;

/** Why loop protection stopped a rule: its own actions re-triggered it, or it ran too often. */
export type FlagReason = 'loop' | 'rate';

export interface AutomationInput {
  name: string;
  enabled: boolean;
  triggers: Trigger[];
  conditions: Condition[];
  actions: Action[];
  cooldownSeconds: number;
}

export interface Automation extends AutomationInput {
  id: string;
  tenantId: string;
  homeId: string;
  /** Set when loop protection stopped the rule (it is disabled then); cleared when re-enabled. */
  flaggedAtMs: number | null;
  flagReason: FlagReason | null;
  createdBy: string | null;
  createdAtMs: number;
  updatedAtMs: number;
}

/** The newest run of a rule (by start), as lists show it beside the rule. */
export interface LastRun {
  id: string;
  /** When the run started (a waiting run has not finished). */
  atMs: number;
  outcome: RunOutcome;
  /** Why it failed or was skipped, as on the run. */
  error: string | null;
}

/** A rule as the API lists it: with its newest run, or null when it never ran. */
export interface AutomationWithLastRun extends Automation {
  lastRun: LastRun | null;
}

export interface SceneInput {
  name: string;
  actions: SceneStep[];
}

export interface Scene extends SceneInput {
  id: string;
  tenantId: string;
  homeId: string;
  createdBy: string | null;
  createdAtMs: number;
  updatedAtMs: number;
}

/**
 * A run's end (or its state while it lasts): `running`, `waiting` (paused at a delay, resumes
 * at `resumeAtMs`, also after a restart), then `succeeded` or `failed`; `skipped_condition`
 * (a condition did not hold), `throttled` (loop protection), `missed` (a schedule fell due while
 * the process was down, beyond the grace period).
 */
export type RunOutcome =
  'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped_condition' | 'throttled' | 'missed';

/** What started a run, as recorded with it. */
export interface RunTrigger {
  type: Trigger['type'] | 'manual';
  /**
   * Readable, naming a device by its name (else its type and short id), e.g. "Motion of Hall
   * sensor became active (1)".
   */
  description: string;
  /** Which of the rule's triggers fired (absent for manual runs). */
  index?: number;
  deviceId?: string;
  label?: string;
  value?: number | string | null;
  previous?: number | string | null;
  alarmId?: string;
  scheduledAtMs?: number;
  userId?: string;
}

export interface ActionResult {
  index: number;
  type: Action['type'];
  status: 'done' | 'failed';
  /** Commands sent by this action (a scene sends several). */
  commandIds?: string[];
  notificationId?: string;
  error?: string;
  atMs: number;
}

export interface AutomationRun {
  id: string;
  automationId: string;
  tenantId: string;
  homeId: string;
  trigger: RunTrigger;
  startedAtMs: number;
  finishedAtMs: number | null;
  outcome: RunOutcome;
  actions: ActionResult[];
  error: string | null;
  /** A waiting run: the actions it still has to do (a snapshot: later edits of the rule do not change it). */
  pending: Action[];
  /** Index (in the rule's actions) of the first pending action. */
  nextActionIndex: number | null;
  resumeAtMs: number | null;
  /** Automations whose commands led to this run (loop protection); carried across a delay. */
  causes: string[];
}

/** The trigger types a device's readings, alarms and mode changes fire (not timed). */
export function isTimedTrigger(trigger: Trigger): trigger is TimedTrigger {
  return trigger.type === 'schedule' || trigger.type === 'sun';
}
