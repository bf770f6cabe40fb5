import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Store } from '../../core/ports/store.ts';
import { SqlControl } from '../control/control.ts';
import { SqlMedia } from '../media/media.ts';
import { assertSchemaKnown } from '../schema-version.ts';
import { SqlDirectory } from '../directory/directory.ts';
import { MIGRATIONS } from '../migrations/index.ts';
import { SqlDeadLetterStore } from '../telemetry/dead-letters.ts';
import { SqlDeviceStore } from '../telemetry/devices.ts';
import { WalDurability } from './durability.ts';
import { SqliteLock, SqliteRunner } from './sqlite-runner.ts';
import { SqliteTelemetryStore } from './telemetry.ts';

export interface SqliteStoreOptions {
  /** Database file; ':memory:' for a throwaway store. */
  file: string;
  synchronous: 'full' | 'normal';
}

/** The embedded default: one SQLite file in WAL mode, written in group-committed transactions. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  /** Group commits and the portable stores' transactions take turns on the one connection. */
  private readonly lock = new SqliteLock();
  private readonly wal: WalDurability;
  readonly directory: SqlDirectory;
  readonly control: SqlControl;
  readonly media: SqlMedia;
  readonly telemetry: SqliteTelemetryStore;
  readonly devices: SqlDeviceStore;
  readonly deadLetters: SqlDeadLetterStore;

  constructor(options: SqliteStoreOptions) {
    if (options.file !== ':memory:') mkdirSync(path.dirname(options.file), { recursive: true });
    this.db = new Database(options.file);
    this.db.pragma('journal_mode = WAL');
    // WAL + FULL fsyncs every commit: an acknowledged reading survives power loss, not only kill -9.
    this.db.pragma(`synchronous = ${options.synchronous.toUpperCase()}`);
    this.db.pragma('foreign_keys = ON');
    // The CLI may write while the server runs; wait for the lock instead of failing at once.
    this.db.pragma('busy_timeout = 5000');
    this.wal = new WalDurability(options.file, options.synchronous);
    const prepare = (sql: string): Database.Statement => this.stmt(sql);
    const runner = new SqliteRunner(this.db, prepare, this.lock);
    this.directory = new SqlDirectory(runner, 'sqlite');
    // Control writes (command status, alarms, outbox steps, automation runs) come in bursts of
    // small transactions on the path from a reading to its reaction. An fsync each would block
    // the event loop (better-sqlite3 is synchronous) and delay every gateway's PUBACK; they commit
    // relaxed instead, and `durable()` syncs the WAL off the loop before anything leaves the
    // process on their account (a command published, a notification sent, an API answer).
    // Camera and archive bookkeeping commits the same way (the archive index waits for
    // `durable()` before it answers the media agent).
    const relaxed = new SqliteRunner(this.db, prepare, this.lock, {
      relaxed: true,
      synchronous: options.synchronous,
      committed: () => this.wal.noteRelaxedCommit(),
    });
    this.control = new SqlControl(relaxed);
    this.media = new SqlMedia(relaxed);
    this.telemetry = new SqliteTelemetryStore(runner, this.db, prepare, this.lock, this.wal);
    this.devices = new SqlDeviceStore(runner);
    this.deadLetters = new SqlDeadLetterStore(runner);
  }

  durable(): Promise<void> {
    return this.wal.durable();
  }

  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async migrate(): Promise<void> {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)',
    );
    const applied = new Set(
      (this.db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map(
        (r) => r.version,
      ),
    );
    assertSchemaKnown(applied);
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      this.db.transaction(() => {
        this.db.exec(migration.sql('sqlite'));
        if (migration.backfillRollups) this.telemetry.backfillRollups();
        this.db
          .prepare('INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?, ?)')
          .run(migration.version, Date.now());
      })();
    }
  }

  async ping(): Promise<void> {
    this.stmt('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
