import type { DeadLetter, Reading } from '../core/domain/telemetry.ts';
import type { Channel, Device, DeviceWithChannels } from '../core/domain/device.ts';
import type { Gateway } from '../core/domain/gateway.ts';
import type { AuditEntry } from '../core/domain/audit.ts';
import type { Tariff } from '../core/domain/tariff.ts';
import type { Invitation, User } from '../core/domain/person.ts';
import type { Home, HomeMember, HomeRole, Room } from '../core/domain/home.ts';
import type { ApiKey, Tenant } from '../core/domain/tenant.ts';
import type { SessionTokens } from '../services/accounts.ts';
import type { InvitationPreview, Inviter } from '../services/invitations.ts';
import type { DevicePresence } from '../services/presence.ts';
import { capabilityOf, toImperial } from '../core/capabilities.ts';
import { HestiaError } from '../core/errors.ts';

/** Domain → API body mappers: epoch milliseconds become ISO times (raw ms kept where useful). */

export const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export function presentGateway(gateway: Gateway) {
  return {
    id: gateway.id,
    tenantId: gateway.tenantId,
    name: gateway.name,
    homeId: gateway.homeId,
    registration: gateway.homeId ? ('registered' as const) : ('pending' as const),
    registeredAt: isoOrNull(gateway.registeredAtMs),
    unregisteredMessages: gateway.unregisteredMessages,
    credentialsRotatedAt: isoOrNull(gateway.credentialsRotatedAtMs),
    credentialsRevokedAt: isoOrNull(gateway.credentialsRevokedAtMs),
    status: gateway.status,
    lastSeenAt: isoOrNull(gateway.lastSeenAtMs),
    statusChangedAt: isoOrNull(gateway.statusChangedAtMs),
    firmware: gateway.firmware,
    vendor: gateway.vendor,
    createdAt: iso(gateway.createdAtMs),
  };
}

/** How values are shown: as stored (°C, kWh, W) or, for temperatures, in °F (`units=imperial`). */
export type Units = 'metric' | 'imperial';

/** A value in the caller's units; only temperatures differ. */
export function valueInUnits(
  value: number | null,
  unit: string | null,
  units: Units,
): { value: number | null; unit: string | null } {
  if (units === 'metric' || value === null) return { value, unit };
  return toImperial(value, unit);
}

export function presentChannel(channel: Channel, units: Units = 'metric') {
  return {
    ...channel,
    ...valueInUnits(channel.value, channel.unit, units),
    capability: capabilityOf(channel.label, channel.sensorType),
    ts: iso(channel.tsMs),
  };
}

export function presentDevice(device: Device | DeviceWithChannels, units: Units = 'metric') {
  return {
    id: device.id,
    tenantId: device.tenantId,
    gatewayId: device.gatewayId,
    type: device.type,
    protocol: device.protocol,
    name: device.name,
    nodeId: device.nodeId,
    networkId: device.networkId,
    attributes: device.attributes,
    settings: device.settings,
    roomId: device.roomId,
    createdAt: iso(device.createdAtMs),
    lastSeenAt: isoOrNull(device.lastSeenAtMs),
    removedAt: isoOrNull(device.removedAtMs),
    channels: 'channels' in device ? device.channels.map((channel) => presentChannel(channel, units)) : [],
  };
}

/**
 * A device view with its presence. The channels of a device that is not online are still
 * shown — its last known state — but marked `current: false`, so that an app does not show a
 * stale value as the present one.
 */
export function presentDeviceWithPresence(
  device: Device | DeviceWithChannels,
  presence: DevicePresence | undefined,
  units: Units = 'metric',
) {
  const view = presentDevice(device, units);
  if (!presence) return view;
  const current = presence.availability === 'online';
  return {
    ...view,
    availability: presence.availability,
    reportIntervalSeconds: presence.reportIntervalSeconds,
    ownReportInterval: presence.ownReportInterval,
    lastHeardAt: isoOrNull(presence.lastHeardAtMs),
    channels: view.channels.map((channel) => ({ ...channel, current })),
  };
}

export function presentReading(reading: Reading) {
  return { ts: iso(reading.tsMs), tsMs: reading.tsMs, value: reading.value, text: reading.text };
}

export function presentDeadLetter(letter: DeadLetter) {
  return {
    id: letter.id,
    gatewayId: letter.gatewayId,
    receivedAt: iso(letter.receivedAtMs),
    reason: letter.reason,
    detail: letter.detail,
    payload: letter.payload,
    payloadBytes: letter.payloadBytes,
  };
}

export function presentTenant(tenant: Tenant) {
  return {
    id: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    status: tenant.status,
    branding: tenant.branding,
    signupOpen: tenant.signupOpen,
    createdAt: iso(tenant.createdAtMs),
    suspendedAt: isoOrNull(tenant.suspendedAtMs),
  };
}

export function presentUser(user: User) {
  return {
    id: user.id,
    tenantId: user.tenantId,
    email: user.email,
    name: user.name,
    role: user.role,
    language: user.language,
    createdAt: iso(user.createdAtMs),
    disabledAt: isoOrNull(user.disabledAtMs),
  };
}

export function presentSession(tokens: SessionTokens) {
  return {
    accessToken: tokens.accessToken,
    expiresAt: iso(tokens.accessExpiresAtMs),
    refreshToken: tokens.refreshToken,
    refreshExpiresAt: iso(tokens.refreshExpiresAtMs),
    user: presentUser(tokens.user),
  };
}

export function presentHome(home: Home & { role?: HomeRole | null }) {
  return {
    id: home.id,
    tenantId: home.tenantId,
    name: home.name,
    timezone: home.timezone,
    latitude: home.latitude,
    longitude: home.longitude,
    role: home.role ?? null,
    tariffId: home.tariffId,
    createdAt: iso(home.createdAtMs),
  };
}

/** A tariff's terms for the people of a home: no tenant, no bookkeeping. */
export function presentHomeTariff(tariff: Tariff) {
  return {
    id: tariff.id,
    name: tariff.name,
    rawRetentionDays: tariff.rawRetentionDays,
    sensorRetentionDays: tariff.sensorRetentionDays,
    videoRetentionDays: tariff.videoRetentionDays,
    recordingModes: tariff.recordingModes,
    maxGatewaysPerHome: tariff.maxGatewaysPerHome,
    maxCamerasPerHome: tariff.maxCamerasPerHome,
  };
}

export function presentTariff(tariff: Tariff) {
  return {
    ...presentHomeTariff(tariff),
    tenantId: tariff.tenantId,
    isDefault: tariff.isDefault,
    createdAt: iso(tariff.createdAtMs),
    updatedAt: iso(tariff.updatedAtMs),
  };
}

export function presentHomeDetail(home: Home & { role?: HomeRole | null; tariff: Tariff | null }) {
  return { ...presentHome(home), tariff: home.tariff ? presentHomeTariff(home.tariff) : null };
}

export function presentRoom(room: Room) {
  return { id: room.id, homeId: room.homeId, name: room.name, createdAt: iso(room.createdAtMs) };
}

export function presentMember(member: HomeMember) {
  return {
    userId: member.userId,
    email: member.email,
    name: member.name,
    role: member.role,
    language: member.language,
    joinedAt: iso(member.joinedAtMs),
  };
}

/** An invitation with its inviter, looked up in `inviters` (InvitationService.invitersOf). */
export function presentInvitation(invitation: Invitation, inviters: ReadonlyMap<string, Inviter>) {
  return {
    id: invitation.id,
    homeId: invitation.homeId,
    email: invitation.email,
    role: invitation.role,
    invitedBy: (invitation.invitedBy === null ? undefined : inviters.get(invitation.invitedBy)) ?? null,
    language: invitation.language,
    createdAt: iso(invitation.createdAtMs),
    expiresAt: iso(invitation.expiresAtMs),
  };
}

export function presentInvitationPreview(preview: InvitationPreview) {
  return {
    email: preview.email,
    kind: preview.kind,
    tenantName: preview.tenantName,
    tenantSlug: preview.tenantSlug,
    homeName: preview.homeName,
    role: preview.role,
    invitedBy: preview.invitedBy,
    expiresAt: iso(preview.expiresAtMs),
    accountExists: preview.accountExists,
    language: preview.language,
  };
}

export function presentApiKey(key: ApiKey) {
  return {
    id: key.id,
    name: key.name,
    scopes: key.scopes,
    createdBy: key.createdBy,
    createdAt: iso(key.createdAtMs),
    lastUsedAt: isoOrNull(key.lastUsedAtMs),
    revokedAt: isoOrNull(key.revokedAtMs),
  };
}

export function presentAudit(entry: AuditEntry) {
  return {
    id: entry.id,
    tenantId: entry.tenantId,
    at: iso(entry.atMs),
    actorType: entry.actorType,
    actorId: entry.actorId,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    homeId: entry.homeId,
    ip: entry.ip,
    outcome: entry.outcome,
    detail: entry.detail,
  };
}

/** Parses a query time: ISO 8601 with a zone, or epoch milliseconds. */
export function parseTime(value: string | undefined, name: string, fallbackMs: number): number {
  if (value === undefined || value === '') return fallbackMs;
  if (/^\d{1,16}$/.test(value)) return Number(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || !/(Z|[+-]\d{2}:?\d{2})$/.test(value)) {
    throw new HestiaError(
      'HESTIA_VALIDATION_FAILED',
      `${name}: expected an ISO 8601 time with a zone (e.g. 2019-10-21T00:00:00Z) or epoch milliseconds`,
    );
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new HestiaError('HESTIA_VALIDATION_FAILED', `${name}: not a valid time`);
  return ms;
}

/**
 * One page of a keyset listing fetched with `limit + 1` rows: the extra row only tells that
 * there is a next page, whose cursor is the position of the page's last item.
 */
export function pageOf<T, U>(
  rows: T[],
  limit: number,
  positionOf: (row: T) => string | number,
  present: (row: T) => U,
): { items: U[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  return {
    items: items.map(present),
    nextCursor: rows.length > limit ? encodeCursor(positionOf(items[items.length - 1]!)) : null,
  };
}

/** Opaque pagination cursors (base64url of a position). */
export function encodeCursor(position: string | number): string {
  return Buffer.from(String(position)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (text.length === 0 || text.length > 200)
    throw new HestiaError('HESTIA_VALIDATION_FAILED', 'cursor: not a cursor from this API');
  return text;
}

export function decodeNumericCursor(cursor: string | undefined): number | undefined {
  const text = decodeCursor(cursor);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value))
    throw new HestiaError('HESTIA_VALIDATION_FAILED', 'cursor: not a cursor from this API');
  return value;
}
