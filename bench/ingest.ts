import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { Command } from 'commander';
import mqtt, { type MqttClient } from 'mqtt';
import { readInitialAdmin } from '../src/simulator/files.ts';
import { gatewayConfigMessage, sensorDataMessage } from '../src/simulator/messages.ts';
import { DEVICES_PER_GATEWAY, simulatedDevices, type SimulatedDevice } from '../src/simulator/model.ts';
import { callApi, login, prepareSimulation } from '../src/simulator/provision.ts';
import { gatewayTopics } from '../src/simulator/session.ts';
import {
  mainThreadProfile,
  prepareProfileDir,
  summarizeCpuProfile,
  type ProfileSummary,
} from './cpu-profile.ts';
import { collectHestiaEnv, environmentOf, positiveNumber, resultHead, wholeNumber } from './options.ts';
import { LatencyHistogram, percentileOf, round, type HistogramData } from './histogram.ts';
import { gatewayLoad } from './payloads.ts';
import { snapshot, startWorkers, stopLoad, stopWorkers, type LoadWorker } from './load-workers.ts';
import {
  REPO_ROOT,
  killChildren,
  progress,
  removeAtExit,
  startHestia,
  startMosquitto,
  waitForExit,
} from './processes.ts';
import { RssSampler, cpuPercent, machineCpuTicks, processCpuSeconds } from './system.ts';

/**
 * `npm run bench:ingest`: how many QoS 1 readings per second Hestia makes durable, and how
 * fast a reading becomes queryable, next to the relay rate of a Mosquitto broker measured in
 * the same run with the same client, messages and QoS. Progress goes to stderr, one JSON
 * document with every figure to stdout. Everything runs on 127.0.0.1 and stops by itself.
 */

/** The targets of the benchmark issue, for this 2-core machine. */
const TARGET_DURABLE_MSG_PER_SEC = 20_000;
const TARGET_P99_MS = 100;
const PROBE_TIMEOUT_MS = 5000;
/** Pause between two polls of the probe's device: the resolution of the queryable latency. */
const PROBE_POLL_INTERVAL_MS = 2;

interface Options {
  duration: number;
  warmup: number;
  gateways: number;
  rate: number;
  workers: number;
  inflight: number;
  probeHz: number;
  reference: boolean;
  profile?: string | boolean;
  keep: boolean;
  hestiaEnv: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Microseconds on the monotonic clock that V8's profiler stamps its samples with. */
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

// ---------------------------------------------------------------------------------------------
// Measurement.

/** CPU seconds of named processes, read together so the phases compare like with like. */
function cpuReading(pids: Record<string, number>): {
  atMs: number;
  seconds: Record<string, number | null>;
  machine: ReturnType<typeof machineCpuTicks>;
} {
  const seconds: Record<string, number | null> = {};
  for (const [name, pid] of Object.entries(pids)) seconds[name] = processCpuSeconds(pid);
  return { atMs: performance.now(), seconds, machine: machineCpuTicks() };
}

function cpuBetween(
  before: ReturnType<typeof cpuReading>,
  after: ReturnType<typeof cpuReading>,
): Record<string, number | null> {
  const elapsedMs = after.atMs - before.atMs;
  const result: Record<string, number | null> = {};
  for (const name of Object.keys(before.seconds)) {
    result[`${name}PctOfOneCore`] = cpuPercent(
      before.seconds[name] ?? null,
      after.seconds[name] ?? null,
      elapsedMs,
    );
  }
  if (before.machine && after.machine) {
    const total = after.machine.total - before.machine.total;
    const busyPct = total > 0 ? ((after.machine.busy - before.machine.busy) * 100) / total : null;
    // The machine is shared: CPU that none of the benchmark's processes used tells of interference.
    const ours = Object.values(result).reduce<number>((sum, pct) => sum + (pct ?? 0), 0);
    result.machineBusyPctOfAllCores = busyPct === null ? null : Math.round(busyPct);
    result.otherProcessesPctOfOneCore =
      busyPct === null ? null : Math.max(0, Math.round(busyPct * os.availableParallelism() - ours));
  }
  return result;
}

interface SaturationResult {
  elapsedS: number;
  counted: number;
  countedPerSec: number;
  senderAckedPerSec: number;
  senderSentPerSec: number;
  cpu: Record<string, number | null>;
  drained: boolean;
  windowUs: { fromUs: number; toUs: number };
}

/**
 * Publishes as fast as the broker acknowledges; after the warm-up, `count()` (rows in the
 * store, or messages at the subscriber) is read at both ends of the measured window.
 */
async function measureSaturation(
  workers: LoadWorker[],
  options: Options,
  count: () => number,
  cpuPids: Record<string, number>,
): Promise<SaturationResult> {
  for (const worker of workers) worker.send({ type: 'run', mode: 'saturate' });
  await sleep(options.warmup * 1000);
  const fromUs = monotonicUs();
  // Times are taken before the counts: a count sees what was committed when its query began.
  const startedAt = performance.now();
  const startCount = count();
  const cpuBefore = cpuReading(cpuPids);
  const senderBefore = await snapshot(workers);
  await sleep(options.duration * 1000);
  const toUs = monotonicUs();
  const endedAt = performance.now();
  const endCount = count();
  const cpuAfter = cpuReading(cpuPids);
  const senderAfter = await snapshot(workers);
  const stopped = await stopLoad(workers);
  const elapsedS = (endedAt - startedAt) / 1000;
  return {
    elapsedS: round(elapsedS),
    counted: endCount - startCount,
    countedPerSec: Math.round((endCount - startCount) / elapsedS),
    senderAckedPerSec: Math.round((senderAfter.acked - senderBefore.acked) / elapsedS),
    senderSentPerSec: Math.round((senderAfter.sent - senderBefore.sent) / elapsedS),
    cpu: cpuBetween(cpuBefore, cpuAfter),
    drained: stopped.every((s) => s.drained),
    windowUs: { fromUs, toUs },
  };
}

/** A gateway of its own that publishes a distinct reading now and then and polls the API until it shows. */
class QueryableProbe {
  readonly queryableMs: number[] = [];
  readonly pubackMs: number[] = [];
  timeouts = 0;
  private lastTsMs = 0;
  private sequence = 0;

  private constructor(
    private readonly client: MqttClient,
    private readonly gatewayId: string,
    private readonly device: SimulatedDevice,
    private readonly apiUrl: string,
    private readonly token: string,
  ) {}

  static async connect(
    url: string,
    gateway: { gatewayId: string; token: string },
    apiUrl: string,
    token: string,
  ): Promise<QueryableProbe> {
    const client = await mqtt.connectAsync(url, {
      clientId: gateway.gatewayId,
      username: gateway.gatewayId,
      password: gateway.token,
      clean: true,
      reconnectPeriod: 0,
    });
    const devices = simulatedDevices(gateway.gatewayId);
    const config = gatewayConfigMessage(gateway.gatewayId, devices, Date.now());
    await client.publishAsync(gatewayTopics(gateway.gatewayId).up, JSON.stringify(config), { qos: 1 });
    return new QueryableProbe(client, gateway.gatewayId, devices[0]!, apiUrl, token);
  }

  async run(durationMs: number, hz: number): Promise<void> {
    const until = performance.now() + durationMs;
    const periodMs = 1000 / hz;
    while (performance.now() < until) {
      const slotStart = performance.now();
      await this.once();
      await sleep(Math.max(0, slotStart + periodMs - performance.now()));
    }
  }

  private async once(): Promise<void> {
    const tsMs = Math.max(Date.now(), this.lastTsMs + 1);
    this.lastTsMs = tsMs;
    const value = (20 + (this.sequence++ % 100) / 10).toFixed(1);
    const payload = JSON.stringify(sensorDataMessage(this.gatewayId, this.device, value, tsMs));
    const publishedAt = performance.now();
    this.client.publish(gatewayTopics(this.gatewayId).up, payload, { qos: 1 }, (error) => {
      if (!error) this.pubackMs.push(performance.now() - publishedAt);
    });
    for (;;) {
      const device = await callApi<{ channels: Array<{ label: string; tsMs: number }> }>(
        this.apiUrl,
        'GET',
        `/v1/devices/${this.device.deviceId}`,
        undefined,
        this.token,
      ).catch(() => null); // the device may not exist before its first commit: poll again
      const elapsed = performance.now() - publishedAt;
      if (device?.channels.some((c) => c.label === this.device.label && c.tsMs === tsMs)) {
        this.queryableMs.push(elapsed);
        return;
      }
      if (elapsed > PROBE_TIMEOUT_MS) {
        this.timeouts++;
        return;
      }
      await sleep(PROBE_POLL_INTERVAL_MS);
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/**
 * The reference: a private Mosquitto relaying the same load (same workers, client library,
 * messages, QoS 1 and in-flight bound) to one QoS 1 subscriber; its rate is counted at the
 * subscriber.
 */
async function measureReference(
  options: Options,
  workDir: string,
  gateways: ReadonlyArray<{ gatewayId: string }>,
): Promise<{
  version: string;
  relayMsgPerSec: number;
  messagesReceived: number;
  elapsedS: number;
  senderPubackPerSec: number;
  cpu: Record<string, number | null>;
}> {
  const mosquitto = await startMosquitto(workDir);
  const url = `mqtt://127.0.0.1:${mosquitto.port}`;
  const subscriber = await mqtt.connectAsync(url, {
    clientId: 'bench-subscriber',
    clean: true,
    reconnectPeriod: 0,
  });
  let received = 0;
  subscriber.on('message', () => {
    received++;
  });
  await subscriber.subscribeAsync('hestia/v1/gw/+/up', { qos: 1 });
  const workers = await startWorkers(
    options.workers,
    url,
    gateways.map(({ gatewayId }) => ({ gatewayId })),
    options.inflight,
  );
  // The subscriber runs in this process: its CPU is this process's.
  const pids: Record<string, number> = { mosquitto: mosquitto.child.pid!, subscriber: process.pid };
  workers.forEach((worker, i) => (pids[`loadWorker${i + 1}`] = worker.pid));
  const reference = await measureSaturation(workers, options, () => received, pids);
  await stopWorkers(workers);
  await subscriber.endAsync(true);
  mosquitto.child.kill('SIGTERM');
  await waitForExit(mosquitto.child, 5000);
  return {
    version: mosquitto.version,
    relayMsgPerSec: reference.countedPerSec,
    messagesReceived: reference.counted,
    elapsedS: reference.elapsedS,
    senderPubackPerSec: reference.senderAckedPerSec,
    cpu: reference.cpu,
  };
}

// ---------------------------------------------------------------------------------------------

function parseOptions(): Options {
  const program = new Command()
    .name('bench:ingest')
    .description(
      'Hestia ingest benchmark: durable QoS 1 msg/s at saturation, publish→PUBACK and publish→queryable latency at a ' +
        'fixed rate, CPU and RSS, and a private Mosquitto relaying the same load as the reference.',
    )
    .option('--duration <s>', 'measured seconds of each phase', positiveNumber('duration'), 20)
    .option('--warmup <s>', 'seconds of load before each measurement starts', positiveNumber('warmup'), 3)
    .option(
      '--gateways <n>',
      'simulated gateways (MQTT clients), 8 devices each',
      wholeNumber('gateways'),
      100,
    )
    .option('--rate <msg/s>', 'total rate of the fixed-rate latency phase', positiveNumber('rate'), 10_000)
    .option(
      '--workers <n>',
      'load-generator processes (they share the CPU with Hestia)',
      wholeNumber('workers'),
      1,
    )
    .option('--inflight <n>', 'QoS 1 messages in flight per client', wholeNumber('inflight'), 16)
    .option('--probe-hz <n>', 'publish→queryable probes per second', positiveNumber('probe-hz'), 5)
    .option('--no-reference', 'skip the Mosquitto reference')
    .option(
      '--profile [dir]',
      'run Hestia under `node --cpu-prof` and summarise the saturation phase (default dir: test-output/bench-profile)',
    )
    .option('--keep', "keep Hestia's data directory")
    .option(
      '--hestia-env <KEY=VALUE>',
      'configuration of the Hestia under test, e.g. HESTIA_INGEST_COMMIT_DELAY_MS=2 (repeatable)',
      collectHestiaEnv,
      [] as string[],
    )
    .addHelpText(
      'after',
      '\nPrints progress on stderr and one JSON document on stdout.\nExample: npm run bench:ingest -- --duration 10 --gateways 50',
    );
  program.parse(process.argv);
  return program.opts<Options>();
}

async function main(): Promise<void> {
  const options = parseOptions();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'hestia-bench-'));
  if (!options.keep) removeAtExit(workDir);
  const dataDir = path.join(workDir, 'data');
  const profileDir = prepareProfileDir(options.profile, REPO_ROOT);
  const result: Record<string, unknown> = { ...resultHead('ingest') };

  try {
    progress(`starting Hestia (data in ${dataDir}${profileDir ? `, CPU profile to ${profileDir}` : ''})`);
    const overrides = environmentOf(options.hestiaEnv);
    const hestia = await startHestia(dataDir, profileDir, overrides);
    const apiUrl = `http://127.0.0.1:${hestia.ports.http}`;
    const mqttUrl = `mqtt://127.0.0.1:${hestia.ports.mqtt}`;
    const rss = new RssSampler(hestia.pid);
    const admin = readInitialAdmin(dataDir);
    if (!admin) throw new Error('Hestia wrote no initial-admin.json');
    const adminToken = await login(apiUrl, admin.email, admin.password);

    progress(`provisioning ${options.gateways} gateways + 1 probe and registering them to a home`);
    const prepared = await prepareSimulation({
      apiUrl,
      file: path.join(dataDir, 'bench-credentials.json'),
      count: options.gateways + 1,
      register: true,
      adminToken: async () => adminToken,
      concurrency: 8,
    });
    if (prepared.registration && prepared.registration.failed.length > 0) {
      throw new Error(`gateways not registered: ${JSON.stringify(prepared.registration.failed.slice(0, 3))}`);
    }
    const gateways = prepared.gateways.map((g) => ({ gatewayId: g.gatewayId, token: g.token }));
    const probeGateway = gateways.pop()!;
    const payloadBytes = Math.round(
      gatewayLoad(gateways[0]!.gatewayId).channels.reduce((sum, c) => sum + c.variants[0]!.length, 0) /
        DEVICES_PER_GATEWAY,
    );
    result.config = {
      gateways: options.gateways,
      devicesPerGateway: DEVICES_PER_GATEWAY,
      loadWorkers: options.workers,
      inflightPerClient: options.inflight,
      warmupS: options.warmup,
      durationS: options.duration,
      qos: 1,
      meanPayloadBytes: payloadBytes,
      hestia:
        'embedded broker (Aedes), SQLite in WAL mode with synchronous=FULL, default configuration' +
        (Object.keys(overrides).length > 0 ? ' except hestiaEnvironment' : ''),
      hestiaEnvironment: overrides,
    };

    progress(`starting ${options.workers} load worker(s), ${options.gateways} MQTT clients`);
    const workers = await startWorkers(options.workers, mqttUrl, gateways, options.inflight);
    const db = new Database(path.join(dataDir, 'hestia.db'), { readonly: true, fileMustExist: true });
    const countReadings = db.prepare('SELECT count(*) AS n FROM readings').pluck();
    const rowsInStore = (): number => countReadings.get() as number;
    const cpuPids: Record<string, number> = { hestia: hestia.pid, orchestrator: process.pid };
    workers.forEach((worker, i) => (cpuPids[`loadWorker${i + 1}`] = worker.pid));

    progress(`phase A: saturation, ${options.warmup} s warm-up + ${options.duration} s measured`);
    const saturation = await measureSaturation(workers, options, rowsInStore, cpuPids);
    const rssAfterSaturationMb = rss.lastMb;
    progress(
      `phase A: ${saturation.countedPerSec} durable msg/s (sender saw ${saturation.senderAckedPerSec} PUBACK/s)`,
    );

    progress(
      `phase B: fixed rate ${options.rate} msg/s, ${options.warmup} s warm-up + ${options.duration} s measured, probe at ${options.probeHz} Hz`,
    );
    const probe = await QueryableProbe.connect(mqttUrl, probeGateway, apiUrl, adminToken);
    for (const worker of workers) {
      worker.send({
        type: 'run',
        mode: 'rate',
        ratePerSec: options.rate / options.workers,
        measureFromMs: options.warmup * 1000,
        measureToMs: (options.warmup + options.duration) * 1000,
      });
    }
    await sleep(options.warmup * 1000);
    const rateStartedAt = performance.now();
    const rateStartRows = rowsInStore();
    const rateCpuBefore = cpuReading(cpuPids);
    await probe.run(options.duration * 1000, options.probeHz);
    // Latencies count for messages scheduled in the window; wait for the window's end exactly.
    await sleep(Math.max(0, rateStartedAt + options.duration * 1000 - performance.now()));
    const rateElapsedS = (performance.now() - rateStartedAt) / 1000;
    const rateEndRows = rowsInStore();
    const rateCpuAfter = cpuReading(cpuPids);
    const rateStopped = await stopLoad(workers);
    await probe.close();
    const latency = LatencyHistogram.merge(
      rateStopped.map((s) => s.latency).filter((h): h is HistogramData => h !== null),
    );
    const puback = latency.summary();
    const windowScheduled = rateStopped.reduce((sum, s) => sum + s.windowScheduled, 0);
    const windowAcked = rateStopped.reduce((sum, s) => sum + s.windowAcked, 0);
    const rssEndMb = rss.lastMb;
    progress(
      `phase B: PUBACK p50 ${puback.p50Ms} ms, p99 ${puback.p99Ms} ms; queryable p99 ${round(percentileOf(probe.queryableMs, 0.99) ?? NaN)} ms`,
    );

    await stopWorkers(workers);
    db.close();
    progress('stopping Hestia');
    hestia.child.kill('SIGTERM');
    const exitCode = await waitForExit(hestia.child, 30_000);
    rss.stop();

    result.hestia = {
      durableMsgPerSec: saturation.countedPerSec,
      rowsCounted: saturation.counted,
      elapsedS: saturation.elapsedS,
      senderPubackPerSec: saturation.senderAckedPerSec,
      senderPublishPerSec: saturation.senderSentPerSec,
      allAcknowledged: saturation.drained,
      cpu: saturation.cpu,
      exitCode,
    };
    const queryableP99Ms = roundOrNull(percentileOf(probe.queryableMs, 0.99));
    const latencyResult = {
      targetRate: options.rate,
      achievedRate: Math.round(windowAcked / options.duration),
      scheduledInWindow: windowScheduled,
      acknowledgedInWindow: windowAcked,
      durableMsgPerSecAtRate: Math.round((rateEndRows - rateStartRows) / rateElapsedS),
      pubackP50Ms: puback.p50Ms,
      pubackP99Ms: puback.p99Ms,
      pubackMaxMs: puback.maxMs,
      pubackMeanMs: puback.meanMs,
      pubackSamples: puback.count,
      queryableP50Ms: roundOrNull(percentileOf(probe.queryableMs, 0.5)),
      queryableP99Ms,
      queryableMaxMs: roundOrNull(percentileOf(probe.queryableMs, 1)),
      queryableSamples: probe.queryableMs.length,
      queryableTimeouts: probe.timeouts,
      queryablePollIntervalMs: PROBE_POLL_INTERVAL_MS,
      probePubackP50Ms: roundOrNull(percentileOf(probe.pubackMs, 0.5)),
      probePubackP99Ms: roundOrNull(percentileOf(probe.pubackMs, 0.99)),
      maxGeneratorBacklog: Math.max(...rateStopped.map((s) => s.maxBacklog)),
      cpu: cpuBetween(rateCpuBefore, rateCpuAfter),
    };
    result.latency = latencyResult;
    result.cpu = {
      hestiaSaturationPctOfOneCore: saturation.cpu.hestiaPctOfOneCore ?? null,
      hestiaFixedRatePctOfOneCore: latencyResult.cpu.hestiaPctOfOneCore ?? null,
    };
    result.rss = {
      peakMb: round(rss.peakMb, 1),
      afterSaturationMb: rssAfterSaturationMb === null ? null : round(rssAfterSaturationMb, 1),
      endMb: rssEndMb === null ? null : round(rssEndMb, 1),
    };

    if (profileDir) {
      const file = mainThreadProfile(readdirSync(profileDir));
      const profile: ProfileSummary | { error: string } = file
        ? summarizeCpuProfile(path.join(profileDir, file), REPO_ROOT, saturation.windowUs)
        : { error: `no .cpuprofile in ${profileDir} (did Hestia exit cleanly?)` };
      result.profile = profile;
    }

    if (options.reference) {
      progress('phase C: Mosquitto reference, same workers, messages and QoS, one QoS 1 subscriber');
      try {
        const reference = await measureReference(options, workDir, gateways);
        progress(`phase C: Mosquitto relayed ${reference.relayMsgPerSec} msg/s to the subscriber`);
        result.mosquittoReference = reference;
        result.ratio = {
          hestiaDurableToMosquittoRelay: round(
            saturation.countedPerSec / Math.max(1, reference.relayMsgPerSec),
            3,
          ),
        };
      } catch (error) {
        // Hestia's figures stand on their own: report the missing reference instead of losing them.
        progress(`phase C failed: ${(error as Error).message}`);
        result.mosquittoReference = { error: (error as Error).message };
      }
    }
    result.targets = {
      durableMsgPerSec: {
        target: TARGET_DURABLE_MSG_PER_SEC,
        measured: saturation.countedPerSec,
        met: saturation.countedPerSec >= TARGET_DURABLE_MSG_PER_SEC,
      },
      p99MsAtRate: {
        target: TARGET_P99_MS,
        atRate: options.rate,
        pubackP99Ms: puback.p99Ms,
        queryableP99Ms,
        // The rate must have been sustained too: latency at a lower rate than asked proves nothing.
        met:
          puback.p99Ms !== null &&
          puback.p99Ms < TARGET_P99_MS &&
          queryableP99Ms !== null &&
          queryableP99Ms < TARGET_P99_MS &&
          windowAcked >= 0.99 * windowScheduled,
      },
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } finally {
    killChildren();
    if (options.keep) progress(`kept ${workDir}`);
  }
}

function roundOrNull(value: number | null): number | null {
  return value === null ? null : round(value);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    progress(`failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
