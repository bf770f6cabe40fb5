/**
 * The queue of finished recordings to place. The engine's hook and the spool sweep may both
 * announce the same file: a file queued or being placed is taken once. A few remuxes at a time
 * (one by default), so that a burst of cut recordings does not saturate the disks.
 */
import type { Logger } from 'pino';

export class PlacementQueue {
  private readonly waiting: string[] = [];
  private readonly known = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly concurrency: number,
    private readonly place: (file: string) => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  /** Queues `file`; false when it is queued or being placed already, or the queue is closed. */
  add(file: string): boolean {
    if (this.closed || this.known.has(file)) return false;
    this.known.add(file);
    this.waiting.push(file);
    this.next();
    return true;
  }

  has(file: string): boolean {
    return this.known.has(file);
  }

  /** Files queued or being placed. */
  get size(): number {
    return this.known.size;
  }

  /**
   * Takes no more work and resolves once the placements in progress have finished; queued files
   * stay in the spool, where the next start's sweep finds them.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const file of this.waiting.splice(0)) this.known.delete(file);
    await Promise.all(this.running);
  }

  private next(): void {
    while (!this.closed && this.running.size < this.concurrency) {
      const file = this.waiting.shift();
      if (file === undefined) return;
      const job: Promise<void> = this.place(file)
        .then(
          () => undefined,
          (error: unknown) => {
            // The file stays in the spool: the sweep tries it again.
            this.logger.error({ err: error, file }, 'placing a recording failed; it stays in the spool');
          },
        )
        .finally(() => {
          this.running.delete(job);
          this.known.delete(file);
          this.next();
        });
      this.running.add(job);
    }
  }
}
