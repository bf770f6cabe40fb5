import { randomUUID } from 'node:crypto';
import type { AppContext } from '../core/context.ts';
import {
  RECORDING_MODES,
  type Tariff,
  type TariffPatch,
  MIN_RAW_RETENTION_DAYS,
} from '../core/domain/tariff.ts';
import type { Home } from '../core/domain/home.ts';
import { HestiaError, isHestiaError } from '../core/errors.ts';
import type { AuditService } from './audit.ts';
import type { Authorizer } from './authorization.ts';
import type { Principal, RequestOrigin } from './principal.ts';

/** The longest retention a tariff may name: 100 years, beyond any contract. */
export const MAX_RETENTION_DAYS = 36_500;
/** The most gateways or cameras per home a tariff may allow. */
export const MAX_DEVICES_PER_HOME = 10_000;

/** Everything a tariff says; the name is unique within its tenant. */
export type TariffInput = Required<TariffPatch>;

const RETENTION_FIELDS = ['rawRetentionDays', 'sensorRetentionDays', 'videoRetentionDays'] as const;

function invalid(message: string): HestiaError {
  return new HestiaError('HESTIA_VALIDATION_FAILED', message);
}

function assertWhole(value: number, field: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw invalid(`${field}: a whole number from ${min} to ${max}`);
}

/**
 * A tariff's rules, checked on the whole tariff (a patch merged onto the current one): raw
 * history covers at least what the home panel shows, rollups outlive the raw readings they
 * summarize, modes come from the known set.
 */
export function validateTariff(tariff: TariffInput): TariffInput {
  const name = tariff.name.trim();
  if (name.length === 0 || name.length > 100) throw invalid('name: 1 to 100 characters');
  assertWhole(tariff.rawRetentionDays, 'rawRetentionDays', MIN_RAW_RETENTION_DAYS, MAX_RETENTION_DAYS);
  assertWhole(tariff.sensorRetentionDays, 'sensorRetentionDays', 1, MAX_RETENTION_DAYS);
  if (tariff.sensorRetentionDays < tariff.rawRetentionDays)
    throw invalid(
      `sensorRetentionDays: at least rawRetentionDays (${tariff.rawRetentionDays}); rollups are kept as long as the raw readings or longer`,
    );
  assertWhole(tariff.videoRetentionDays, 'videoRetentionDays', 1, MAX_RETENTION_DAYS);
  const unknown = tariff.recordingModes.filter((mode) => !RECORDING_MODES.includes(mode));
  if (tariff.recordingModes.length === 0 || unknown.length > 0)
    throw invalid(`recordingModes: one or more of ${RECORDING_MODES.join(', ')}`);
  assertWhole(tariff.maxGatewaysPerHome, 'maxGatewaysPerHome', 1, MAX_DEVICES_PER_HOME);
  assertWhole(tariff.maxCamerasPerHome, 'maxCamerasPerHome', 1, MAX_DEVICES_PER_HOME);
  return {
    name,
    sensorRetentionDays: tariff.sensorRetentionDays,
    videoRetentionDays: tariff.videoRetentionDays,
    rawRetentionDays: tariff.rawRetentionDays,
    // In the order of RECORDING_MODES, each once.
    recordingModes: RECORDING_MODES.filter((mode) => tariff.recordingModes.includes(mode)),
    maxGatewaysPerHome: tariff.maxGatewaysPerHome,
    maxCamerasPerHome: tariff.maxCamerasPerHome,
  };
}

/** The tariff's terms with the patch's defined fields over them. */
function mergeTariff(current: Tariff, patch: TariffPatch): TariffInput {
  return {
    name: patch.name ?? current.name,
    sensorRetentionDays: patch.sensorRetentionDays ?? current.sensorRetentionDays,
    videoRetentionDays: patch.videoRetentionDays ?? current.videoRetentionDays,
    rawRetentionDays: patch.rawRetentionDays ?? current.rawRetentionDays,
    recordingModes: patch.recordingModes ?? current.recordingModes,
    maxGatewaysPerHome: patch.maxGatewaysPerHome ?? current.maxGatewaysPerHome,
    maxCamerasPerHome: patch.maxCamerasPerHome ?? current.maxCamerasPerHome,
  };
}

export interface TariffDeps {
  authorize: Authorizer;
  audit: AuditService;
}

/**
 * Tariffs: what a service provider sells a home — how long its raw readings, rollups and video
 * are kept, which recording modes its cameras may use, how many gateways and cameras it may
 * have. A tenant's admins manage them; exactly one is the tenant's default, which every home
 * without a tariff of its own follows. Changes that move retention horizons announce
 * `retention.policy_changed`, so that data already stored follows them.
 */
export class TariffService {
  constructor(
    private readonly ctx: AppContext,
    private readonly deps: TariffDeps,
  ) {}

  private get directory() {
    return this.ctx.store.directory;
  }

  async list(principal: Principal, tenantId: string): Promise<Tariff[]> {
    this.deps.authorize.assertTenantAdmin(principal, tenantId, 'tariffs:read', 'tenant');
    return this.directory.tariffs.listTariffs(tenantId);
  }

  async get(principal: Principal, tariffId: string): Promise<Tariff> {
    return this.visibleTariff(principal, tariffId, 'tariffs:read');
  }

  async create(
    principal: Principal | null,
    tenantId: string,
    input: TariffInput,
    origin: RequestOrigin,
  ): Promise<Tariff> {
    if (principal) this.deps.authorize.assertTenantAdmin(principal, tenantId, 'tariffs:write', 'tenant');
    const valid = validateTariff(input);
    if (!(await this.directory.tenants.findTenant(tenantId)))
      throw new HestiaError('HESTIA_NOT_FOUND', 'No such tenant');
    const tariff = await this.named(valid.name, () =>
      this.directory.tariffs.createTariff({
        ...valid,
        id: randomUUID(),
        tenantId,
        createdAtMs: this.ctx.clock.now(),
      }),
    );
    await this.deps.audit.record({
      tenantId,
      action: 'tariff.created',
      actor: principal ?? { kind: 'system' },
      origin,
      target: { type: 'tariff', id: tariff.id },
      detail: { name: tariff.name },
    });
    return tariff;
  }

  /** Changes some of a tariff's terms; the merged tariff must be valid as a whole. */
  async update(
    principal: Principal,
    tariffId: string,
    patch: TariffPatch,
    origin: RequestOrigin,
  ): Promise<Tariff> {
    const current = await this.visibleTariff(principal, tariffId, 'tariffs:write');
    const valid = validateTariff(mergeTariff(current, patch));
    const changed = (Object.keys(valid) as Array<keyof TariffInput>).filter(
      (field) => JSON.stringify(valid[field]) !== JSON.stringify(current[field]),
    );
    if (changed.length === 0) return current;
    const updated = (await this.named(valid.name, () =>
      this.directory.tariffs.updateTariff(tariffId, valid, this.ctx.clock.now()),
    ))!;
    await this.deps.audit.record({
      tenantId: current.tenantId,
      action: 'tariff.updated',
      actor: principal,
      origin,
      target: { type: 'tariff', id: tariffId },
      detail: {
        fields: changed,
        from: Object.fromEntries(changed.map((field) => [field, current[field]])),
        to: Object.fromEntries(changed.map((field) => [field, valid[field]])),
      },
    });
    if (RETENTION_FIELDS.some((field) => changed.includes(field)))
      this.ctx.bus.emit('retention.policy_changed', { tenantId: current.tenantId });
    return updated;
  }

  /** A tariff no home has and that is not the default can go; otherwise 409 saying why. */
  async delete(principal: Principal, tariffId: string, origin: RequestOrigin): Promise<void> {
    const tariff = await this.visibleTariff(principal, tariffId, 'tariffs:write');
    if (tariff.isDefault)
      throw new HestiaError(
        'HESTIA_CONFLICT',
        `Tariff ${tariff.name} is the default of its tenant: make another tariff the default first`,
      );
    const homes = await this.directory.tariffs.countTariffHomes(tariffId);
    if (homes > 0)
      throw new HestiaError(
        'HESTIA_CONFLICT',
        `Tariff ${tariff.name} is in use by ${homes} home(s): move them to another tariff first`,
      );
    if (!(await this.directory.tariffs.deleteTariff(tariffId)))
      throw new HestiaError('HESTIA_CONFLICT', `Tariff ${tariff.name} changed meanwhile: try again`);
    await this.deps.audit.record({
      tenantId: tariff.tenantId,
      action: 'tariff.deleted',
      actor: principal,
      origin,
      target: { type: 'tariff', id: tariffId },
      detail: { name: tariff.name },
    });
  }

  /** Makes the tariff its tenant's default: every home without a tariff of its own follows it. */
  async setDefault(principal: Principal, tariffId: string, origin: RequestOrigin): Promise<Tariff> {
    const tariff = await this.visibleTariff(principal, tariffId, 'tariffs:write');
    if (tariff.isDefault) return tariff;
    const previous = (await this.directory.tariffs.listTariffs(tariff.tenantId)).find((t) => t.isDefault);
    if (!(await this.directory.tariffs.setDefaultTariff(tariff.tenantId, tariffId, this.ctx.clock.now())))
      throw new HestiaError('HESTIA_NOT_FOUND', 'No such tariff');
    await this.deps.audit.record({
      tenantId: tariff.tenantId,
      action: 'tariff.updated',
      actor: principal,
      origin,
      target: { type: 'tariff', id: tariffId },
      detail: { fields: ['isDefault'], previousDefault: previous?.id ?? null },
    });
    this.ctx.bus.emit('retention.policy_changed', { tenantId: tariff.tenantId });
    return (await this.directory.tariffs.findTariff(tariffId))!;
  }

  /**
   * Sets the tariff of a home (null: the tenant's default). The provider's decision: tenant
   * admins or an API key with tariffs:write; the home's own people get 403. No principal: the
   * operator (CLI).
   */
  async setHomeTariff(
    principal: Principal | null,
    homeId: string,
    tariffId: string | null,
    origin: RequestOrigin,
  ): Promise<{ home: Home; tariff: Tariff }> {
    const home = principal
      ? await this.deps.authorize.homeForProvider(principal, homeId, 'tariffs:write')
      : await this.directory.homes.findHome(homeId);
    if (!home) throw new HestiaError('HESTIA_NOT_FOUND', 'No such home');
    if (tariffId !== null) {
      const tariff = await this.directory.tariffs.findTariff(tariffId);
      // Another tenant's tariff is as absent as an unknown one.
      if (!tariff || tariff.tenantId !== home.tenantId)
        throw new HestiaError('HESTIA_NOT_FOUND', 'No such tariff');
    }
    if (home.tariffId !== tariffId) {
      const before = await this.directory.tariffs.tariffForHome(homeId);
      await this.directory.tariffs.setHomeTariff(homeId, tariffId);
      const after = await this.directory.tariffs.tariffForHome(homeId);
      await this.deps.audit.record({
        tenantId: home.tenantId,
        action: 'home.tariff_changed',
        actor: principal ?? { kind: 'system' },
        origin,
        homeId,
        target: { type: 'home', id: homeId },
        detail: {
          from: home.tariffId,
          to: tariffId,
          inForceBefore: before?.id ?? null,
          inForce: after?.id ?? null,
        },
      });
      this.ctx.bus.emit('retention.policy_changed', { tenantId: home.tenantId });
    }
    return { home: { ...home, tariffId }, tariff: (await this.directory.tariffs.tariffForHome(homeId))! };
  }

  private async visibleTariff(
    principal: Principal,
    tariffId: string,
    scope: 'tariffs:read' | 'tariffs:write',
  ): Promise<Tariff> {
    const tariff = await this.directory.tariffs.findTariff(tariffId);
    if (!tariff) throw new HestiaError('HESTIA_NOT_FOUND', 'No such tariff');
    this.deps.authorize.assertTenantAdmin(principal, tariff.tenantId, scope, 'tariff');
    return tariff;
  }

  /** Runs a write that may hit the unique (tenant, name): the conflict then names the tariff. */
  private async named<T>(name: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isHestiaError(error) && error.code === 'HESTIA_CONFLICT')
        throw new HestiaError('HESTIA_CONFLICT', `name: the tenant has a tariff named ${name} already`);
      throw error;
    }
  }
}
