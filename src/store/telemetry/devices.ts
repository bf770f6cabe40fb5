import type { Device, DeviceType, DeviceWithChannels, Preview } from '../../core/domain/device.ts';
import type { Row, SqlRunner } from '../../core/ports/sql.ts';
import type { DeviceStore } from '../../core/ports/telemetry.ts';

/**
 * Devices with their current state (one series row per channel), as the group commits write
 * them; names and rooms as people set them. Portable SQL on the `SqlRunner` port.
 */
export class SqlDeviceStore implements DeviceStore {
  constructor(private readonly sql: SqlRunner) {}

  async findDevice(id: string): Promise<Device | undefined> {
    const row = await this.sql.get('SELECT * FROM devices WHERE id = ?', [id]);
    return row ? toDevice(row) : undefined;
  }

  async findDeviceWithChannels(id: string): Promise<DeviceWithChannels | undefined> {
    const row = await this.sql.get('SELECT * FROM devices WHERE id = ?', [id]);
    if (!row) return undefined;
    const channels = await this.sql.all('SELECT * FROM series WHERE device_id = ? ORDER BY label', [id]);
    return { ...toDevice(row), channels: channels.map(toChannel) };
  }

  async listGatewayDevices(gatewayId: string): Promise<DeviceWithChannels[]> {
    const devices = await this.sql.all(
      'SELECT * FROM devices WHERE gateway_id = ? AND removed_at_ms IS NULL ORDER BY id',
      [gatewayId],
    );
    const channels = await this.sql.all(
      'SELECT * FROM series WHERE gateway_id = ? ORDER BY device_id, label',
      [gatewayId],
    );
    const byDevice = new Map<string, DeviceWithChannels['channels']>();
    for (const channel of channels) {
      const list = byDevice.get(channel.device_id as string) ?? [];
      list.push(toChannel(channel));
      byDevice.set(channel.device_id as string, list);
    }
    return devices.map((row) => ({ ...toDevice(row), channels: byDevice.get(row.id as string) ?? [] }));
  }

  async countGatewayDevices(gatewayId: string): Promise<number> {
    const row = await this.sql.get(
      'SELECT count(*) AS n FROM devices WHERE gateway_id = ? AND removed_at_ms IS NULL',
      [gatewayId],
    );
    return Number(row!.n);
  }

  async findPreview(deviceId: string): Promise<Preview | undefined> {
    const row = await this.sql.get('SELECT * FROM previews WHERE device_id = ?', [deviceId]);
    return row
      ? {
          deviceId: row.device_id as string,
          tsMs: row.ts_ms as number,
          contentType: row.content_type as string,
          image: row.image as Buffer,
        }
      : undefined;
  }

  async updateDevice(
    deviceId: string,
    patch: { name?: string | undefined; roomId?: string | null | undefined },
  ): Promise<void> {
    if (patch.name !== undefined)
      await this.sql.run('UPDATE devices SET name = ? WHERE id = ?', [patch.name, deviceId]);
    if (patch.roomId !== undefined)
      await this.sql.run('UPDATE devices SET room_id = ? WHERE id = ?', [patch.roomId, deviceId]);
  }
}

function jsonObject(value: unknown): Record<string, string> {
  return (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, string>;
}

export function toDevice(row: Row): Device {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string,
    gatewayId: row.gateway_id as string,
    type: row.type as DeviceType,
    protocol: row.protocol as string,
    name: row.name as string | null,
    nodeId: row.node_id as string | null,
    networkId: row.network_id as string | null,
    attributes: jsonObject(row.attributes),
    settings: jsonObject(row.settings),
    roomId: row.room_id as string | null,
    createdAtMs: row.created_at_ms as number,
    lastSeenAtMs: row.last_seen_at_ms as number | null,
    removedAtMs: row.removed_at_ms as number | null,
  };
}

export function toChannel(row: Row): DeviceWithChannels['channels'][number] {
  return {
    label: row.label as string,
    unit: row.unit as string | null,
    sensorType: row.sensor_type as string | null,
    value: row.value as number | null,
    text: row.text as string | null,
    tsMs: row.ts_ms as number,
  };
}
