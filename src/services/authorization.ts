import type { AppContext } from '../core/context.ts';
import type { Device } from '../core/domain/device.ts';
import type { GatewayWithSecret } from '../core/domain/gateway.ts';
import type { Home, HomeRole } from '../core/domain/home.ts';
import type { ApiKeyScope } from '../core/domain/tenant.ts';
import { HestiaError } from '../core/errors.ts';
import type { Principal } from './principal.ts';

/**
 * What a caller wants to do with a home and what it holds: `read` (guest and up), `control`
 * (devices: member and up) and `manage` (members, gateways, settings: owner).
 */
export type HomeAction = 'read' | 'control' | 'manage';

const HOME_RIGHTS: Record<HomeRole, readonly HomeAction[]> = {
  owner: ['read', 'control', 'manage'],
  member: ['read', 'control'],
  guest: ['read'],
};

/** What an API key may do in the homes of its tenant, by scope. */
const API_KEY_HOME_SCOPES: Record<HomeAction, ApiKeyScope | null> = {
  read: 'homes:read',
  control: null,
  manage: null,
};

/** How the caller relates to a home: as a member with a role, or as its provider's staff. */
export type HomeAccess = { home: Home; via: 'member'; role: HomeRole } | { home: Home; via: 'tenant' };

/**
 * The one place that decides who may touch what. Rules:
 * - an object of another tenant, or a home the caller is not a member of, is "not found"
 *   (404), so ids cannot be probed;
 * - a caller who can see an object but not do the action gets 403;
 * - platform admins may do everything; tenant admins everything within their tenant; API keys
 *   what their scopes name within their tenant; people what their home role allows.
 */
export class Authorizer {
  constructor(private readonly ctx: AppContext) {}

  /** The caller may see objects of this tenant, else 404. */
  assertTenant(principal: Principal, tenantId: string, what: string): void {
    if (principal.kind === 'user' && principal.role === 'platform_admin') return;
    if (principal.tenantId !== tenantId) throw notFound(what);
  }

  /** Tenant-wide administration (users, gateways, keys, audit): tenant admins, or a key with `scope`. */
  assertTenantAdmin(principal: Principal, tenantId: string, scope: ApiKeyScope, what: string): void {
    this.assertTenant(principal, tenantId, what);
    if (principal.kind === 'api_key') {
      if (!principal.scopes.includes(scope))
        throw new HestiaError('HESTIA_FORBIDDEN', `This API key lacks the scope ${scope}`);
      return;
    }
    if (principal.role === 'user') throw new HestiaError('HESTIA_FORBIDDEN');
  }

  /** The tenant a tenant-scoped request acts in (platform admins name it explicitly). */
  tenantOf(principal: Principal, explicitTenantId?: string): string {
    if (principal.kind === 'user' && principal.role === 'platform_admin') {
      if (!explicitTenantId)
        throw new HestiaError('HESTIA_VALIDATION_FAILED', 'tenantId: required for platform administrators');
      return explicitTenantId;
    }
    // Anyone else acts in their own tenant; naming another is refused, never silently ignored.
    if (explicitTenantId !== undefined && explicitTenantId !== principal.tenantId)
      throw new HestiaError(
        'HESTIA_VALIDATION_FAILED',
        'tenantId: only platform administrators name a tenant',
      );
    return principal.tenantId!;
  }

  isTenantStaff(principal: Principal, tenantId: string): boolean {
    if (principal.kind === 'api_key') return principal.tenantId === tenantId;
    return (
      principal.role === 'platform_admin' ||
      (principal.role === 'tenant_admin' && principal.tenantId === tenantId)
    );
  }

  async home(principal: Principal, homeId: string, action: HomeAction): Promise<HomeAccess> {
    const home = await this.ctx.store.directory.homes.findHome(homeId);
    if (!home) throw notFound('home');
    this.assertTenant(principal, home.tenantId, 'home');
    if (principal.kind === 'api_key') {
      const scope = API_KEY_HOME_SCOPES[action];
      if (!scope || !principal.scopes.includes(scope))
        throw new HestiaError('HESTIA_FORBIDDEN', `This API key may not ${action} homes`);
      return { home, via: 'tenant' };
    }
    if (principal.role !== 'user') return { home, via: 'tenant' };
    const role = await this.ctx.store.directory.homes.findMemberRole(homeId, principal.userId);
    if (!role) throw notFound('home');
    if (!HOME_RIGHTS[role].includes(action))
      throw new HestiaError('HESTIA_FORBIDDEN', `A home ${role} may not ${action} this home`);
    return { home, via: 'member', role };
  }

  /**
   * What only a home's service provider does to it (its tariff: billing is the provider's
   * business): the home's own people see the home and get 403, anyone else is answered as by
   * `home` (404 for a home one cannot see); tenant admins, or an API key with `scope`, may.
   */
  async homeForProvider(principal: Principal, homeId: string, scope: ApiKeyScope): Promise<Home> {
    if (principal.kind === 'user' && principal.role === 'user') {
      const access = await this.home(principal, homeId, 'read');
      const role = access.via === 'member' ? access.role : 'member';
      throw new HestiaError(
        'HESTIA_FORBIDDEN',
        `This is for the home's service provider, not for a home ${role}`,
      );
    }
    const home = await this.ctx.store.directory.homes.findHome(homeId);
    if (!home) throw notFound('home');
    this.assertTenantAdmin(principal, home.tenantId, scope, 'home');
    return home;
  }

  /**
   * A gateway: through its home when registered; a pending gateway belongs to its provider's
   * staff only (people reach it by claiming it).
   */
  async gateway(principal: Principal, gatewayId: string, action: HomeAction): Promise<GatewayWithSecret> {
    const gateway = await this.ctx.store.directory.gateways.findGateway(gatewayId);
    if (!gateway) throw notFound('gateway');
    this.assertTenant(principal, gateway.tenantId, 'gateway');
    if (principal.kind === 'api_key') {
      const scope = action === 'read' ? 'gateways:read' : 'gateways:write';
      if (!principal.scopes.includes(scope))
        throw new HestiaError('HESTIA_FORBIDDEN', `This API key lacks the scope ${scope}`);
      return gateway;
    }
    if (principal.role !== 'user') return gateway;
    if (!gateway.homeId) throw notFound('gateway');
    await this.home(principal, gateway.homeId, action);
    return gateway;
  }

  /** See `assertMayWatch`. */
  watchCamera(principal: Principal, deviceId: string): Promise<Device> {
    return assertMayWatch(this, principal, deviceId);
  }

  async device(principal: Principal, deviceId: string, action: HomeAction): Promise<Device> {
    const device = await this.ctx.store.devices.findDevice(deviceId);
    if (!device) throw notFound('device');
    this.assertTenant(principal, device.tenantId, 'device');
    if (principal.kind === 'api_key') {
      const scope = action === 'read' ? 'telemetry:read' : 'gateways:write';
      if (!principal.scopes.includes(scope))
        throw new HestiaError('HESTIA_FORBIDDEN', `This API key lacks the scope ${scope}`);
      return device;
    }
    if (principal.role !== 'user') return device;
    await this.gateway(principal, device.gatewayId, action);
    return device;
  }
}

/**
 * Watching a camera's video, live or recorded: the home's owners and members only. Guests see
 * that a camera records, not what it sees; the provider's staff and API keys run the service
 * and do not watch homes.
 */
export async function assertMayWatch(
  authorize: Authorizer,
  principal: Principal,
  deviceId: string,
): Promise<Device> {
  const device = await authorize.device(principal, deviceId, 'read');
  if (device.type !== 'camera') throw new HestiaError('HESTIA_NOT_A_CAMERA');
  if (principal.kind === 'api_key' || principal.role !== 'user')
    throw new HestiaError('HESTIA_FORBIDDEN', "Only the home's owners and members watch its cameras");
  const gateway = await authorize.gateway(principal, device.gatewayId, 'read');
  const access = await authorize.home(principal, gateway.homeId!, 'read');
  if (access.via === 'member' && access.role === 'guest')
    throw new HestiaError('HESTIA_FORBIDDEN', 'A home guest may not watch its cameras');
  return device;
}

function notFound(what: string): HestiaError {
  return new HestiaError('HESTIA_NOT_FOUND', `No such ${what}`);
}
