import type { ArchiveFragment, ArchiveSegment } from '../../core/domain/media.ts';
import type {
  ArchiveStore,
  MediaDeletion,
  MediaDeletionStore,
  NewArchiveSegment,
} from '../../core/ports/media.ts';
import type { Row, SqlRunner } from '../../core/ports/sql.ts';
import { jsonColumn } from '../rows.ts';

/** Fragments are stored as [durationMs, offset, length] triples: a 30-minute file has 900. */
type FragmentTriple = [number, number, number];

function toSegment(row: Row): ArchiveSegment {
  return {
    id: row.id as string,
    deviceId: row.device_id as string,
    tenantId: row.tenant_id as string,
    homeId: row.home_id as string,
    serverId: row.server_id as string,
    diskId: row.disk_id as string,
    path: row.path as string,
    startMs: Number(row.start_ms),
    endMs: Number(row.end_ms),
    sizeBytes: Number(row.size_bytes),
    init: { offset: Number(row.init_offset), length: Number(row.init_length) },
    fragments: jsonColumn<FragmentTriple[]>(row.fragments).map(
      ([durationMs, offset, length]): ArchiveFragment => ({ durationMs, offset, length }),
    ),
    createdAtMs: Number(row.created_at_ms),
  };
}

/** The archive index: one row per recorded file. */
export class SqlArchiveStore implements ArchiveStore {
  constructor(private readonly sql: SqlRunner) {}

  async insert(segment: NewArchiveSegment): Promise<{ segment: ArchiveSegment; created: boolean }> {
    const fragments: FragmentTriple[] = segment.fragments.map((f) => [f.durationMs, f.offset, f.length]);
    const created = await this.sql.run(
      `INSERT INTO archive_segments (id, device_id, tenant_id, home_id, gateway_id, server_id, disk_id,
         path, start_ms, end_ms, size_bytes, init_offset, init_length, fragments, created_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (server_id, path) DO NOTHING`,
      [
        segment.id,
        segment.deviceId,
        segment.tenantId,
        segment.homeId,
        segment.gatewayId,
        segment.serverId,
        segment.diskId,
        segment.path,
        segment.startMs,
        segment.endMs,
        segment.sizeBytes,
        segment.init.offset,
        segment.init.length,
        JSON.stringify(fragments),
        segment.createdAtMs,
      ],
    );
    const row = await this.sql.get('SELECT * FROM archive_segments WHERE server_id = ? AND path = ?', [
      segment.serverId,
      segment.path,
    ]);
    return { segment: toSegment(row!), created: created > 0 };
  }

  async find(id: string): Promise<ArchiveSegment | undefined> {
    const row = await this.sql.get('SELECT * FROM archive_segments WHERE id = ?', [id]);
    return row ? toSegment(row) : undefined;
  }

  async overlapping(
    deviceId: string,
    fromMs: number,
    toMs: number,
    limit: number,
    after?: { startMs: number; id: string },
  ): Promise<ArchiveSegment[]> {
    // end_ms > from AND start_ms < to, walked in (start_ms, id) order from the keyset cursor. A
    // file is at most a segment long, so the index on (device_id, start_ms) bounds the scan.
    const params: unknown[] = [deviceId, fromMs, toMs];
    let keyset = '';
    if (after) {
      keyset = 'AND (start_ms > ? OR (start_ms = ? AND id > ?))';
      params.push(after.startMs, after.startMs, after.id);
    }
    params.push(limit);
    return (
      await this.sql.all(
        `SELECT * FROM archive_segments
         WHERE device_id = ? AND end_ms > ? AND start_ms < ? ${keyset}
         ORDER BY start_ms, id LIMIT ?`,
        params,
      )
    ).map(toSegment);
  }

  async spans(
    deviceId: string,
    fromMs: number,
    toMs: number,
    limit: number,
  ): Promise<Array<{ id: string; startMs: number; endMs: number }>> {
    const rows = await this.sql.all(
      `SELECT id, start_ms, end_ms FROM archive_segments
       WHERE device_id = ? AND end_ms > ? AND start_ms < ?
       ORDER BY start_ms, id LIMIT ?`,
      [deviceId, fromMs, toMs, limit],
    );
    return rows.map((row) => ({
      id: row.id as string,
      startMs: Number(row.start_ms),
      endMs: Number(row.end_ms),
    }));
  }

  async expire(deviceId: string, cutoffMs: number, limit: number, nowMs: number): Promise<number> {
    return this.sql.transaction(async (tx) => {
      const rows = await tx.all(
        'SELECT id, server_id, path FROM archive_segments WHERE device_id = ? AND end_ms < ? ORDER BY end_ms LIMIT ?',
        [deviceId, cutoffMs, limit],
      );
      return queueDeletions(tx, rows, 'retention', nowMs);
    });
  }

  async expireGateway(gatewayId: string, nowMs: number): Promise<number> {
    return this.sql.transaction(async (tx) => {
      const rows = await tx.all('SELECT id, server_id, path FROM archive_segments WHERE gateway_id = ?', [
        gatewayId,
      ]);
      return queueDeletions(tx, rows, 'removed', nowMs);
    });
  }

  async countByServer(serverId: string): Promise<number> {
    const row = await this.sql.get('SELECT count(*) AS n FROM archive_segments WHERE server_id = ?', [
      serverId,
    ]);
    return Number(row?.n ?? 0);
  }

  async camerasWithArchive(): Promise<Array<{ deviceId: string; homeId: string; oldestEndMs: number }>> {
    const rows = await this.sql.all(
      'SELECT device_id, min(home_id) AS home_id, min(end_ms) AS oldest FROM archive_segments GROUP BY device_id',
    );
    return rows.map((row) => ({
      deviceId: row.device_id as string,
      homeId: row.home_id as string,
      oldestEndMs: Number(row.oldest),
    }));
  }
}

/** Rows per multi-row statement, well under both engines' parameter limits. */
const CHUNK = 200;

async function queueDeletions(tx: SqlRunner, rows: Row[], reason: string, nowMs: number): Promise<number> {
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK);
    await tx.run(
      `INSERT INTO media_deletions (server_id, path, reason, created_at_ms, attempts, next_attempt_at_ms, last_error)
       VALUES ${chunk.map(() => '(?, ?, ?, ?, 0, ?, NULL)').join(', ')}`,
      chunk.flatMap((row) => [row.server_id, row.path, reason, nowMs, nowMs]),
    );
    await tx.run(
      `DELETE FROM archive_segments WHERE id IN (${chunk.map(() => '?').join(', ')})`,
      chunk.map((row) => row.id),
    );
  }
  return rows.length;
}

/** Archive files to delete on their media servers. */
export class SqlMediaDeletionStore implements MediaDeletionStore {
  constructor(private readonly sql: SqlRunner) {}

  async due(serverId: string, nowMs: number, limit: number): Promise<MediaDeletion[]> {
    const rows = await this.sql.all(
      `SELECT * FROM media_deletions WHERE server_id = ? AND next_attempt_at_ms <= ?
       ORDER BY next_attempt_at_ms, id LIMIT ?`,
      [serverId, nowMs, limit],
    );
    return rows.map((row) => ({
      id: Number(row.id),
      serverId: row.server_id as string,
      path: row.path as string,
      reason: row.reason as string,
      attempts: Number(row.attempts),
    }));
  }

  async done(ids: readonly number[]): Promise<void> {
    for (let start = 0; start < ids.length; start += CHUNK) {
      const chunk = ids.slice(start, start + CHUNK);
      await this.sql.run(
        `DELETE FROM media_deletions WHERE id IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
      );
    }
  }

  async retryLater(ids: readonly number[], error: string, nextAttemptAtMs: number): Promise<void> {
    for (let start = 0; start < ids.length; start += CHUNK) {
      const chunk = ids.slice(start, start + CHUNK);
      await this.sql.run(
        `UPDATE media_deletions SET attempts = attempts + 1, last_error = ?, next_attempt_at_ms = ?
         WHERE id IN (${chunk.map(() => '?').join(', ')})`,
        [error.slice(0, 500), nextAttemptAtMs, ...chunk],
      );
    }
  }

  async pendingByServer(): Promise<Map<string, number>> {
    const rows = await this.sql.all(
      'SELECT server_id, count(*) AS n FROM media_deletions GROUP BY server_id',
    );
    return new Map(rows.map((row) => [row.server_id as string, Number(row.n)]));
  }
}
