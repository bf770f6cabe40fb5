import { performance } from 'node:perf_hooks';
import { callApi, login } from '../src/simulator/provision.ts';
import { LatencyHistogram, percentileOf, round, type HistogramData } from './histogram.ts';
import {
  snapshot,
  startWorkers,
  stopLoad,
  stopWorkers,
  type LoadWorker,
  type Stopped,
} from './load-workers.ts';
import { type HestiaProcess, progress } from './processes.ts';
import type { WorkerGateway } from './protocol.ts';
import type { Account } from './query-load.ts';
import { processCpuSeconds } from './system.ts';

/**
 * Ingest while a large retention pass deletes: a fixed-rate MQTT load (bench/load-worker.ts,
 * QoS 1) runs for a baseline period; then the provider shortens its default tariff's raw window
 * through the API (PATCH /v1/tariffs/{id}), which starts a retention pass at once, and the load
 * keeps running while the pass deletes the raw history that fell past the new horizon.
 * Acknowledged messages are counted each second; the pass is followed on /metrics.
 */

export interface RetentionPhaseOptions {
  rate: number;
  inflight: number;
  warmupSeconds: number;
  baselineSeconds: number;
  /** Longest measurement during the pass; the pass may go on after it. */
  capSeconds: number;
  /** Longest wait for the pass to end after the measurement (the queries must not overlap it). */
  waitSeconds: number;
  newRawRetentionDays: number;
}

interface RetentionMetrics {
  running: number;
  passes: number;
  readings: number;
  rollups: number;
}

async function retentionMetrics(apiUrl: string): Promise<RetentionMetrics> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  const value = (pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? 0);
  return {
    running: value(/^hestia_retention_running (\S+)$/m),
    passes: value(/^hestia_retention_passes_total (\S+)$/m),
    readings: value(/^hestia_retention_deleted_rows_total\{kind="readings"\} (\S+)$/m),
    rollups: value(/^hestia_retention_deleted_rows_total\{kind="rollups"\} (\S+)$/m),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Second {
  /** Seconds since the phase began. */
  atS: number;
  ackedPerSec: number;
  retentionRunning: boolean;
}

/** Samples acknowledged msg/s once a second until `done()` says so. */
async function sampleSeconds(
  workers: LoadWorker[],
  apiUrl: string,
  phaseStarted: number,
  done: (elapsedS: number, metrics: RetentionMetrics) => boolean,
): Promise<{ seconds: Second[]; last: RetentionMetrics }> {
  const seconds: Second[] = [];
  const started = performance.now();
  let previous = await snapshot(workers);
  let previousAt = performance.now();
  for (let tick = 1; ; tick++) {
    await sleep(Math.max(0, started + tick * 1000 - performance.now()));
    const counters = await snapshot(workers);
    const at = performance.now();
    const metrics = await retentionMetrics(apiUrl);
    seconds.push({
      atS: round((at - phaseStarted) / 1000, 1),
      ackedPerSec: Math.round(((counters.acked - previous.acked) * 1000) / (at - previousAt)),
      retentionRunning: metrics.running === 1,
    });
    previous = counters;
    previousAt = at;
    if (done((at - started) / 1000, metrics)) return { seconds, last: metrics };
  }
}

function latencyOf(stopped: Stopped[]): ReturnType<LatencyHistogram['summary']> {
  return LatencyHistogram.merge(
    stopped.map((s) => s.latency).filter((h): h is HistogramData => h !== null),
  ).summary();
}

function cpuPctOfOneCore(pid: number, fromS: number | null, fromMs: number): number | null {
  const now = processCpuSeconds(pid);
  if (now === null || fromS === null) return null;
  return Math.round(((now - fromS) * 100_000) / (performance.now() - fromMs));
}

export async function ingestDuringRetention(
  hestia: HestiaProcess,
  tenantAdmin: Account,
  tariffId: string,
  gateways: WorkerGateway[],
  options: RetentionPhaseOptions,
): Promise<Record<string, unknown>> {
  const apiUrl = `http://127.0.0.1:${hestia.ports.http}`;
  const mqttUrl = `mqtt://127.0.0.1:${hestia.ports.mqtt}`;
  progress(`retention phase: ${gateways.length} MQTT gateways at ${options.rate} msg/s (QoS 1)`);
  const workers = await startWorkers(1, mqttUrl, gateways, options.inflight);
  const phaseStarted = performance.now();
  const runRate = (measureFromMs: number, measureToMs: number): void => {
    for (const worker of workers) {
      worker.send({ type: 'run', mode: 'rate', ratePerSec: options.rate, measureFromMs, measureToMs });
    }
  };

  // Baseline: the same load with no retention running.
  runRate(options.warmupSeconds * 1000, (options.warmupSeconds + options.baselineSeconds) * 1000);
  await sleep(options.warmupSeconds * 1000);
  const before = await retentionMetrics(apiUrl);
  if (before.running !== 0) throw new Error('a retention pass is running before the baseline');
  let cpuFromS = processCpuSeconds(hestia.pid);
  let cpuFromMs = performance.now();
  const baseline = await sampleSeconds(workers, apiUrl, phaseStarted, (s) => s >= options.baselineSeconds);
  const baselineCpu = cpuPctOfOneCore(hestia.pid, cpuFromS, cpuFromMs);
  const baselineStopped = await stopLoad(workers);

  // The provider shortens the raw window: the pass starts at once (retention.policy_changed).
  runRate(0, options.capSeconds * 1000);
  const token = await login(apiUrl, tenantAdmin.email, tenantAdmin.password, tenantAdmin.tenantSlug);
  const triggeredAt = performance.now();
  cpuFromS = processCpuSeconds(hestia.pid);
  cpuFromMs = triggeredAt;
  await callApi(
    apiUrl,
    'PATCH',
    `/v1/tariffs/${tariffId}`,
    { rawRetentionDays: options.newRawRetentionDays },
    token,
  );
  progress(`retention phase: raw window shortened to ${options.newRawRetentionDays} days, pass started`);
  let endedAt: number | null = null;
  const during = await sampleSeconds(workers, apiUrl, phaseStarted, (s, metrics) => {
    if (metrics.passes > before.passes) {
      endedAt = performance.now();
      return true;
    }
    return s >= options.capSeconds;
  });
  const measuredS = (performance.now() - triggeredAt) / 1000;
  const duringCpu = cpuPctOfOneCore(hestia.pid, cpuFromS, cpuFromMs);
  const duringStopped = await stopLoad(workers);
  await stopWorkers(workers);
  const atMeasurementEnd = during.last;

  // The queries come next and must not overlap the pass: wait for its end.
  let last = atMeasurementEnd;
  while (last.passes === before.passes) {
    if ((performance.now() - triggeredAt) / 1000 > options.capSeconds + options.waitSeconds) {
      throw new Error(`the retention pass did not end within ${options.capSeconds + options.waitSeconds} s`);
    }
    await sleep(1000);
    last = await retentionMetrics(apiUrl);
    endedAt ??= last.passes > before.passes ? performance.now() : null;
  }
  const passSeconds = ((endedAt ?? performance.now()) - triggeredAt) / 1000;
  const deletedReadings = last.readings - before.readings;
  const deletedRollups = last.rollups - before.rollups;
  progress(
    `retention phase: the pass deleted ${deletedReadings.toLocaleString('en')} readings in ${round(passSeconds, 0)} s`,
  );

  const ackedBaseline = baseline.seconds.map((s) => s.ackedPerSec);
  // Every second from the trigger to the first sample after the pass ended (or the cap): the
  // pass was deleting during each of them, during the last one possibly in part.
  const ackedDuring = during.seconds.map((s) => s.ackedPerSec);
  const median = (values: number[]): number | null => percentileOf(values, 0.5);
  const baselineMedian = median(ackedBaseline);
  const duringMedian = median(ackedDuring);
  const baselineLatency = latencyOf(baselineStopped);
  const duringLatency = latencyOf(duringStopped);
  return {
    offeredMsgPerSec: options.rate,
    gateways: gateways.length,
    inflightPerClient: options.inflight,
    trigger: `PATCH /v1/tariffs/{default tariff} rawRetentionDays → ${options.newRawRetentionDays}`,
    baseline: {
      seconds: ackedBaseline.length,
      ackedMsgPerSecMedian: baselineMedian,
      ackedMsgPerSecMin: ackedBaseline.length ? Math.min(...ackedBaseline) : null,
      pubackP50Ms: baselineLatency.p50Ms,
      pubackP99Ms: baselineLatency.p99Ms,
      pubackMaxMs: baselineLatency.maxMs,
      hestiaCpuPctOfOneCore: baselineCpu,
      allAcknowledged: baselineStopped.every((s) => s.drained),
    },
    duringRetention: {
      measuredSeconds: round(measuredS, 1),
      seconds: ackedDuring.length,
      ackedMsgPerSecMedian: duringMedian,
      ackedMsgPerSecMin: ackedDuring.length ? Math.min(...ackedDuring) : null,
      pubackP50Ms: duringLatency.p50Ms,
      pubackP99Ms: duringLatency.p99Ms,
      pubackMaxMs: duringLatency.maxMs,
      maxGeneratorBacklog: Math.max(...duringStopped.map((s) => s.maxBacklog)),
      hestiaCpuPctOfOneCore: duringCpu,
      allAcknowledged: duringStopped.every((s) => s.drained),
      passEndedWithinMeasurement: atMeasurementEnd.passes > before.passes,
      deletedReadingsInMeasurement: atMeasurementEnd.readings - before.readings,
      deletedRowsPerSecInMeasurement: Math.round(
        (atMeasurementEnd.readings - before.readings + atMeasurementEnd.rollups - before.rollups) / measuredS,
      ),
    },
    ratioDuringToBaseline:
      baselineMedian && duringMedian !== null ? round(duringMedian / baselineMedian, 3) : null,
    pass: {
      seconds: round(passSeconds, 1),
      deletedReadings,
      deletedRollups,
      deletedRowsPerSec: Math.round((deletedReadings + deletedRollups) / passSeconds),
    },
    perSecond: [...baseline.seconds, ...during.seconds],
  };
}
