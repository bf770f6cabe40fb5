import type { ControlStore } from './control/control-store.ts';
import type { DirectoryStore } from './directory/directory-store.ts';
import type { RangeSummary, TimeRange } from './rollups.ts';
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
  /**
   * The home the gateway was registered to when the reading arrived. Not stored (the series
   * knows its gateway); listeners of `telemetry.committed` (alarms, automations, the live feed)
   * use it without a lookup.
   */
  homeId?: string;
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
  /** One entry per uplink payload; `messages` it carried are counted in the gateway's usage. */
  gatewaySeen: Array<{
    gatewayId: string;
    tenantId: string;
    atMs: number;
    messages: number;
    firmware: string | null;
    vendor: string | null;
  }>;
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

export type { RangeSummary, TimeRange } from './rollups.ts';

/** Where a summary is read from: raw readings or a rollup resolution. */
export type SummarySource = 'raw' | 'hourly' | 'daily';

/** A (device, label) series: its id and the zone its rollups are bucketed in. */
export interface SeriesInfo {
  id: number;
  zone: string;
}

/** Monthly figures of one gateway (UTC month). */
export interface GatewayUsage {
  gatewayId: string;
  /** 'YYYY-MM'. */
  month: string;
  messages: number;
  onlineMs: number;
  alarms: number;
}

export interface TrimResult {
  readings: number;
  rollups: number;
  /** True when the row budget ran out before everything past the horizons was deleted. */
  more: boolean;
}

export interface TelemetryStore {
  applyIngest(batch: IngestBatch): Promise<void>;
  readHistory(query: HistoryQuery): Promise<Reading[]>;
  findSeries(deviceId: string, label: string): Promise<SeriesInfo | undefined>;
  /**
   * Summaries of a series' numeric data in each of `ranges` (ascending, disjoint, half-open),
   * from raw readings or from rollups. Ranges without data are omitted. From rollups, a range
   * must consist of whole buckets of that resolution (the planner guarantees it).
   */
  summarize(query: { seriesId: number; source: SummarySource; ranges: TimeRange[] }): Promise<RangeSummary[]>;
  countReadings(filter?: { deviceId?: string; gatewayId?: string }): Promise<number>;
  /**
   * Deletes a gateway's devices with their state, history and previews (removal from a home),
   * in small transactions so that ingestion keeps flowing. The gateway row stays.
   */
  deleteGatewayData(gatewayId: string): Promise<{ devices: number; readings: number }>;
  /**
   * Retention: deletes, for one gateway, raw readings older than `rawBeforeMs` and rollup
   * buckets that end before `rollupsBeforeMs`, at most `maxRows` rows in short transactions.
   */
  trimHistory(input: {
    gatewayId: string;
    rawBeforeMs: number;
    rollupsBeforeMs: number;
    maxRows: number;
  }): Promise<TrimResult>;
  /** Monthly figures of a tenant's gateways for months in [fromMonth, toMonth] ('YYYY-MM'). */
  listGatewayUsage(tenantId: string, fromMonth: string, toMonth: string): Promise<GatewayUsage[]>;
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
  /** Commands, alarms and home modes, the notification outbox, automations (portable SQL). */
  readonly control: ControlStore;
  /** Creates or upgrades the schema (numbered migrations). */
  migrate(): Promise<void>;
  /**
   * Resolves once every write committed so far survives power loss. Control writes may commit
   * without their own fsync (SQLite); whoever lets something leave the process on their account
   * (a command to a gateway, a notification, an API answer) waits for this first.
   */
  durable(): Promise<void>;
  /** Cheap liveness query for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
