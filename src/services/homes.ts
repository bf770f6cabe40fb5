import { randomUUID } from 'node:crypto';
import { IANAZone } from 'luxon';
import type { AppContext } from '../core/context.ts';
import type { DeviceWithChannels } from '../core/domain/device.ts';
import type { Invitation } from '../core/domain/person.ts';
import type { Home, HomeMember, HomeRole, Room } from '../core/domain/home.ts';
import { HestiaError } from '../core/errors.ts';
import type { Language } from '../core/messages.ts';
import type { AuditService } from './audit.ts';
import type { Authorizer } from './authorization.ts';
import type { InvitationService } from './invitations.ts';
import type { Principal, RequestOrigin } from './principal.ts';

export interface HomeInput {
  name?: string | undefined;
  timezone?: string | undefined;
  latitude?: number | null | undefined;
  longitude?: number | null | undefined;
}

function validateHome(input: HomeInput): void {
  if (input.name !== undefined && (input.name.trim().length === 0 || input.name.length > 100))
    throw new HestiaError('HESTIA_VALIDATION_FAILED', 'name: 1 to 100 characters');
  if (input.timezone !== undefined && !IANAZone.isValidZone(input.timezone))
    throw new HestiaError('HESTIA_VALIDATION_FAILED', `timezone: ${input.timezone} is not an IANA time zone`);
  if (input.latitude != null && !(input.latitude >= -90 && input.latitude <= 90))
    throw new HestiaError('HESTIA_VALIDATION_FAILED', 'latitude: -90 to 90');
  if (input.longitude != null && !(input.longitude >= -180 && input.longitude <= 180))
    throw new HestiaError('HESTIA_VALIDATION_FAILED', 'longitude: -180 to 180');
  if (
    (input.latitude == null) !== (input.longitude == null) &&
    (input.latitude !== undefined || input.longitude !== undefined)
  )
    throw new HestiaError('HESTIA_VALIDATION_FAILED', 'latitude and longitude: give both or neither');
}

function validateName(name: string, what: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 100)
    throw new HestiaError('HESTIA_VALIDATION_FAILED', `${what}: 1 to 100 characters`);
  return trimmed;
}

export interface HomeDeps {
  authorize: Authorizer;
  invitations: InvitationService;
  audit: AuditService;
}

/**
 * Homes and the people in them. A person who creates a home owns it; owners invite members
 * and guests, change their roles, remove them and may hand the home to a member. Every method
 * goes through the authorizer first.
 */
export class HomeService {
  constructor(
    private readonly ctx: AppContext,
    private readonly deps: HomeDeps,
  ) {}

  private get directory() {
    return this.ctx.store.directory;
  }

  /** Homes are created by people of a tenant, who become their owner. */
  async createHome(
    principal: Principal,
    input: HomeInput & { name: string; timezone: string },
    origin: RequestOrigin,
  ) {
    if (principal.kind !== 'user' || !principal.tenantId)
      throw new HestiaError('HESTIA_FORBIDDEN', 'Homes are created by the people of a service provider');
    validateHome(input);
    const home: Home = {
      id: randomUUID(),
      tenantId: principal.tenantId,
      name: input.name.trim(),
      timezone: input.timezone,
      latitude: input.latitude ?? null,
      longitude: input.longitude ?? null,
      tariffId: null,
      createdAtMs: this.ctx.clock.now(),
    };
    await this.directory.homes.createHome(home, principal.userId);
    await this.deps.audit.record({
      tenantId: home.tenantId,
      action: 'home.created',
      actor: principal,
      origin,
      homeId: home.id,
      target: { type: 'home', id: home.id },
    });
    return { ...home, role: 'owner' as HomeRole };
  }

  /** A person's homes with their role; a tenant's staff see every home of the tenant. */
  async listHomes(
    principal: Principal,
    page: { limit: number; after?: string | undefined },
    tenantId?: string,
  ) {
    if (principal.kind === 'user' && principal.role === 'user')
      return this.directory.homes.listUserHomes(principal.userId);
    const scoped = this.deps.authorize.tenantOf(principal, tenantId);
    this.deps.authorize.assertTenantAdmin(principal, scoped, 'homes:read', 'tenant');
    return (await this.directory.homes.listTenantHomes(scoped, page)).map((home) => ({
      ...home,
      role: null,
    }));
  }

  /** One home with the caller's role in it and the tariff in force (its own, or its tenant's default). */
  async getHome(principal: Principal, homeId: string) {
    const access = await this.deps.authorize.home(principal, homeId, 'read');
    const tariff = (await this.directory.tariffs.tariffForHome(homeId)) ?? null;
    return { ...access.home, role: access.via === 'member' ? access.role : null, tariff };
  }

  async updateHome(principal: Principal, homeId: string, patch: HomeInput): Promise<Home> {
    await this.deps.authorize.home(principal, homeId, 'manage');
    validateHome(patch);
    return (await this.directory.homes.updateHome(homeId, { ...patch, name: patch.name?.trim() }))!;
  }

  /** Deleting a home needs its gateways removed first (which deletes their data, with confirmation). */
  async deleteHome(principal: Principal, homeId: string, origin: RequestOrigin): Promise<void> {
    const { home } = await this.deps.authorize.home(principal, homeId, 'manage');
    const gateways = await this.directory.gateways.countHomeGateways(homeId);
    if (gateways > 0)
      throw new HestiaError(
        'HESTIA_CONFLICT',
        `The home still has ${gateways} gateway(s): remove them first`,
      );
    await this.directory.homes.deleteHome(homeId);
    await this.deps.audit.record({
      tenantId: home.tenantId,
      action: 'home.deleted',
      actor: principal,
      origin,
      homeId,
      target: { type: 'home', id: homeId },
    });
  }

  /** Devices of every gateway registered to the home, with their current state. */
  async listDevices(principal: Principal, homeId: string): Promise<DeviceWithChannels[]> {
    await this.deps.authorize.home(principal, homeId, 'read');
    const devices: DeviceWithChannels[] = [];
    for (const gateway of await this.directory.gateways.listHomeGateways(homeId)) {
      devices.push(...(await this.ctx.store.devices.listGatewayDevices(gateway.id)));
    }
    return devices;
  }

  /** Names a device or puts it in a room (members and owners). */
  async updateDevice(
    principal: Principal,
    deviceId: string,
    patch: { name?: string | undefined; roomId?: string | null | undefined },
  ) {
    await this.deps.authorize.device(principal, deviceId, 'control');
    const device = (await this.ctx.store.devices.findDevice(deviceId))!;
    const gateway = (await this.ctx.store.directory.gateways.findGateway(device.gatewayId))!;
    if (
      patch.roomId &&
      (!gateway.homeId || !(await this.directory.homes.findRoom(gateway.homeId, patch.roomId)))
    )
      throw new HestiaError('HESTIA_VALIDATION_FAILED', 'roomId: no such room in this home');
    await this.ctx.store.devices.updateDevice(deviceId, {
      name: patch.name === undefined ? undefined : validateName(patch.name, 'name'),
      roomId: patch.roomId,
    });
    return this.ctx.store.devices.findDeviceWithChannels(deviceId);
  }

  // ---- rooms ----

  async listRooms(principal: Principal, homeId: string): Promise<Room[]> {
    await this.deps.authorize.home(principal, homeId, 'read');
    return this.directory.homes.listRooms(homeId);
  }

  async createRoom(principal: Principal, homeId: string, name: string): Promise<Room> {
    const { home } = await this.deps.authorize.home(principal, homeId, 'manage');
    return this.directory.homes.createRoom({
      id: randomUUID(),
      tenantId: home.tenantId,
      homeId,
      name: validateName(name, 'name'),
      createdAtMs: this.ctx.clock.now(),
    });
  }

  async renameRoom(principal: Principal, homeId: string, roomId: string, name: string): Promise<Room> {
    await this.deps.authorize.home(principal, homeId, 'manage');
    if (!(await this.directory.homes.renameRoom(homeId, roomId, validateName(name, 'name'))))
      throw new HestiaError('HESTIA_NOT_FOUND', 'No such room');
    return (await this.directory.homes.findRoom(homeId, roomId))!;
  }

  async deleteRoom(principal: Principal, homeId: string, roomId: string): Promise<void> {
    await this.deps.authorize.home(principal, homeId, 'manage');
    if (!(await this.directory.homes.deleteRoom(homeId, roomId)))
      throw new HestiaError('HESTIA_NOT_FOUND', 'No such room');
  }

  // ---- members ----

  async listMembers(principal: Principal, homeId: string): Promise<HomeMember[]> {
    await this.deps.authorize.home(principal, homeId, 'read');
    return this.directory.homes.listMembers(homeId);
  }

  async inviteMember(
    principal: Principal,
    homeId: string,
    input: { email: string; role: HomeRole; language?: Language | null | undefined },
    origin: RequestOrigin,
  ): Promise<Invitation> {
    const { home } = await this.deps.authorize.home(principal, homeId, 'manage');
    return this.deps.invitations.inviteToHome(principal, home, input, origin);
  }

  async listInvitations(principal: Principal, homeId: string): Promise<Invitation[]> {
    const { home } = await this.deps.authorize.home(principal, homeId, 'manage');
    return this.deps.invitations.listOpen(home.tenantId, homeId);
  }

  async revokeInvitation(principal: Principal, homeId: string, invitationId: string): Promise<void> {
    const { home } = await this.deps.authorize.home(principal, homeId, 'manage');
    await this.deps.invitations.revoke(home.tenantId, homeId, invitationId);
  }

  /** Owners change members' and guests' roles; the owner role moves only by transfer. */
  async setMemberRole(
    principal: Principal,
    homeId: string,
    userId: string,
    role: HomeRole,
    origin: RequestOrigin,
  ): Promise<void> {
    const { home } = await this.deps.authorize.home(principal, homeId, 'manage');
    const current = await this.directory.homes.findMemberRole(homeId, userId);
    if (!current) throw new HestiaError('HESTIA_NOT_FOUND', 'No such member');
    if (role === 'owner' || current === 'owner')
      throw new HestiaError('HESTIA_CONFLICT', 'Ownership changes hands only by transfer');
    await this.directory.homes.setMemberRole(homeId, userId, role);
    await this.deps.audit.record({
      tenantId: home.tenantId,
      action: 'home.member_role_changed',
      actor: principal,
      origin,
      homeId,
      target: { type: 'user', id: userId },
      detail: { from: current, to: role },
    });
  }

  /** Owners remove members; anyone may leave a home, except its owner (who transfers it first). */
  async removeMember(
    principal: Principal,
    homeId: string,
    userId: string,
    origin: RequestOrigin,
  ): Promise<void> {
    const leaving = principal.kind === 'user' && principal.userId === userId;
    const { home } = await this.deps.authorize.home(principal, homeId, leaving ? 'read' : 'manage');
    const current = await this.directory.homes.findMemberRole(homeId, userId);
    if (!current) throw new HestiaError('HESTIA_NOT_FOUND', 'No such member');
    if (current === 'owner')
      throw new HestiaError('HESTIA_CONFLICT', 'The owner cannot leave: transfer the home to a member first');
    await this.directory.homes.removeMember(homeId, userId);
    await this.deps.audit.record({
      tenantId: home.tenantId,
      action: 'home.member_removed',
      actor: principal,
      origin,
      homeId,
      target: { type: 'user', id: userId },
      detail: { role: current, left: leaving },
    });
  }

  async transferOwnership(
    principal: Principal,
    homeId: string,
    toUserId: string,
    origin: RequestOrigin,
  ): Promise<void> {
    const access = await this.deps.authorize.home(principal, homeId, 'manage');
    const owner =
      access.via === 'member' && principal.kind === 'user'
        ? principal.userId
        : (await this.directory.homes.listMembers(homeId)).find((m) => m.role === 'owner')?.userId;
    if (!owner) throw new HestiaError('HESTIA_CONFLICT', 'The home has no owner');
    const target = await this.directory.homes.findMemberRole(homeId, toUserId);
    if (!target || target === 'owner')
      throw new HestiaError(
        'HESTIA_VALIDATION_FAILED',
        'userId: the new owner must be a member or guest of the home',
      );
    if (!(await this.directory.homes.transferOwnership(homeId, owner, toUserId)))
      throw new HestiaError('HESTIA_CONFLICT', 'The ownership changed meanwhile');
    await this.deps.audit.record({
      tenantId: access.home.tenantId,
      action: 'home.ownership_transferred',
      actor: principal,
      origin,
      homeId,
      target: { type: 'user', id: toUserId },
      detail: { from: owner },
    });
  }
}
