import { ApiError, type Channel } from './api.ts';
import { hasMessage, type MessageKey, type Translate } from './i18n.ts';

/** Binary capabilities: the word for an active (> 0) and an inactive value. */
const BINARY_WORDS: Record<string, [active: MessageKey, inactive: MessageKey]> = {
  switch: ['value.on', 'value.off'],
  contact: ['value.open', 'value.closed'],
  motion: ['value.motion', 'value.clear'],
  water_leak: ['value.leak', 'value.dry'],
  smoke: ['value.detected', 'value.clear'],
  co: ['value.detected', 'value.clear'],
  gas: ['value.detected', 'value.clear'],
  glass_break: ['value.detected', 'value.clear'],
  lock: ['value.locked', 'value.unlocked'],
};

/** Measured capabilities: the unit shown and the decimals that make sense for it. */
const MEASURES: Record<string, { unit: string; decimals: number }> = {
  temperature: { unit: '°C', decimals: 1 },
  thermostat: { unit: '°C', decimals: 1 },
  humidity: { unit: '%', decimals: 0 },
  battery: { unit: '%', decimals: 0 },
  dimmer: { unit: '%', decimals: 0 },
  curtain: { unit: '%', decimals: 0 },
  illuminance: { unit: 'lx', decimals: 0 },
  energy: { unit: 'kWh', decimals: 2 },
  power: { unit: 'W', decimals: 1 },
};

const UNIT_SYMBOLS: Record<string, string> = { C: '°C', F: '°F' };

export function isBinaryCapability(capability: string | null): boolean {
  return capability !== null && capability in BINARY_WORDS;
}

export function unitOf(capability: string | null, unit: string | null): string {
  if (capability && MEASURES[capability]) return MEASURES[capability].unit;
  return unit ? (UNIT_SYMBOLS[unit] ?? unit) : '';
}

export function formatNumber(value: number, locale: string, decimals: number): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: decimals }).format(value);
}

/** A measurement with its unit, e.g. "21.5 °C", "6,576.04 kWh". */
export function formatMeasure(value: number, capability: string | null, unit: string | null, locale: string) {
  const measure = capability ? MEASURES[capability] : undefined;
  const shownUnit = unitOf(capability, unit);
  const number = formatNumber(value, locale, measure?.decimals ?? 2);
  return shownUnit ? `${number} ${shownUnit}` : number;
}

/** A channel's value as a person reads it: "21.5 °C", "Open", "Leak", "On", or its text. */
export function formatChannelValue(
  channel: Pick<Channel, 'capability' | 'unit' | 'value' | 'text'>,
  t: Translate,
  locale: string,
): string {
  const { capability, value, text } = channel;
  if (value === null) return text ?? '—';
  const words = capability ? BINARY_WORDS[capability] : undefined;
  if (words) return t(value > 0 ? words[0] : words[1]);
  return formatMeasure(value, capability, channel.unit, locale);
}

/** The raw value for `data-value`: the number, else the text. */
export function rawValue(channel: Pick<Channel, 'value' | 'text'>): string {
  return channel.value !== null ? String(channel.value) : (channel.text ?? '');
}

/** The name of a channel: its capability in the person's language, else the gateway's label. */
export function channelName(channel: Pick<Channel, 'capability' | 'label'>, t: Translate): string {
  const key = `cap.${channel.capability ?? ''}`;
  return hasMessage(key) ? t(key) : channel.label;
}

export function formatDateTime(iso: string | number, locale: string, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const sameDay = new Date().toDateString() === date.toDateString();
  return new Intl.DateTimeFormat(locale, {
    ...(sameDay ? {} : { month: 'short', day: 'numeric' }),
    hour: '2-digit',
    minute: '2-digit',
    ...(timeZone ? { timeZone } : {}),
  }).format(date);
}

/** An error as a sentence in the person's language (the API's message when there is no text). */
export function errorText(error: unknown, t: Translate): string {
  if (error instanceof ApiError) {
    const key = `error.${error.code}`;
    if (hasMessage(key)) return t(key, { message: error.message });
    return t('error.generic', { message: error.message });
  }
  return t('error.generic', { message: error instanceof Error ? error.message : String(error) });
}
