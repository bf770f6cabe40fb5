import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { meterFileFor, readCredentialsFile, readInitialAdmin } from '../../src/simulator/files.ts';
import {
  ALL_DEVICES_PER_GATEWAY,
  gatewayDevices,
  onChangeDevices,
  simulatedDevices,
  type SimulatedDevice,
} from '../../src/simulator/model.ts';
import { SIMULATED_HOME_NAME, callApi, login, prepareSimulation } from '../../src/simulator/provision.ts';
import type { SessionEvent } from '../../src/simulator/session.ts';
import { Simulator, type SimulatorEvent } from '../../src/simulator/simulator.ts';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  TENANT_SLUG,
  eventually,
  startTestApp,
  type TestApp,
} from '../helpers/app.ts';
import {
  HESTIA_BIN,
  REPO_ROOT,
  cleanEnv,
  freePort,
  runCli,
  startHestiaChild,
  type HestiaChild,
} from '../helpers/process.ts';
import { TEST_TIMEOUT_MS } from '../helpers/wait.ts';

/** 1,200 × real time: a climate report every 50 ms per sensor, a camera preview every 0.5 s. */
const SPEED = 1200;

interface ApiDevice {
  id: string;
  type: string;
  protocol: string;
  name: string | null;
  attributes: Record<string, string>;
  hasPreview?: boolean;
  channels: Array<{
    label: string;
    capability: string | null;
    unit: string | null;
    value: number | null;
    text: string | null;
    tsMs: number;
  }>;
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

async function history(
  get: Get,
  device: { deviceId: string; label: string },
  fromMs: number,
): Promise<ApiReading[]> {
  const response = await get(
    `/v1/devices/${device.deviceId}/history?label=${encodeURIComponent(device.label)}&from=${fromMs}&limit=10000`,
  );
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return (response.body as { items: ApiReading[] }).items;
}

/** What every simulated gateway must have produced, checked through the REST API. */
async function assertGatewayData(get: Get, gatewayId: string, sinceMs: number): Promise<void> {
  const devices = await get(`/v1/gateways/${gatewayId}/devices`);
  assert.equal(devices.status, 200);
  const items = (devices.body as { items: ApiDevice[] }).items;
  assert.equal(items.length, 11, 'five sensors, three cameras, a thermostat, a plug and a leak sensor');
  assert.deepEqual(
    items.map((d) => d.id).sort(),
    gatewayDevices(gatewayId)
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

interface ApiGateway {
  id: string;
  homeId: string | null;
  registration: 'pending' | 'registered';
  unregisteredMessages: number;
  status: string;
}

/** `hestia simulate <args>` as a child process that the test stops (SIGTERM) when it is done. */
function startSimulateChild(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [HESTIA_BIN, 'simulate', ...args], {
    env: { ...cleanEnv(), ...env },
    cwd: REPO_ROOT,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

describe('hestia simulate', () => {
  it('--help describes the options, the registration flow and examples', async () => {
    const help = await runCli(['simulate', '--help'], {});
    assert.equal(help.code, 0, help.stderr);
    for (const text of [
      '--gateways',
      '--url',
      '--api',
      '--credentials <file>',
      '--credentials-csv <file>',
      '--email',
      '--password',
      '--tenant <slug>',
      '--owner-email',
      '--owner-password',
      '--no-register',
      '--speed',
      '--duration',
      '--command-delay <ms>',
      '--fail-commands <ratio>',
      '--leak <seconds>',
      '--leak-duration <seconds>',
      '--quiet',
    ]) {
      assert.ok(help.stdout.includes(text), text);
    }
    for (const text of [
      'HESTIA_TOKEN',
      'initial-admin.json',
      'ports.json',
      'Last Will',
      'claim code',
      'hestia admin gateway import',
      'Examples:',
      'hestia simulate --gateways 3 --no-register',
      'setTemperature',
      'commandResult',
      'Water Leak',
      'hestia simulate --leak 20',
    ]) {
      assert.ok(help.stdout.includes(text), text);
    }
  });

  it(
    'two registered gateways: 11 devices each, climate and energy history, streaming cameras, no dead letters',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const app = await startTestApp();
      const dir = mkdtempSync(path.join(tmpdir(), 'hestia-sim-'));
      const simulators: Simulator[] = [];
      const get: Get = (route) => app.request('GET', route);
      const apiUrl = `http://127.0.0.1:${app.hestia.ports.http}`;
      try {
        const credentialsFile = path.join(dir, 'sim-credentials.json');
        // A tenant admin's token: the simulation runs in that admin's tenant.
        const prepare = () =>
          prepareSimulation({
            apiUrl,
            file: credentialsFile,
            count: 2,
            register: true,
            adminToken: () => Promise.resolve(app.adminToken),
          });
        const prepared = await prepare();
        const { gateways } = prepared;
        assert.equal(gateways.length, 2);
        assert.equal(prepared.tenant?.slug, TENANT_SLUG);
        assert.equal(prepared.registration?.home.name, SIMULATED_HOME_NAME);
        assert.deepEqual(
          prepared.registration?.registered,
          gateways.map((g) => g.gatewayId),
        );
        assert.equal(statSync(credentialsFile).mode & 0o777, 0o600, 'tokens and passwords are secrets');
        const saved = readCredentialsFile(credentialsFile);
        assert.equal(saved.tenantAdmin, null, "the given admin's password is not kept");
        assert.ok(saved.owner, 'the owner the simulator signed up is kept');
        assert.equal(saved.homeId, prepared.registration?.home.id);
        assert.ok(
          saved.gateways.every((g) => g.claimCode),
          'claim codes are kept',
        );

        // A second preparation reuses everything: same gateways, same home, nothing to register.
        const again = await prepare();
        assert.deepEqual(again.gateways, gateways);
        assert.equal(again.registration?.home.id, prepared.registration?.home.id);
        assert.deepEqual(again.registration?.registered, []);
        assert.equal(again.registration?.already.length, 2);

        const downs: SessionEvent[] = [];
        const registrations: SessionEvent[] = [];
        const run = (seed: number): Simulator => {
          const simulator = Simulator.start({
            url: app.mqttUrl,
            gateways,
            speed: SPEED,
            seed,
            meterFile: meterFileFor(credentialsFile),
            onEvent: (event) => {
              if (event.kind === 'down') downs.push(event);
              if (event.kind === 'registration') registrations.push(event);
            },
          });
          simulators.push(simulator);
          return simulator;
        };
        const startedAt = Date.now();
        const first = run(1);
        await eventually('both gateways connected and registered', async () =>
          first.stats().connected === 2 && first.stats().registered === 2 ? true : undefined,
        );
        for (const { gatewayId } of gateways) {
          const notice = registrations.find((e) => e.gatewayId === gatewayId);
          assert.ok(notice?.kind === 'registration' && notice.status === 'accepted', gatewayId);
          assert.equal(notice.homeId, prepared.registration?.home.id);
          assert.equal(notice.homeName, SIMULATED_HOME_NAME);
        }
        await app.hestia.broker.publishToGateway(gateways[0]!.gatewayId, { command: 'ping' });
        await eventually('the down message', async () => (downs.length > 0 ? true : undefined));
        assert.equal(downs[0]?.kind === 'down' && downs[0].payload, '{"command":"ping"}');
        assert.equal(downs.length, 1, 'registration notices are not shown as other down messages');
        await sleep(2500);
        await first.stop();

        // A second run: the same devices again, and the meters carry on from the first run.
        const second = run(2);
        await eventually('reconnected', async () => (second.stats().registered === 2 ? true : undefined));
        await sleep(1000);
        await second.stop();

        for (const simulator of simulators) {
          const stats = simulator.stats();
          assert.ok(stats.published > 100, `published ${stats.published}`);
          assert.equal(stats.acknowledged, stats.published, 'every message acknowledged before the stop');
          assert.equal(stats.failed + stats.dropped + stats.refused, 0);
          assert.equal(stats.pending, 0);
        }
        for (const { gatewayId } of gateways) {
          await assertGatewayData(get, gatewayId, startedAt - 60_000);
          const gateway = (await get(`/v1/gateways/${gatewayId}`)).body as ApiGateway;
          assert.equal(gateway.status, 'offline', 'a clean stop reports offline');
          assert.equal(gateway.unregisteredMessages, 0, 'nothing was sent before the registration');
        }
        // The owner sees the 22 devices in the simulated home.
        const ownerToken = await login(apiUrl, saved.owner.email, saved.owner.password, TENANT_SLUG);
        const homeDevices = await app.request(
          'GET',
          `/v1/homes/${saved.homeId}/devices`,
          undefined,
          ownerToken,
        );
        assert.equal(homeDevices.status, 200);
        assert.equal(homeDevices.body.items.length, 2 * ALL_DEVICES_PER_GATEWAY);
        await assertNoDeadLetters(get);
      } finally {
        await Promise.all(simulators.map((s) => s.stop()));
        await app.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it(
    '--no-register: pending gateways withhold telemetry; one registered by claim code sends, and stops when removed',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const app = await startTestApp();
      const dir = mkdtempSync(path.join(tmpdir(), 'hestia-sim-pending-'));
      const credentialsFile = path.join(dir, 'sim.json');
      const gatewayOf = async (id: string): Promise<ApiGateway> => {
        const response = await app.request('GET', `/v1/gateways/${id}`);
        assert.equal(response.status, 200);
        return response.body as ApiGateway;
      };
      const devicesOf = async (id: string): Promise<ApiDevice[]> =>
        (await app.request('GET', `/v1/gateways/${id}/devices`)).body.items as ApiDevice[];
      const simulate = startSimulateChild(
        [
          ...['--api', `http://127.0.0.1:${app.hestia.ports.http}`, '--url', app.mqttUrl],
          ...['--credentials', credentialsFile, '--tenant', TENANT_SLUG],
          ...['--email', ADMIN_EMAIL, '--password', ADMIN_PASSWORD],
          ...['--gateways', '2', '--no-register', '--speed', String(SPEED)],
          // The scripted leak waits for the first gateway's registration, then lasts a second.
          ...['--leak', '0', '--leak-duration', '1'],
        ],
        { HESTIA_DATA_DIR: dir },
      );
      try {
        const gateways = await eventually('two gateways provisioned', async () => {
          const saved = readCredentialsFile(credentialsFile).gateways;
          return saved.length === 2 ? saved : undefined;
        });
        const [a, b] = gateways as [(typeof gateways)[0], (typeof gateways)[0]];
        assert.ok(a.claimCode && b.claimCode);
        await eventually('both online and announced', async () => {
          const both = await Promise.all([gatewayOf(a.gatewayId), gatewayOf(b.gatewayId)]);
          return both.every((g) => g.status === 'online' && g.unregisteredMessages > 0) ? true : undefined;
        });
        await sleep(1000); // 20 simulated minutes: dozens of readings per gateway, all withheld
        for (const gateway of [a, b]) {
          const stored = await gatewayOf(gateway.gatewayId);
          assert.equal(stored.registration, 'pending');
          assert.equal(stored.unregisteredMessages, 1, 'one announcement (gatewayConfig), no telemetry');
          assert.deepEqual(await devicesOf(gateway.gatewayId), [], 'nothing stored while pending');
        }

        // A person registers gateway a with the claim code printed on it.
        const claim = await app.request(
          'POST',
          `/v1/homes/${app.homeId}/gateways`,
          { gatewayId: a.gatewayId, claimCode: a.claimCode },
          app.ownerToken,
        );
        assert.equal(claim.status, 200, JSON.stringify(claim.body));
        const homeDevices = await eventually('the devices of a in the home', async () => {
          const response = await app.request(
            'GET',
            `/v1/homes/${app.homeId}/devices`,
            undefined,
            app.ownerToken,
          );
          return response.body.items.length === ALL_DEVICES_PER_GATEWAY
            ? (response.body.items as ApiDevice[])
            : undefined;
        });
        assert.deepEqual(
          homeDevices.map((d) => d.id).sort(),
          gatewayDevices(a.gatewayId)
            .map((d) => d.deviceId)
            .sort(),
        );
        const get: Get = (route) => app.request('GET', route);
        await eventually('readings of a', async () =>
          (await history(get, deviceOf(a.gatewayId, 'temperature'), 0)).length >= 5 ? true : undefined,
        );
        assert.deepEqual(await devicesOf(b.gatewayId), [], 'b is still pending');
        assert.equal((await gatewayOf(b.gatewayId)).unregisteredMessages, 1);
        // --leak: once a is registered its leak sensor reports water, then dry a second later.
        const leakSensor = onChangeDevices(a.gatewayId).find((d) => d.kind === 'leak')!;
        const leakValues = await eventually('the scripted leak of a, then dry', async () => {
          const values = (await history(get, leakSensor, 0)).map((r) => r.value);
          return values.join(',').endsWith('1,0') ? values : undefined;
        });
        assert.deepEqual(leakValues, [0, 1, 0], 'dry when registered, the leak, dry again');

        // Removed from the home, gateway a is pending again: it announces itself and stops telemetry.
        const before = (await gatewayOf(a.gatewayId)).unregisteredMessages;
        const removed = await app.request(
          'DELETE',
          `/v1/homes/${app.homeId}/gateways/${a.gatewayId}?confirm=${a.gatewayId}`,
          undefined,
          app.ownerToken,
        );
        assert.equal(removed.status, 200, JSON.stringify(removed.body));
        await eventually('a announced itself again', async () =>
          (await gatewayOf(a.gatewayId)).unregisteredMessages > before ? true : undefined,
        );
        await sleep(1000); // at this speed a still sending would add some sixty messages a second
        const after = (await gatewayOf(a.gatewayId)).unregisteredMessages;
        assert.ok(after - before <= 10, `a kept sending after its removal: ${after - before} messages`);
        assert.deepEqual(await devicesOf(a.gatewayId), [], 'removed data stays deleted');

        simulate.child.kill('SIGTERM');
        assert.equal(await simulate.exited, 0, simulate.stderr());
        const lines = simulate.stdout().trim().split('\n');
        assert.equal(lines.filter((l) => l === `${a.gatewayId} ${a.claimCode}`).length, 2, simulate.stdout());
        assert.equal(lines.filter((l) => l === `${b.gatewayId} ${b.claimCode}`).length, 1, simulate.stdout());
        assert.match(simulate.stderr(), new RegExp(`gateway ${a.gatewayId} registered to home "Home"`));
        assert.match(simulate.stderr(), new RegExp(`gateway ${a.gatewayId} removed from its home`));
        assert.match(
          simulate.stderr(),
          new RegExp(`gateway ${a.gatewayId}: water leak sensor ${leakSensor.deviceId} reports a LEAK\n`),
        );
        assert.match(
          simulate.stderr(),
          new RegExp(`gateway ${a.gatewayId}: water leak sensor ${leakSensor.deviceId} reports dry\n`),
        );
        assert.match(
          simulate.stderr(),
          /registered [01] {2}pending [12] {2}withheld [1-9]/,
          'the progress line counts pending gateways',
        );
      } finally {
        if (simulate.child.exitCode === null) {
          simulate.child.kill('SIGKILL');
          await simulate.exited;
        }
        await app.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it(
    'sets up a demo tenant as platform admin; reconnects when Hestia restarts, readings made meanwhile arrive',
    { timeout: TEST_TIMEOUT_MS },
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
        const progress: string[] = [];
        const { gateways, tenant, registration } = await prepareSimulation({
          apiUrl,
          file: credentialsFile,
          count: 2,
          register: true,
          adminToken: () => login(apiUrl, admin.email, admin.password),
          onProgress: (line) => progress.push(line),
        });
        assert.equal(tenant?.slug, 'demo');
        assert.equal(registration?.registered.length, 2);
        assert.match(progress.join('\n'), /created tenant demo/);
        const saved = readCredentialsFile(credentialsFile);
        assert.ok(saved.tenantAdmin && saved.owner, 'the accounts the simulator made are kept');
        assert.equal(statSync(credentialsFile).mode & 0o777, 0o600);

        const startedAt = Date.now();
        const running = Simulator.start({
          url: `mqtt://127.0.0.1:${mqttPort}`,
          gateways,
          speed: SPEED,
          meterFile: meterFileFor(credentialsFile),
        });
        simulator = running;
        await eventually('registered', async () => (running.stats().registered === 2 ? true : undefined));
        // Readings due before Hestia's first notice wait for none: they are withheld, as when pending.
        const withheldBeforeRegistration = running.stats().withheld;
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
        await eventually('reconnected', async () => {
          const stats = running.stats();
          return stats.connected === 2 && stats.reconnects >= 2 ? true : undefined;
        });
        await sleep(1500);
        await running.stop();
        const stats = running.stats();
        for (const session of running.sessions)
          assert.ok(session.reconnects >= 1, `${session.gatewayId} reconnected`);
        assert.equal(stats.acknowledged, stats.published, 'what waited during the restart was delivered');
        assert.equal(stats.registered, 2, 'still registered after the restart');
        assert.equal(
          stats.withheld,
          withheldBeforeRegistration,
          'nothing withheld across the restart: the gateways remember they are registered',
        );

        const newApi = `http://127.0.0.1:${restarted.ports.http}`;
        const token = await login(newApi, saved.tenantAdmin.email, saved.tenantAdmin.password, 'demo');
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

  describe('the thermostat, the smart plug and the water leak sensor', () => {
    interface CommandResult {
      commandId: string;
      deviceId: string;
      gatewayId: string;
      status: string;
      error?: string;
    }

    /**
     * A registered gateway run by the simulator (at real speed: few periodic readings), with the
     * commandResults it publishes as the broker sees them, and helpers to send commands.
     */
    async function commandable(app: TestApp) {
      const gateway = await app.createGateway();
      const events: SimulatorEvent[] = [];
      const results: CommandResult[] = [];
      const up = `hestia/v1/gw/${gateway.id}/up`;
      app.hestia.broker.aedes.on('publish', (packet) => {
        if (packet.topic !== up) return;
        const message = JSON.parse(packet.payload.toString()) as { messageType?: string };
        if (message.messageType === 'commandResult') results.push(message as CommandResult);
      });
      const simulator = Simulator.start({
        url: app.mqttUrl,
        gateways: [{ gatewayId: gateway.id, token: gateway.token }],
        speed: 1,
        seed: 7,
        commandDelayMs: 20,
        onEvent: (event) => events.push(event),
      });
      await eventually('registered', async () => (simulator.stats().registered === 1 ? true : undefined));
      const [thermostat, plug, leak] = onChangeDevices(gateway.id);
      assert.ok(thermostat?.kind === 'thermostat' && plug?.kind === 'plug' && leak?.kind === 'leak');
      /** The device as the API shows it; undefined while Hestia does not know it yet. */
      const device = async (id: string): Promise<ApiDevice | undefined> => {
        const response = await app.request('GET', `/v1/devices/${id}`);
        if (response.status === 404) return undefined;
        assert.equal(response.status, 200, JSON.stringify(response.body));
        return response.body as ApiDevice;
      };
      const channelValue = async (id: string, label: string): Promise<number | null | undefined> =>
        (await device(id))?.channels.find((c) => c.label === label)?.value;
      /** Publishes a deviceCommand on the down topic, as the command service does. */
      const send = async (command: {
        deviceId: string;
        action: string;
        params?: Record<string, unknown>;
        commandId?: string;
        expiresAtMs?: number;
      }): Promise<string> => {
        const commandId = command.commandId ?? randomUUID();
        const nowMs = Date.now();
        await app.hestia.broker.publishToGateway(gateway.id, {
          messageType: 'deviceCommand',
          commandId,
          gatewayId: gateway.id,
          deviceId: command.deviceId,
          action: command.action,
          params: command.params ?? {},
          timestampMs: nowMs,
          expiresAtMs: command.expiresAtMs ?? nowMs + 30_000,
        });
        return commandId;
      };
      const resultOf = (commandId: string): Promise<CommandResult> =>
        eventually(`commandResult ${commandId}`, async () => results.find((r) => r.commandId === commandId));
      return {
        gateway,
        simulator,
        events,
        results,
        thermostat,
        plug,
        leak,
        device,
        channelValue,
        send,
        resultOf,
      };
    }

    it(
      'are listed by the gateway with their capabilities and report their initial state once registered',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const app = await startTestApp();
        let simulator: Simulator | undefined;
        try {
          const sim = await commandable(app);
          simulator = sim.simulator;
          const expected = [
            [sim.thermostat, 'actuator', 'thermostat', 'C', 20],
            [sim.plug, 'actuator', 'switch', null, 0],
            [sim.leak, 'sensor', 'water_leak', null, 0],
          ] as const;
          for (const [simulated, type, capability, unit, value] of expected) {
            const stored = await eventually(`${simulated.name} reported`, async () => {
              const found = await sim.device(simulated.deviceId);
              return found && found.channels.length > 0 ? found : undefined;
            });
            assert.equal(stored.type, type, simulated.name);
            assert.equal(stored.protocol, 'zwave');
            assert.equal(stored.name, simulated.name);
            assert.equal(stored.channels.length, 1, `${simulated.name}: one channel`);
            const [channel] = stored.channels;
            assert.equal(channel?.label, simulated.label);
            assert.equal(channel?.capability, capability, simulated.name);
            assert.equal(channel?.unit ?? null, unit, simulated.name);
            assert.equal(channel?.value, value, simulated.name);
          }
          // The seed's devices are untouched: the same ids, and no other device on the gateway.
          const listed = await app.request('GET', `/v1/gateways/${sim.gateway.id}/devices`);
          assert.deepEqual(
            (listed.body.items as ApiDevice[]).map((d) => d.id).sort(),
            gatewayDevices(sim.gateway.id)
              .map((d) => d.deviceId)
              .sort(),
          );
          assert.deepEqual(
            simulatedDevices(sim.gateway.id).map((d) => d.slot),
            [0, 1, 2, 3, 4, 5, 6, 7],
            'the seed devices keep their slots (and so their ids)',
          );
          await assertNoDeadLetters((route) => app.request('GET', route));
        } finally {
          await simulator?.stop();
          await app.stop();
        }
      },
    );

    it(
      'answer commands from the down topic: commandResult, then the new state; refusals say why',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const app = await startTestApp();
        let simulator: Simulator | undefined;
        try {
          const sim = await commandable(app);
          simulator = sim.simulator;
          await eventually('initial setpoint', async () =>
            (await sim.channelValue(sim.thermostat.deviceId, 'Thermostat')) === 20 ? true : undefined,
          );

          const setpoint = await sim.send({
            deviceId: sim.thermostat.deviceId,
            action: 'setTemperature',
            params: { temperature: 22 },
          });
          const answered = await sim.resultOf(setpoint);
          assert.deepEqual(
            {
              ...answered,
              timestampMs: undefined,
              vendor: undefined,
              version: undefined,
              clientType: undefined,
            },
            {
              vendor: undefined,
              version: undefined,
              timestampMs: undefined,
              clientType: undefined,
              gatewayId: sim.gateway.id,
              deviceId: sim.thermostat.deviceId,
              messageType: 'commandResult',
              commandId: setpoint,
              status: 'succeeded',
            },
          );
          await eventually('the thermostat reports 22 °C', async () =>
            (await sim.channelValue(sim.thermostat.deviceId, 'Thermostat')) === 22 ? true : undefined,
          );
          assert.equal(sim.simulator.activities[0]?.actuators.setpointC, 22);

          const mode = await sim.send({
            deviceId: sim.thermostat.deviceId,
            action: 'setMode',
            params: { mode: 'cool' },
          });
          assert.equal((await sim.resultOf(mode)).status, 'succeeded');
          assert.equal(sim.simulator.activities[0]?.actuators.mode, 'cool');

          const toggle = await sim.send({ deviceId: sim.plug.deviceId, action: 'toggle' });
          assert.equal((await sim.resultOf(toggle)).status, 'succeeded');
          await eventually('the plug reports on', async () =>
            (await sim.channelValue(sim.plug.deviceId, 'Switch')) === 1 ? true : undefined,
          );
          // QoS 1 may deliver a command twice: answered again, the plug is not toggled back.
          await sim.send({ deviceId: sim.plug.deviceId, action: 'toggle', commandId: toggle });
          await eventually('answered twice', async () =>
            sim.results.filter((r) => r.commandId === toggle).length === 2 ? true : undefined,
          );
          assert.equal(sim.simulator.activities[0]?.actuators.plugOn, true, 'executed once');
          assert.ok(
            sim.events.some((e) => e.kind === 'commandResult' && e.commandId === toggle && e.repeated),
          );
          const off = await sim.send({ deviceId: sim.plug.deviceId, action: 'turnOff' });
          assert.equal((await sim.resultOf(off)).status, 'succeeded');
          await eventually('the plug reports off', async () =>
            (await sim.channelValue(sim.plug.deviceId, 'Switch')) === 0 ? true : undefined,
          );

          const refusals: Array<[Parameters<typeof sim.send>[0], RegExp]> = [
            [{ deviceId: randomUUID(), action: 'turnOn' }, /^unknown device [0-9a-f-]{36} on gateway /],
            [{ deviceId: sim.leak.deviceId, action: 'turnOn' }, /Water Leak\) accepts no commands/],
            [
              { deviceId: sim.thermostat.deviceId, action: 'toggle' },
              /cannot "toggle" \(it accepts setTemperature, setMode\)/,
            ],
            [
              { deviceId: sim.thermostat.deviceId, action: 'setTemperature', params: { temperature: 40 } },
              /40 °C is outside the thermostat's range 5\.\.35 °C/,
            ],
            [
              { deviceId: sim.thermostat.deviceId, action: 'setTemperature', params: { temperature: '22' } },
              /params\.temperature must be a number/,
            ],
            [
              { deviceId: sim.thermostat.deviceId, action: 'setMode', params: { mode: 'turbo' } },
              /params\.mode must be one of off, heat, cool, auto/,
            ],
            [
              {
                deviceId: sim.thermostat.deviceId,
                action: 'setTemperature',
                params: { temperature: 25 },
                expiresAtMs: Date.now() - 1000,
              },
              /^expired at .* before the gateway could execute it$/,
            ],
          ];
          for (const [command, reason] of refusals) {
            const answer = await sim.resultOf(await sim.send(command));
            assert.equal(answer.status, 'failed', JSON.stringify(command));
            assert.match(answer.error ?? '', reason);
          }
          assert.equal(
            sim.simulator.activities[0]?.actuators.setpointC,
            22,
            'refused commands change nothing',
          );
          // Fahrenheit is understood too (Hestia sends °C, a real thermostat would accept both).
          const fahrenheit = await sim.send({
            deviceId: sim.thermostat.deviceId,
            action: 'setTemperature',
            params: { temperature: 70, unit: 'F' },
          });
          assert.equal((await sim.resultOf(fahrenheit)).status, 'succeeded');
          await eventually('the thermostat reports 21.1 °C', async () =>
            (await sim.channelValue(sim.thermostat.deviceId, 'Thermostat')) === 21.1 ? true : undefined,
          );

          const stats = sim.simulator.stats();
          assert.equal(stats.commands, 5 + refusals.length, 'a redelivered command is counted once');
          assert.equal(stats.commandsFailed, refusals.length);
          const received = sim.events.filter((e) => e.kind === 'command');
          assert.equal(received.length, stats.commands);
          assert.ok(
            received.some(
              (e) =>
                e.kind === 'command' &&
                e.commandId === setpoint &&
                e.action === 'setTemperature' &&
                JSON.stringify(e.params) === '{"temperature":22}',
            ),
          );
          // The state readings are accepted; only commandResults may be refused while Hestia's
          // ingest does not know them yet.
          const letters = await app.request('GET', '/v1/dead-letters?limit=100');
          for (const letter of letters.body.items as Array<{ payload: string }>) {
            assert.match(letter.payload, /"messageType":"commandResult"/);
          }
        } finally {
          await simulator?.stop();
          await app.stop();
        }
      },
    );

    it(
      'fails a given fraction of commands on purpose (--fail-commands)',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const app = await startTestApp();
        const gateway = await app.createGateway();
        const events: SimulatorEvent[] = [];
        const start = (failCommandsRatio: number): Simulator =>
          Simulator.start({
            url: app.mqttUrl,
            gateways: [{ gatewayId: gateway.id, token: gateway.token }],
            speed: 1,
            seed: 3,
            commandDelayMs: 0,
            failCommandsRatio,
            onEvent: (event) => events.push(event),
          });
        const simulator = start(1);
        try {
          await eventually('registered', async () => (simulator.stats().registered === 1 ? true : undefined));
          const [, plug] = onChangeDevices(gateway.id);
          for (let i = 0; i < 3; i++) {
            await app.hestia.broker.publishToGateway(gateway.id, {
              messageType: 'deviceCommand',
              commandId: randomUUID(),
              gatewayId: gateway.id,
              deviceId: plug!.deviceId,
              action: 'turnOn',
              params: {},
              timestampMs: Date.now(),
              expiresAtMs: Date.now() + 30_000,
            });
          }
          const answers = await eventually('three answers', async () => {
            const found = events.filter((e) => e.kind === 'commandResult');
            return found.length === 3 ? found : undefined;
          });
          for (const answer of answers) {
            assert.ok(answer.kind === 'commandResult' && answer.status === 'failed');
            assert.match(answer.error ?? '', /simulated failure, --fail-commands/);
          }
          assert.equal(simulator.activities[0]?.actuators.plugOn, false, 'a failed command changes nothing');
          assert.throws(() => start(1.5), /failCommandsRatio: expected a number from 0 to 1/);
        } finally {
          await simulator.stop();
          await app.stop();
        }
      },
    );

    it(
      'a leak and motion on demand: the leak sensor reports 1, then 0; the motion sensor reports at once',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const app = await startTestApp();
        let simulator: Simulator | undefined;
        try {
          const sim = await commandable(app);
          simulator = sim.simulator;
          const get: Get = (route) => app.request('GET', route);
          await eventually('dry at first', async () =>
            (await sim.channelValue(sim.leak.deviceId, 'Water Leak')) === 0 ? true : undefined,
          );
          assert.equal((await history(get, sim.leak, 0)).length, 1, 'one initial reading');
          assert.equal(sim.simulator.triggerLeak(0, 300), true, 'reported');
          assert.equal(sim.simulator.activities[0]?.leaking, true);
          const values = await eventually('the leak, then dry', async () => {
            const readings = (await history(get, sim.leak, 0)).map((r) => r.value);
            return readings.length === 3 ? readings : undefined;
          });
          assert.deepEqual(values, [0, 1, 0]);
          assert.equal(sim.simulator.activities[0]?.leaking, false);
          assert.deepEqual(
            sim.events.filter((e) => e.kind === 'leak').map((e) => e.kind === 'leak' && e.detected),
            [true, false],
          );
          // A leak by gateway id, ended by hand.
          assert.equal(sim.simulator.triggerLeak(sim.gateway.id), true);
          assert.equal(sim.simulator.endLeak(sim.gateway.id), true);
          await eventually('five leak readings', async () =>
            (await history(get, sim.leak, 0)).length === 5 ? true : undefined,
          );
          assert.throws(() => sim.simulator.triggerLeak(3), /no simulated gateway 3/);

          const motion = deviceOf(sim.gateway.id, 'motion');
          const before = Date.now();
          assert.equal(sim.simulator.triggerMotion(), true);
          const reading = await eventually('motion now', async () =>
            (await history(get, motion, before)).find((r) => r.value === 1),
          );
          assert.ok(reading.tsMs >= before, 'stamped now');
          // A camera's motion detector on demand, by device id.
          const camera = deviceOf(sim.gateway.id, 'camera', 1);
          assert.equal(sim.simulator.triggerMotion(0, camera.deviceId), true);
          await eventually('camera motion now', async () =>
            (await history(get, camera, before)).some((r) => r.value === 1) ? true : undefined,
          );
          assert.throws(() => sim.simulator.triggerMotion(0, sim.thermostat.deviceId), /no motion detector/);
          await assertNoDeadLetters(get);
        } finally {
          await simulator?.stop();
          await app.stop();
        }
      },
    );

    it(
      'through the API: POST /v1/devices/{thermostat}/commands reaches succeeded and the channel shows 22',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const app = await startTestApp();
        let simulator: Simulator | undefined;
        try {
          const sim = await commandable(app);
          simulator = sim.simulator;
          await eventually('the thermostat is known', async () =>
            (await sim.channelValue(sim.thermostat.deviceId, 'Thermostat')) === 20 ? true : undefined,
          );
          const created = await app.request(
            'POST',
            `/v1/devices/${sim.thermostat.deviceId}/commands`,
            { action: 'setTemperature', params: { temperature: 22 } },
            app.ownerToken,
          );
          assert.ok([200, 201, 202].includes(created.status), JSON.stringify(created.body));
          const command = (created.body.command ?? created.body) as { id: string; status: string };
          assert.ok(command.id, JSON.stringify(created.body));
          await eventually('succeeded', async () => {
            const response = await app.request(
              'GET',
              `/v1/commands/${command.id}`,
              undefined,
              app.ownerToken,
            );
            return response.body.status === 'succeeded' ? true : undefined;
          });
          await eventually('the channel shows 22', async () =>
            (await sim.channelValue(sim.thermostat.deviceId, 'Thermostat')) === 22 ? true : undefined,
          );
          assert.equal((await sim.resultOf(command.id)).status, 'succeeded');
          await assertNoDeadLetters((route) => app.request('GET', route));
        } finally {
          await simulator?.stop();
          await app.stop();
        }
      },
    );
  });
});
