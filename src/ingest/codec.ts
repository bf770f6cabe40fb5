import type { DeviceType } from '../core/domain/device.ts';
import type { ErrorCode } from '../core/errors.ts';
import { parseLabelValue } from './labels.ts';

/**
 * Decoding and validation of uplink messages in the seed format (shared/fixtures): JSON objects
 * whose numbers usually arrive as strings. Each message is checked on its own; the result is a
 * discriminated union the dispatcher switches over, or a rejection with a catalogue code.
 */

interface Envelope {
  gatewayId: string;
  tsMs: number;
  vendor: string | null;
  version: string | null;
}

interface DeviceRef {
  deviceId: string;
  deviceType: DeviceType;
  protocol: string;
  nodeId: string | null;
  networkId: string | null;
}

export interface SensorDataMessage extends Envelope, DeviceRef {
  messageType: 'sensorData';
  label: string;
  unit: string | null;
  sensorType: string | null;
  value: number | null;
  text: string | null;
}

export interface DeviceStateMessage extends Envelope, DeviceRef {
  messageType: 'deviceState';
  deviceState: string;
  attributes: Record<string, string>;
}

export interface PreviewMessage extends Envelope, DeviceRef {
  messageType: 'preview';
  contentType: string;
  image: Buffer;
}

export interface CommandMessage extends Envelope, DeviceRef {
  messageType: 'command';
  command: string;
  value: string;
}

/**
 * The gateway's answer to a deviceCommand (docs/commands.md). deviceType and protocol may be
 * left out: the command already names its device.
 */
export interface CommandResultMessage extends Envelope {
  messageType: 'commandResult';
  deviceId: string;
  commandId: string;
  status: 'succeeded' | 'failed';
  error: string | null;
}

export interface GatewayConfigDevice extends DeviceRef {
  name: string | null;
}

export interface GatewayConfigMessage extends Envelope {
  messageType: 'gatewayConfig';
  devices: GatewayConfigDevice[];
}

export type UplinkMessage =
  | SensorDataMessage
  | DeviceStateMessage
  | PreviewMessage
  | CommandMessage
  | CommandResultMessage
  | GatewayConfigMessage;

export type MessageType = UplinkMessage['messageType'];
export const MESSAGE_TYPES: readonly MessageType[] = [
  'sensorData',
  'deviceState',
  'preview',
  'command',
  'commandResult',
  'gatewayConfig',
];

export interface Rejection {
  code: ErrorCode;
  detail: string;
}

export type DecodeResult = { ok: true; message: UplinkMessage } | { ok: false; rejection: Rejection };

export interface DecodeLimits {
  nowMs: number;
  maxFutureSkewMs: number;
  maxDevicesPerGateway: number;
}

/** Readings before this instant are refused: no gateway in this product line predates it. */
export const EARLIEST_TIMESTAMP_MS = Date.UTC(2000, 0, 1);

const DEVICE_TYPES = new Set<DeviceType>(['sensor', 'actuator', 'camera']);
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const RECORDING_MODES = new Set(['off', 'continuous', 'motion']);
/** Settings a controller may report with messageType "command", and the values each accepts. */
const COMMAND_VALUES: Record<string, (value: string) => boolean> = {
  recordingMode: (value) => RECORDING_MODES.has(value),
};

class Invalid extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function fail(detail: string, code: ErrorCode = 'HESTIA_INGEST_SCHEMA'): never {
  throw new Invalid(code, detail);
}

// PostgreSQL text cannot hold U+0000; refusing it here keeps one message from failing a whole commit.
function noNul(key: string, value: string): string {
  if (value.includes('\u0000')) fail(`${key}: contains a NUL character`);
  return value;
}

function str(obj: Record<string, unknown>, key: string, maxLength: number): string {
  const value = obj[key];
  if (typeof value !== 'string') fail(`${key}: expected a string, got ${describe(value)}`);
  if (value.length === 0 || value.length > maxLength) fail(`${key}: expected 1 to ${maxLength} characters`);
  return noNul(key, value);
}

function optStr(obj: Record<string, unknown>, key: string, maxLength: number): string | null {
  const value = obj[key];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') fail(`${key}: expected a string, got ${describe(value)}`);
  if (value.length > maxLength) fail(`${key}: longer than ${maxLength} characters`);
  return noNul(key, value);
}

function id(obj: Record<string, unknown>, key: string): string {
  const value = str(obj, key, 64);
  if (!ID_PATTERN.test(value)) fail(`${key}: only letters, digits and . _ : - are allowed`);
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function timestamp(obj: Record<string, unknown>, limits: DecodeLimits): number {
  const raw = obj.timestampMs;
  let ms: number;
  if (typeof raw === 'number') ms = raw;
  else if (typeof raw === 'string' && /^\d{1,16}$/.test(raw)) ms = Number(raw);
  else fail(`timestampMs: expected epoch milliseconds as a number or digit string, got ${describe(raw)}`);
  if (!Number.isSafeInteger(ms)) fail('timestampMs: not an integer number of milliseconds');
  if (ms < EARLIEST_TIMESTAMP_MS)
    fail(`timestampMs: ${ms} is before 2000-01-01`, 'HESTIA_INGEST_TIMESTAMP_RANGE');
  if (ms > limits.nowMs + limits.maxFutureSkewMs) {
    fail(
      `timestampMs: ${ms} is more than ${limits.maxFutureSkewMs} ms ahead of the server clock`,
      'HESTIA_INGEST_TIMESTAMP_RANGE',
    );
  }
  return ms;
}

function envelope(obj: Record<string, unknown>, limits: DecodeLimits): Envelope {
  if (obj.clientType !== undefined && obj.clientType !== 'gateway') fail('clientType: expected "gateway"');
  return {
    gatewayId: id(obj, 'gatewayId'),
    tsMs: timestamp(obj, limits),
    vendor: optStr(obj, 'vendor', 64),
    version: optStr(obj, 'version', 32),
  };
}

function deviceRef(obj: Record<string, unknown>): DeviceRef {
  const deviceType = str(obj, 'deviceType', 16) as DeviceType;
  if (!DEVICE_TYPES.has(deviceType))
    fail(`deviceType: expected sensor, actuator or camera, got ${JSON.stringify(deviceType)}`);
  return {
    deviceId: id(obj, 'deviceId'),
    deviceType,
    protocol: str(obj, 'protocol', 32),
    nodeId: optStr(obj, 'nodeId', 32),
    networkId: optStr(obj, 'homeId', 32),
  };
}

function decodeObject(obj: Record<string, unknown>, limits: DecodeLimits): UplinkMessage {
  const messageType = obj.messageType;
  switch (messageType) {
    case 'sensorData': {
      const label = str(obj, 'label', 64);
      const raw = obj.sensorData;
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
        fail(`sensorData: expected a string or number, got ${describe(raw)}`);
      }
      if (typeof raw === 'string' && raw.length > 256) fail('sensorData: longer than 256 characters');
      if (typeof raw === 'string') noNul('sensorData', raw);
      const parsed = parseLabelValue(label, raw);
      if (typeof parsed === 'string') fail(parsed, 'HESTIA_INGEST_NOT_NUMERIC');
      return {
        messageType,
        ...envelope(obj, limits),
        ...deviceRef(obj),
        label,
        unit: optStr(obj, 'units', 16),
        sensorType: optStr(obj, 'sensorType', 64),
        value: parsed.value,
        text: parsed.text,
      };
    }
    case 'deviceState': {
      const attributes: Record<string, string> = {};
      for (const key of ['mediaserverIp', 'applicationName'] as const) {
        const value = optStr(obj, key, 128);
        if (value !== null) attributes[key] = value;
      }
      return {
        messageType,
        ...envelope(obj, limits),
        ...deviceRef(obj),
        deviceState: str(obj, 'deviceState', 64),
        attributes,
      };
    }
    case 'preview': {
      const encoded = str(obj, 'preview', 1 << 24);
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) fail('preview: expected a base64-encoded image');
      const contentType = optStr(obj, 'contentType', 64) ?? 'image/jpeg';
      if (!/^image\/[a-z0-9.+-]+$/.test(contentType)) fail('contentType: expected an image/* media type');
      return {
        messageType,
        ...envelope(obj, limits),
        ...deviceRef(obj),
        contentType,
        image: Buffer.from(encoded, 'base64'),
      };
    }
    case 'command': {
      const command = str(obj, 'command', 64);
      const check = COMMAND_VALUES[command];
      if (!check)
        fail(
          `command: unknown setting ${JSON.stringify(command)} (known: ${Object.keys(COMMAND_VALUES).join(', ')})`,
        );
      const value = str(obj, 'value', 256);
      if (!check(value)) fail(`value: ${JSON.stringify(value)} is not valid for ${command}`);
      return { messageType, ...envelope(obj, limits), ...deviceRef(obj), command, value };
    }
    case 'commandResult': {
      const status = obj.status;
      if (status !== 'succeeded' && status !== 'failed')
        fail(`status: expected "succeeded" or "failed", got ${JSON.stringify(status)?.slice(0, 64)}`);
      return {
        messageType,
        ...envelope(obj, limits),
        deviceId: id(obj, 'deviceId'),
        commandId: id(obj, 'commandId'),
        status,
        error: optStr(obj, 'error', 500),
      };
    }
    case 'gatewayConfig': {
      const list = obj.devices;
      if (!Array.isArray(list)) fail(`devices: expected an array, got ${describe(list)}`);
      if (list.length > limits.maxDevicesPerGateway) {
        fail(
          `devices: ${list.length} devices exceed the limit of ${limits.maxDevicesPerGateway}`,
          'HESTIA_INGEST_DEVICE_LIMIT',
        );
      }
      const seen = new Set<string>();
      const devices = list.map((entry, index) => {
        if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
          fail(`devices[${index}]: expected an object`);
        try {
          const device = {
            ...deviceRef(entry as Record<string, unknown>),
            name: optStr(entry as Record<string, unknown>, 'name', 128),
          };
          if (seen.has(device.deviceId)) fail(`deviceId ${device.deviceId} listed twice`);
          seen.add(device.deviceId);
          return device;
        } catch (error) {
          if (error instanceof Invalid) throw new Invalid(error.code, `devices[${index}].${error.message}`);
          throw error;
        }
      });
      return { messageType, ...envelope(obj, limits), devices };
    }
    default:
      return fail(
        `messageType: expected one of ${MESSAGE_TYPES.join(', ')}, got ${JSON.stringify(messageType)}`,
      );
  }
}

/** Validates one decoded JSON value as an uplink message. */
export function decodeMessage(value: unknown, limits: DecodeLimits): DecodeResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      ok: false,
      rejection: { code: 'HESTIA_INGEST_SCHEMA', detail: `expected a JSON object, got ${describe(value)}` },
    };
  }
  try {
    return { ok: true, message: decodeObject(value as Record<string, unknown>, limits) };
  } catch (error) {
    if (error instanceof Invalid)
      return { ok: false, rejection: { code: error.code, detail: error.message } };
    throw error;
  }
}
