import type { Camera, RecordingState } from '../../core/domain/media.ts';
import type { RecordingMode } from '../../core/domain/tariff.ts';
import type { CameraPatch, CameraStore, NewCamera } from '../../core/ports/media.ts';
import type { Row, SqlRunner } from '../../core/ports/sql.ts';
import { HestiaError } from '../../core/errors.ts';

function toCamera(row: Row): Camera {
  return {
    deviceId: row.device_id as string,
    tenantId: row.tenant_id as string,
    homeId: row.home_id as string,
    gatewayId: row.gateway_id as string,
    number: Number(row.number),
    mode: row.mode as RecordingMode,
    serverId: (row.server_id as string | null) ?? null,
    streaming: Number(row.streaming) === 1,
    wantRecording: Number(row.want_recording) === 1,
    recordUntilMs: row.record_until_ms === null ? null : Number(row.record_until_ms),
    recording: {
      state: row.recording_state as RecordingState,
      reason: (row.recording_reason as string | null) ?? null,
      sinceMs: Number(row.recording_since_ms),
    },
    lastMotionAtMs: row.last_motion_at_ms === null ? null : Number(row.last_motion_at_ms),
    createdAtMs: Number(row.created_at_ms),
  };
}

/** Attempts at taking the next camera number when workers create cameras at the same time. */
const NUMBER_ATTEMPTS = 5;

export class SqlCameraStore implements CameraStore {
  constructor(private readonly sql: SqlRunner) {}

  async ensure(camera: NewCamera): Promise<Camera> {
    for (let attempt = 1; ; attempt++) {
      const found = await this.find(camera.deviceId);
      if (found) return found;
      try {
        // The number is the seed's cameraId: stable for the camera's life, never reused while
        // it exists (archive paths group cameras by number div 200).
        await this.sql.run(
          `INSERT INTO cameras (device_id, tenant_id, home_id, gateway_id, number, mode, server_id,
             streaming, want_recording, record_until_ms, recording_state, recording_reason,
             recording_since_ms, last_motion_at_ms, created_at_ms)
           SELECT ?, ?, ?, ?, coalesce(max(number), 0) + 1, ?, NULL, 0, 0, NULL, 'idle', NULL, ?, NULL, ?
           FROM cameras`,
          [
            camera.deviceId,
            camera.tenantId,
            camera.homeId,
            camera.gatewayId,
            camera.mode,
            camera.createdAtMs,
            camera.createdAtMs,
          ],
        );
      } catch (error) {
        if (!(error instanceof HestiaError && error.code === 'HESTIA_CONFLICT') || attempt >= NUMBER_ATTEMPTS)
          throw error;
      }
    }
  }

  async find(deviceId: string): Promise<Camera | undefined> {
    const row = await this.sql.get('SELECT * FROM cameras WHERE device_id = ?', [deviceId]);
    return row ? toCamera(row) : undefined;
  }

  async listByHome(homeId: string): Promise<Camera[]> {
    return (await this.sql.all('SELECT * FROM cameras WHERE home_id = ? ORDER BY device_id', [homeId])).map(
      toCamera,
    );
  }

  async listByServer(serverId: string): Promise<Camera[]> {
    return (
      await this.sql.all('SELECT * FROM cameras WHERE server_id = ? ORDER BY device_id', [serverId])
    ).map(toCamera);
  }

  async listPage(afterDeviceId: string | null, limit: number): Promise<Camera[]> {
    return (
      await this.sql.all('SELECT * FROM cameras WHERE device_id > ? ORDER BY device_id LIMIT ?', [
        afterDeviceId ?? '',
        limit,
      ])
    ).map(toCamera);
  }

  async listNeedingAttention(nowMs: number): Promise<Camera[]> {
    return (
      await this.sql.all(
        `SELECT * FROM cameras
         WHERE (want_recording = 1 AND recording_state <> 'recording')
            OR (want_recording = 0 AND recording_state = 'recording')
            OR (record_until_ms IS NOT NULL AND record_until_ms <= ?)`,
        [nowMs],
      )
    ).map(toCamera);
  }

  async update(deviceId: string, patch: CameraPatch): Promise<Camera | undefined> {
    const sets: string[] = [];
    const params: unknown[] = [];
    const set = (column: string, value: unknown): void => {
      sets.push(`${column} = ?`);
      params.push(value);
    };
    if (patch.mode !== undefined) set('mode', patch.mode);
    if (patch.serverId !== undefined) set('server_id', patch.serverId);
    if (patch.streaming !== undefined) set('streaming', patch.streaming ? 1 : 0);
    if (patch.wantRecording !== undefined) set('want_recording', patch.wantRecording ? 1 : 0);
    if (patch.recordUntilMs !== undefined) set('record_until_ms', patch.recordUntilMs);
    if (patch.lastMotionAtMs !== undefined) set('last_motion_at_ms', patch.lastMotionAtMs);
    if (patch.recording !== undefined) {
      set('recording_state', patch.recording.state);
      set('recording_reason', patch.recording.reason);
      set('recording_since_ms', patch.recording.sinceMs);
    }
    if (sets.length > 0)
      await this.sql.run(`UPDATE cameras SET ${sets.join(', ')} WHERE device_id = ?`, [...params, deviceId]);
    return this.find(deviceId);
  }
}
