import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { freePort, runCli, startHestiaChild, type HestiaChild } from '../helpers/process.ts';
import { READY_TIMEOUT_MS, TEST_TIMEOUT_MS } from '../helpers/wait.ts';

const READINGS = 4000;
const KILL_AFTER_ACKS = 800;
const PASSWORD = 'durability-test-password';

async function postJson(
  url: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

describe('durability: an acknowledged reading survives kill -9', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hestia-durability-'));
  const children: HestiaChild[] = [];
  after(() => {
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'QoS 1 readings published across a SIGKILL and restart are all stored exactly once',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const mqttPort = await freePort();
      const env = {
        HESTIA_DATA_DIR: dataDir,
        HESTIA_HTTP_PORT: '0',
        HESTIA_MQTT_PORT: String(mqttPort),
        HESTIA_MQTT_WS_PORT: 'null',
      };
      // A tenant and its gateway through the CLI (on the store, before the first start) …
      const tenant = await runCli(
        [
          ...['admin', 'tenant', 'create', '--name', 'Acme', '--slug', 'acme'],
          ...['--admin-email', 'ops@example.com', '--password-stdin'],
        ],
        env,
        PASSWORD,
      );
      assert.equal(tenant.code, 0, tenant.stderr);
      const created = await runCli(
        ['admin', 'gateway', 'create', '--tenant', 'acme', '--name', 'Hall', '--id', 'gw-durable'],
        env,
      );
      assert.equal(created.code, 0, created.stderr);
      const { gatewayId, token, claimCode } = JSON.parse(created.stdout) as {
        gatewayId: string;
        token: string;
        claimCode: string;
      };

      let hestia = await startHestiaChild(env);
      children.push(hestia);

      // … registered to a home by a person through the API, so that its telemetry is stored.
      const api = `http://127.0.0.1:${hestia.ports.http}`;
      const signup = await postJson(`${api}/v1/auth/signup`, {
        tenant: 'acme',
        email: 'owner@example.com',
        password: PASSWORD,
      });
      assert.equal(signup.status, 201, JSON.stringify(signup.body));
      const ownerToken = (signup.body as { accessToken: string }).accessToken;
      const home = await postJson(`${api}/v1/homes`, { name: 'Home', timezone: 'UTC' }, ownerToken);
      assert.equal(home.status, 201, JSON.stringify(home.body));
      const homeId = (home.body as { id: string }).id;
      const claim = await postJson(
        `${api}/v1/homes/${homeId}/gateways`,
        { gatewayId, claimCode },
        ownerToken,
      );
      assert.equal(claim.status, 200, JSON.stringify(claim.body));

      const client = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, {
        clientId: gatewayId,
        username: gatewayId,
        password: token,
        clean: false,
        reconnectPeriod: 100,
        connectTimeout: READY_TIMEOUT_MS,
      });
      const acked = new Set<number>();
      const ackedBeforeKill = new Set<number>();
      let killed = false;
      const t0 = Date.UTC(2024, 5, 1);
      const message = (i: number) =>
        JSON.stringify({
          vendor: 'acme',
          version: '3.0.0',
          timestampMs: String(t0 + i * 1000),
          clientType: 'gateway',
          deviceId: 'counter-1',
          deviceType: 'sensor',
          protocol: 'zwave',
          messageType: 'sensorData',
          label: 'Counter',
          sensorData: String(i),
          gatewayId,
        });
      const allAcked = new Promise<void>((resolve) => {
        for (let i = 0; i < READINGS; i++) {
          client.publish(`hestia/v1/gw/${gatewayId}/up`, message(i), { qos: 1 }, (error) => {
            if (error) return;
            acked.add(i);
            if (!killed) ackedBeforeKill.add(i);
            if (!killed && acked.size >= KILL_AFTER_ACKS) {
              killed = true;
              hestia.child.kill('SIGKILL');
            }
            if (acked.size === READINGS) resolve();
          });
        }
      });

      assert.equal(await hestia.exited.then(() => hestia.child.signalCode), 'SIGKILL');
      assert.ok(
        ackedBeforeKill.size >= KILL_AFTER_ACKS && ackedBeforeKill.size < READINGS,
        `killed mid-stream (${ackedBeforeKill.size} acked)`,
      );
      hestia = await startHestiaChild(env);
      children.push(hestia);
      await allAcked;
      await client.endAsync();

      const login = await postJson(`http://127.0.0.1:${hestia.ports.http}/v1/auth/login`, {
        email: 'ops@example.com',
        password: PASSWORD,
        tenant: 'acme',
      });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      const { accessToken } = login.body as { accessToken: string };
      const url = `http://127.0.0.1:${hestia.ports.http}/v1/devices/counter-1/history?label=Counter&from=${t0}&to=${t0 + READINGS * 1000}&limit=10000`;
      const history = (await (
        await fetch(url, { headers: { authorization: `Bearer ${accessToken}` } })
      ).json()) as {
        items: Array<{ tsMs: number; value: number }>;
      };
      const values = history.items.map((p) => p.value);
      assert.equal(values.length, READINGS, 'every reading stored once (history is keyed by timestamp)');
      assert.deepEqual(
        values,
        Array.from({ length: READINGS }, (_, i) => i),
      );
      for (const i of ackedBeforeKill) assert.equal(history.items[i]?.tsMs, t0 + i * 1000);

      hestia.child.kill('SIGTERM');
      assert.equal(await hestia.exited, 0, 'SIGTERM drains and exits cleanly');
    },
  );
});
