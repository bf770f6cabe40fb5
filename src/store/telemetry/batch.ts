import type { HistoryQuery } from '../../core/ports/telemetry.ts';
import {
  usageMonth,
  type IngestBatch,
  type Reading,
  type ReadingWrite,
} from '../../core/domain/telemetry.ts';
import type { Row } from '../../core/ports/sql.ts';

/** Helpers both adapters use so that they behave the same. */

export function seriesKey(deviceId: string, label: string): string {
  return `${deviceId}\u0000${label}`;
}

/**
 * True when reading `a` should replace current state `b`: the newer device timestamp wins; on
 * equal timestamps the larger (value, text) wins, so the outcome does not depend on arrival order.
 */
export function isNewer(
  a: { tsMs: number; value: number | null; text: string | null },
  b: { tsMs: number; value: number | null; text: string | null },
): boolean {
  if (a.tsMs !== b.tsMs) return a.tsMs > b.tsMs;
  const av = a.value ?? -Infinity;
  const bv = b.value ?? -Infinity;
  if (av !== bv) return av > bv;
  // Byte order (UTF-8), as both databases compare text; JS string order is UTF-16 and differs.
  return Buffer.compare(Buffer.from(a.text ?? ''), Buffer.from(b.text ?? '')) > 0;
}

/** The reading per series that wins current state within one batch. */
export function newestPerSeries(readings: ReadingWrite[]): ReadingWrite[] {
  const newest = new Map<string, ReadingWrite>();
  for (const reading of readings) {
    const key = seriesKey(reading.deviceId, reading.label);
    const current = newest.get(key);
    if (!current || isNewer(reading, current)) newest.set(key, reading);
  }
  return [...newest.values()];
}

/** Folds per-device merges (attributes, settings) of one batch in timestamp order. */
export function mergePerDevice(
  entries: Array<{ deviceId: string; tsMs: number } & Record<string, unknown>>,
  field: 'attributes' | 'settings',
): Map<string, Record<string, string>> {
  const merged = new Map<string, Record<string, string>>();
  for (const entry of [...entries].sort((a, b) => a.tsMs - b.tsMs)) {
    merged.set(entry.deviceId, {
      ...merged.get(entry.deviceId),
      ...(entry[field] as Record<string, string>),
    });
  }
  return merged;
}

/** Last-seen per gateway in a batch (one update each). */
export function latestGatewaySeen(batch: IngestBatch): IngestBatch['gatewaySeen'] {
  const latest = new Map<string, IngestBatch['gatewaySeen'][number]>();
  for (const seen of batch.gatewaySeen) {
    const current = latest.get(seen.gatewayId);
    latest.set(seen.gatewayId, {
      gatewayId: seen.gatewayId,
      tenantId: seen.tenantId,
      atMs: Math.max(seen.atMs, current?.atMs ?? 0),
      messages: seen.messages + (current?.messages ?? 0),
      firmware: seen.firmware ?? current?.firmware ?? null,
      vendor: seen.vendor ?? current?.vendor ?? null,
    });
  }
  return [...latest.values()];
}

/** Index of the bucket containing `tsMs`: the last boundary ≤ tsMs (binary search), or -1. */
export function bucketIndex(boundariesMs: number[], tsMs: number): number {
  let lo = 0;
  let hi = boundariesMs.length - 1;
  if (tsMs < boundariesMs[0]! || tsMs >= boundariesMs[hi]!) return -1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (boundariesMs[mid]! <= tsMs) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The [from, to) range and sort direction of a history page, after the keyset cursor. */
export function historyWindow(query: HistoryQuery): { from: number; to: number; direction: 'ASC' | 'DESC' } {
  let from = query.fromMs;
  let to = query.toMs;
  if (query.afterMs !== undefined) {
    if (query.order === 'asc') from = Math.max(from, query.afterMs + 1);
    else to = Math.min(to, query.afterMs);
  }
  return { from, to, direction: query.order === 'asc' ? 'ASC' : 'DESC' };
}

/** Messages per (gateway, month) of a batch, ordered by gateway then month. */
export function usageMessages(
  batch: IngestBatch,
): Array<{ gatewayId: string; tenantId: string; month: string; messages: number }> {
  const counts = new Map<string, { gatewayId: string; tenantId: string; month: string; messages: number }>();
  for (const seen of batch.gatewaySeen) {
    if (seen.messages === 0) continue;
    const month = usageMonth(seen.atMs);
    const key = `${seen.gatewayId}\u0000${month}`;
    const entry = counts.get(key) ?? {
      gatewayId: seen.gatewayId,
      tenantId: seen.tenantId,
      month,
      messages: 0,
    };
    entry.messages += seen.messages;
    counts.set(key, entry);
  }
  return [...counts.values()].sort((a, b) =>
    a.gatewayId === b.gatewayId
      ? a.month.localeCompare(b.month)
      : Buffer.compare(Buffer.from(a.gatewayId), Buffer.from(b.gatewayId)),
  );
}

export function toReading(row: Row): Reading {
  return { tsMs: row.ts_ms as number, value: row.value as number | null, text: row.text as string | null };
}
