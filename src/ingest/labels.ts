/**
 * What Hestia knows about the labels gateways report. A numeric label must carry a number
 * ("26.1" is fine, "warm" is rejected); a binary label accepts the usual on/off spellings and is
 * stored as 1 or 0; any other label is stored as a number when it parses as one, else as text.
 */
export type LabelKind = 'numeric' | 'binary';

const numericLabels = [
  'temperature',
  'humidity',
  'energy',
  'power',
  'voltage',
  'current',
  'luminance',
  'illuminance',
  'battery',
  'co2',
  'co2 level',
  'pressure',
  'ultraviolet',
  'noise',
  'dimmer',
  'level',
  'setpoint',
  'heating setpoint',
  'cooling setpoint',
];

const binaryLabels = [
  'motion',
  'door',
  'window',
  'contact',
  'door/window',
  'water',
  'leak',
  'water leak',
  'smoke',
  'co',
  'carbon monoxide',
  'gas',
  'glass break',
  'tamper',
  'switch',
  'lock',
  'alarm',
];

const kinds = new Map<string, LabelKind>([
  ...numericLabels.map((l) => [l, 'numeric'] as const),
  ...binaryLabels.map((l) => [l, 'binary'] as const),
]);

export function labelKind(label: string): LabelKind | undefined {
  return kinds.get(label.toLowerCase());
}

const binaryWords = new Map<string, number>([
  ['1', 1],
  ['0', 0],
  ['true', 1],
  ['false', 0],
  ['on', 1],
  ['off', 0],
  ['open', 1],
  ['opened', 1],
  ['closed', 0],
  ['close', 0],
  ['detected', 1],
  ['motion', 1],
  ['idle', 0],
  ['clear', 0],
  ['alarm', 1],
  ['ok', 0],
  ['locked', 1],
  ['unlocked', 0],
  ['yes', 1],
  ['no', 0],
  ['255', 1],
]);

export type ParsedValue = { value: number; text: null } | { value: null; text: string };

/** Parses a reported value for a label; returns a reason string when it is not acceptable. */
export function parseLabelValue(label: string, raw: string | number | boolean): ParsedValue | string {
  const kind = labelKind(label);
  if (typeof raw === 'boolean') return { value: raw ? 1 : 0, text: null };
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return `${label}: value must be a finite number`;
    if (kind === 'binary')
      return raw === 0 || raw === 1 || raw === 255
        ? { value: raw === 0 ? 0 : 1, text: null }
        : `${label}: expected 0 or 1, got ${raw}`;
    return { value: raw, text: null };
  }
  const trimmed = raw.trim();
  if (kind === 'binary') {
    const bit = binaryWords.get(trimmed.toLowerCase());
    return bit === undefined
      ? `${label}: expected an on/off value, got ${JSON.stringify(raw.slice(0, 40))}`
      : { value: bit, text: null };
  }
  const number = trimmed === '' ? NaN : Number(trimmed);
  if (Number.isFinite(number)) return { value: number, text: null };
  if (kind === 'numeric') return `${label}: expected a number, got ${JSON.stringify(raw.slice(0, 40))}`;
  return { value: null, text: raw };
}
