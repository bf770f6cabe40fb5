import type { HistogramData } from './histogram.ts';

/** Messages between bench/ingest.ts and its load workers (Node IPC, structured clone). */

export interface WorkerGateway {
  gatewayId: string;
  /** Absent for the Mosquitto reference, which runs anonymous. */
  token?: string;
}

export type ToWorker =
  | {
      type: 'init';
      url: string;
      gateways: WorkerGateway[];
      /** QoS 1 messages a client may have without PUBACK; more wait in the generator. */
      inflightPerClient: number;
    }
  /** As fast as the broker acknowledges: each PUBACK releases the client's next message. */
  | { type: 'run'; mode: 'saturate' }
  /**
   * A fixed rate; latency is recorded for messages scheduled between measureFromMs and
   * measureToMs after the start, from their scheduled instant to their PUBACK.
   */
  | { type: 'run'; mode: 'rate'; ratePerSec: number; measureFromMs: number; measureToMs: number }
  | { type: 'snapshot'; id: number }
  | { type: 'stop' }
  | { type: 'exit' };

export interface WorkerCounters {
  sent: number;
  acked: number;
  /** Publishes that ended in an error instead of a PUBACK. */
  failed: number;
}

export type FromWorker =
  | { type: 'ready'; clients: number }
  | ({ type: 'snapshot'; id: number } & WorkerCounters)
  | ({
      type: 'stopped';
      /** Every message had its PUBACK before the worker reported. */
      drained: boolean;
      latency: HistogramData | null;
      /** Messages scheduled inside the measured window (rate mode), and those of them acknowledged. */
      windowScheduled: number;
      windowAcked: number;
      /** Most messages ever waiting in the generator because every client was at its in-flight bound. */
      maxBacklog: number;
    } & WorkerCounters)
  | { type: 'error'; message: string };
