import { randomUUID } from 'node:crypto';
import type { AppContext } from '../core/context.ts';
import type { Gateway } from '../core/domain/gateway.ts';
import type { Tariff } from '../core/domain/tariff.ts';
import type { Home } from '../core/domain/home.ts';
import { HestiaError } from '../core/errors.ts';
import type { CredentialCheck, GatewayAuthority, RegistrationMessage } from '../ingest/gateway-authority.ts';
import { GATEWAY_ID_PATTERN } from '../ingest/topics.ts';
import type { AuditService } from './audit.ts';
import type { Authorizer } from './authorization.ts';
import { claimCodeMatches, generateClaimCode, hashClaimCode, isValidClaimCode } from './claim-codes.ts';
import { formatCredentialsCsv, parseGatewayCsv } from './gateway-csv.ts';
import type { Principal, RequestOrigin } from './principal.ts';
import { ABSENT_TOKEN_HASH, hashToken, newToken, tokenMatches } from './secrets.ts';

const CLAIM_WINDOW_MS = 60 * 60 * 1000; // 1 hour

export interface GatewayDeps {
  authorize: Authorizer;
  audit: AuditService;
}

/**
 * Gateways from provisioning to removal: a provider provisions them (one by one or by CSV),
 * they may connect at once but stay pending; a home owner registers one with the claim code
 * printed on it; removing it from the home deletes its data and returns it to pending.
 * Credentials can be rotated or revoked, which ends the live MQTT session at once.
 */
export class GatewayService implements GatewayAuthority {
  /** Failed claim attempts per person in the current window. */
  private readonly claimAttempts = new Map<string, { windowStartMs: number; count: number }>();

  constructor(
    private readonly ctx: AppContext,
    private readonly deps: GatewayDeps,
  ) {}

  private get directory() {
    return this.ctx.store.directory;
  }

  /** Provisions one gateway. The token and claim code are returned once, here; only digests are kept. */
  async provision(
    principal: Principal | null,
    tenantId: string,
    input: { id?: string | undefined; name: string; claimCode?: string | undefined },
    origin: RequestOrigin,
  ): Promise<{ gateway: Gateway; token: string; claimCode: string }> {
    if (principal) this.deps.authorize.assertTenantAdmin(principal, tenantId, 'gateways:write', 'tenant');
    const id = input.id ?? randomUUID();
    if (!GATEWAY_ID_PATTERN.test(id)) {
      throw new HestiaError(
        'HESTIA_VALIDATION_FAILED',
        'id: 1 to 64 letters, digits and . _ : - (no MQTT wildcards or slashes)',
      );
    }
    const name = input.name.trim();
    if (name.length === 0 || name.length > 100)
      throw new HestiaError('HESTIA_VALIDATION_FAILED', 'name: 1 to 100 characters');
    if (input.claimCode !== undefined && !isValidClaimCode(input.claimCode))
      throw new HestiaError('HESTIA_VALIDATION_FAILED', 'claimCode: 8 to 32 letters and digits');
    if (!(await this.directory.tenants.findTenant(tenantId)))
      throw new HestiaError('HESTIA_NOT_FOUND', 'No such tenant');
    if (await this.ctx.store.directory.gateways.findGateway(id))
      throw new HestiaError('HESTIA_CONFLICT', `Gateway ${id} already exists`);
    const token = newToken('hgw');
    const claimCode = input.claimCode ?? generateClaimCode();
    const [gateway] = await this.directory.gateways.createGateways([
      {
        id,
        tenantId,
        name,
        tokenHash: hashToken(token),
        claimCodeHash: hashClaimCode(claimCode),
        createdAtMs: this.ctx.clock.now(),
      },
    ]);
    await this.deps.audit.record({
      tenantId,
      action: 'gateway.provisioned',
      actor: principal ?? { kind: 'system' },
      origin,
      target: { type: 'gateway', id },
    });
    return { gateway: gateway!, token, claimCode };
  }

  /**
   * Bulk provisioning from a CSV (serial, optional claim_code, optional name). Every row is
   * checked first, including ids that exist already; with any error nothing is imported and
   * every error is reported with its line. Returns the credentials file to hand to the factory.
   */
  async importCsv(
    principal: Principal | null,
    tenantId: string,
    csvText: string,
    origin: RequestOrigin,
  ): Promise<{ count: number; credentialsCsv: string }> {
    if (principal) this.deps.authorize.assertTenantAdmin(principal, tenantId, 'gateways:write', 'tenant');
    if (!(await this.directory.tenants.findTenant(tenantId)))
      throw new HestiaError('HESTIA_NOT_FOUND', 'No such tenant');
    const parsed = parseGatewayCsv(csvText);
    if (!parsed.ok) throw new HestiaError('HESTIA_CSV_INVALID', undefined, { rows: parsed.errors });
    const existing = await this.directory.gateways.existingGatewayIds(parsed.rows.map((row) => row.serial));
    const errors = parsed.rows
      .filter((row) => existing.has(row.serial))
      .map((row) => ({ line: row.line, column: 'serial', message: `gateway ${row.serial} already exists` }));
    if (errors.length > 0) throw new HestiaError('HESTIA_CSV_INVALID', undefined, { rows: errors });
    const now = this.ctx.clock.now();
    const issued = parsed.rows.map((row) => ({
      serial: row.serial,
      name: row.name ?? row.serial,
      token: newToken('hgw'),
      claimCode: row.claimCode ?? generateClaimCode(),
    }));
    await this.directory.gateways.createGateways(
      issued.map((row) => ({
        id: row.serial,
        tenantId,
        name: row.name,
        tokenHash: hashToken(row.token),
        claimCodeHash: hashClaimCode(row.claimCode),
        createdAtMs: now,
      })),
    );
    await this.deps.audit.record({
      tenantId,
      action: 'gateway.imported',
      actor: principal ?? { kind: 'system' },
      origin,
      detail: { count: issued.length },
    });
    return {
      count: issued.length,
      credentialsCsv: formatCredentialsCsv(issued.map((row) => ({ ...row, mqttUsername: row.serial }))),
    };
  }

  async listTenantGateways(
    principal: Principal,
    tenantId: string,
    page: { limit: number; after?: string | undefined },
  ) {
    this.deps.authorize.assertTenantAdmin(principal, tenantId, 'gateways:read', 'tenant');
    return this.ctx.store.directory.gateways.listGateways(tenantId, page);
  }

  async listHomeGateways(principal: Principal, homeId: string): Promise<Gateway[]> {
    await this.deps.authorize.home(principal, homeId, 'read');
    return this.directory.gateways.listHomeGateways(homeId);
  }

  /**
   * Registers a pending gateway of the caller's provider to a home (seed: the user registers
   * the controller, which then sends its configuration). Unknown serial, wrong code, another
   * provider's gateway or one registered already all answer the same, so nothing is learned.
   */
  async claim(
    principal: Principal,
    homeId: string,
    input: { gatewayId: string; claimCode: string },
    origin: RequestOrigin,
  ): Promise<Gateway> {
    const { home } = await this.deps.authorize.home(principal, homeId, 'manage');
    this.assertClaimAttemptsLeft(principal);
    // A full home is refused before the code is looked at, so the refusal says nothing about it.
    await this.assertTariffAllowsGateway(principal, home, input.gatewayId, origin);
    const gateway = await this.ctx.store.directory.gateways.findGateway(input.gatewayId);
    const matches = claimCodeMatches(input.claimCode, gateway?.claimCodeHash ?? ABSENT_TOKEN_HASH);
    const claimable = gateway && gateway.tenantId === home.tenantId && gateway.homeId === null && matches;
    const registration = claimable
      ? await this.directory.gateways.registerGatewayWithinTariff(gateway.id, homeId, this.ctx.clock.now())
      : undefined;
    if (registration?.outcome === 'limit') {
      // Another claim took the home's last place meanwhile.
      await this.refuseOverLimit(principal, home, input.gatewayId, registration, origin);
    }
    if (!claimable || registration?.outcome !== 'registered') {
      this.countFailedClaim(principal);
      await this.deps.audit.record({
        tenantId: home.tenantId,
        action: 'gateway.claim_failed',
        outcome: 'failure',
        actor: principal,
        origin,
        homeId,
        detail: { gatewayId: input.gatewayId.slice(0, 64) },
      });
      throw new HestiaError('HESTIA_CLAIM_FAILED');
    }
    await this.deps.audit.record({
      tenantId: home.tenantId,
      action: 'gateway.registered',
      actor: principal,
      origin,
      homeId,
      target: { type: 'gateway', id: gateway.id },
    });
    this.ctx.bus.emit('gateway.registration', { gatewayId: gateway.id, tenantId: gateway.tenantId, homeId });
    return (await this.ctx.store.directory.gateways.findGateway(gateway.id))!;
  }

  /** Refuses a claim into a home that has as many gateways as its tariff allows (HESTIA_TARIFF_LIMIT). */
  private async assertTariffAllowsGateway(
    principal: Principal,
    home: Home,
    gatewayId: string,
    origin: RequestOrigin,
  ): Promise<void> {
    const tariff = await this.directory.tariffs.tariffForHome(home.id);
    if (!tariff) return;
    const registered = await this.directory.gateways.countHomeGateways(home.id);
    if (registered >= tariff.maxGatewaysPerHome)
      await this.refuseOverLimit(principal, home, gatewayId, { tariff, registered }, origin);
  }

  private async refuseOverLimit(
    principal: Principal,
    home: Home,
    gatewayId: string,
    { tariff, registered }: { tariff: Tariff; registered: number },
    origin: RequestOrigin,
  ): Promise<never> {
    await this.deps.audit.record({
      tenantId: home.tenantId,
      action: 'gateway.claim_failed',
      outcome: 'failure',
      actor: principal,
      origin,
      homeId: home.id,
      detail: { gatewayId: gatewayId.slice(0, 64), reason: 'tariff_limit', tariffId: tariff.id },
    });
    throw new HestiaError(
      'HESTIA_TARIFF_LIMIT',
      `The home's tariff ${tariff.name} allows ${tariff.maxGatewaysPerHome} gateway(s) per home (maxGatewaysPerHome) ` +
        `and ${registered} are registered: remove one, or ask the service provider for another tariff`,
      {
        limit: 'maxGatewaysPerHome',
        allowed: tariff.maxGatewaysPerHome,
        registered,
        tariffId: tariff.id,
        tariffName: tariff.name,
      },
    );
  }

  private claimKey(principal: Principal): string {
    return principal.kind === 'user' ? principal.userId : principal.apiKeyId;
  }

  /**
   * Failed claims per person and hour are limited (claim codes are short: guessing must stay
   * slow); successful ones are not, so an installer can register a whole building.
   */
  private assertClaimAttemptsLeft(principal: Principal): void {
    const entry = this.claimAttempts.get(this.claimKey(principal));
    const now = this.ctx.clock.now();
    if (!entry || now - entry.windowStartMs >= CLAIM_WINDOW_MS) return;
    if (entry.count >= this.ctx.config.auth.claimAttemptsPerHour) {
      throw new HestiaError('HESTIA_RATE_LIMITED', 'Too many failed claim attempts: try again later', {
        retryAfterSeconds: Math.ceil((entry.windowStartMs + CLAIM_WINDOW_MS - now) / 1000),
      });
    }
  }

  private countFailedClaim(principal: Principal): void {
    const key = this.claimKey(principal);
    const now = this.ctx.clock.now();
    const entry = this.claimAttempts.get(key);
    if (!entry || now - entry.windowStartMs >= CLAIM_WINDOW_MS)
      this.claimAttempts.set(key, { windowStartMs: now, count: 1 });
    else entry.count += 1;
  }

  /**
   * Removes a gateway from its home: it returns to pending at once (its uplinks are no longer
   * stored), then its devices, state, history and previews are deleted. Because this deletes
   * data, the caller must repeat the gateway id as `confirm`; without it the answer says what
   * would be deleted.
   */
  async remove(
    principal: Principal,
    gatewayId: string,
    confirm: string | undefined,
    origin: RequestOrigin,
  ): Promise<{ devices: number; readings: number }> {
    const gateway = await this.deps.authorize.gateway(principal, gatewayId, 'manage');
    if (!gateway.homeId) throw new HestiaError('HESTIA_CONFLICT', 'The gateway is not registered to a home');
    if (confirm !== gateway.id) {
      const devices = await this.ctx.store.devices.countGatewayDevices(gateway.id);
      const readings = await this.ctx.store.telemetry.countReadings({ gatewayId: gateway.id });
      throw new HestiaError(
        'HESTIA_CONFIRMATION_REQUIRED',
        `Removing the gateway deletes ${devices} device(s) and ${readings} reading(s): repeat with confirm=${gateway.id}`,
        { devices, readings },
      );
    }
    const homeId = gateway.homeId;
    await this.directory.gateways.unregisterGateway(gateway.id);
    this.ctx.bus.emit('gateway.registration', {
      gatewayId: gateway.id,
      tenantId: gateway.tenantId,
      homeId: null,
    });
    const deleted = await this.ctx.store.telemetry.deleteGatewayData(gateway.id);
    this.ctx.bus.emit('gateway.data_deleted', { gatewayId: gateway.id });
    await this.deps.audit.record({
      tenantId: gateway.tenantId,
      action: 'gateway.removed',
      actor: principal,
      origin,
      homeId,
      target: { type: 'gateway', id: gateway.id },
    });
    await this.deps.audit.record({
      tenantId: gateway.tenantId,
      action: 'data.deleted',
      actor: principal,
      origin,
      homeId,
      target: { type: 'gateway', id: gateway.id },
      detail: deleted,
    });
    return deleted;
  }

  /** New MQTT credentials; the old token stops working and the live session is closed now. */
  async rotateCredentials(principal: Principal, gatewayId: string, origin: RequestOrigin): Promise<string> {
    const gateway = await this.deps.authorize.gateway(principal, gatewayId, 'manage');
    const token = newToken('hgw');
    await this.directory.gateways.setGatewayToken(gateway.id, hashToken(token), this.ctx.clock.now());
    this.ctx.bus.emit('gateway.credentials_changed', { gatewayId: gateway.id, reason: 'rotated' });
    await this.deps.audit.record({
      tenantId: gateway.tenantId,
      action: 'gateway.credentials_rotated',
      actor: principal,
      origin,
      homeId: gateway.homeId,
      target: { type: 'gateway', id: gateway.id },
    });
    return token;
  }

  /** Revokes the credentials (a stolen or retired device): no connection until they are rotated. */
  async revokeCredentials(principal: Principal, gatewayId: string, origin: RequestOrigin): Promise<void> {
    const gateway = await this.deps.authorize.gateway(principal, gatewayId, 'manage');
    await this.directory.gateways.revokeGatewayCredentials(gateway.id, this.ctx.clock.now());
    this.ctx.bus.emit('gateway.credentials_changed', { gatewayId: gateway.id, reason: 'revoked' });
    await this.deps.audit.record({
      tenantId: gateway.tenantId,
      action: 'gateway.credentials_revoked',
      actor: principal,
      origin,
      homeId: gateway.homeId,
      target: { type: 'gateway', id: gateway.id },
    });
  }

  /** The check the broker runs at every CONNECT. */
  async verifyCredentials(gatewayId: string, token: string): Promise<CredentialCheck> {
    const gateway = await this.ctx.store.directory.gateways.findGateway(gatewayId);
    const matches = tokenMatches(token, gateway?.tokenHash ?? ABSENT_TOKEN_HASH);
    if (!gateway) return { ok: false, reason: 'unknown_gateway' };
    if (!matches) return { ok: false, reason: 'bad_token' };
    if (gateway.credentialsRevokedAtMs !== null) return { ok: false, reason: 'revoked' };
    const tenant = await this.directory.tenants.findTenant(gateway.tenantId);
    if (tenant?.status !== 'active') return { ok: false, reason: 'tenant_suspended' };
    return {
      ok: true,
      gateway: { id: gateway.id, tenantId: gateway.tenantId, homeId: gateway.homeId },
      tokenHash: gateway.tokenHash,
    };
  }

  /** What the gateway is told on `down` when it subscribes and whenever its registration changes. */
  async registrationMessage(gatewayId: string): Promise<RegistrationMessage> {
    const gateway = await this.ctx.store.directory.gateways.findGateway(gatewayId);
    const home = gateway?.homeId ? await this.directory.homes.findHome(gateway.homeId) : undefined;
    return home
      ? { messageType: 'registration', gatewayId, status: 'accepted', homeId: home.id, homeName: home.name }
      : { messageType: 'registration', gatewayId, status: 'pending' };
  }
}
