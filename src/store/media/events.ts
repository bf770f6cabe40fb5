import type { CameraEvent, CameraEventKind, PreviewEntry } from '../../core/domain/media.ts';
import type { Preview } from '../../core/domain/device.ts';
import type { CameraEventStore, PlatformSecretStore, PreviewHistoryStore } from '../../core/ports/media.ts';
import type { Row, SqlRunner } from '../../core/ports/sql.ts';

function toEvent(row: Row): CameraEvent {
  return {
    id: row.id as string,
    deviceId: row.device_id as string,
    tenantId: row.tenant_id as string,
    homeId: row.home_id as string,
    kind: row.kind as CameraEventKind,
    atMs: Number(row.at_ms),
  };
}

/** What cameras saw (motion, doorbell presses), for their timelines. */
export class SqlCameraEventStore implements CameraEventStore {
  constructor(private readonly sql: SqlRunner) {}

  async add(event: CameraEvent & { gatewayId: string }): Promise<void> {
    await this.sql.run(
      `INSERT INTO camera_events (id, device_id, tenant_id, home_id, gateway_id, kind, at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [event.id, event.deviceId, event.tenantId, event.homeId, event.gatewayId, event.kind, event.atMs],
    );
  }

  async list(deviceId: string, fromMs: number, toMs: number, limit: number): Promise<CameraEvent[]> {
    return (
      await this.sql.all(
        `SELECT * FROM camera_events WHERE device_id = ? AND at_ms >= ? AND at_ms < ?
         ORDER BY at_ms, id LIMIT ?`,
        [deviceId, fromMs, toMs, limit],
      )
    ).map(toEvent);
  }

  expire(deviceId: string, cutoffMs: number): Promise<number> {
    return this.sql.run('DELETE FROM camera_events WHERE device_id = ? AND at_ms < ?', [deviceId, cutoffMs]);
  }

  deleteGateway(gatewayId: string): Promise<number> {
    return this.sql.run('DELETE FROM camera_events WHERE gateway_id = ?', [gatewayId]);
  }
}

/** Every preview a camera sent, for camera lists and the timeline (the latest is in `previews`). */
export class SqlPreviewHistoryStore implements PreviewHistoryStore {
  constructor(private readonly sql: SqlRunner) {}

  async list(deviceId: string, fromMs: number, toMs: number, limit: number): Promise<PreviewEntry[]> {
    const rows = await this.sql.all(
      `SELECT device_id, ts_ms, content_type, length(image) AS size FROM camera_previews
       WHERE device_id = ? AND ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms LIMIT ?`,
      [deviceId, fromMs, toMs, limit],
    );
    return rows.map(toEntry);
  }

  async find(deviceId: string, tsMs: number): Promise<Preview | undefined> {
    const row = await this.sql.get('SELECT * FROM camera_previews WHERE device_id = ? AND ts_ms = ?', [
      deviceId,
      tsMs,
    ]);
    if (!row) return undefined;
    return {
      deviceId: row.device_id as string,
      tsMs: Number(row.ts_ms),
      contentType: row.content_type as string,
      image: Buffer.from(row.image as Uint8Array),
    };
  }

  async latestAtOrBefore(deviceId: string, tsMs: number): Promise<PreviewEntry | undefined> {
    const row = await this.sql.get(
      `SELECT device_id, ts_ms, content_type, length(image) AS size FROM camera_previews
       WHERE device_id = ? AND ts_ms <= ? ORDER BY ts_ms DESC LIMIT 1`,
      [deviceId, tsMs],
    );
    return row ? toEntry(row) : undefined;
  }

  expire(deviceId: string, cutoffMs: number): Promise<number> {
    return this.sql.run('DELETE FROM camera_previews WHERE device_id = ? AND ts_ms < ?', [
      deviceId,
      cutoffMs,
    ]);
  }
}

function toEntry(row: Row): PreviewEntry {
  return {
    deviceId: row.device_id as string,
    tsMs: Number(row.ts_ms),
    contentType: row.content_type as string,
    sizeBytes: Number(row.size),
  };
}

export class SqlPlatformSecretStore implements PlatformSecretStore {
  constructor(private readonly sql: SqlRunner) {}

  async getOrCreate(name: string, create: () => string, nowMs: number): Promise<string> {
    await this.sql.run(
      'INSERT INTO platform_secrets (name, value, created_at_ms) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
      [name, create(), nowMs],
    );
    const row = await this.sql.get('SELECT value FROM platform_secrets WHERE name = ?', [name]);
    return row!.value as string;
  }
}
