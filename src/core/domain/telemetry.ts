/** Telemetry: readings, what one group commit writes, summaries of a series, gateway usage. */

import type { DeviceType, Preview } from './device.ts';

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

/** Where a summary is read from: raw readings or a rollup resolution. */
export type SummarySource = 'raw' | 'hourly' | 'daily';

/** Monthly figures of one gateway (UTC month). */
export interface GatewayUsage {
  gatewayId: string;
  /** 'YYYY-MM'. */
  month: string;
  messages: number;
  onlineMs: number;
  alarms: number;
}

/** Summary of one time range of a series, from raw readings or rollup rows. */
export interface RangeSummary {
  /** Index into the ranges of the query. */
  index: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  first: number;
  last: number;
  /** See the module comment; pairs whose later reading is in the range. */
  increase: number;
  /** Of the first and last reading, to merge summaries of adjacent ranges. */
  firstTs: number;
  lastTs: number;
}

export interface TimeRange {
  fromMs: number;
  toMs: number;
}

/** Groups sorted, disjoint ranges into runs of adjacent ones, each read with one query. */
export function contiguousRuns(ranges: TimeRange[]): Array<{ fromMs: number; toMs: number; first: number }> {
  const runs: Array<{ fromMs: number; toMs: number; first: number }> = [];
  ranges.forEach((range, index) => {
    const last = runs[runs.length - 1];
    if (last && last.toMs === range.fromMs) last.toMs = range.toMs;
    else runs.push({ fromMs: range.fromMs, toMs: range.toMs, first: index });
  });
  return runs;
}

/** Two summaries of one bucket (different sources or adjacent ranges) as one. */
export function mergeSummaries(a: RangeSummary, b: RangeSummary): RangeSummary {
  const [early, late] = a.firstTs <= b.firstTs ? [a, b] : [b, a];
  return {
    index: a.index,
    count: a.count + b.count,
    sum: early.sum + late.sum,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    first: early.first,
    firstTs: early.firstTs,
    last: a.lastTs >= b.lastTs ? a.last : b.last,
    lastTs: Math.max(a.lastTs, b.lastTs),
    increase: early.increase + late.increase,
  };
}

/** 'YYYY-MM' of a time, in UTC: the month gateway usage is counted in. */
export function usageMonth(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/** An online period [fromMs, toMs) split at UTC month boundaries. */
export function splitByMonth(fromMs: number, toMs: number): Array<{ month: string; ms: number }> {
  const parts: Array<{ month: string; ms: number }> = [];
  let start = fromMs;
  while (start < toMs) {
    const date = new Date(start);
    const nextMonth = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
    const end = Math.min(toMs, nextMonth);
    parts.push({ month: usageMonth(start), ms: end - start });
    start = end;
  }
  return parts;
}
