import type {
  DeadLetter,
  Reading,
  Device,
  DeviceType,
  DeviceWithChannels,
  Gateway,
  GatewayStatus,
  Role,
  Tenant,
  User,
} from '../core/domain.ts';

/**
 * Row → domain mappers shared by both adapters (same snake_case columns). Where the engines
 * differ in representation — JSON as text (SQLite) or jsonb (PostgreSQL), payload as text or
 * bytea — the mapper accepts both.
 */
export type Row = Record<string, unknown>;

export function toTenant(row: Row): Tenant {
  return { id: row.id as string, name: row.name as string, createdAtMs: row.created_at_ms as number };
}

export function toUser(row: Row): User {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string | null,
    email: row.email as string,
    role: row.role as Role,
    createdAtMs: row.created_at_ms as number,
  };
}

export function toGateway(row: Row): Gateway {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string,
    name: row.name as string,
    status: row.status as GatewayStatus,
    lastSeenAtMs: row.last_seen_at_ms as number | null,
    statusChangedAtMs: row.status_changed_at_ms as number | null,
    firmware: row.firmware as string | null,
    vendor: row.vendor as string | null,
    createdAtMs: row.created_at_ms as number,
  };
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

export function toDeadLetter(row: Row): DeadLetter {
  return {
    id: row.id as number,
    tenantId: row.tenant_id as string | null,
    gatewayId: row.gateway_id as string | null,
    receivedAtMs: row.received_at_ms as number,
    reason: row.reason as string,
    detail: row.detail as string,
    payload: Buffer.isBuffer(row.payload) ? row.payload.toString('utf8') : (row.payload as string),
    payloadBytes: row.payload_bytes as number,
  };
}

export function toReading(row: Row): Reading {
  return { tsMs: row.ts_ms as number, value: row.value as number | null, text: row.text as string | null };
}
