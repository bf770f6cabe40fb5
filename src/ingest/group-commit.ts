import type { AppContext } from '../core/context.ts';
import { batchSize, emptyBatch, type IngestBatch } from '../core/domain/telemetry.ts';

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: writes from many messages are gathered and applied in one transaction. A
 * caller's promise settles only when its writes are durable, which is what lets the broker hold
 * back the QoS 1 PUBACK until then. One commit runs at a time; while it runs, the next batch
 * fills, so batches grow with load and latency stays near one commit time.
 */
export class GroupCommitter {
  private pending: IngestBatch = emptyBatch();
  private pendingRows = 0;
  private waiters: Waiter[] = [];
  private committing: Promise<void> | null = null;
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly deps: {
      /** Called after each successful commit with what it made durable. */
      onCommitted: (batch: IngestBatch) => void;
    },
  ) {}

  /** Adds writes to the next commit; resolves once they are durable, rejects if that commit fails. */
  async submit(writes: IngestBatch): Promise<void> {
    if (this.closed) throw new Error('ingest is shutting down');
    // Back-pressure: above the bound, wait for the running commit before adding more.
    while (this.pendingRows >= this.ctx.config.ingest.maxPendingMessages && this.committing) {
      await this.committing;
    }
    const rows = batchSize(writes);
    if (rows === 0) return;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    appendBatch(this.pending, writes);
    this.pendingRows += rows;
    this.ctx.metrics.pendingWrites.set(this.pendingRows);
    this.schedule();
    return done;
  }

  private schedule(): void {
    if (this.committing || this.scheduled) return;
    if (this.pendingRows >= this.ctx.config.ingest.commitMaxBatch) {
      this.startCommit();
      return;
    }
    this.scheduled = true;
    const delayMs = this.ctx.config.ingest.commitDelayMs;
    const run = (): void => {
      this.scheduled = false;
      if (!this.committing && this.pendingRows > 0) this.startCommit();
    };
    // setImmediate lets every packet already read from the sockets join this commit.
    if (delayMs > 0) setTimeout(run, delayMs);
    else setImmediate(run);
  }

  private startCommit(): void {
    const batch = this.pending;
    const waiters = this.waiters;
    const rows = this.pendingRows;
    this.pending = emptyBatch();
    this.waiters = [];
    this.pendingRows = 0;
    this.ctx.metrics.pendingWrites.set(0);
    const stopTimer = this.ctx.metrics.commitSeconds.startTimer();
    this.committing = this.ctx.store.telemetry
      .applyIngest(batch)
      .then(
        () => {
          stopTimer();
          this.ctx.metrics.commitRows.observe(rows);
          for (const waiter of waiters) waiter.resolve();
          this.deps.onCommitted(batch);
        },
        (error: unknown) => {
          stopTimer();
          this.ctx.metrics.commitFailures.inc();
          this.ctx.logger.error(
            { err: error, rows },
            'group commit failed; its messages stay unacknowledged',
          );
          for (const waiter of waiters) waiter.reject(error);
        },
      )
      .finally(() => {
        this.committing = null;
        if (this.pendingRows > 0) this.schedule();
      });
  }

  /** Stops taking writes and waits until everything already accepted is committed. */
  async drain(): Promise<void> {
    this.closed = true;
    while (this.committing || this.pendingRows > 0) {
      if (!this.committing && this.pendingRows > 0) this.startCommit();
      await this.committing;
    }
  }
}

function appendBatch(target: IngestBatch, source: IngestBatch): void {
  for (const key of Object.keys(source) as Array<keyof IngestBatch>) {
    const from = source[key] as unknown[];
    if (from.length > 0) (target[key] as unknown[]).push(...from);
  }
}
