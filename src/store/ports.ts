import type { ControlStore } from './control/control-store.ts';
import type { DirectoryStore } from './directory/directory-store.ts';
import type { RangeSummary, TimeRange } from '../core/domain/telemetry.ts';
import type {
  DeadLetter,
  IngestBatch,
  GatewayUsage,
  Reading,
  SummarySource,
} from '../core/domain/telemetry.ts';
import type { Device, DeviceWithChannels, Preview } from '../core/domain/device.ts';
import type { Gateway, GatewayStatus, GatewayWithSecret } from '../core/domain/gateway.ts';

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

export type { RangeSummary, TimeRange } from '../core/domain/telemetry.ts';

/** A (device, label) series: its id and the zone its rollups are bucketed in. */
export interface SeriesInfo {
  id: number;
  zone: string;
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
