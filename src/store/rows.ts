import type { DeadLetter, Reading } from '../core/domain/telemetry.ts';
import type { Device, DeviceType, DeviceWithChannels } from '../core/domain/device.ts';
import type { Gateway, GatewayWithSecret, GatewayStatus } from '../core/domain/gateway.ts';
import type { Role, User } from '../core/domain/person.ts';
import type { Branding, TenantStatus, Tenant } from '../core/domain/tenant.ts';
import { isLanguage } from '../core/messages.ts';

/**
 * Row → domain mappers shared by both adapters (same snake_case columns). Where the engines
 * differ in representation — JSON as text (SQLite) or jsonb (PostgreSQL), payload as text or
 * bytea — the mapper accepts both.
 */
export type Row = Record<string, unknown>;

/** JSON stored as text (both engines store directory JSON as text). */
export function jsonColumn<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

export function toTenant(row: Row): Tenant {
  return {
    id: row.id as string,
    slug: row.slug as string,
    name: row.name as string,
    status: row.status as TenantStatus,
    branding: { ...EMPTY_BRANDING, ...jsonColumn<Partial<Branding>>(row.branding) },
    signupOpen: Number(row.signup_open) === 1,
    createdAtMs: row.created_at_ms as number,
    suspendedAtMs: row.suspended_at_ms as number | null,
  };
}

const EMPTY_BRANDING: Branding = { displayName: null, logoUrl: null, primaryColor: null, accentColor: null };

export function toUser(row: Row): User {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string | null,
    email: row.email as string,
    name: row.name as string | null,
    role: row.role as Role,
    language: isLanguage(row.language) ? row.language : null,
    createdAtMs: row.created_at_ms as number,
    disabledAtMs: row.disabled_at_ms as number | null,
  };
}

export function toGateway(row: Row): Gateway {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string,
    name: row.name as string,
    homeId: row.home_id as string | null,
    registeredAtMs: row.registered_at_ms as number | null,
    unregisteredMessages: row.unregistered_messages as number,
    credentialsRotatedAtMs: row.credentials_rotated_at_ms as number | null,
    credentialsRevokedAtMs: row.credentials_revoked_at_ms as number | null,
    status: row.status as GatewayStatus,
    lastSeenAtMs: row.last_seen_at_ms as number | null,
    statusChangedAtMs: row.status_changed_at_ms as number | null,
    firmware: row.firmware as string | null,
    vendor: row.vendor as string | null,
    createdAtMs: row.created_at_ms as number,
  };
}

export function toGatewayWithSecret(row: Row): GatewayWithSecret {
  return {
    ...toGateway(row),
    tokenHash: row.token_hash as string,
    claimCodeHash: row.claim_code_hash as string | null,
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
