import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { FromWorker, ToWorker, WorkerCounters, WorkerGateway } from './protocol.ts';
import { REPO_ROOT, track, waitForExit } from './processes.ts';

/**
 * The orchestrator's side of bench/load-worker.ts processes (MQTT load generators driven over
 * IPC), for benchmarks that need a steady MQTT load next to what they measure. The same
 * protocol as bench/ingest.ts uses (bench/protocol.ts).
 */

const WORKER = path.join(import.meta.dirname, 'load-worker.ts');

export type Stopped = Extract<FromWorker, { type: 'stopped' }>;

export class LoadWorker {
  private readonly waiters = new Map<
    string,
    Array<{ resolve: (m: FromWorker) => void; reject: (e: Error) => void }>
  >();
  private failure: Error | null = null;

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: FromWorker) => {
      if (message.type === 'error') return this.failAll(new Error(`load worker: ${message.message}`));
      const key = message.type === 'snapshot' ? `snapshot:${message.id}` : message.type;
      this.waiters.get(key)?.shift()?.resolve(message);
    });
    child.once('exit', (code) => this.failAll(new Error(`load worker exited with ${code}`)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  send(message: ToWorker): void {
    this.child.send(message);
  }

  next(key: string): Promise<FromWorker> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(key) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(key, list);
    });
  }

  private failAll(error: Error): void {
    this.failure ??= error;
    for (const list of this.waiters.values()) for (const waiter of list.splice(0)) waiter.reject(error);
  }
}

/** Forks `count` workers, shares the gateways among them and waits until every client is connected. */
export async function startWorkers(
  count: number,
  url: string,
  gateways: WorkerGateway[],
  inflightPerClient: number,
): Promise<LoadWorker[]> {
  const workers = Array.from(
    { length: count },
    () =>
      new LoadWorker(
        track(
          fork(WORKER, [], {
            cwd: REPO_ROOT,
            execArgv: ['--import', 'tsx'],
            // stdout is the benchmark's JSON result: whatever a worker prints goes to stderr.
            stdio: ['ignore', 2, 2, 'ipc'],
          }),
        ),
      ),
  );
  await Promise.all(
    workers.map((worker, index) => {
      const ready = worker.next('ready');
      worker.send({
        type: 'init',
        url,
        gateways: gateways.filter((_g, i) => i % count === index),
        inflightPerClient,
      });
      return ready;
    }),
  );
  return workers;
}

export async function stopWorkers(workers: LoadWorker[]): Promise<void> {
  for (const worker of workers) worker.send({ type: 'exit' });
  await Promise.all(workers.map((worker) => waitForExit(worker.child, 5000)));
}

let snapshotId = 0;
/** The workers' counters added up. */
export async function snapshot(workers: LoadWorker[]): Promise<WorkerCounters> {
  const id = ++snapshotId;
  const replies = (await Promise.all(
    workers.map((worker) => {
      const reply = worker.next(`snapshot:${id}`);
      worker.send({ type: 'snapshot', id });
      return reply;
    }),
  )) as WorkerCounters[];
  return replies.reduce(
    (sum, p) => ({ sent: sum.sent + p.sent, acked: sum.acked + p.acked, failed: sum.failed + p.failed }),
    { sent: 0, acked: 0, failed: 0 },
  );
}

/** Stops the load; each worker waits for its outstanding PUBACKs, then reports. */
export async function stopLoad(workers: LoadWorker[]): Promise<Stopped[]> {
  return (await Promise.all(
    workers.map((worker) => {
      const stopped = worker.next('stopped');
      worker.send({ type: 'stop' });
      return stopped;
    }),
  )) as Stopped[];
}

/** A fixed-rate QoS 1 load while something else is measured (bench:control, bench:dashboard). */
export interface FixedLoad {
  mqttUrl: string;
  gateways: WorkerGateway[];
  workers: number;
  inflightPerClient: number;
  ratePerSec: number;
  warmupS: number;
}

/**
 * Starts the load, lets it warm up, runs `measure` under it, and stops every load process again
 * (also when `measure` fails). Returns what `measure` returned and the acknowledged rate.
 */
export async function measureUnderLoad<T>(
  load: FixedLoad,
  measure: () => Promise<T>,
): Promise<{ result: T; load: { targetMsgPerSec: number; ackedMsgPerSec: number } }> {
  const workers = await startWorkers(load.workers, load.mqttUrl, load.gateways, load.inflightPerClient);
  try {
    const startedAt = performance.now();
    for (const worker of workers) {
      worker.send({
        type: 'run',
        mode: 'rate',
        ratePerSec: load.ratePerSec / load.workers,
        measureFromMs: load.warmupS * 1000,
        measureToMs: 3_600_000,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, load.warmupS * 1000));
    const result = await measure();
    const stopped = await stopLoad(workers);
    const seconds = (performance.now() - startedAt) / 1000 - load.warmupS;
    const acked = stopped.reduce((sum, s) => sum + s.windowAcked, 0);
    return {
      result,
      load: { targetMsgPerSec: load.ratePerSec, ackedMsgPerSec: Math.round(acked / seconds) },
    };
  } finally {
    await stopWorkers(workers).catch(() => undefined);
  }
}
