import type { Language } from './messages.ts';

/** Domain types shared by the stores, services and API. Times are epoch milliseconds. */

/** Installation-wide role of an account. Rights inside a home come from `HomeRole`. */
export type Role = 'platform_admin' | 'tenant_admin' | 'user';
export const ROLES: readonly Role[] = ['platform_admin', 'tenant_admin', 'user'];

/** A person's role in one home: guests read, members also control, owners also administer. */
export type HomeRole = 'owner' | 'member' | 'guest';
export const HOME_ROLES: readonly HomeRole[] = ['owner', 'member', 'guest'];

export type TenantStatus = 'active' | 'suspended';

/** How a service provider's apps and mails present themselves. */
export interface Branding {
  displayName: string | null;
  logoUrl: string | null;
  primaryColor: string | null;
  accentColor: string | null;
}

export interface Tenant {
  id: string;
  /** Short unique name apps use to sign in to their provider, e.g. "acme". */
  slug: string;
  name: string;
  status: TenantStatus;
  branding: Branding;
  /** Whether people may sign up on their own; otherwise by invitation only. */
  signupOpen: boolean;
  createdAtMs: number;
  suspendedAtMs: number | null;
}

export interface User {
  id: string;
  tenantId: string | null;
  email: string;
  name: string | null;
  role: Role;
  /** The language Hestia writes to them in; null: the provider's default (English). */
  language: Language | null;
  createdAtMs: number;
  disabledAtMs: number | null;
}

export interface UserWithSecret extends User {
  passwordHash: string;
}

/** What a valid access token resolves to, with the account's current role and state. */
export interface AccessTokenRecord {
  sessionId: string;
  userId: string;
  tenantId: string | null;
  role: Role;
  expiresAtMs: number;
}

/** A login: one refresh token (rotated at each use) and the access tokens issued from it. */
export interface Session {
  id: string;
  userId: string;
  tenantId: string | null;
  createdAtMs: number;
  refreshedAtMs: number;
  expiresAtMs: number;
  revokedAtMs: number | null;
  client: string | null;
}

export interface Home {
  id: string;
  tenantId: string;
  name: string;
  /** IANA zone, e.g. Europe/Berlin: statistics buckets and schedules follow it. */
  timezone: string;
  latitude: number | null;
  longitude: number | null;
  /** The tariff the provider chose for this home; null: the tenant's default tariff applies. */
  tariffId: string | null;
  createdAtMs: number;
}

/** How a camera records; a tariff names the modes its homes may use. */
export type RecordingMode = 'off' | 'motion' | 'continuous';
export const RECORDING_MODES: readonly RecordingMode[] = ['off', 'motion', 'continuous'];

/**
 * What a service provider sells a home: how long its data is kept and how much it may connect.
 * Each tenant has several, exactly one of them its default (for homes without a tariff).
 */
export interface Tariff {
  id: string;
  tenantId: string;
  name: string;
  /** Hourly and daily rollups of sensor series are kept this long. */
  sensorRetentionDays: number;
  /** Camera recordings and previews are kept this long. */
  videoRetentionDays: number;
  /** Raw readings are kept this long (at least MIN_RAW_RETENTION_DAYS, what the home panel shows). */
  rawRetentionDays: number;
  recordingModes: RecordingMode[];
  maxGatewaysPerHome: number;
  maxCamerasPerHome: number;
  isDefault: boolean;
  createdAtMs: number;
  updatedAtMs: number;
}

/** The retention horizons of one registered gateway's data, from its home's tariff. */
export interface GatewayRetentionPolicy {
  gatewayId: string;
  tenantId: string;
  homeId: string;
  rawRetentionDays: number;
  sensorRetentionDays: number;
  videoRetentionDays: number;
}

export interface Room {
  id: string;
  homeId: string;
  name: string;
  createdAtMs: number;
}

export interface HomeMember {
  homeId: string;
  userId: string;
  email: string;
  name: string | null;
  role: HomeRole;
  /** The person's language (null: unset, English). */
  language: Language | null;
  joinedAtMs: number;
}

/** An invitation to a tenant (homeId null, role a `Role`) or to a home (role a `HomeRole`). */
export interface Invitation {
  id: string;
  tenantId: string;
  homeId: string | null;
  email: string;
  role: Role | HomeRole;
  invitedBy: string | null;
  /** The language the invitation was mailed in; the account it creates takes it unless told otherwise. */
  language: Language | null;
  createdAtMs: number;
  expiresAtMs: number;
  acceptedAtMs: number | null;
  revokedAtMs: number | null;
}

/** Scopes a tenant API key can carry; a route names the one it needs. */
export const API_KEY_SCOPES = [
  'tenant:read',
  'users:read',
  'users:write',
  'homes:read',
  'gateways:read',
  'gateways:write',
  'telemetry:read',
  'audit:read',
  'tariffs:read',
  'tariffs:write',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface ApiKey {
  id: string;
  tenantId: string;
  name: string;
  scopes: ApiKeyScope[];
  createdBy: string | null;
  createdAtMs: number;
  lastUsedAtMs: number | null;
  revokedAtMs: number | null;
}

export type AuditActorType = 'user' | 'api_key' | 'gateway' | 'system' | 'anonymous';

export interface AuditEntry {
  id: number;
  tenantId: string | null;
  atMs: number;
  actorType: AuditActorType;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  homeId: string | null;
  ip: string | null;
  outcome: 'success' | 'failure';
  detail: Record<string, unknown>;
}

export type GatewayStatus = 'never_connected' | 'online' | 'offline';

export interface Gateway {
  id: string;
  tenantId: string;
  name: string;
  /** The home it is registered to; null while it waits for its owner (registration pending). */
  homeId: string | null;
  registeredAtMs: number | null;
  /** Uplink messages dropped while the gateway was not registered. */
  unregisteredMessages: number;
  credentialsRotatedAtMs: number | null;
  credentialsRevokedAtMs: number | null;
  status: GatewayStatus;
  lastSeenAtMs: number | null;
  statusChangedAtMs: number | null;
  firmware: string | null;
  vendor: string | null;
  createdAtMs: number;
}

export interface GatewayWithSecret extends Gateway {
  tokenHash: string;
  claimCodeHash: string | null;
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

// ---- control: commands, home security, alarms ----

/**
 * A command's life: `pending` (stored; queued while its gateway is offline), `sent` (published
 * on the gateway's down topic), then `succeeded` or `failed` (the gateway's commandResult) or
 * `timed_out` (no answer within the timeout, or still queued when its time-to-live ran out).
 */
export type CommandStatus = 'pending' | 'sent' | 'succeeded' | 'failed' | 'timed_out';
export const COMMAND_STATUSES: readonly CommandStatus[] = [
  'pending',
  'sent',
  'succeeded',
  'failed',
  'timed_out',
];

/** What happens to a command whose gateway is offline: kept until it reconnects (within the TTL), or refused. */
export type WhenOffline = 'queue' | 'refuse';

export interface Command {
  id: string;
  tenantId: string;
  homeId: string;
  gatewayId: string;
  deviceId: string;
  action: string;
  params: Record<string, unknown>;
  /** The caller's key: a retry with the same key returns the first command instead of sending again. */
  idempotencyKey: string | null;
  whenOffline: WhenOffline;
  status: CommandStatus;
  /** Why it failed or timed out (the gateway's error text, "expired while the gateway was offline"…). */
  detail: string | null;
  /** Who asked: a user id, an API key id, or an automation id. */
  requestedBy: string;
  requestedByType: 'user' | 'api_key' | 'automation';
  createdAtMs: number;
  sentAtMs: number | null;
  completedAtMs: number | null;
  /** A queued command not delivered by then times out. */
  expiresAtMs: number;
}

/** How a home's security system treats motion and doors: intrusion alarms only while `armed`. */
export type HomeMode = 'disarmed' | 'home' | 'armed';
export const HOME_MODES: readonly HomeMode[] = ['disarmed', 'home', 'armed'];

/** What an alarm is about; one active alarm per (device, cause) at a time. */
export type AlarmCause =
  | 'smoke'
  | 'co'
  | 'gas'
  | 'water_leak'
  | 'glass_break'
  | 'intrusion_motion'
  | 'intrusion_door'
  | 'heat'
  | 'freeze';
export const ALARM_CAUSES: readonly AlarmCause[] = [
  'smoke',
  'co',
  'gas',
  'water_leak',
  'glass_break',
  'intrusion_motion',
  'intrusion_door',
  'heat',
  'freeze',
];
export type AlarmSeverity = 'critical' | 'warning' | 'info';
export const ALARM_SEVERITIES: readonly AlarmSeverity[] = ['critical', 'warning', 'info'];
export type AlarmState = 'active' | 'cleared';

export interface Alarm {
  id: string;
  tenantId: string;
  homeId: string;
  gatewayId: string;
  deviceId: string;
  cause: AlarmCause;
  severity: AlarmSeverity;
  state: AlarmState;
  /** The reading that raised it (label, value) and when the device measured it. */
  label: string;
  value: number | null;
  raisedAtMs: number;
  /** Readings of the same cause while it was active: counted, not raised again. */
  occurrences: number;
  lastOccurrenceAtMs: number;
  acknowledgedAtMs: number | null;
  acknowledgedBy: string | null;
  clearedAtMs: number | null;
  /** A user id, or 'device' when the sensor reported normal again. */
  clearedBy: string | null;
}

/** Whether a device can be trusted to show its current state. */
export type DeviceAvailability = 'online' | 'stale' | 'unavailable';
