import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { LatencyHistogram } from './histogram.ts';
import { gatewayLoad, nextPayload, type GatewayLoad } from './payloads.ts';
import type { FromWorker, ToWorker, WorkerGateway } from './protocol.ts';

/**
 * A load-generator process of bench/ingest.ts (started with `node --import tsx`, driven over
 * IPC). It owns a share of the gateways, one mqtt.js client each, and publishes prebuilt
 * seed-format payloads at QoS 1 with a bounded number of messages in flight per client.
 */

interface LoadClient {
  load: GatewayLoad;
  client: MqttClient;
  inflight: number;
  onSaturatedAck: (error?: Error) => void;
}

/** One options object for every publish: the generator should cost as little as it can. */
const PUBLISH_OPTIONS = { qos: 1 } as const;
const DRAIN_TIMEOUT_MS = 30_000;
/** Rate mode checks the schedule this often; messages due in between go out together. */
const RATE_TICK_MS = 1;

let clients: LoadClient[] = [];
let inflightLimit = 1;
let mode: 'saturate' | 'rate' | null = null;
let sent = 0;
let acked = 0;
let failed = 0;

let histogram: LatencyHistogram | null = null;
let rateTimer: NodeJS.Timeout | undefined;
let measureFrom = 0;
let measureTo = 0;
let windowScheduled = 0;
let windowAcked = 0;
/** Scheduled instants of messages waiting for a free in-flight slot, oldest first. */
let backlog: number[] = [];
let backlogHead = 0;
let maxBacklog = 0;
let nextClient = 0;

function report(message: FromWorker): void {
  process.send?.(message);
}

function fail(message: string): never {
  report({ type: 'error', message });
  process.exit(1);
}

function connect(url: string, gateway: WorkerGateway): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId: gateway.gatewayId,
      ...(gateway.token ? { username: gateway.gatewayId, password: gateway.token } : {}),
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: 60,
    });
    client.once('connect', () => resolve(client));
    client.once('error', reject);
    client.on('close', () => {
      if (mode !== null) fail(`client ${gateway.gatewayId} lost its connection during the run`);
    });
  });
}

async function init(url: string, gateways: WorkerGateway[], inflightPerClient: number): Promise<void> {
  inflightLimit = inflightPerClient;
  clients = await Promise.all(
    gateways.map(async (gateway) => {
      const client = await connect(url, gateway);
      const entry: LoadClient = {
        load: gatewayLoad(gateway.gatewayId),
        client,
        inflight: 0,
        onSaturatedAck: (error) => {
          entry.inflight--;
          if (error) failed++;
          else acked++;
          if (mode === 'saturate') fillSaturated(entry);
        },
      };
      return entry;
    }),
  );
  // The device lists first, so that the measured load does not create devices.
  await Promise.all(
    clients.map(({ client, load }) => client.publishAsync(load.up, load.config, PUBLISH_OPTIONS)),
  );
  report({ type: 'ready', clients: clients.length });
}

function fillSaturated(entry: LoadClient): void {
  while (mode === 'saturate' && entry.inflight < inflightLimit) {
    entry.inflight++;
    sent++;
    entry.client.publish(
      entry.load.up,
      nextPayload(entry.load, Date.now()),
      PUBLISH_OPTIONS,
      entry.onSaturatedAck,
    );
  }
}

/** The next client with a free in-flight slot, in turn; undefined when all are at the bound. */
function freeClient(): LoadClient | undefined {
  for (let tried = 0; tried < clients.length; tried++) {
    const entry = clients[nextClient]!;
    nextClient = (nextClient + 1) % clients.length;
    if (entry.inflight < inflightLimit) return entry;
  }
  return undefined;
}

function publishScheduled(entry: LoadClient, scheduledAt: number): void {
  entry.inflight++;
  sent++;
  entry.client.publish(entry.load.up, nextPayload(entry.load, Date.now()), PUBLISH_OPTIONS, (error) => {
    entry.inflight--;
    if (error) failed++;
    else {
      acked++;
      // From the scheduled instant, not the send: time spent waiting for a slot counts too.
      if (scheduledAt >= measureFrom && scheduledAt < measureTo) {
        histogram?.record(performance.now() - scheduledAt);
        windowAcked++;
      }
    }
    if (mode === 'rate' && backlogHead < backlog.length) publishScheduled(entry, backlog[backlogHead++]!);
  });
}

function startRate(ratePerSec: number, measureFromMs: number, measureToMs: number): void {
  const startedAt = performance.now();
  const intervalMs = 1000 / ratePerSec;
  let scheduled = 0;
  histogram = new LatencyHistogram();
  measureFrom = startedAt + measureFromMs;
  measureTo = startedAt + measureToMs;
  const tick = (): void => {
    if (mode !== 'rate') return;
    const due = Math.floor((performance.now() - startedAt) / intervalMs);
    while (scheduled < due) {
      const scheduledAt = startedAt + scheduled * intervalMs;
      scheduled++;
      if (scheduledAt >= measureFrom && scheduledAt < measureTo) windowScheduled++;
      const entry = freeClient();
      if (entry) publishScheduled(entry, scheduledAt);
      else backlog.push(scheduledAt);
    }
    maxBacklog = Math.max(maxBacklog, backlog.length - backlogHead);
    if (backlogHead > 100_000) {
      backlog = backlog.slice(backlogHead);
      backlogHead = 0;
    }
    rateTimer = setTimeout(tick, RATE_TICK_MS);
  };
  tick();
}

async function stop(): Promise<void> {
  const wasRate = mode === 'rate';
  mode = null;
  clearTimeout(rateTimer);
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  const outstanding = (): number => clients.reduce((sum, entry) => sum + entry.inflight, 0);
  while (outstanding() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  report({
    type: 'stopped',
    sent,
    acked,
    failed,
    drained: outstanding() === 0 && failed === 0,
    latency: wasRate && histogram ? histogram.toData() : null,
    windowScheduled,
    windowAcked,
    maxBacklog,
  });
  sent = acked = failed = windowScheduled = windowAcked = maxBacklog = 0;
  backlog = [];
  backlogHead = 0;
  histogram = null;
}

function handle(message: ToWorker): void {
  switch (message.type) {
    case 'init':
      init(message.url, message.gateways, message.inflightPerClient).catch((error: unknown) =>
        fail(`init: ${(error as Error).message}`),
      );
      return;
    case 'run':
      if (message.mode === 'saturate') {
        mode = 'saturate';
        for (const entry of clients) fillSaturated(entry);
      } else {
        mode = 'rate';
        startRate(message.ratePerSec, message.measureFromMs, message.measureToMs);
      }
      return;
    case 'snapshot':
      report({ type: 'snapshot', id: message.id, sent, acked, failed });
      return;
    case 'stop':
      stop().catch((error: unknown) => fail(`stop: ${(error as Error).message}`));
      return;
    case 'exit':
      mode = null;
      for (const { client } of clients) client.end(true);
      process.exit(0);
  }
}

process.on('message', (message: ToWorker) => handle(message));
// The orchestrator is gone (crashed or killed): nothing left to report to.
process.on('disconnect', () => process.exit(1));
