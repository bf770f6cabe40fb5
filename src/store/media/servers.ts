import type { MediaDisk, MediaLoad } from '../../core/domain/media.ts';
import type {
  MediaServerPatch,
  MediaServerPoll,
  MediaServerStore,
  MediaServerWithSecret,
  NewMediaServer,
} from '../../core/ports/media.ts';
import type { Row, SqlRunner } from '../../core/ports/sql.ts';
import { jsonColumn } from '../rows.ts';

function toServer(row: Row): MediaServerWithSecret {
  return {
    id: row.id as string,
    name: row.name as string,
    engine: row.engine as MediaServerWithSecret['engine'],
    controlUrl: row.control_url as string,
    agentUrl: (row.agent_url as string | null) ?? null,
    ingestUrl: row.ingest_url as string,
    playbackUrl: row.playback_url as string,
    application: row.application as string,
    region: (row.region as string | null) ?? null,
    state: row.state as MediaServerWithSecret['state'],
    secret: row.secret as string,
    maxStreams: Number(row.max_streams),
    maxBitsPerSec: Number(row.max_bits_per_sec),
    health: {
      healthy: Number(row.healthy) === 1,
      failures: Number(row.failures),
      reason: (row.health_reason as string | null) ?? null,
      checkedAtMs: row.checked_at_ms === null ? null : Number(row.checked_at_ms),
    },
    load: row.load === null ? null : jsonColumn<MediaLoad>(row.load),
    disks: jsonColumn<MediaDisk[]>(row.disks),
    fullDiskIds: jsonColumn<string[]>(row.full_disk_ids),
    createdAtMs: Number(row.created_at_ms),
  };
}

const PATCH_COLUMNS: Record<keyof MediaServerPatch, string> = {
  name: 'name',
  controlUrl: 'control_url',
  agentUrl: 'agent_url',
  ingestUrl: 'ingest_url',
  playbackUrl: 'playback_url',
  application: 'application',
  region: 'region',
  maxStreams: 'max_streams',
  maxBitsPerSec: 'max_bits_per_sec',
  state: 'state',
};

/**
 * The media servers of the cluster. A new server counts as unhealthy until its first poll
 * answers: no camera is sent to a server nobody has heard from.
 */
export class SqlMediaServerStore implements MediaServerStore {
  constructor(private readonly sql: SqlRunner) {}

  async create(server: NewMediaServer): Promise<MediaServerWithSecret> {
    await this.sql.run(
      `INSERT INTO media_servers (id, name, engine, control_url, agent_url, ingest_url, playback_url,
         application, region, state, secret, max_streams, max_bits_per_sec, healthy, failures,
         health_reason, checked_at_ms, load, disks, full_disk_ids, created_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, 0, 0, 'not polled yet', NULL, NULL, '[]', '[]', ?)`,
      [
        server.id,
        server.name,
        server.engine,
        server.controlUrl,
        server.agentUrl,
        server.ingestUrl,
        server.playbackUrl,
        server.application,
        server.region,
        server.secret,
        server.maxStreams,
        server.maxBitsPerSec,
        server.createdAtMs,
      ],
    );
    return (await this.find(server.id))!;
  }

  async find(id: string): Promise<MediaServerWithSecret | undefined> {
    const row = await this.sql.get('SELECT * FROM media_servers WHERE id = ?', [id]);
    return row ? toServer(row) : undefined;
  }

  async list(): Promise<MediaServerWithSecret[]> {
    return (await this.sql.all('SELECT * FROM media_servers ORDER BY name, id')).map(toServer);
  }

  async update(id: string, patch: MediaServerPatch): Promise<MediaServerWithSecret | undefined> {
    const entries = Object.entries(patch).filter(([, value]) => value !== undefined);
    if (entries.length > 0) {
      await this.sql.run(
        `UPDATE media_servers SET ${entries
          .map(([key]) => `${PATCH_COLUMNS[key as keyof MediaServerPatch]} = ?`)
          .join(', ')} WHERE id = ?`,
        [...entries.map(([, value]) => value), id],
      );
    }
    return this.find(id);
  }

  async recordPoll(id: string, poll: MediaServerPoll): Promise<void> {
    await this.sql.run(
      `UPDATE media_servers SET healthy = ?, failures = ?, health_reason = ?, checked_at_ms = ?,
         load = coalesce(?, load), disks = coalesce(?, disks), full_disk_ids = ?
       WHERE id = ?`,
      [
        poll.health.healthy ? 1 : 0,
        poll.health.failures,
        poll.health.reason,
        poll.health.checkedAtMs,
        poll.load === null ? null : JSON.stringify(poll.load),
        poll.disks === null ? null : JSON.stringify(poll.disks),
        JSON.stringify(poll.fullDiskIds),
        id,
      ],
    );
  }

  async delete(id: string): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const files = await tx.get(
        `SELECT (SELECT count(*) FROM archive_segments WHERE server_id = ?)
              + (SELECT count(*) FROM media_deletions WHERE server_id = ?) AS n`,
        [id, id],
      );
      if (Number(files?.n ?? 0) > 0) return false;
      return (await tx.run('DELETE FROM media_servers WHERE id = ?', [id])) > 0;
    });
  }
}
