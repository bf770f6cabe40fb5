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
