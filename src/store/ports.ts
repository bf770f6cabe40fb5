import type { DirectoryStore } from './directory/directory-store.ts';
import type {
  DeadLetter,
  Device,
  DeviceType,
  DeviceWithChannels,
  Gateway,
  GatewayStatus,
  GatewayWithSecret,
  Preview,
  Reading,
} from '../core/domain.ts';

/**
 * Storage ports. Each adapter (sqlite/, postgres/) implements `Store` and passes the one
 * conformance suite in test/store/. All times are epoch milliseconds.
 */

export interface Page {
  limit: number;
  /** Opaque position from the previous page's last item; absent for the first page. */
  after?: string | undefined;
}

export interface GatewayStore {
  findGateway(id: string): Promise<GatewayWithSecret | undefined>;
  /** Gateways of a tenant ordered by id, `after` being the last id of the previous page. */
  listGateways(tenantId: string, page: Page): Promise<Gateway[]>;
  /** Records a connection state change; a change older than the stored one is ignored. */
  setGatewayStatus(input: { gatewayId: string; status: GatewayStatus; atMs: number }): Promise<void>;
  /** Marks every gateway offline (after an unclean stop, nobody is connected any more). */
  markAllGatewaysOffline(atMs: number): Promise<number>;
}

export interface DeviceStore {
  findDevice(id: string): Promise<Device | undefined>;
  findDeviceWithChannels(id: string): Promise<DeviceWithChannels | undefined>;
  /** Devices of a gateway with their current state, ordered by id (removed ones excluded). */
  listGatewayDevices(gatewayId: string): Promise<DeviceWithChannels[]>;
  countGatewayDevices(gatewayId: string): Promise<number>;
  findPreview(deviceId: string): Promise<Preview | undefined>;
}

/** A device first seen, or listed by a gatewayConfig: created if missing, otherwise refreshed. */
export interface DeviceUpsert {
  id: string;
  tenantId: string;
  gatewayId: string;
  type: DeviceType;
  protocol: string;
  nodeId: string | null;
  networkId: string | null;
  /** Null keeps the stored name. */
  name: string | null;
  seenAtMs: number;
}

export interface ReadingWrite {
  tenantId: string;
  gatewayId: string;
  deviceId: string;
  label: string;
  unit: string | null;
  sensorType: string | null;
  tsMs: number;
  value: number | null;
  text: string | null;
}

export interface DeadLetterWrite {
  tenantId: string | null;
  gatewayId: string | null;
  receivedAtMs: number;
  reason: string;
  detail: string;
  payload: string;
  payloadBytes: number;
}

/**
 * Everything one group commit writes, applied in one transaction. State updates are
 * commutative (newest device timestamp wins, ties broken by value) and history inserts are
 * idempotent on (device, label, timestamp), so replays and reordering give the same result.
 */
export interface IngestBatch {
  devices: DeviceUpsert[];
  readings: ReadingWrite[];
  /** Merged into the device's attributes (e.g. a camera's media server). */
  deviceAttributes: Array<{ deviceId: string; attributes: Record<string, string>; tsMs: number }>;
  /** Merged into the device's settings (e.g. recordingMode). */
  deviceSettings: Array<{ deviceId: string; settings: Record<string, string>; tsMs: number }>;
  /** Latest preview per device; an older one than stored is ignored. */
  previews: Array<Preview & { tenantId: string }>;
  /** A gatewayConfig's full device list: devices of the gateway not listed are marked removed. */
  deviceLists: Array<{ gatewayId: string; deviceIds: string[]; atMs: number }>;
  gatewaySeen: Array<{ gatewayId: string; atMs: number; firmware: string | null; vendor: string | null }>;
  /** Uplink messages of gateways not registered to a home: counted, not stored. */
  unregisteredDrops: Array<{ gatewayId: string; messages: number }>;
  deadLetters: DeadLetterWrite[];
}

export function emptyBatch(): IngestBatch {
  return {
    devices: [],
    readings: [],
    deviceAttributes: [],
    deviceSettings: [],
    previews: [],
    deviceLists: [],
    gatewaySeen: [],
    unregisteredDrops: [],
    deadLetters: [],
  };
}

export function batchSize(batch: IngestBatch): number {
  return (
    batch.devices.length +
    batch.readings.length +
    batch.deviceAttributes.length +
    batch.deviceSettings.length +
    batch.previews.length +
    batch.deviceLists.length +
    batch.gatewaySeen.length +
    batch.unregisteredDrops.length +
    batch.deadLetters.length
  );
}

export interface HistoryQuery {
  deviceId: string;
  label: string;
  /** Inclusive. */
  fromMs: number;
  /** Exclusive. */
  toMs: number;
  limit: number;
  /** Return points strictly after this timestamp (keyset pagination). */
  afterMs?: number | undefined;
  order: 'asc' | 'desc';
}

/** Per-bucket summary of numeric readings; every aggregate is derived from it. */
export interface BucketSummary {
  /** Index into the boundaries: bucket i covers [boundaries[i], boundaries[i+1]). */
  index: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  first: number;
  last: number;
}

export interface TelemetryStore {
  applyIngest(batch: IngestBatch): Promise<void>;
  readHistory(query: HistoryQuery): Promise<Reading[]>;
  /**
   * Summaries of the numeric readings of one series in each bucket [b[i], b[i+1]).
   * Buckets without readings are omitted. `boundariesMs` is strictly increasing, length ≥ 2.
   */
  summarizeBuckets(query: {
    deviceId: string;
    label: string;
    boundariesMs: number[];
  }): Promise<BucketSummary[]>;
  countReadings(filter?: { deviceId?: string; gatewayId?: string }): Promise<number>;
  /**
   * Deletes a gateway's devices with their state, history and previews (removal from a home),
   * in small transactions so that ingestion keeps flowing. The gateway row stays.
   */
  deleteGatewayData(gatewayId: string): Promise<{ devices: number; readings: number }>;
}

export interface DeadLetterStore {
  /** Newest first; `beforeId` pages further back. Tenant null lists records not tied to a tenant. */
  listDeadLetters(
    tenantId: string | null,
    page: { limit: number; beforeId?: number | undefined },
  ): Promise<DeadLetter[]>;
  /** Keeps the newest `maxPerTenant` records of each tenant; returns how many were deleted. */
  trimDeadLetters(maxPerTenant: number): Promise<number>;
}

export interface Store extends GatewayStore, DeviceStore, TelemetryStore, DeadLetterStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Tenants, people, homes, sessions, keys, registration and the audit log (portable SQL). */
  readonly directory: DirectoryStore;
  /** Creates or upgrades the schema (numbered migrations). */
  migrate(): Promise<void>;
  /** Cheap liveness query for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
