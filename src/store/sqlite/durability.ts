import { open } from 'node:fs/promises';

/**
 * What of the WAL is known to be on disk. Relaxed commits (control writes) skip their fsync;
 * a group commit's fsync, or `durable()`'s own, covers every frame written before it.
 */
export class WalDurability {
  /** Relaxed commits so far. */
  relaxedCommits = 0;
  /** How many of them are known to be on disk. */
  private syncedCommits = 0;
  private walSync: Promise<void> | null = null;

  constructor(
    /** The database file (its WAL is `<file>-wal`); ':memory:' has nothing to sync. */
    private readonly file: string,
    private readonly synchronous: 'full' | 'normal',
  ) {}

  /** A relaxed commit was written. */
  noteRelaxedCommit(): void {
    this.relaxedCommits += 1;
  }

  /** An fsynced commit covered the first `upTo` relaxed commits. */
  synced(upTo: number): void {
    this.syncedCommits = Math.max(this.syncedCommits, upTo);
  }

  /**
   * Resolves once every write committed so far survives power loss: an fsync of the WAL file in
   * libuv's thread pool (it covers all frames written before it, relaxed or not), shared by the
   * callers that wait at the same time. A group commit (fsynced) covers them too.
   */
  async durable(): Promise<void> {
    if (this.synchronous !== 'full' || this.file === ':memory:') return;
    for (;;) {
      const target = this.relaxedCommits;
      if (this.syncedCommits >= target) return;
      if (!this.walSync) {
        this.walSync = this.syncWal(target).finally(() => {
          this.walSync = null;
        });
      }
      await this.walSync;
    }
  }

  private async syncWal(upTo: number): Promise<void> {
    const handle = await open(`${this.file}-wal`, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    this.synced(upTo);
  }
}
