/** Devices behind a gateway, their channels (current state per label) and presence. */

export type DeviceType = 'sensor' | 'actuator' | 'camera';

export interface Device {
  id: string;
  tenantId: string;
  gatewayId: string;
  type: DeviceType;
  protocol: string;
  name: string | null;
  nodeId: string | null;
  networkId: string | null;
  /** Free-form attributes reported by the gateway, e.g. a camera's media server. */
  attributes: Record<string, string>;
  /** Settings changed on the controller (messageType "command"), e.g. recordingMode. */
  settings: Record<string, string>;
  roomId: string | null;
  createdAtMs: number;
  lastSeenAtMs: number | null;
  removedAtMs: number | null;
}

/** Current state of one (device, label): the reading with the newest device timestamp. */
export interface Channel {
  label: string;
  unit: string | null;
  sensorType: string | null;
  value: number | null;
  text: string | null;
  tsMs: number;
}

export interface DeviceWithChannels extends Device {
  channels: Channel[];
}

export interface Preview {
  deviceId: string;
  tsMs: number;
  contentType: string;
  image: Buffer;
}

/** Whether a device can be trusted to show its current state. */
export type DeviceAvailability = 'online' | 'stale' | 'unavailable';
