import { randomBytes } from 'node:crypto';
import { CAMERAS_PER_GATEWAY } from './model.ts';
import {
  readCredentialsFile,
  writeCredentialsFile,
  type AccountCredentials,
  type GatewayCredentials,
  type SimulatorCredentials,
} from './files.ts';

/**
 * Setting up a simulation through Hestia's REST API, as the people involved would do it: a
 * platform admin creates the service provider (tenant) and its admin, the tenant admin provisions
 * the gateways, a person signs up, creates a home and registers each gateway with the claim code
 * printed on it. Whatever is created is written to the simulator's credentials file at once
 * (tokens and claim codes are shown once by the API), so an interrupted run loses nothing and
 * the next run reuses it.
 */

/** The tenant a platform admin's simulation runs in, unless told otherwise. */
export const DEFAULT_TENANT_SLUG = 'demo';
/** The home the simulated gateways are registered to (created, or found by this name). */
export const SIMULATED_HOME_NAME = 'Simulated home';
/** The tariff the simulated home gets when its tenant's default allows fewer gateways or cameras. */
export const SIMULATION_TARIFF_NAME = 'Simulation';

const API_TIMEOUT_MS = 10_000; // 10 seconds
/** Generated passwords: 18 random bytes, 24 characters of base64url. */
const GENERATED_PASSWORD_BYTES = 18;

/** An error answer of the API, with its HTTP status and HESTIA_* code. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
    readonly details: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Calls the API; throws ApiError with the API's code and message, or says why it is unreachable. */
export async function callApi<T>(
  apiUrl: string,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  route: string,
  body?: unknown,
  token?: string,
): Promise<T> {
  const url = new URL(route, apiUrl);
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(API_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new Error(
      `cannot reach the Hestia API at ${url.origin} (${cause}); is Hestia running? (see --api)`,
    );
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null; // not JSON: the status line below says enough
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | null)
      ?.error;
    const detail = error ? `${error.code ?? ''}: ${error.message ?? ''}` : text.slice(0, 200);
    throw new ApiError(
      `${method} ${url.pathname}: HTTP ${response.status} ${detail}`,
      response.status,
      error?.code ?? null,
      error?.details,
    );
  }
  return parsed as T;
}

/** A signed-in person as the API describes them. */
export interface ApiSession {
  accessToken: string;
  user: {
    id: string;
    email: string;
    role: 'platform_admin' | 'tenant_admin' | 'user';
    tenantId: string | null;
  };
}

/** Signs in; `tenant` (slug or id) is needed only when the email has accounts in several tenants. */
export function openSession(
  apiUrl: string,
  email: string,
  password: string,
  tenant?: string,
): Promise<ApiSession> {
  return callApi<ApiSession>(apiUrl, 'POST', '/v1/auth/login', {
    email,
    password,
    ...(tenant === undefined ? {} : { tenant }),
  });
}

/** Signs in and returns the access token. */
export async function login(
  apiUrl: string,
  email: string,
  password: string,
  tenant?: string,
): Promise<string> {
  return (await openSession(apiUrl, email, password, tenant)).accessToken;
}

/** Provisions one gateway (a tenant admin, or a platform admin naming the tenant). */
export async function createGateway(
  apiUrl: string,
  adminToken: string,
  name: string,
  tenantId?: string,
): Promise<GatewayCredentials> {
  const created = await callApi<{ gateway: { id: string }; token: string; claimCode: string }>(
    apiUrl,
    'POST',
    '/v1/gateways',
    { name, ...(tenantId === undefined ? {} : { tenantId }) },
    adminToken,
  );
  return { gatewayId: created.gateway.id, token: created.token, claimCode: created.claimCode };
}

export function generatePassword(): string {
  return randomBytes(GENERATED_PASSWORD_BYTES).toString('base64url');
}

interface TenantRef {
  id: string;
  slug: string;
}

interface ApiTenant extends TenantRef {
  name: string;
}

interface ApiHome {
  id: string;
  name: string;
  role: string | null;
}

/** A tariff's terms as the API shows them. */
interface ApiTariff {
  id: string;
  name: string;
  isDefault: boolean;
  rawRetentionDays: number;
  sensorRetentionDays: number;
  videoRetentionDays: number;
  recordingModes: string[];
  maxGatewaysPerHome: number;
  maxCamerasPerHome: number;
}

/** Who provisions gateways: a tenant admin, or a platform admin who must name the tenant. */
interface Provisioner {
  token: string;
  tenant: TenantRef;
  tenantIdInBody: boolean;
}

export interface PrepareSimulationOptions {
  apiUrl: string;
  /** The simulator's credentials file (secret, 0600); read, completed and rewritten. */
  file: string;
  /** Gateways to simulate: the first `count` of the file, provisioning the missing ones. */
  count: number;
  /**
   * The tenant (slug) a platform admin sets the simulation up in, created if missing; default
   * `demo`. A tenant admin's own tenant is used instead (naming another one is an error).
   */
  tenantSlug?: string;
  /** Register the gateways to the simulated home; false leaves new ones pending. */
  register: boolean;
  /** A platform admin's or tenant admin's access token; asked for only when something must be created. */
  adminToken: () => Promise<string>;
  /** The person who registers the gateways; default: one the simulator signs up and keeps in the file. */
  owner?: AccountCredentials;
  /** Gateways provisioned at once; a small number keeps a shared Hestia responsive. */
  concurrency?: number;
  onProgress?: (line: string) => void;
}

export interface RegistrationSummary {
  home: { id: string; name: string };
  /** Registered by this run. */
  registered: string[];
  /** Registered to the home already. */
  already: string[];
  /** Not registered, with the reason (they stay pending). */
  failed: Array<{ gatewayId: string; reason: string }>;
}

export interface PreparedSimulation {
  gateways: GatewayCredentials[];
  tenant: TenantRef | null;
  /** Null when registration was not asked for. */
  registration: RegistrationSummary | null;
}

/**
 * Makes sure the simulation can run: the tenant and its admin (when a platform admin sets it up),
 * `count` provisioned gateways, and unless `register` is false a home owner, the simulated home,
 * and every gateway registered to it. Returns the gateways' credentials.
 */
export async function prepareSimulation(options: PrepareSimulationOptions): Promise<PreparedSimulation> {
  const { apiUrl, file } = options;
  const say = options.onProgress ?? (() => undefined);
  const state = readCredentialsFile(file);
  const save = (): void => writeCredentialsFile(file, state);
  if (state.tenant && options.tenantSlug !== undefined && !refersTo(state.tenant, options.tenantSlug)) {
    throw new Error(
      `${file} belongs to tenant ${state.tenant.slug}; use another --credentials file for tenant ${options.tenantSlug}`,
    );
  }

  let provisioner: Promise<Provisioner> | undefined;
  const provisionerOf = (): Promise<Provisioner> =>
    (provisioner ??= findProvisioner(options, state, save, say));
  const tenantOf = async (): Promise<TenantRef> => state.tenant ?? (await provisionerOf()).tenant;

  const missing = options.count - state.gateways.length;
  if (missing > 0) {
    const { token, tenant, tenantIdInBody } = await provisionerOf();
    await provisionGateways({
      count: missing,
      concurrency: options.concurrency ?? 4,
      create: (number) =>
        createGateway(apiUrl, token, `Simulated gateway ${number}`, tenantIdInBody ? tenant.id : undefined),
      firstNumber: state.gateways.length + 1,
      onCreated: (gateway, created) => {
        state.gateways.push(gateway);
        save();
        if (created === missing || created % 50 === 0)
          say(`provisioned ${created}/${missing} gateways → ${file}`);
      },
    });
  }
  const gateways = state.gateways.slice(0, options.count);
  if (!options.register) return { gateways, tenant: state.tenant, registration: null };

  const tenant = await tenantOf();
  const ownerToken = await ownerSession(options, state, tenant, save, say);
  const home = await ensureSimulatedHome(apiUrl, ownerToken, state.homeId);
  if (state.homeId !== home.id) {
    state.homeId = home.id;
    save();
  }
  await ensureTariffAllows(apiUrl, ownerToken, home, gateways.length, provisionerOf, say);
  const registration = await registerGateways(apiUrl, ownerToken, home, gateways);
  return { gateways, tenant, registration };
}

/**
 * A home's tariff limits its gateways and cameras (the default "Basic": 2 and 4). When the
 * simulated home's tariff allows fewer than the simulation brings, the provider's admin gives
 * the home a tariff of its own, "Simulation", with the default's retention and room for them.
 */
async function ensureTariffAllows(
  apiUrl: string,
  ownerToken: string,
  home: { id: string },
  gatewayCount: number,
  provisionerOf: () => Promise<Provisioner>,
  say: (line: string) => void,
): Promise<void> {
  const needs = { maxGatewaysPerHome: gatewayCount, maxCamerasPerHome: gatewayCount * CAMERAS_PER_GATEWAY };
  const fits = (tariff: Pick<ApiTariff, keyof typeof needs>) =>
    tariff.maxGatewaysPerHome >= needs.maxGatewaysPerHome &&
    tariff.maxCamerasPerHome >= needs.maxCamerasPerHome;
  const { tariff: current } = await callApi<{ tariff: ApiTariff | null }>(
    apiUrl,
    'GET',
    `/v1/homes/${home.id}`,
    undefined,
    ownerToken,
  );
  if (!current || fits(current)) return;
  const { token, tenant, tenantIdInBody } = await provisionerOf();
  const { items } = await callApi<{ items: ApiTariff[] }>(
    apiUrl,
    'GET',
    `/v1/tariffs${tenantIdInBody ? `?tenantId=${tenant.id}` : ''}`,
    undefined,
    token,
  );
  let tariff = items.find((t) => t.name === SIMULATION_TARIFF_NAME);
  const room = (t: ApiTariff) => ({
    maxGatewaysPerHome: Math.max(t.maxGatewaysPerHome, needs.maxGatewaysPerHome),
    maxCamerasPerHome: Math.max(t.maxCamerasPerHome, needs.maxCamerasPerHome),
  });
  if (!tariff) {
    const base = items.find((t) => t.isDefault) ?? current;
    tariff = await callApi<ApiTariff>(
      apiUrl,
      'POST',
      '/v1/tariffs',
      {
        name: SIMULATION_TARIFF_NAME,
        rawRetentionDays: base.rawRetentionDays,
        sensorRetentionDays: base.sensorRetentionDays,
        videoRetentionDays: base.videoRetentionDays,
        recordingModes: base.recordingModes,
        ...room(base),
        ...(tenantIdInBody ? { tenantId: tenant.id } : {}),
      },
      token,
    );
  } else if (!fits(tariff)) {
    tariff = await callApi<ApiTariff>(apiUrl, 'PATCH', `/v1/tariffs/${tariff.id}`, room(tariff), token);
  }
  await callApi(apiUrl, 'PUT', `/v1/homes/${home.id}/tariff`, { tariffId: tariff.id }, token);
  say(
    `the simulated home has tariff ${tariff.name}: ${tariff.maxGatewaysPerHome} gateways, ${tariff.maxCamerasPerHome} cameras`,
  );
}

function refersTo(tenant: TenantRef, slugOrId: string): boolean {
  return tenant.slug === slugOrId || tenant.id === slugOrId;
}

/**
 * The account that provisions gateways: the tenant admin the simulator created earlier, else the
 * admin given (a tenant admin works in their tenant; a platform admin finds or creates the
 * tenant, and its admin, whose password goes to the credentials file).
 */
async function findProvisioner(
  options: PrepareSimulationOptions,
  state: SimulatorCredentials,
  save: () => void,
  say: (line: string) => void,
): Promise<Provisioner> {
  const { apiUrl, file } = options;
  if (state.tenant && state.tenantAdmin) {
    return {
      token: await loginStored(apiUrl, file, 'tenant admin', state.tenantAdmin, state.tenant),
      tenant: state.tenant,
      tenantIdInBody: false,
    };
  }
  const adminToken = await options.adminToken();
  const me = await callApi<{ user: ApiSession['user']; tenant: TenantRef | null }>(
    apiUrl,
    'GET',
    '/v1/me',
    undefined,
    adminToken,
  );
  switch (me.user.role) {
    case 'tenant_admin': {
      const own = me.tenant;
      if (!own) throw new Error(`${me.user.email} is a tenant admin without a tenant`);
      const wanted = state.tenant?.slug ?? options.tenantSlug;
      if (wanted !== undefined && !refersTo(own, wanted)) {
        throw new Error(`${me.user.email} administers tenant ${own.slug}, not ${wanted}`);
      }
      state.tenant = { id: own.id, slug: own.slug };
      save();
      return { token: adminToken, tenant: state.tenant, tenantIdInBody: false };
    }
    case 'platform_admin': {
      const slug = state.tenant?.slug ?? options.tenantSlug ?? DEFAULT_TENANT_SLUG;
      const { items } = await callApi<{ items: ApiTenant[] }>(
        apiUrl,
        'GET',
        '/v1/tenants',
        undefined,
        adminToken,
      );
      const found = items.find((tenant) => refersTo(tenant, slug));
      if (found) {
        // Not created by this simulator, so its admin's password is unknown: provision as platform admin.
        state.tenant = { id: found.id, slug: found.slug };
        save();
        return { token: adminToken, tenant: state.tenant, tenantIdInBody: true };
      }
      const tenantAdmin = { email: `admin@${slug}.sim.hestia.local`, password: generatePassword() };
      const created = await callApi<{ tenant: ApiTenant }>(
        apiUrl,
        'POST',
        '/v1/tenants',
        {
          name: slug === DEFAULT_TENANT_SLUG ? 'Demo' : `Simulated (${slug})`,
          slug,
          adminEmail: tenantAdmin.email,
          adminPassword: tenantAdmin.password,
        },
        adminToken,
      );
      state.tenant = { id: created.tenant.id, slug: created.tenant.slug };
      state.tenantAdmin = tenantAdmin;
      save();
      say(`created tenant ${created.tenant.slug} with admin ${tenantAdmin.email} (password in ${file})`);
      return {
        token: await loginStored(apiUrl, file, 'tenant admin', tenantAdmin, state.tenant),
        tenant: state.tenant,
        tenantIdInBody: false,
      };
    }
    case 'user':
      throw new Error(
        `${me.user.email} is not an administrator: provisioning needs a platform admin or a tenant admin`,
      );
  }
}

async function loginStored(
  apiUrl: string,
  file: string,
  who: string,
  account: AccountCredentials,
  tenant: TenantRef,
): Promise<string> {
  try {
    return await login(apiUrl, account.email, account.password, tenant.slug);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 404)) {
      throw new Error(
        `the ${who} ${account.email} kept in ${file} cannot sign in to tenant ${tenant.slug} (${error.message}); ` +
          `does the file belong to this Hestia? Delete it to start over`,
      );
    }
    throw error;
  }
}

async function provisionGateways(options: {
  count: number;
  concurrency: number;
  firstNumber: number;
  create: (number: number) => Promise<GatewayCredentials>;
  onCreated: (gateway: GatewayCredentials, created: number) => void;
}): Promise<void> {
  let next = 0;
  let created = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < options.count && !failed) {
      const number = options.firstNumber + next++;
      try {
        options.onCreated(await options.create(number), ++created);
      } catch (error) {
        failed = true; // the other workers stop too: the same cause would fail them all
        throw error;
      }
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency, options.count));
  await Promise.all(Array.from({ length: workers }, () => worker()));
}

/** The home owner's token: the one given, else the one the simulator signed up (signing one up if needed). */
async function ownerSession(
  options: PrepareSimulationOptions,
  state: SimulatorCredentials,
  tenant: TenantRef,
  save: () => void,
  say: (line: string) => void,
): Promise<string> {
  const { apiUrl, file } = options;
  if (options.owner) return login(apiUrl, options.owner.email, options.owner.password, tenant.slug);
  if (state.owner) return loginStored(apiUrl, file, 'home owner', state.owner, tenant);
  const owner = {
    email: `owner-${randomBytes(4).toString('hex')}@${tenant.slug}.sim.hestia.local`,
    password: generatePassword(),
  };
  const session = await callApi<ApiSession>(apiUrl, 'POST', '/v1/auth/signup', {
    tenant: tenant.slug,
    email: owner.email,
    password: owner.password,
    name: 'Simulated home owner',
  });
  state.owner = owner;
  save();
  say(`signed up home owner ${owner.email} in tenant ${tenant.slug} (password in ${file})`);
  return session.accessToken;
}

/** The home the gateways go to: the one remembered, else the owner's home of that name, else a new one. */
export async function ensureSimulatedHome(
  apiUrl: string,
  ownerToken: string,
  rememberedHomeId: string | null,
): Promise<{ id: string; name: string }> {
  if (rememberedHomeId) {
    try {
      const home = await callApi<ApiHome>(
        apiUrl,
        'GET',
        `/v1/homes/${rememberedHomeId}`,
        undefined,
        ownerToken,
      );
      if (home.role === 'owner') return { id: home.id, name: home.name };
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
  }
  const { items } = await callApi<{ items: ApiHome[] }>(
    apiUrl,
    'GET',
    '/v1/homes?limit=1000',
    undefined,
    ownerToken,
  );
  const existing = items.find((home) => home.name === SIMULATED_HOME_NAME && home.role === 'owner');
  if (existing) return { id: existing.id, name: existing.name };
  const created = await callApi<ApiHome>(
    apiUrl,
    'POST',
    '/v1/homes',
    // The simulated daily rhythms follow this machine's clock, so the home keeps its time zone.
    { name: SIMULATED_HOME_NAME, timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' },
    ownerToken,
  );
  return { id: created.id, name: created.name };
}

/**
 * Registers each gateway not yet in the home with its claim code, one at a time (Hestia limits
 * claim attempts per person and hour: once refused, the rest stay pending for a later run).
 */
export async function registerGateways(
  apiUrl: string,
  ownerToken: string,
  home: { id: string; name: string },
  gateways: readonly GatewayCredentials[],
): Promise<RegistrationSummary> {
  const summary: RegistrationSummary = { home, registered: [], already: [], failed: [] };
  const { items } = await callApi<{ items: Array<{ id: string }> }>(
    apiUrl,
    'GET',
    `/v1/homes/${home.id}/gateways`,
    undefined,
    ownerToken,
  );
  const inHome = new Set(items.map((gateway) => gateway.id));
  let stopReason: string | null = null;
  for (const { gatewayId, claimCode } of gateways) {
    if (inHome.has(gatewayId)) {
      summary.already.push(gatewayId);
    } else if (stopReason !== null) {
      summary.failed.push({ gatewayId, reason: stopReason });
    } else if (claimCode === undefined) {
      summary.failed.push({ gatewayId, reason: 'its claim code is unknown' });
    } else {
      try {
        await callApi(apiUrl, 'POST', `/v1/homes/${home.id}/gateways`, { gatewayId, claimCode }, ownerToken);
        summary.registered.push(gatewayId);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (error.code === 'HESTIA_RATE_LIMITED') {
          const retry = (error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
          stopReason =
            `Hestia allows auth.claimAttemptsPerHour claims per person and hour` +
            (retry === undefined ? '' : ` (next in ${retry} s)`) +
            `; run again later or raise HESTIA_AUTH_CLAIM_ATTEMPTS_PER_HOUR`;
          summary.failed.push({ gatewayId, reason: stopReason });
        } else if (error.code === 'HESTIA_TARIFF_LIMIT') {
          const limit = error.details as { allowed?: number; tariffName?: string } | undefined;
          stopReason =
            `the home's tariff ${limit?.tariffName ?? ''} allows ${limit?.allowed ?? 'no more'} gateway(s); ` +
            `a tenant admin gives it another with PUT /v1/homes/${home.id}/tariff`;
          summary.failed.push({ gatewayId, reason: stopReason });
        } else if (error.code === 'HESTIA_CLAIM_FAILED') {
          summary.failed.push({
            gatewayId,
            reason: 'claim refused: registered to another home, another tenant, or a wrong claim code',
          });
        } else {
          throw error;
        }
      }
    }
  }
  return summary;
}
