import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import pino from 'pino';
import { Hestia } from '../../src/app.ts';
import { loadConfig, type ConfigInput } from '../../src/core/config.ts';
import type { Clock } from '../../src/core/clock.ts';
import type { MailPort } from '../../src/core/ports/mail.ts';
import { EVENT_TIMEOUT_MS, READY_TIMEOUT_MS } from './wait.ts';

/**
 * Starts a real Hestia (embedded broker on free ports, SQLite in a temporary directory unless
 * `overrides.storage` says otherwise), with a tenant "acme", its admin, a person who owns a
 * home there, and helpers to talk to it.
 */
export interface TestApp {
  hestia: Hestia;
  dataDir: string;
  tenantId: string;
  /** The tenant admin's access token (the default for `request`). */
  adminToken: string;
  /** A person of the tenant who owns `homeId`. */
  ownerToken: string;
  ownerId: string;
  homeId: string;
  /** Signs up a person in the tenant and returns their access token and id. */
  signUp(email: string, tenant?: string): Promise<{ token: string; userId: string; refreshToken: string }>;
  /** Provisions a gateway (tenant admin) and returns its credentials and claim code, unregistered. */
  provisionGateway(id?: string): Promise<{ id: string; token: string; claimCode: string }>;
  /** `app.inject` with the admin's bearer token (or the given one). */
  request(
    method: string,
    url: string,
    body?: unknown,
    token?: string | null,
  ): Promise<{ status: number; body: any }>;
  /** Provisions a gateway and registers it to the owner's home, so that its telemetry is stored. */
  createGateway(id?: string, homeId?: string): Promise<{ id: string; token: string }>;
  connectGateway(gateway: { id: string; token: string }, options?: IClientOptions): Promise<MqttClient>;
  mqttUrl: string;
  stop(): Promise<void>;
}

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'correct horse battery staple';
export const OWNER_EMAIL = 'owner@example.com';
export const TENANT_SLUG = 'acme';
/** The gateway limit of the test tenant's default tariff, raised so that suites need not think of it. */
export const TEST_GATEWAYS_PER_HOME = 1000;

export async function startTestApp(
  overrides: ConfigInput = {},
  options: { mailer?: MailPort; clock?: Clock } = {},
): Promise<TestApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hestia-test-'));
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      http: { port: 0, host: '127.0.0.1' },
      mqtt: { port: 0, wsPort: 0, host: '127.0.0.1' },
      log: {
        level: process.env.TEST_LOG_LEVEL === undefined ? 'silent' : (process.env.TEST_LOG_LEVEL as 'info'),
      },
      ...overrides,
    },
  });
  const logger = pino({ level: config.log.level });
  const hestia = await Hestia.start(config, {
    logger,
    ...(options.mailer ? { mailer: options.mailer } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const origin = { ip: '127.0.0.1', userAgent: 'test' };
  const { tenant } = await hestia.services.tenants.createTenant(
    null,
    { name: 'Acme', slug: TENANT_SLUG, adminEmail: ADMIN_EMAIL, adminPassword: ADMIN_PASSWORD },
    origin,
  );
  // Suites register many gateways to the one home; the tariff's gateway limit (2 in the default
  // "Basic") has its own tests in tariffs.test.ts, on tenants of their own.
  const defaultTariff = (await hestia.ctx.store.directory.tariffs.listTariffs(tenant.id)).find(
    (t) => t.isDefault,
  )!;
  await hestia.ctx.store.directory.tariffs.updateTariff(
    defaultTariff.id,
    { maxGatewaysPerHome: TEST_GATEWAYS_PER_HOME },
    Date.now(),
  );
  const { accessToken } = await hestia.services.accounts.login(
    { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, tenant: TENANT_SLUG },
    origin,
  );
  const owner = await hestia.services.accounts.signUp(
    { tenant: TENANT_SLUG, email: OWNER_EMAIL, password: ADMIN_PASSWORD },
    origin,
  );
  const ownerPrincipal = await hestia.services.accounts.authenticate(owner.accessToken);
  const home = await hestia.services.homes.createHome(
    ownerPrincipal!,
    { name: 'Home', timezone: 'Europe/Berlin' },
    origin,
  );
  const mqttUrl = `mqtt://127.0.0.1:${hestia.ports.mqtt}`;
  const clients: MqttClient[] = [];

  const app: TestApp = {
    hestia,
    dataDir,
    tenantId: tenant.id,
    adminToken: accessToken,
    ownerToken: owner.accessToken,
    ownerId: owner.user.id,
    homeId: home.id,
    mqttUrl,
    async signUp(email, tenantSlug = TENANT_SLUG) {
      const response = await app.request(
        'POST',
        '/v1/auth/signup',
        { tenant: tenantSlug, email, password: ADMIN_PASSWORD },
        null,
      );
      if (response.status !== 201) throw new Error(`sign-up failed: ${JSON.stringify(response.body)}`);
      return {
        token: response.body.accessToken as string,
        userId: response.body.user.id as string,
        refreshToken: response.body.refreshToken as string,
      };
    },
    async provisionGateway(id) {
      const response = await app.request('POST', '/v1/gateways', {
        name: `gw ${id ?? ''}`.trim(),
        ...(id ? { id } : {}),
      });
      if (response.status !== 201)
        throw new Error(`gateway creation failed: ${JSON.stringify(response.body)}`);
      return {
        id: response.body.gateway.id as string,
        token: response.body.token as string,
        claimCode: response.body.claimCode as string,
      };
    },
    async request(method, url, body, token = accessToken) {
      const response = await hestia.api.inject({
        method: method as 'GET',
        url,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        ...(body === undefined ? {} : { payload: body as object }),
      });
      const text = response.body;
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = text; // not JSON (e.g. metrics or an image): hand back the text
      }
      return { status: response.statusCode, body: parsed };
    },
    async createGateway(id, homeId = home.id) {
      const gateway = await app.provisionGateway(id);
      const claim = await app.request(
        'POST',
        `/v1/homes/${homeId}/gateways`,
        { gatewayId: gateway.id, claimCode: gateway.claimCode },
        owner.accessToken,
      );
      if (claim.status !== 200) throw new Error(`gateway registration failed: ${JSON.stringify(claim.body)}`);
      return { id: gateway.id, token: gateway.token };
    },
    async connectGateway(gateway, options = {}) {
      const client = await mqtt.connectAsync(mqttUrl, {
        clientId: gateway.id,
        username: gateway.id,
        password: gateway.token,
        reconnectPeriod: 0,
        connectTimeout: READY_TIMEOUT_MS,
        ...options,
      });
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
      await hestia.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return app;
}

/** The seed's messages (shared/fixtures/seed-messages.json), re-addressed to a gateway if asked. */
export async function seedMessages(): Promise<{
  sensorData: Record<string, string>;
  cameraDeviceState: Record<string, string>;
}> {
  const { readFile } = await import('node:fs/promises');
  const file = path.join(import.meta.dirname, '../../../shared/fixtures/seed-messages.json');
  return JSON.parse(await readFile(file, 'utf8')) as {
    sensorData: Record<string, string>;
    cameraDeviceState: Record<string, string>;
  };
}

export const SEED_GATEWAY_ID = '6774f85a-0a5b-4059-9b68-00000000b001';

/**
 * Polls `check` until it returns a value that is not undefined, or fails after `timeoutMs`: a
 * deadline for something that will happen, so generous by default (EVENT_TIMEOUT_MS).
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = EVENT_TIMEOUT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${timeoutMs} ms)`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
