import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import mqtt, { type MqttClient } from 'mqtt';
import { readCredentialsFile, readInitialAdmin } from '../src/simulator/files.ts';
import {
  bitValue,
  commandResultMessage,
  gatewayConfigMessage,
  motionValue,
  sensorDataMessage,
} from '../src/simulator/messages.ts';
import { gatewayDevices, type GatewayDevice } from '../src/simulator/model.ts';
import { callApi, login, prepareSimulation } from '../src/simulator/provision.ts';
import { gatewayTopics } from '../src/simulator/session.ts';
import { collectHestiaEnv, environmentOf, positiveNumber, resultHead, wholeNumber } from './options.ts';
import { round, summary, type Summary } from './histogram.ts';
import { measureUnderLoad } from './load-workers.ts';
import { killChildren, progress, removeAtExit, startHestia, waitForExit } from './processes.ts';

/**
 * `npm run bench:control`: how fast a home reacts, idle and under the ingest benchmark's load.
 *   - trigger → command: a probe gateway publishes "motion detected"; an automation
 *     ("motion → plug on") makes Hestia publish a deviceCommand on the probe's down topic.
 *   - alarm → notification: the probe publishes "leak"; the critical alarm's notification
 *     reaches a webhook and the OneSignal endpoint served by this program.
 * The reference, measured in the same run and phase, is the probe's own PUBACK: the time for the
 * triggering reading to become durable, which every reaction must wait for. All clocks are this
 * process's. Progress on stderr, one JSON document on stdout; everything on 127.0.0.1.
 */

const TARGET_P99_MS = 50;
const SAMPLE_TIMEOUT_MS = 10_000;
const ONESIGNAL_APP_ID = 'b2f7f966-d8cc-11e4-bed1-df8f05be55ba';
const PLAYER_ID = '1dd608f2-c6a1-11e3-851d-000c2940e62c';
const WEBHOOK_SECRET = 'bench-webhook-secret-0123456789';

interface Options {
  gateways: number;
  rate: number;
  workers: number;
  inflight: number;
  samples: number;
  probeHz: number;
  warmup: number;
  idle: boolean;
  keep: boolean;
  hestiaEnv: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A notification that reached one of the fake providers, with its arrival time. */
interface Arrival {
  alarmId: string;
  atMs: number;
}

/**
 * The providers' side: OneSignal's `POST /api/v1/notifications` and a webhook receiver, both
 * answering at once. Arrivals are kept per provider, keyed by the alarm they announce.
 */
class FakeProviders {
  readonly arrivals = { webhook: [] as Arrival[], oneSignal: [] as Arrival[] };
  private readonly waiters: Array<() => void> = [];
  private server: http.Server | null = null;
  port = 0;

  async start(): Promise<void> {
    this.server = http.createServer((request, response) => {
      const atMs = performance.now();
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
          data?: { alarmId?: string };
          id?: string;
        };
        const alarmId = body.data?.alarmId;
        if (request.url === '/api/v1/notifications') {
          if (alarmId) this.arrivals.oneSignal.push({ alarmId, atMs });
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ id: `bench-${this.arrivals.oneSignal.length}`, recipients: 1 }));
        } else {
          if (alarmId) this.arrivals.webhook.push({ alarmId, atMs });
          response.writeHead(204).end();
        }
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** The first arrival at `provider` for an alarm not in `seen`, after `sinceIndex`. */
  async next(provider: 'webhook' | 'oneSignal', sinceIndex: number): Promise<Arrival> {
    const deadline = performance.now() + SAMPLE_TIMEOUT_MS;
    for (;;) {
      const arrival = this.arrivals[provider][sinceIndex];
      if (arrival) return arrival;
      if (performance.now() > deadline) throw new Error(`no ${provider} call within ${SAMPLE_TIMEOUT_MS} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** The probe gateway: publishes the triggers, answers commands, notes when they arrive. */
class Probe {
  private lastTsMs = 0;
  private commandWaiter: ((atMs: number) => void) | null = null;

  private constructor(
    private readonly client: MqttClient,
    private readonly gatewayId: string,
    readonly devices: { motion: GatewayDevice; plug: GatewayDevice; leak: GatewayDevice },
  ) {}

  static async connect(mqttUrl: string, gateway: { gatewayId: string; token: string }): Promise<Probe> {
    const topics = gatewayTopics(gateway.gatewayId);
    const client = await mqtt.connectAsync(mqttUrl, {
      clientId: gateway.gatewayId,
      username: gateway.gatewayId,
      password: gateway.token,
      reconnectPeriod: 0,
    });
    const all = gatewayDevices(gateway.gatewayId);
    const find = (kind: string): GatewayDevice => {
      const device = all.find((d) => d.kind === kind);
      if (!device) throw new Error(`the simulated gateway has no ${kind} device`);
      return device;
    };
    const probe = new Probe(client, gateway.gatewayId, {
      motion: find('motion'),
      plug: find('plug'),
      leak: find('leak'),
    });
    client.on('message', (topic, payload) => probe.onDown(topic, payload));
    await client.subscribeAsync(topics.down, { qos: 1 });
    await probe.publish(gatewayConfigMessage(gateway.gatewayId, all, probe.nextTs()));
    await probe.reading('motion', motionValue(false));
    await probe.reading('plug', bitValue(false));
    await probe.reading('leak', bitValue(false));
    return probe;
  }

  /** Device timestamps strictly increase, so that "newest wins" orders the probe's readings. */
  private nextTs(): number {
    this.lastTsMs = Math.max(Date.now(), this.lastTsMs + 1);
    return this.lastTsMs;
  }

  private async publish(message: unknown): Promise<void> {
    await this.client.publishAsync(gatewayTopics(this.gatewayId).up, JSON.stringify(message), { qos: 1 });
  }

  /** Publishes a reading; resolves at its PUBACK (the reading is durable). */
  reading(kind: 'motion' | 'plug' | 'leak', value: string): Promise<void> {
    return this.publish(sensorDataMessage(this.gatewayId, this.devices[kind], value, this.nextTs()));
  }

  /** Resolves with the arrival time of the next deviceCommand. */
  nextCommand(): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.commandWaiter = null;
        reject(new Error(`no deviceCommand within ${SAMPLE_TIMEOUT_MS} ms`));
      }, SAMPLE_TIMEOUT_MS);
      this.commandWaiter = (atMs) => {
        clearTimeout(timer);
        resolve(atMs);
      };
    });
  }

  private onDown(_topic: string, payload: Buffer): void {
    const atMs = performance.now();
    let message: { messageType?: string; commandId?: string; deviceId?: string };
    try {
      message = JSON.parse(payload.toString('utf8')) as typeof message;
    } catch {
      return;
    }
    if (message.messageType !== 'deviceCommand' || !message.commandId || !message.deviceId) return;
    const waiter = this.commandWaiter;
    this.commandWaiter = null;
    waiter?.(atMs);
    // Answer like a gateway, so that commands complete instead of timing out.
    this.publish(
      commandResultMessage(
        this.gatewayId,
        message.deviceId,
        message.commandId,
        { status: 'succeeded' },
        this.nextTs(),
      ),
    ).catch((error: unknown) => progress(`probe: could not answer a command: ${(error as Error).message}`));
  }

  close(): Promise<void> {
    return this.client.endAsync();
  }
}

interface PhaseResult {
  samples: number;
  triggerToCommandMs: Summary;
  alarmToWebhookMs: Summary;
  alarmToOneSignalMs: Summary;
  /** Reference: the triggering reading's publish → PUBACK (durable). */
  probePubackMs: Summary;
  /** Trigger → command p99 over the probe's PUBACK p99: what the reaction adds to durability. */
  triggerP99OverPubackP99: number | null;
  alarmP99OverPubackP99: number | null;
  failures: string[];
  load?: { targetMsgPerSec: number; ackedMsgPerSec: number };
}

async function measurePhase(
  probe: Probe,
  providers: FakeProviders,
  api: { url: string; ownerToken: string; homeId: string },
  options: Options,
): Promise<PhaseResult> {
  const trigger: number[] = [];
  const webhook: number[] = [];
  const oneSignal: number[] = [];
  const puback: number[] = [];
  const failures: string[] = [];
  const periodMs = 1000 / options.probeHz;
  for (let i = 0; i < options.samples; i++) {
    const startedAt = performance.now();
    try {
      // trigger → command: motion goes 0 → 1; the rule fires on becoming active.
      await probe.reading('motion', motionValue(false));
      const command = probe.nextCommand();
      const t0 = performance.now();
      await probe.reading('motion', motionValue(true));
      puback.push(performance.now() - t0);
      trigger.push((await command) - t0);

      // alarm → notification: a new leak after the previous one was cleared by a dry reading.
      await probe.reading('leak', bitValue(false));
      await waitForNoActiveAlarm(api);
      const webhookIndex = providers.arrivals.webhook.length;
      const oneSignalIndex = providers.arrivals.oneSignal.length;
      const t1 = performance.now();
      await probe.reading('leak', bitValue(true));
      puback.push(performance.now() - t1);
      const [hook, push] = await Promise.all([
        providers.next('webhook', webhookIndex),
        providers.next('oneSignal', oneSignalIndex),
      ]);
      webhook.push(hook.atMs - t1);
      oneSignal.push(push.atMs - t1);
    } catch (error) {
      failures.push((error as Error).message);
      if (failures.length > 10) throw new Error(`too many failed samples: ${failures.join('; ')}`);
    }
    if ((i + 1) % 25 === 0) progress(`  ${i + 1}/${options.samples} samples`);
    await sleep(Math.max(0, periodMs - (performance.now() - startedAt)));
  }
  const ratio = (a: number | null, b: number | null) =>
    a === null || b === null || b === 0 ? null : round(a / b);
  const triggerSummary = summary(trigger);
  const webhookSummary = summary(webhook);
  const pubackSummary = summary(puback);
  return {
    samples: trigger.length,
    triggerToCommandMs: triggerSummary,
    alarmToWebhookMs: webhookSummary,
    alarmToOneSignalMs: summary(oneSignal),
    probePubackMs: pubackSummary,
    triggerP99OverPubackP99: ratio(triggerSummary.p99, pubackSummary.p99),
    alarmP99OverPubackP99: ratio(webhookSummary.p99, pubackSummary.p99),
    failures,
  };
}

/** The dry reading clears the alarm after its commit; the next leak must raise a new one. */
async function waitForNoActiveAlarm(api: { url: string; ownerToken: string; homeId: string }): Promise<void> {
  const deadline = performance.now() + SAMPLE_TIMEOUT_MS;
  for (;;) {
    const active = await callApi<{ items: unknown[] }>(
      api.url,
      'GET',
      `/v1/homes/${api.homeId}/alarms?state=active&limit=1`,
      undefined,
      api.ownerToken,
    );
    if (active.items.length === 0) return;
    if (performance.now() > deadline) throw new Error('the leak alarm was not cleared by the dry reading');
    await sleep(5);
  }
}

function parseOptions(): Options {
  const program = new Command()
    .name('bench:control')
    .description(
      "Hestia reaction latency: reading → automation's command published, and alarm reading → notification at a " +
        "webhook and OneSignal, idle and under the ingest benchmark's fixed-rate load, next to the probe's own PUBACK.",
    )
    .option('--gateways <n>', 'load gateways (MQTT clients), 8 devices each', wholeNumber('gateways'), 100)
    .option('--rate <msg/s>', 'ingest load during the loaded phase', positiveNumber('rate'), 10_000)
    .option('--workers <n>', 'load-generator processes', wholeNumber('workers'), 1)
    .option('--inflight <n>', 'QoS 1 messages in flight per load client', wholeNumber('inflight'), 16)
    .option('--samples <n>', 'samples of each latency per phase', wholeNumber('samples'), 200)
    .option('--probe-hz <n>', 'samples per second', positiveNumber('probe-hz'), 5)
    .option(
      '--warmup <s>',
      'seconds of load before the loaded phase is measured',
      positiveNumber('warmup'),
      5,
    )
    .option('--no-idle', 'skip the idle phase')
    .option('--keep', "keep Hestia's data directory")
    .option(
      '--hestia-env <KEY=VALUE>',
      'configuration of the Hestia under test (repeatable)',
      collectHestiaEnv,
      [] as string[],
    )
    .addHelpText(
      'after',
      '\nPrints progress on stderr and one JSON document on stdout.\nExample: npm run bench:control -- --samples 50 --rate 5000',
    );
  program.parse(process.argv);
  return program.opts<Options>();
}

async function main(): Promise<void> {
  const options = parseOptions();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'hestia-bench-control-'));
  if (!options.keep) removeAtExit(workDir);
  const dataDir = path.join(workDir, 'data');
  const result: Record<string, unknown> = {
    ...resultHead('control'),
    targetP99Ms: TARGET_P99_MS,
  };
  const providers = new FakeProviders();
  try {
    await providers.start();
    const userEnv = environmentOf(options.hestiaEnv);
    const hestiaEnv = {
      HESTIA_NOTIFICATIONS_ONE_SIGNAL_URL: `http://127.0.0.1:${providers.port}`,
      // One probe home triggers several times a second, far above what a real home sends.
      HESTIA_COMMANDS_PER_HOME_PER_MINUTE: '1000000',
      HESTIA_AUTOMATIONS_MAX_RUNS_PER_MINUTE: '1000000',
      ...userEnv,
    };
    progress(`starting Hestia (data in ${dataDir})`);
    const hestia = await startHestia(dataDir, null, hestiaEnv);
    const apiUrl = `http://127.0.0.1:${hestia.ports.http}`;
    const mqttUrl = `mqtt://127.0.0.1:${hestia.ports.mqtt}`;
    const admin = readInitialAdmin(dataDir);
    if (!admin) throw new Error('Hestia wrote no initial-admin.json');
    const adminToken = await login(apiUrl, admin.email, admin.password);

    progress(`provisioning ${options.gateways} load gateways + 1 probe, registered to one home`);
    const credentialsFile = path.join(dataDir, 'bench-credentials.json');
    const prepared = await prepareSimulation({
      apiUrl,
      file: credentialsFile,
      count: options.gateways + 1,
      register: true,
      adminToken: async () => adminToken,
      concurrency: 8,
    });
    const state = readCredentialsFile(credentialsFile);
    if (!state.owner || !state.tenant || !state.homeId)
      throw new Error('the simulation has no owner, tenant or home');
    const ownerToken = await login(apiUrl, state.owner.email, state.owner.password, state.tenant.slug);
    const gateways = prepared.gateways.map((g) => ({ gatewayId: g.gatewayId, token: g.token }));
    const probeGateway = gateways.pop()!;

    // Notifications: the provider's OneSignal app and webhook; the owner's phone.
    await callApi(
      apiUrl,
      'PUT',
      `/v1/tenants/${state.tenant.id}/push-credentials`,
      {
        oneSignal: { appId: ONESIGNAL_APP_ID, restApiKey: 'bench-rest-api-key' },
        webhook: { url: `http://127.0.0.1:${providers.port}/hook`, secret: WEBHOOK_SECRET },
      },
      adminToken,
    );
    await callApi(
      apiUrl,
      'POST',
      '/v1/me/push-devices',
      { provider: 'onesignal', token: PLAYER_ID },
      ownerToken,
    );

    progress('connecting the probe gateway and creating the rule "motion → plug on"');
    const probe = await Probe.connect(mqttUrl, probeGateway);
    await callApi(
      apiUrl,
      'POST',
      `/v1/homes/${state.homeId}/automations`,
      {
        name: 'Bench: motion turns the plug on',
        triggers: [
          { type: 'device', deviceId: probe.devices.motion.deviceId, label: 'Motion', op: 'becomes_active' },
        ],
        actions: [{ type: 'command', deviceId: probe.devices.plug.deviceId, action: 'turnOn', params: {} }],
      },
      ownerToken,
    );
    const api = { url: apiUrl, ownerToken, homeId: state.homeId };
    result.config = {
      loadGateways: options.gateways,
      loadRateMsgPerSec: options.rate,
      loadWorkers: options.workers,
      samplesPerPhase: options.samples,
      probeHz: options.probeHz,
      hestia: 'embedded broker (Aedes), SQLite in WAL mode with synchronous=FULL',
      hestiaEnvironment: hestiaEnv,
    };

    const phases: Record<string, PhaseResult> = {};
    if (options.idle) {
      progress(`idle phase: ${options.samples} samples of each latency`);
      phases.idle = await measurePhase(probe, providers, api, options);
      progress(
        `idle: trigger→command p99 ${phases.idle.triggerToCommandMs.p99} ms, alarm→webhook p99 ${phases.idle.alarmToWebhookMs.p99} ms`,
      );
    }

    progress(
      `loaded phase: ${options.rate} msg/s from ${options.gateways} gateways, ${options.warmup} s warm-up`,
    );
    const { result: loaded, load } = await measureUnderLoad(
      {
        mqttUrl,
        gateways,
        workers: options.workers,
        inflightPerClient: options.inflight,
        ratePerSec: options.rate,
        warmupS: options.warmup,
      },
      () => measurePhase(probe, providers, api, options),
    );
    loaded.load = load;
    phases.loaded = loaded;
    progress(
      `loaded: trigger→command p99 ${loaded.triggerToCommandMs.p99} ms, alarm→webhook p99 ${loaded.alarmToWebhookMs.p99} ms, ${loaded.load.ackedMsgPerSec} msg/s acknowledged`,
    );
    result.phases = phases;
    result.withinTarget = {
      triggerToCommand: (loaded.triggerToCommandMs.p99 ?? Infinity) < TARGET_P99_MS,
      alarmToWebhook: (loaded.alarmToWebhookMs.p99 ?? Infinity) < TARGET_P99_MS,
      alarmToOneSignal: (loaded.alarmToOneSignalMs.p99 ?? Infinity) < TARGET_P99_MS,
    };

    await probe.close();
    progress('stopping Hestia');
    hestia.child.kill('SIGTERM');
    await waitForExit(hestia.child, 30_000);
  } finally {
    await providers.close();
    killChildren();
  }
  result.finishedAt = new Date().toISOString();
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main().catch((error: unknown) => {
  progress(`bench:control failed: ${(error as Error).stack ?? String(error)}`);
  killChildren();
  process.exit(1);
});
