/**
 * Storage ports of the data plane: what one group commit writes, history and summaries of a
 * series, devices and their current state, dead letters. Each engine adapter (store/sqlite/,
 * store/postgres/) implements `TelemetryStore` for its batch write and summary queries; the
 * rest is portable SQL. All times are epoch milliseconds.
 */

import type { Device, DeviceWithChannels, Preview } from '../domain/device.ts';
import type {
  IngestBatch,
  Reading,
  SummarySource,
  TimeRange,
  RangeSummary,
  GatewayUsage,
  DeadLetter,
} from '../domain/telemetry.ts';

/** Devices as ingest records them, with their current state; people name them and put them in rooms. */
export interface DeviceStore {
  findDevice(id: string): Promise<Device | undefined>;
  findDeviceWithChannels(id: string): Promise<DeviceWithChannels | undefined>;
  /** Devices of a gateway with their current state, ordered by id (removed ones excluded). */
  listGatewayDevices(gatewayId: string): Promise<DeviceWithChannels[]>;
  countGatewayDevices(gatewayId: string): Promise<number>;
  findPreview(deviceId: string): Promise<Preview | undefined>;
  /** A person's changes to a device: its name, its room (null: none). */
  updateDevice(
    deviceId: string,
    patch: { name?: string | undefined; roomId?: string | null | undefined },
  ): Promise<void>;
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
