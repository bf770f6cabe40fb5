import { capabilityOf, type Capability } from '../core/capabilities.ts';
import type { AlarmCause, AlarmSeverity } from '../core/domain/alarm.ts';
import type { HomeMode } from '../core/domain/home.ts';
import {
  DEFAULT_LANGUAGE,
  renderNotification,
  type Language,
  type NotificationMessage,
} from '../core/messages.ts';

/**
 * When a reading raises or clears an alarm: pure functions, no I/O, so that the rules are unit
 * tested on their own and the service runs them synchronously on every committed reading.
 *
 * - Hazards (smoke, CO, gas, water leak, glass break) are critical in every mode; they clear when
 *   the sensor reports normal again.
 * - Intrusion is critical and only while the home is armed: motion and doors when `armed`, doors
 *   only (the perimeter) when `home`. A quiet sensor does not clear it: disarming or a person does.
 * - Heat and freeze are warnings from temperatures (°C, the canonical unit) at or beyond the
 *   home's thresholds; they clear once the temperature is back inside by `HYSTERESIS_C`, so a
 *   reading wobbling around the threshold does not raise and clear in turns.
 */

/** How far back inside its threshold a temperature must be before heat or freeze clears, in °C. */
export const HYSTERESIS_C = 1;

/** What the rules need to know of the reading's home. */
export interface HomeAlarmSettings {
  mode: HomeMode;
  heatThresholdC: number;
  freezeThresholdC: number;
}

export interface RaiseDecision {
  kind: 'raise';
  cause: AlarmCause;
  severity: AlarmSeverity;
}
export interface ClearDecision {
  kind: 'clear';
  cause: AlarmCause;
}
export type AlarmDecision = RaiseDecision | ClearDecision;

/** The part of a committed reading the rules look at (values are canonical: °C). */
export interface ReadingValue {
  value: number | null;
  text: string | null;
}

/** Capabilities that can raise or clear an alarm; every other reading is skipped at once. */
export const ALARM_CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  'smoke',
  'co',
  'gas',
  'water_leak',
  'glass_break',
  'motion',
  'contact',
  'temperature',
]);

const HAZARDS: Partial<Record<Capability, AlarmCause>> = {
  smoke: 'smoke',
  co: 'co',
  gas: 'gas',
  water_leak: 'water_leak',
  glass_break: 'glass_break',
};

/** Causes a quiet sensor never clears: they end when the home is disarmed or a person clears them. */
export const INTRUSION_CAUSES: readonly AlarmCause[] = ['intrusion_motion', 'intrusion_door'];

// Decisions are shared constants: the hot path allocates nothing for a reading.
const NONE: readonly AlarmDecision[] = Object.freeze([]);
const raise = (cause: AlarmCause, severity: AlarmSeverity): readonly AlarmDecision[] =>
  Object.freeze([Object.freeze({ kind: 'raise', cause, severity } as const)]);
const clear = (cause: AlarmCause): readonly AlarmDecision[] =>
  Object.freeze([Object.freeze({ kind: 'clear', cause } as const)]);

const RAISE: Record<AlarmCause, readonly AlarmDecision[]> = {
  smoke: raise('smoke', 'critical'),
  co: raise('co', 'critical'),
  gas: raise('gas', 'critical'),
  water_leak: raise('water_leak', 'critical'),
  glass_break: raise('glass_break', 'critical'),
  intrusion_motion: raise('intrusion_motion', 'critical'),
  intrusion_door: raise('intrusion_door', 'critical'),
  heat: raise('heat', 'warning'),
  freeze: raise('freeze', 'warning'),
};
const CLEAR: Record<AlarmCause, readonly AlarmDecision[]> = {
  smoke: clear('smoke'),
  co: clear('co'),
  gas: clear('gas'),
  water_leak: clear('water_leak'),
  glass_break: clear('glass_break'),
  intrusion_motion: clear('intrusion_motion'),
  intrusion_door: clear('intrusion_door'),
  heat: clear('heat'),
  freeze: clear('freeze'),
};
const CLEAR_BOTH_TEMPERATURE: readonly AlarmDecision[] = Object.freeze([...CLEAR.heat, ...CLEAR.freeze]);

/**
 * Words a binary sensor may report as text. Ingest already stores the labels it knows as
 * binary (src/ingest/labels.ts) as 1/0; these cover labels it keeps as text, e.g. "Flood".
 */
const ACTIVE_WORDS = new Set([
  'on',
  'true',
  'yes',
  'open',
  'opened',
  'detected',
  'alarm',
  'active',
  'motion',
  'leak',
  'wet',
  'smoke',
  'triggered',
]);
const NORMAL_WORDS = new Set([
  'off',
  'false',
  'no',
  'closed',
  'close',
  'clear',
  'cleared',
  'idle',
  'ok',
  'normal',
  'inactive',
  'dry',
]);

/** Whether a binary reading is active (true), normal (false), or unreadable (null: no decision). */
export function binaryState(reading: ReadingValue): boolean | null {
  if (reading.value !== null) return Number.isFinite(reading.value) ? reading.value > 0 : null;
  if (reading.text === null) return null;
  const word = reading.text.trim().toLowerCase();
  if (ACTIVE_WORDS.has(word)) return true;
  if (NORMAL_WORDS.has(word)) return false;
  return null;
}

/** What one reading of a channel with `capability` does to the device's alarms. */
export function evaluateReading(
  capability: Capability | null,
  reading: ReadingValue,
  home: HomeAlarmSettings,
): readonly AlarmDecision[] {
  if (capability === null) return NONE;
  const hazard = HAZARDS[capability];
  if (hazard !== undefined) {
    const active = binaryState(reading);
    return active === null ? NONE : active ? RAISE[hazard] : CLEAR[hazard];
  }
  switch (capability) {
    case 'motion':
      return home.mode === 'armed' && binaryState(reading) === true ? RAISE.intrusion_motion : NONE;
    case 'contact':
      return home.mode !== 'disarmed' && binaryState(reading) === true ? RAISE.intrusion_door : NONE;
    case 'temperature':
      return temperatureDecisions(reading.value, home);
    default:
      return NONE;
  }
}

function temperatureDecisions(value: number | null, home: HomeAlarmSettings): readonly AlarmDecision[] {
  if (value === null || !Number.isFinite(value)) return NONE;
  if (value >= home.heatThresholdC) return RAISE.heat;
  if (value <= home.freezeThresholdC) return RAISE.freeze;
  const belowHeat = value < home.heatThresholdC - HYSTERESIS_C;
  const aboveFreeze = value > home.freezeThresholdC + HYSTERESIS_C;
  if (belowHeat && aboveFreeze) return CLEAR_BOTH_TEMPERATURE;
  if (belowHeat) return CLEAR.heat;
  if (aboveFreeze) return CLEAR.freeze;
  return NONE;
}

/**
 * `capabilityOf` memoised per (label, sensor type): gateways repeat a handful of spellings, so
 * after warm-up a reading costs two Map lookups. Bounded, in case a gateway invents labels.
 */
export class CapabilityCache {
  private readonly byLabel = new Map<string, Map<string | null, Capability | null>>();
  private size = 0;

  constructor(private readonly maxEntries = 10_000) {}

  of(label: string, sensorType: string | null): Capability | null {
    let bySensorType = this.byLabel.get(label);
    if (bySensorType === undefined) {
      if (this.size >= this.maxEntries) {
        this.byLabel.clear();
        this.size = 0;
      }
      bySensorType = new Map();
      this.byLabel.set(label, bySensorType);
    }
    let capability = bySensorType.get(sensorType);
    if (capability === undefined) {
      capability = capabilityOf(label, sensorType);
      bySensorType.set(sensorType, capability);
      this.size++;
    }
    return capability;
  }
}

/** A label people read: "Water leak", "Intrusion (motion)" (English; the dashboard has its own). */
export const CAUSE_TITLES: Record<AlarmCause, string> = {
  smoke: 'Smoke',
  co: 'Carbon monoxide',
  gas: 'Gas',
  water_leak: 'Water leak',
  glass_break: 'Glass break',
  intrusion_motion: 'Intrusion (motion)',
  intrusion_door: 'Intrusion (door opened)',
  heat: 'Heat',
  freeze: 'Freeze risk',
};

/**
 * The notification of a raised alarm as a catalogue key and parameters (rendered in each
 * person's language on delivery): "Water leak — Kitchen sensor", with the home in the body and,
 * for heat and freeze, the temperature rounded to 0.1 °C.
 */
export function alarmNotification(input: {
  cause: AlarmCause;
  deviceName: string;
  homeName: string;
  value: number | null;
}): NotificationMessage {
  const params = { device: input.deviceName, home: input.homeName };
  if (input.cause === 'heat' || input.cause === 'freeze') {
    return input.value === null
      ? { key: `alarm.${input.cause}.unmeasured`, params }
      : {
          key: `alarm.${input.cause}`,
          params: { ...params, value: String(Math.round(input.value * 10) / 10) },
        };
  }
  return { key: `alarm.${input.cause}`, params };
}

/** The title and body of a raised alarm's notification in one language (English by default). */
export function alarmMessage(
  input: { cause: AlarmCause; deviceName: string; homeName: string; value: number | null },
  language: Language = DEFAULT_LANGUAGE,
): { title: string; body: string } {
  return renderNotification(alarmNotification(input), language)!;
}
