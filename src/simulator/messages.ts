import type { GatewayDevice, SimulatedCamera } from './model.ts';

/**
 * Uplink messages in the seed's exact shape (shared/fixtures/seed-messages.json): every number
 * is a string, the timestamp is epoch milliseconds as digits, keys in the seed's order (JSON
 * keeps insertion order, so a payload reads like the document's example).
 */

export const SEED_VENDOR = 'acme';
export const SEED_VERSION = '3.0.0';
/** The media-server application cameras stream to in the seed (Wowza). */
export const LIVE_APPLICATION = 'rtp-live-iot';

/**
 * An 8 × 8 grey baseline JPEG (JFIF, one component, one-code Huffman tables), 159 bytes: the
 * smallest thumbnail that real decoders accept (checked with libjpeg-turbo 2.1.5: no warning).
 */
export const TINY_JPEG_BASE64 =
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB' +
  'AQEBAQEBAQEBAQEBAQEBAQH/wAALCAAIAAgBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAAP/EABQQAQAAAAAAAAAAAAAAAAAA' +
  'AAD/2gAIAQEAAD8AP//Z';

interface SeedEnvelope {
  vendor: string;
  version: string;
  timestampMs: string;
  clientType: 'gateway';
}

export interface SeedSensorData extends SeedEnvelope {
  deviceId: string;
  deviceType: 'sensor' | 'actuator' | 'camera';
  protocol: string;
  messageType: 'sensorData';
  homeId?: string;
  nodeId?: string;
  sensorType: string;
  label: string;
  sensorData: string;
  units: string;
  gatewayId: string;
}

export interface SeedDeviceState extends SeedEnvelope {
  deviceId: string;
  deviceType: 'camera';
  protocol: string;
  messageType: 'deviceState';
  deviceState: 'streamingOn' | 'streamingOff';
  mediaserverIp: string;
  applicationName: string;
  gatewayId: string;
}

export interface SeedPreview extends SeedEnvelope {
  deviceId: string;
  deviceType: 'camera';
  protocol: string;
  messageType: 'preview';
  contentType: string;
  preview: string;
  gatewayId: string;
}

export interface SeedConfigDevice {
  deviceId: string;
  deviceType: 'sensor' | 'actuator' | 'camera';
  protocol: string;
  homeId?: string;
  nodeId?: string;
  name: string;
}

export interface SeedGatewayConfig extends SeedEnvelope {
  messageType: 'gatewayConfig';
  devices: SeedConfigDevice[];
  gatewayId: string;
}

/** The gateway's answer to a deviceCommand (the contract of commands with acknowledgement). */
export interface SeedCommandResult extends SeedEnvelope {
  gatewayId: string;
  deviceId: string;
  messageType: 'commandResult';
  commandId: string;
  status: 'succeeded' | 'failed';
  error?: string;
}

export type SeedMessage =
  SeedSensorData | SeedDeviceState | SeedPreview | SeedGatewayConfig | SeedCommandResult;

function envelope(tsMs: number): SeedEnvelope {
  return {
    vendor: SEED_VENDOR,
    version: SEED_VERSION,
    timestampMs: String(Math.trunc(tsMs)),
    clientType: 'gateway',
  };
}

/**
 * A reading of a sensor, of an actuator's state, or of a camera's motion detector, in the seed's
 * sensorData shape. Z-Wave devices name their network and node; cameras (ONVIF) have none.
 */
export function sensorDataMessage(
  gatewayId: string,
  device: GatewayDevice,
  sensorData: string,
  tsMs: number,
): SeedSensorData {
  const network =
    device.deviceType === 'camera' ? ({} as const) : { homeId: device.homeId, nodeId: device.nodeId };
  return {
    ...envelope(tsMs),
    deviceId: device.deviceId,
    deviceType: device.deviceType,
    protocol: device.protocol,
    messageType: 'sensorData',
    ...network,
    sensorType: device.sensorType,
    label: device.label,
    sensorData,
    units: device.units,
    gatewayId,
  };
}

/** A camera's stream state (seed 002: the gateway reports where it pushes the stream). */
export function cameraStateMessage(
  gatewayId: string,
  camera: SimulatedCamera,
  deviceState: 'streamingOn' | 'streamingOff',
  mediaserverIp: string,
  tsMs: number,
): SeedDeviceState {
  return {
    ...envelope(tsMs),
    deviceId: camera.deviceId,
    deviceType: 'camera',
    protocol: camera.protocol,
    messageType: 'deviceState',
    deviceState,
    mediaserverIp,
    applicationName: LIVE_APPLICATION,
    gatewayId,
  };
}

/** A camera's thumbnail for camera lists. */
export function previewMessage(
  gatewayId: string,
  camera: SimulatedCamera,
  tsMs: number,
  imageBase64 = TINY_JPEG_BASE64,
): SeedPreview {
  return {
    ...envelope(tsMs),
    deviceId: camera.deviceId,
    deviceType: 'camera',
    protocol: camera.protocol,
    messageType: 'preview',
    contentType: 'image/jpeg',
    preview: imageBase64,
    gatewayId,
  };
}

/** The gateway's full device list (seed 002: SendBackend), sent on every connect. */
export function gatewayConfigMessage(
  gatewayId: string,
  devices: readonly GatewayDevice[],
  tsMs: number,
): SeedGatewayConfig {
  return {
    ...envelope(tsMs),
    messageType: 'gatewayConfig',
    devices: devices.map((device) =>
      device.deviceType !== 'camera'
        ? {
            deviceId: device.deviceId,
            deviceType: device.deviceType,
            protocol: device.protocol,
            homeId: device.homeId,
            nodeId: device.nodeId,
            name: device.name,
          }
        : {
            deviceId: device.deviceId,
            deviceType: device.deviceType,
            protocol: device.protocol,
            name: device.name,
          },
    ),
    gatewayId,
  };
}

/** The answer to a deviceCommand; `error` says why it failed (absent when it succeeded). */
export function commandResultMessage(
  gatewayId: string,
  deviceId: string,
  commandId: string,
  outcome: { status: 'succeeded' } | { status: 'failed'; error: string },
  tsMs: number,
): SeedCommandResult {
  return {
    ...envelope(tsMs),
    gatewayId,
    deviceId,
    messageType: 'commandResult',
    commandId,
    ...outcome,
  };
}

/** Binary values as the seed's gateways spell them. */
export const motionValue = (detected: boolean): string => (detected ? 'true' : 'false');
export const doorValue = (open: boolean): string => (open ? 'open' : 'closed');
/** On/off states of actuators and alarm sensors as the contract's simulated devices report them: 1/0. */
export const bitValue = (on: boolean): string => (on ? '1' : '0');
