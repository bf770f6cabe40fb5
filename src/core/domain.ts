/** Domain types shared by the stores, services and API. Times are epoch milliseconds. */

export type Role = 'platform_admin' | 'tenant_admin';

export interface Tenant {
  id: string;
  name: string;
  createdAtMs: number;
}

export interface User {
  id: string;
  tenantId: string | null;
  email: string;
  role: Role;
  createdAtMs: number;
}

export interface UserWithSecret extends User {
  passwordHash: string;
}

export interface AccessTokenRecord {
  userId: string;
  tenantId: string | null;
  role: Role;
  expiresAtMs: number;
}

export type GatewayStatus = 'never_connected' | 'online' | 'offline';

export interface Gateway {
  id: string;
  tenantId: string;
  name: string;
  status: GatewayStatus;
  lastSeenAtMs: number | null;
  statusChangedAtMs: number | null;
  firmware: string | null;
  vendor: string | null;
  createdAtMs: number;
}

export interface GatewayWithSecret extends Gateway {
  tokenHash: string;
}

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

/** One point of a series: numeric value, or text for non-numeric labels (camera state…). */
export interface Reading {
  tsMs: number;
  value: number | null;
  text: string | null;
}

export interface DeadLetter {
  id: number;
  tenantId: string | null;
  gatewayId: string | null;
  receivedAtMs: number;
  reason: string;
  detail: string;
  /** The payload as received (UTF-8), cut to the stored limit. */
  payload: string;
  payloadBytes: number;
}

export interface Preview {
  deviceId: string;
  tsMs: number;
  contentType: string;
  image: Buffer;
}
