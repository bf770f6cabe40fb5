import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { meterFileFor, readInitialAdmin, type GatewayCredentials } from '../../src/simulator/files.ts';
import { simulatedDevices, type SimulatedDevice } from '../../src/simulator/model.ts';
import { callApi, ensureCredentials, login } from '../../src/simulator/provision.ts';
import type { SessionEvent } from '../../src/simulator/session.ts';
import { Simulator } from '../../src/simulator/simulator.ts';
import { eventually, startTestApp } from '../helpers/app.ts';
import { freePort, runCli, startHestiaChild, type HestiaChild } from '../helpers/process.ts';

/** 1,200 × real time: a climate report every 50 ms per sensor, a camera preview every 0.5 s. */
const SPEED = 1200;

interface ApiDevice {
  id: string;
  type: string;
  protocol: string;
  attributes: Record<string, string>;
  hasPreview?: boolean;
  channels: Array<{ label: string; value: number | null; text: string | null; tsMs: number }>;
}
interface ApiReading {
  tsMs: number;
  value: number | null;
  text: string | null;
}

type Get = (route: string) => Promise<{ status: number; body: unknown }>;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function deviceOf(gatewayId: string, kind: SimulatedDevice['kind'], index = 0): SimulatedDevice {
  const device = simulatedDevices(gatewayId).filter((d) => d.kind === kind)[index];
  assert.ok(device, `no ${kind} device`);
  return device;
}

async function history(get: Get, device: SimulatedDevice, fromMs: number): Promise<ApiReading[]> {
  const label = device.kind === 'camera' ? 'Motion' : device.label;
  const response = await get(
    `/v1/devices/${device.deviceId}/history?label=${label}&from=${fromMs}&limit=10000`,
  );
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return (response.body as { items: ApiReading[] }).items;
}

/** What every simulated gateway must have produced, checked through the REST API. */
async function assertGatewayData(get: Get, gatewayId: string, sinceMs: number): Promise<void> {
  const devices = await get(`/v1/gateways/${gatewayId}/devices`);
  assert.equal(devices.status, 200);
  const items = (devices.body as { items: ApiDevice[] }).items;
  assert.equal(items.length, 8, 'five sensors and three cameras');
  assert.deepEqual(
    items.map((d) => d.id).sort(),
    simulatedDevices(gatewayId)
      .map((d) => d.deviceId)
      .sort(),
    'the deterministic device ids',
  );

  const temperatures = await history(get, deviceOf(gatewayId, 'temperature'), sinceMs);
  const humidities = await history(get, deviceOf(gatewayId, 'humidity'), sinceMs);
  const energy = await history(get, deviceOf(gatewayId, 'energy'), sinceMs);
  for (const [name, series, low, high] of [
    ['temperature', temperatures, 10, 35],
    ['humidity', humidities, 15, 85],
    ['energy', energy, 0, 1e6],
  ] as const) {
    assert.ok(series.length >= 10, `${name}: ${series.length} readings`);
    for (const reading of series) {
      assert.ok(
        reading.value !== null && reading.value >= low && reading.value <= high,
        `${name} ${reading.value}`,
      );
    }
  }
  energy.forEach((reading, i) => {
    if (i > 0) assert.ok(reading.value! >= energy[i - 1]!.value!, `energy went back at ${reading.tsMs}`);
  });

  for (const device of items.filter((d) => d.type === 'camera')) {
    assert.equal(device.protocol, 'onvif');
    const state = device.channels.find((c) => c.label === 'State');
    assert.equal(state?.text, 'streamingOn');
    assert.equal(device.attributes.applicationName, 'rtp-live-iot');
    const detail = await get(`/v1/devices/${device.id}`);
    assert.equal((detail.body as ApiDevice).hasPreview, true, 'a preview every 10 simulated minutes');
  }
}

async function assertNoDeadLetters(get: Get): Promise<void> {
  const letters = await get('/v1/dead-letters?limit=10');
  assert.equal(letters.status, 200);
  assert.deepEqual((letters.body as { items: unknown[] }).items, []);
}

describe('hestia simulate', () => {
  it('--help describes the options', async () => {
    const help = await runCli(['simulate', '--help'], {});
    assert.equal(help.code, 0, help.stderr);
    for (const text of [
      '--gateways',
      '--url',
      '--api',
      '--credentials',
      '--email',
      '--password',
      '--speed',
    ]) {
      assert.ok(help.stdout.includes(text), text);
    }
    for (const text of [
      '--duration',
      '--quiet',
      'HESTIA_TOKEN',
      'initial-admin.json',
      'ports.json',
      'Last Will',
    ]) {
      assert.ok(help.stdout.includes(text), text);
    }
  });

  it(
    'two gateways: 8 devices each, climate and energy history, streaming cameras, no dead letters',
    { timeout: 30_000 },
    async () => {
      const app = await startTestApp();
      const dir = mkdtempSync(path.join(tmpdir(), 'hestia-sim-'));
      const simulators: Simulator[] = [];
      const get: Get = (route) => app.request('GET', route);
      try {
        const credentialsFile = path.join(dir, 'sim-credentials.json');
        const gateways = await ensureCredentials({
          file: credentialsFile,
          count: 2,
          apiUrl: `http://127.0.0.1:${app.hestia.ports.http}`,
          adminToken: () => Promise.resolve(app.adminToken),
        });
        assert.equal(gateways.length, 2);
        assert.equal(statSync(credentialsFile).mode & 0o777, 0o600, 'tokens are secrets');

        const downs: SessionEvent[] = [];
        const run = (seed: number): Simulator => {
          const simulator = Simulator.start({
            url: app.mqttUrl,
            gateways,
            speed: SPEED,
            seed,
            meterFile: meterFileFor(credentialsFile),
            onEvent: (event) => {
              if (event.kind === 'down') downs.push(event);
            },
          });
          simulators.push(simulator);
          return simulator;
        };
        const startedAt = Date.now();
        const first = run(1);
        await eventually('both gateways connected', async () =>
          first.stats().connected === 2 ? true : undefined,
        );
        await app.hestia.broker.publishToGateway(gateways[0]!.gatewayId, { command: 'ping' });
        await eventually('the down message', async () => (downs.length > 0 ? true : undefined));
        assert.equal(downs[0]?.kind === 'down' && downs[0].payload, '{"command":"ping"}');
        await sleep(2500);
        await first.stop();

        // A second run: the same devices again, and the meters carry on from the first run.
        const second = run(2);
        await eventually('reconnected', async () => (second.stats().connected === 2 ? true : undefined));
        await sleep(1000);
        await second.stop();

        for (const simulator of simulators) {
          const stats = simulator.stats();
          assert.ok(stats.published > 100, `published ${stats.published}`);
          assert.equal(stats.acknowledged, stats.published, 'every message acknowledged before the stop');
          assert.equal(stats.failed + stats.dropped + stats.refused, 0);
        }
        for (const { gatewayId } of gateways) {
          await assertGatewayData(get, gatewayId, startedAt - 60_000);
          const gateway = await get(`/v1/gateways/${gatewayId}`);
          assert.equal(
            (gateway.body as { status: string }).status,
            'offline',
            'a clean stop reports offline',
          );
        }
        await assertNoDeadLetters(get);
      } finally {
        await Promise.all(simulators.map((s) => s.stop()));
        await app.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it(
    'reconnects when Hestia restarts; readings made while it was down arrive after the restart',
    { timeout: 40_000 },
    async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'hestia-sim-restart-'));
      const mqttPort = await freePort();
      const env = {
        HESTIA_DATA_DIR: dataDir,
        HESTIA_HTTP_PORT: '0',
        HESTIA_HTTP_HOST: '127.0.0.1',
        HESTIA_MQTT_PORT: String(mqttPort),
        HESTIA_MQTT_HOST: '127.0.0.1',
        HESTIA_MQTT_WS_PORT: '0',
        HESTIA_LOG_LEVEL: 'warn',
      };
      const children: HestiaChild[] = [];
      let simulator: Simulator | undefined;
      try {
        const hestia = await startHestiaChild(env);
        children.push(hestia);
        const admin = readInitialAdmin(dataDir);
        assert.ok(admin, 'the first start wrote initial-admin.json');
        const apiUrl = `http://127.0.0.1:${hestia.ports.http}`;
        const credentialsFile = path.join(dataDir, 'sim-credentials.json');
        const gateways: GatewayCredentials[] = await ensureCredentials({
          file: credentialsFile,
          count: 2,
          apiUrl,
          adminToken: () => login(apiUrl, admin.email, admin.password),
        });
        const startedAt = Date.now();
        const running = Simulator.start({
          url: `mqtt://127.0.0.1:${mqttPort}`,
          gateways,
          speed: SPEED,
          meterFile: meterFileFor(credentialsFile),
        });
        simulator = running;
        await eventually('connected', async () => (running.stats().connected === 2 ? true : undefined));
        await sleep(1000);

        hestia.child.kill('SIGTERM');
        assert.equal(await hestia.exited, 0, hestia.output());
        const downAt = Date.now();
        await eventually('disconnected', async () => (running.stats().connected === 0 ? true : undefined));
        assert.equal(running.stats().reconnects, 0);
        await sleep(1500); // the homes go on: their readings wait in the gateways' sessions

        const restarted = await startHestiaChild(env);
        children.push(restarted);
        const upAt = Date.now();
        await eventually(
          'reconnected',
          async () => {
            const stats = running.stats();
            return stats.connected === 2 && stats.reconnects >= 2 ? true : undefined;
          },
          10_000,
        );
        await sleep(1500);
        await running.stop();
        const stats = running.stats();
        for (const session of running.sessions)
          assert.ok(session.reconnects >= 1, `${session.gatewayId} reconnected`);
        assert.equal(stats.acknowledged, stats.published, 'what waited during the restart was delivered');

        const newApi = `http://127.0.0.1:${restarted.ports.http}`;
        const token = await login(newApi, admin.email, admin.password);
        const get: Get = async (route) => ({
          status: 200,
          body: await callApi(newApi, 'GET', route, undefined, token),
        });
        for (const { gatewayId } of gateways) {
          await assertGatewayData(get, gatewayId, startedAt - 60_000);
          const temperatures = await history(get, deviceOf(gatewayId, 'temperature'), startedAt - 60_000);
          assert.ok(
            temperatures.some((r) => r.tsMs > downAt + 100 && r.tsMs < upAt - 100),
            'readings made while Hestia was down were sent after the reconnect',
          );
          assert.ok(temperatures.filter((r) => r.tsMs > upAt).length >= 5, 'new readings after the restart');
        }
        await assertNoDeadLetters(get);
      } finally {
        await simulator?.stop();
        for (const { child, exited } of children) {
          if (child.exitCode === null) {
            child.kill('SIGTERM');
            await exited;
          }
        }
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );
});
