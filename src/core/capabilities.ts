/**
 * What a device's channel is, whatever its gateway calls it. Z-Wave and Zigbee controllers
 * report labels such as "Temperature", "Air temperature", "Luminance", "Electric - kWh" or
 * "Home Security - Motion", with a sensor type ("SENSOR MULTILEVEL", "SENSOR BINARY",
 * "SWITCH BINARY", "DOOR LOCK", …, seed 002). Hestia maps them to one vocabulary of
 * capabilities, so that alarms, automations, commands and dashboards need not know every
 * vendor's spelling, and to one unit per capability.
 */

export type Capability =
  | 'temperature'
  | 'humidity'
  | 'illuminance'
  | 'energy'
  | 'power'
  | 'motion'
  | 'contact'
  | 'water_leak'
  | 'smoke'
  | 'co'
  | 'gas'
  | 'glass_break'
  | 'battery'
  | 'switch'
  | 'dimmer'
  | 'lock'
  | 'thermostat'
  | 'curtain';

export const CAPABILITIES: readonly Capability[] = [
  'temperature',
  'humidity',
  'illuminance',
  'energy',
  'power',
  'motion',
  'contact',
  'water_leak',
  'smoke',
  'co',
  'gas',
  'glass_break',
  'battery',
  'switch',
  'dimmer',
  'lock',
  'thermostat',
  'curtain',
];

/** Label spellings (lower case, punctuation folded to spaces) of each capability. */
const LABELS: Record<Capability, readonly string[]> = {
  temperature: ['temperature', 'air temperature', 'temp', 'ambient temperature'],
  humidity: ['humidity', 'relative humidity', 'rh'],
  illuminance: ['illuminance', 'luminance', 'light', 'lux'],
  energy: ['energy', 'electric kwh', 'kwh', 'meter', 'energy meter', 'electric meter'],
  power: ['power', 'electric w', 'watts', 'power consumption'],
  motion: ['motion', 'home security motion', 'occupancy', 'presence', 'pir'],
  contact: ['contact', 'door', 'window', 'door window', 'access control door', 'opening'],
  water_leak: ['water', 'leak', 'water leak', 'water alarm', 'flood'],
  smoke: ['smoke', 'smoke alarm', 'smoke detector'],
  co: ['co', 'carbon monoxide', 'co alarm'],
  gas: ['gas', 'gas alarm', 'combustible gas'],
  glass_break: ['glass break', 'glass breakage', 'glassbreak'],
  battery: ['battery', 'battery level'],
  switch: ['switch', 'binary switch', 'on off', 'plug', 'relay'],
  dimmer: ['dimmer', 'level', 'multilevel switch', 'brightness'],
  lock: ['lock', 'door lock', 'locked'],
  thermostat: ['thermostat', 'setpoint', 'heating setpoint', 'cooling setpoint', 'thermostat setpoint'],
  curtain: ['curtain', 'window covering', 'shade', 'blind', 'blinds', 'roller shutter', 'cover'],
};

/** Sensor types that decide when the label alone does not (e.g. a "Level" of a lock). */
const SENSOR_TYPES: Array<[RegExp, Capability]> = [
  [/door\s*lock/i, 'lock'],
  [/thermostat/i, 'thermostat'],
  [/window\s*covering|barrier/i, 'curtain'],
  [/switch\s*multilevel/i, 'dimmer'],
  [/switch\s*binary/i, 'switch'],
  [/battery/i, 'battery'],
];

const byLabel = new Map<string, Capability>(
  Object.entries(LABELS).flatMap(([capability, labels]) =>
    labels.map((label) => [label, capability as Capability] as const),
  ),
);

function fold(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** The capability of a channel, from its label and (where the label is not known) its sensor type. */
export function capabilityOf(label: string, sensorType: string | null = null): Capability | null {
  const known = byLabel.get(fold(label));
  if (known) return known;
  for (const [pattern, capability] of SENSOR_TYPES)
    if (sensorType && pattern.test(sensorType)) return capability;
  return null;
}

/** Capabilities whose value an app may set with a command. */
export const ACTUATOR_CAPABILITIES: ReadonlySet<Capability> = new Set([
  'switch',
  'dimmer',
  'lock',
  'thermostat',
  'curtain',
]);

/** The unit Hestia reports for each capability (null: a state such as 1/0, or a count). */
export const CANONICAL_UNITS: Partial<Record<Capability, string>> = {
  temperature: 'C',
  thermostat: 'C',
  humidity: '%',
  illuminance: 'lx',
  energy: 'kWh',
  power: 'W',
  battery: '%',
  dimmer: '%',
  curtain: '%',
};

/** Unit spellings, folded, to one form. */
const UNIT_ALIASES: Record<string, string> = {
  c: 'C',
  '°c': 'C',
  celsius: 'C',
  f: 'F',
  '°f': 'F',
  fahrenheit: 'F',
  k: 'K',
  kelvin: 'K',
  kwh: 'kWh',
  wh: 'Wh',
  mwh: 'MWh',
  w: 'W',
  kw: 'kW',
  lux: 'lx',
  lx: 'lx',
  '%': '%',
};

export function canonicalUnitName(unit: string | null): string | null {
  if (unit === null) return null;
  return UNIT_ALIASES[unit.trim().toLowerCase()] ?? unit.trim();
}

const TO_CANONICAL: Record<string, { to: string; convert: (v: number) => number }> = {
  F: { to: 'C', convert: (v) => ((v - 32) * 5) / 9 },
  K: { to: 'C', convert: (v) => v - 273.15 },
  Wh: { to: 'kWh', convert: (v) => v / 1000 },
  MWh: { to: 'kWh', convert: (v) => v * 1000 },
  kW: { to: 'W', convert: (v) => v * 1000 },
};

/**
 * A value in the capability's canonical unit: 77 °F → 25 °C, 1,500 Wh → 1.5 kWh. A unit
 * Hestia does not know is kept as it is.
 */
export function toCanonical(value: number, unit: string | null): { value: number; unit: string | null } {
  const name = canonicalUnitName(unit);
  const conversion = name === null ? undefined : TO_CANONICAL[name];
  return conversion ? { value: conversion.convert(value), unit: conversion.to } : { value, unit: name };
}

/** Temperatures for people who read Fahrenheit (`units=imperial`); other values unchanged. */
export function toImperial(value: number, unit: string | null): { value: number; unit: string | null } {
  return canonicalUnitName(unit) === 'C' ? { value: (value * 9) / 5 + 32, unit: 'F' } : { value, unit };
}

// ---- commands ----

/** One parameter of a command: a number within bounds, or one of a few words. */
export type CommandParamSpec =
  | {
      kind: 'number';
      required: boolean;
      /** Inclusive bounds, in the canonical unit. */
      min: number;
      max: number;
      integer: boolean;
      unit?: string;
    }
  | { kind: 'enum'; required: boolean; values: readonly string[] };

/** An action a device accepts, what makes it accept it, and its parameters (canonical units). */
export interface CommandSpec {
  action: string;
  /** The capability (or, for cameras, the device type) that brings the action. */
  source: Capability | 'camera';
  params: Readonly<Record<string, CommandParamSpec>>;
}

const NO_PARAMS: Readonly<Record<string, CommandParamSpec>> = {};
const PERCENT = (name: string): Record<string, CommandParamSpec> => ({
  [name]: { kind: 'number', required: true, min: 0, max: 100, integer: true, unit: '%' },
});

/** Thermostat setpoints Hestia sends, in °C: below or above, a typo rather than a wish. */
export const THERMOSTAT_MIN_C = 5;
export const THERMOSTAT_MAX_C = 35;
/** Longest recording a camera is asked for at once (one hour). */
export const MAX_RECORDING_SECONDS = 3600;

/** The command vocabulary (the wire contract of `deviceCommand`, docs/commands.md). */
const COMMAND_SPECS: Record<Capability | 'camera', readonly CommandSpec[]> = {
  temperature: [],
  humidity: [],
  illuminance: [],
  energy: [],
  power: [],
  motion: [],
  contact: [],
  water_leak: [],
  smoke: [],
  co: [],
  gas: [],
  glass_break: [],
  battery: [],
  switch: [
    { action: 'turnOn', source: 'switch', params: NO_PARAMS },
    { action: 'turnOff', source: 'switch', params: NO_PARAMS },
    { action: 'toggle', source: 'switch', params: NO_PARAMS },
  ],
  dimmer: [
    { action: 'turnOn', source: 'dimmer', params: NO_PARAMS },
    { action: 'turnOff', source: 'dimmer', params: NO_PARAMS },
    { action: 'setLevel', source: 'dimmer', params: PERCENT('level') },
  ],
  lock: [
    { action: 'lock', source: 'lock', params: NO_PARAMS },
    { action: 'unlock', source: 'lock', params: NO_PARAMS },
  ],
  thermostat: [
    {
      action: 'setTemperature',
      source: 'thermostat',
      params: {
        temperature: {
          kind: 'number',
          required: true,
          min: THERMOSTAT_MIN_C,
          max: THERMOSTAT_MAX_C,
          integer: false,
          unit: 'C',
        },
        // Accepted on the way in and converted; the gateway always receives °C.
        unit: { kind: 'enum', required: false, values: ['C', 'F'] },
      },
    },
    {
      action: 'setMode',
      source: 'thermostat',
      params: { mode: { kind: 'enum', required: true, values: ['off', 'heat', 'cool', 'auto'] } },
    },
  ],
  curtain: [
    { action: 'open', source: 'curtain', params: NO_PARAMS },
    { action: 'close', source: 'curtain', params: NO_PARAMS },
    { action: 'stop', source: 'curtain', params: NO_PARAMS },
    { action: 'setPosition', source: 'curtain', params: PERCENT('position') },
  ],
  camera: [
    {
      action: 'startRecording',
      source: 'camera',
      params: {
        durationSeconds: {
          kind: 'number',
          required: false,
          min: 1,
          max: MAX_RECORDING_SECONDS,
          integer: true,
          unit: 's',
        },
      },
    },
    { action: 'stopRecording', source: 'camera', params: NO_PARAMS },
    // Sent by Hestia when the camera's media server fails or is drained: the gateway asks for
    // a server again (docs/cameras.md).
    { action: 'changeMediaServer', source: 'camera', params: NO_PARAMS },
  ],
};

/**
 * The actions a device accepts: those of its channels' capabilities, and a camera's recording
 * actions. An action two capabilities share (a dimmer's and a switch's turnOn) is listed once.
 */
export function commandsFor(capabilities: Iterable<Capability | null>, deviceType: string): CommandSpec[] {
  const sources = new Set<Capability | 'camera'>();
  for (const capability of capabilities) if (capability) sources.add(capability);
  if (deviceType === 'camera') sources.add('camera');
  const byAction = new Map<string, CommandSpec>();
  for (const source of sources) {
    for (const spec of COMMAND_SPECS[source]) if (!byAction.has(spec.action)) byAction.set(spec.action, spec);
  }
  return [...byAction.values()];
}

/** Every action of the vocabulary, whatever the device (to tell "unknown" from "not this device"). */
export const COMMAND_ACTIONS: ReadonlySet<string> = new Set(
  Object.values(COMMAND_SPECS).flatMap((specs) => specs.map((spec) => spec.action)),
);

export type CommandValidation =
  | { ok: true; action: string; params: Record<string, number | string> }
  | {
      ok: false;
      /** 422: the device cannot do this; 400: the parameters are wrong. */
      code: 'HESTIA_COMMAND_UNSUPPORTED' | 'HESTIA_VALIDATION_FAILED';
      message: string;
    };

const invalid = (message: string): CommandValidation => ({
  ok: false,
  code: 'HESTIA_VALIDATION_FAILED',
  message,
});

/**
 * Checks a command against what the device accepts and returns its parameters in canonical
 * form (a °F setpoint becomes °C, rounded to 0.01 °C; the `unit` parameter is dropped).
 * Missing, unknown, mistyped and out-of-range parameters are refused, never clamped: a
 * thermostat set to 95 was meant in °F or is a typo, and guessing either heats the house.
 */
export function validateCommand(
  device: { capabilities: Iterable<Capability | null>; deviceType: string },
  action: string,
  params: unknown,
): CommandValidation {
  const specs = commandsFor(device.capabilities, device.deviceType);
  const spec = specs.find((candidate) => candidate.action === action);
  if (!spec) {
    const accepted = specs.map((candidate) => candidate.action).join(', ') || 'none';
    return {
      ok: false,
      code: 'HESTIA_COMMAND_UNSUPPORTED',
      message: COMMAND_ACTIONS.has(action)
        ? `This device does not support ${action} (it accepts: ${accepted})`
        : `Unknown action ${JSON.stringify(action.slice(0, 64))} (this device accepts: ${accepted})`,
    };
  }
  const given = params ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) return invalid('params: expected an object');
  const input = given as Record<string, unknown>;
  for (const name of Object.keys(input)) {
    if (!(name in spec.params)) {
      const known = Object.keys(spec.params);
      return invalid(
        `params.${name.slice(0, 64)}: ${action} takes ${known.length ? known.join(', ') : 'no parameters'}`,
      );
    }
  }
  const canonical: Record<string, number | string> = {};
  for (const [name, param] of Object.entries(spec.params)) {
    const value = input[name];
    if (value === undefined || value === null) {
      if (param.required) return invalid(`params.${name}: required by ${action}`);
      continue;
    }
    if (param.kind === 'enum') {
      if (typeof value !== 'string' || !param.values.includes(value))
        return invalid(`params.${name}: expected one of ${param.values.join(', ')}`);
      canonical[name] = value;
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value))
      return invalid(`params.${name}: expected a number`);
    if (param.integer && !Number.isInteger(value)) return invalid(`params.${name}: expected an integer`);
    canonical[name] = value;
  }
  if (action === 'setTemperature' && canonical.unit === 'F') {
    canonical.temperature = Math.round(((Number(canonical.temperature) - 32) * 5 * 100) / 9) / 100;
  }
  delete canonical.unit;
  for (const [name, param] of Object.entries(spec.params)) {
    const value = canonical[name];
    if (param.kind !== 'number' || typeof value !== 'number') continue;
    if (value < param.min || value > param.max) {
      const unit = param.unit === 'C' ? ' °C' : param.unit ? ` ${param.unit}` : '';
      return invalid(
        `params.${name}: ${value}${unit} is outside ${param.min}..${param.max}${unit}` +
          (name === 'temperature' && input.unit === 'F'
            ? ` (converted from ${String(input.temperature)} °F)`
            : ''),
      );
    }
  }
  return { ok: true, action, params: canonical };
}
