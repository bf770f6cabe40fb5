/** Alarms raised from readings, and a home's security settings. Times are epoch milliseconds. */

import type { HomeMode } from './home.ts';

/** What an alarm is about; one active alarm per (device, cause) at a time. */
export type AlarmCause =
  | 'smoke'
  | 'co'
  | 'gas'
  | 'water_leak'
  | 'glass_break'
  | 'intrusion_motion'
  | 'intrusion_door'
  | 'heat'
  | 'freeze';

export const ALARM_CAUSES: readonly AlarmCause[] = [
  'smoke',
  'co',
  'gas',
  'water_leak',
  'glass_break',
  'intrusion_motion',
  'intrusion_door',
  'heat',
  'freeze',
];

export type AlarmSeverity = 'critical' | 'warning' | 'info';

export const ALARM_SEVERITIES: readonly AlarmSeverity[] = ['critical', 'warning', 'info'];

export type AlarmState = 'active' | 'cleared';

export interface Alarm {
  id: string;
  tenantId: string;
  homeId: string;
  gatewayId: string;
  deviceId: string;
  cause: AlarmCause;
  severity: AlarmSeverity;
  state: AlarmState;
  /** The reading that raised it (label, value) and when the device measured it. */
  label: string;
  value: number | null;
  raisedAtMs: number;
  /** Readings of the same cause while it was active: counted, not raised again. */
  occurrences: number;
  lastOccurrenceAtMs: number;
  acknowledgedAtMs: number | null;
  acknowledgedBy: string | null;
  clearedAtMs: number | null;
  /** A user id, or 'device' when the sensor reported normal again. */
  clearedBy: string | null;
}

/** A home's security settings as stored (thresholds null: the configured defaults apply). */
export interface HomeSecurity {
  homeId: string;
  tenantId: string;
  mode: HomeMode;
  heatThresholdC: number | null;
  freezeThresholdC: number | null;
  /** When the mode last changed, and by whom (null: never set). */
  changedAtMs: number | null;
  changedBy: string | null;
}

export interface AlarmRaise {
  /** The id the alarm gets if this raise creates it. */
  id: string;
  tenantId: string;
  homeId: string;
  gatewayId: string;
  deviceId: string;
  cause: AlarmCause;
  severity: AlarmSeverity;
  label: string;
  value: number | null;
  /** When the device measured the reading. */
  atMs: number;
}

export interface AlarmListQuery {
  homeId: string;
  state: AlarmState | 'all';
  limit: number;
  /** Keyset position: alarms raised strictly before (raisedAtMs, id), newest first. */
  before?: { raisedAtMs: number; id: string } | undefined;
}
