/**
 * How one group commit's rows become statements PostgreSQL runs without deadlocks against other
 * workers' commits: each table's rows in key order, each row once per statement, locks taken in
 * that order; text as PostgreSQL can store it.
 */

import type { PoolClient } from 'pg';
import type { DeviceUpsert, IngestBatch } from '../../core/domain/telemetry.ts';

/** Byte order of UTF-8, i.e. the "C" collation the key columns use. */
export function compareText(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** PostgreSQL text cannot hold U+0000: it becomes U+FFFD, as undecodable bytes do. */
export function withoutNul(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD');
}

/**
 * Takes the row locks an UPDATE takes, in key order, before a set-based UPDATE whose own
 * locking order depends on the plan. `table` and `keyType` are constants of this file.
 */
export async function lockInOrder(
  client: PoolClient,
  table: 'series' | 'devices' | 'gateways',
  keyType: 'bigint' | 'text',
  ids: Array<number | string>,
): Promise<void> {
  if (ids.length === 0) return;
  await client.query(
    `SELECT 1 FROM ${table} WHERE id = ANY ($1::${keyType}[]) ORDER BY id FOR NO KEY UPDATE`,
    [ids],
  );
}

/**
 * Splits device upserts into rounds with each id at most once, sorted by id: one multi-row
 * upsert may not touch a row twice, and the k-th upsert of a device must see the (k-1)-th, as
 * the SQLite adapter applies them one after the other.
 */
export function upsertRounds(devices: DeviceUpsert[]): DeviceUpsert[][] {
  const rounds: DeviceUpsert[][] = [];
  const seen = new Map<string, number>();
  for (const device of devices) {
    const round = seen.get(device.id) ?? 0;
    seen.set(device.id, round + 1);
    (rounds[round] ??= []).push(device);
  }
  for (const round of rounds) round.sort((a, b) => compareText(a.id, b.id));
  return rounds;
}

/**
 * The preview per device that the SQLite adapter ends up with when applying the batch in order:
 * the newest, and of equal timestamps the later one.
 */
export function latestPreviews(previews: IngestBatch['previews']): IngestBatch['previews'] {
  const latest = new Map<string, IngestBatch['previews'][number]>();
  for (const preview of previews) {
    const current = latest.get(preview.deviceId);
    if (!current || preview.tsMs >= current.tsMs) latest.set(preview.deviceId, preview);
  }
  return [...latest.values()].sort((a, b) => compareText(a.deviceId, b.deviceId));
}

/** Each (device, timestamp) once, in key order: concurrent batches insert history rows in one order. */
export function previewHistory(previews: IngestBatch['previews']): IngestBatch['previews'] {
  const unique = new Map<string, IngestBatch['previews'][number]>();
  for (const preview of previews) unique.set(`${preview.deviceId}\u0000${preview.tsMs}`, preview);
  return [...unique.values()].sort((a, b) => compareText(a.deviceId, b.deviceId) || a.tsMs - b.tsMs);
}
