import {
  doorValue,
  gatewayConfigMessage,
  motionValue,
  sensorDataMessage,
} from '../src/simulator/messages.ts';
import {
  indoorTemperatureC,
  relativeHumidityPct,
  simulatedDevices,
  type SimulatedDevice,
} from '../src/simulator/model.ts';
import { gatewayTopics } from '../src/simulator/session.ts';

/**
 * Precomputed seed-format payloads for the load generator, made by the simulator's own message
 * functions. Each channel (device, label) of a gateway has a few prebuilt Buffers that differ
 * in their value; sending one costs a copy and writing 13 timestamp digits in place, so the
 * generator spends its CPU in the MQTT client, as a fleet of gateways would.
 */

/** Every epoch-millisecond timestamp from 2001 to 2286 has 13 digits, so the slot has a fixed width. */
const PLACEHOLDER_TS_MS = 1_000_000_000_000;
const TIMESTAMP_DIGITS = 13;
const VALUE_VARIANTS = 16;

export interface ChannelTemplates {
  variants: Buffer[];
  /** Byte offset of the timestamp digits, the same in every variant (the value comes later). */
  timestampOffset: number;
  /** Last timestamp used: timestamps are strictly increasing per channel, so none is deduplicated. */
  lastTsMs: number;
  nextVariant: number;
}

export interface GatewayLoad {
  gatewayId: string;
  up: string;
  /** The gateway's device list, published once before the load so its devices exist. */
  config: Buffer;
  channels: ChannelTemplates[];
  nextChannel: number;
}

function valuesOf(device: SimulatedDevice): string[] {
  return Array.from({ length: VALUE_VARIANTS }, (_unused, i) => {
    const hour = (i * 24) / VALUE_VARIANTS;
    switch (device.kind) {
      case 'temperature':
        return indoorTemperatureC(hour, 0).toFixed(1);
      case 'humidity':
        return relativeHumidityPct(hour, 0).toFixed(1);
      case 'energy':
        return (2000 + i * 0.013).toFixed(3);
      case 'door':
        return doorValue(i % 2 === 0);
      case 'motion':
      case 'camera':
        return motionValue(i % 2 === 0);
    }
  });
}

function channelTemplates(gatewayId: string, device: SimulatedDevice): ChannelTemplates {
  const variants = valuesOf(device).map((value) =>
    Buffer.from(JSON.stringify(sensorDataMessage(gatewayId, device, value, PLACEHOLDER_TS_MS))),
  );
  const marker = Buffer.from(`"timestampMs":"${PLACEHOLDER_TS_MS}"`);
  const timestampOffset = variants[0]!.indexOf(marker) + marker.length - TIMESTAMP_DIGITS - 1;
  for (const variant of variants) {
    if (variant.indexOf(marker) + marker.length - TIMESTAMP_DIGITS - 1 !== timestampOffset) {
      throw new Error('payload templates: the timestamp moved between variants');
    }
  }
  return { variants, timestampOffset, lastTsMs: 0, nextVariant: 0 };
}

/** Load templates for one gateway: its eight devices, each with its own channel. */
export function gatewayLoad(gatewayId: string): GatewayLoad {
  const devices = simulatedDevices(gatewayId);
  return {
    gatewayId,
    up: gatewayTopics(gatewayId).up,
    config: Buffer.from(JSON.stringify(gatewayConfigMessage(gatewayId, devices, Date.now()))),
    channels: devices.map((device) => channelTemplates(gatewayId, device)),
    nextChannel: 0,
  };
}

function writeTimestamp(buffer: Buffer, offset: number, ms: number): void {
  let rest = ms;
  for (let i = offset + TIMESTAMP_DIGITS - 1; i >= offset; i--) {
    const digit = rest % 10;
    buffer[i] = 48 + digit;
    rest = (rest - digit) / 10;
  }
}

/**
 * The gateway's next message: channels in turn, values in turn, stamped now (or 1 ms after
 * the channel's previous message). A fresh Buffer each time: mqtt.js keeps it until the PUBACK.
 */
export function nextPayload(load: GatewayLoad, nowMs: number): Buffer {
  const channel = load.channels[load.nextChannel]!;
  load.nextChannel = (load.nextChannel + 1) % load.channels.length;
  const template = channel.variants[channel.nextVariant]!;
  channel.nextVariant = (channel.nextVariant + 1) % channel.variants.length;
  const tsMs = nowMs > channel.lastTsMs ? nowMs : channel.lastTsMs + 1;
  channel.lastTsMs = tsMs;
  const payload = Buffer.allocUnsafe(template.length);
  template.copy(payload);
  writeTimestamp(payload, channel.timestampOffset, tsMs);
  return payload;
}
