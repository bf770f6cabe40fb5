import type { Channel, DeadLetter, Device, DeviceWithChannels, Gateway, Reading } from '../core/domain.ts';
import { HestiaError } from '../core/errors.ts';

/** Domain → API body mappers: epoch milliseconds become ISO times (raw ms kept where useful). */

export const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export function presentGateway(gateway: Gateway) {
  return {
    id: gateway.id,
    tenantId: gateway.tenantId,
    name: gateway.name,
    status: gateway.status,
    lastSeenAt: isoOrNull(gateway.lastSeenAtMs),
    statusChangedAt: isoOrNull(gateway.statusChangedAtMs),
    firmware: gateway.firmware,
    vendor: gateway.vendor,
    createdAt: iso(gateway.createdAtMs),
  };
}

export function presentChannel(channel: Channel) {
  return { ...channel, ts: iso(channel.tsMs) };
}

export function presentDevice(device: Device | DeviceWithChannels) {
  return {
    id: device.id,
    tenantId: device.tenantId,
    gatewayId: device.gatewayId,
    type: device.type,
    protocol: device.protocol,
    name: device.name,
    nodeId: device.nodeId,
    networkId: device.networkId,
    attributes: device.attributes,
    settings: device.settings,
    createdAt: iso(device.createdAtMs),
    lastSeenAt: isoOrNull(device.lastSeenAtMs),
    removedAt: isoOrNull(device.removedAtMs),
    channels: 'channels' in device ? device.channels.map(presentChannel) : [],
  };
}

export function presentReading(reading: Reading) {
  return { ts: iso(reading.tsMs), tsMs: reading.tsMs, value: reading.value, text: reading.text };
}

export function presentDeadLetter(letter: DeadLetter) {
  return {
    id: letter.id,
    gatewayId: letter.gatewayId,
    receivedAt: iso(letter.receivedAtMs),
    reason: letter.reason,
    detail: letter.detail,
    payload: letter.payload,
    payloadBytes: letter.payloadBytes,
  };
}

/** Parses a query time: ISO 8601 with a zone, or epoch milliseconds. */
export function parseTime(value: string | undefined, name: string, fallbackMs: number): number {
  if (value === undefined || value === '') return fallbackMs;
  if (/^\d{1,16}$/.test(value)) return Number(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || !/(Z|[+-]\d{2}:?\d{2})$/.test(value)) {
    throw new HestiaError(
      'HESTIA_VALIDATION_FAILED',
      `${name}: expected an ISO 8601 time with a zone (e.g. 2019-10-21T00:00:00Z) or epoch milliseconds`,
    );
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new HestiaError('HESTIA_VALIDATION_FAILED', `${name}: not a valid time`);
  return ms;
}

/** Opaque pagination cursors (base64url of a position). */
export function encodeCursor(position: string | number): string {
  return Buffer.from(String(position)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (text.length === 0 || text.length > 200)
    throw new HestiaError('HESTIA_VALIDATION_FAILED', 'cursor: not a cursor from this API');
  return text;
}

export function decodeNumericCursor(cursor: string | undefined): number | undefined {
  const text = decodeCursor(cursor);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value))
    throw new HestiaError('HESTIA_VALIDATION_FAILED', 'cursor: not a cursor from this API');
  return value;
}
