import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import pino from 'pino';
import { Hestia } from '../../src/app.ts';
import { loadConfig, type ConfigInput } from '../../src/core/config.ts';

/**
 * Starts a real Hestia (embedded broker on free ports, SQLite in a temporary directory unless
 * `overrides.storage` says otherwise), with a tenant and an admin, and helpers to talk to it.
 */
export interface TestApp {
  hestia: Hestia;
  dataDir: string;
  tenantId: string;
  adminToken: string;
  /** `app.inject` with the admin's bearer token (or the given one). */
  request(
    method: string,
    url: string,
    body?: unknown,
    token?: string | null,
  ): Promise<{ status: number; body: any }>;
  createGateway(id?: string): Promise<{ id: string; token: string }>;
  connectGateway(gateway: { id: string; token: string }, options?: IClientOptions): Promise<MqttClient>;
  mqttUrl: string;
  stop(): Promise<void>;
}

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'correct horse battery staple';

export async function startTestApp(overrides: ConfigInput = {}): Promise<TestApp> {
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
  const hestia = await Hestia.start(config, { logger });
  const { tenant } = await hestia.services.accounts.createTenantWithAdmin({
    tenantName: 'Acme',
    email: ADMIN_EMAIL,
    password: ADMIN_PASSWORD,
  });
  const { accessToken } = await hestia.services.accounts.login(ADMIN_EMAIL, ADMIN_PASSWORD);
  const mqttUrl = `mqtt://127.0.0.1:${hestia.ports.mqtt}`;
  const clients: MqttClient[] = [];

  const app: TestApp = {
    hestia,
    dataDir,
    tenantId: tenant.id,
    adminToken: accessToken,
    mqttUrl,
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
    async createGateway(id) {
      const response = await app.request('POST', '/v1/gateways', {
        name: `gw ${id ?? ''}`.trim(),
        ...(id ? { id } : {}),
      });
      if (response.status !== 201)
        throw new Error(`gateway creation failed: ${JSON.stringify(response.body)}`);
      return { id: response.body.gateway.id as string, token: response.body.token as string };
    },
    async connectGateway(gateway, options = {}) {
      const client = await mqtt.connectAsync(mqttUrl, {
        clientId: gateway.id,
        username: gateway.id,
        password: gateway.token,
        reconnectPeriod: 0,
        connectTimeout: 5000,
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

/** Polls `check` until it returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
