import type { AuditEntry } from '../../core/domain/audit.ts';
import type { Tariff } from '../../core/domain/tariff.ts';
import type { Invitation, User } from '../../core/domain/person.ts';
import type { Home, HomeMember, HomeRole, Room } from '../../core/domain/home.ts';
import type { ApiKey, Tenant } from '../../core/domain/tenant.ts';
import type { SessionTokens } from '../../services/accounts.ts';
import type { InvitationPreview, Inviter } from '../../services/invitations.ts';
import { iso, isoOrNull } from './time.ts';

/** Domain → API body mappers: epoch milliseconds become ISO times (raw ms kept where useful). */

/** How values are shown: as stored (°C, kWh, W) or, for temperatures, in °F (`units=imperial`). */
export type Units = 'metric' | 'imperial';

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
