import type Database from 'better-sqlite3';
import { HestiaError } from '../../core/errors.ts';
import type { SqlRunner, Row } from '../../core/ports/sql.ts';

/**
 * Serialises use of the one SQLite connection between async work. A transaction that awaits
 * between statements must not let another caller's statement (or a group commit) run inside
 * it: that statement would be rolled back with it, or commit half of it.
 */
export class SqliteLock {
  private tail: Promise<unknown> = Promise.resolve();

  exclusive<T>(work: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

function toHestiaError(error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new HestiaError('HESTIA_CONFLICT', undefined, { cause: (error as Error).message });
  }
  return error;
}

/** Statements run at once, on the connection the caller already holds. */
class DirectRunner implements SqlRunner {
  constructor(
    private readonly db: Database.Database,
    private readonly prepare: (sql: string) => Database.Statement,
  ) {}

  async all(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return this.attempt(() => this.prepare(sql).all(...params) as Row[]);
  }

  async get(sql: string, params: readonly unknown[] = []): Promise<Row | undefined> {
    return this.attempt(() => this.prepare(sql).get(...params) as Row | undefined);
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.attempt(() => this.prepare(sql).run(...params).changes);
  }

  async transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    // Already inside the caller's transaction (nested use): a savepoint would add nothing here.
    return work(this);
  }

  private attempt<T>(statement: () => T): T {
    try {
      return statement();
    } catch (error) {
      throw toHestiaError(error);
    }
  }
}

/**
 * How a runner's commits reach the disk. `relaxed` commits skip the fsync (synchronous=NORMAL
 * for that commit only): they survive a crash of the process at once, and power loss after the
 * store's next `durable()` (or the next group commit, whose fsync covers the whole WAL).
 */
export interface CommitPolicy {
  relaxed: boolean;
  /** The connection's own setting, restored after a relaxed commit. */
  synchronous: 'full' | 'normal';
  /** Called after each write this runner commits. */
  committed(): void;
}

/** The runner the directory and control stores use: each statement or transaction takes the lock. */
export class SqliteRunner implements SqlRunner {
  private readonly direct: DirectRunner;

  constructor(
    private readonly db: Database.Database,
    prepare: (sql: string) => Database.Statement,
    private readonly lock: SqliteLock,
    private readonly policy?: CommitPolicy,
  ) {
    this.direct = new DirectRunner(db, prepare);
  }

  /**
   * Applies the runner's policy to what it commits next; returns the undo. SQLite refuses to
   * change the setting inside a transaction, so it is set before BEGIN (or an autocommit
   * statement) and restored after COMMIT; the lock keeps anyone else's commit out in between.
   */
  private relax(): () => void {
    const policy = this.policy;
    if (!policy?.relaxed || policy.synchronous === 'normal') return () => undefined;
    this.db.pragma('synchronous = NORMAL');
    return () => {
      this.db.pragma('synchronous = FULL');
      policy.committed();
    };
  }

  /**
   * A read runs at once when no transaction is open on the connection (it sees what is
   * committed); while one is open, awaiting between its statements, the read waits its turn so
   * that it never sees that transaction's uncommitted writes.
   */
  all(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    if (!this.db.inTransaction) return this.direct.all(sql, params);
    return this.lock.exclusive(() => this.direct.all(sql, params));
  }

  get(sql: string, params?: readonly unknown[]): Promise<Row | undefined> {
    if (!this.db.inTransaction) return this.direct.get(sql, params);
    return this.lock.exclusive(() => this.direct.get(sql, params));
  }

  run(sql: string, params?: readonly unknown[]): Promise<number> {
    // Outside a transaction a statement commits by itself.
    return this.lock.exclusive(async () => {
      const restore = this.relax();
      try {
        return await this.direct.run(sql, params);
      } finally {
        restore();
      }
    });
  }

  transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.lock.exclusive(async () => {
      const restore = this.relax();
      try {
        // IMMEDIATE takes the write lock now, so a CLI process writing beside the server waits
        // (busy_timeout) at BEGIN instead of failing halfway.
        this.db.exec('BEGIN IMMEDIATE');
        try {
          const result = await work(this.direct);
          this.db.exec('COMMIT');
          return result;
        } catch (error) {
          if (this.db.inTransaction) this.db.exec('ROLLBACK');
          throw error;
        }
      } finally {
        restore();
      }
    });
  }
}
