import pg from 'pg';
import type { PoolClient } from 'pg';
import type { Store } from '../../core/ports/store.ts';
import { SqlControl } from '../control/control.ts';
import { SqlMedia } from '../media/media.ts';
import { assertSchemaKnown } from '../schema-version.ts';
import { SqlDirectory } from '../directory/directory.ts';
import { MIGRATIONS } from '../migrations/index.ts';
import { SqlDeadLetterStore } from '../telemetry/dead-letters.ts';
import { SqlDeviceStore } from '../telemetry/devices.ts';
import { PostgresRunner } from './postgres-runner.ts';
import { PostgresTelemetryStore } from './telemetry.ts';

export interface PostgresStoreOptions {
  /** libpq-style URL, e.g. postgres://hestia@db:5432/hestia. */
  connectionString: string;
  /** Most connections the pool opens; each group commit holds one for its transaction. */
  poolSize: number;
  /**
   * Called when an idle pooled connection fails (server restart, network cut). The pool drops
   * the connection and opens a new one on demand; the default prints a process warning.
   */
  onIdleClientError?: ((error: Error) => void) | undefined;
}

/**
 * Key of the transaction-level advisory lock that serialises migrations, so that workers
 * starting together do not race to create the same tables. Advisory locks are scoped to the
 * database; singleton jobs (DESIGN §6) must pick other keys.
 */
export const MIGRATION_LOCK_KEY = 0x48535401;

const INT8_OID: number = pg.types.builtins.INT8;

/**
 * int8 as a JS number: ms timestamps, counts and ids are far below 2^53. A value that is not
 * a safe integer throws instead of being rounded silently.
 */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`int8 value ${text} is not a safe integer`);
  return value;
}

const defaultTypeParser = pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => unknown;

/** Per pool, so that other users of `pg` in the process keep the driver's defaults. */
const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : defaultTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** PostgreSQL for scale-out: several workers share one database (DESIGN §7). */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  readonly directory: SqlDirectory;
  readonly control: SqlControl;
  readonly media: SqlMedia;
  readonly telemetry: PostgresTelemetryStore;
  readonly devices: SqlDeviceStore;
  readonly deadLetters: SqlDeadLetterStore;

  constructor(options: PostgresStoreOptions) {
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize,
      types: typeParsers,
      application_name: 'hestia',
    });
    const onIdleClientError =
      options.onIdleClientError ??
      ((error: Error) => process.emitWarning(error, { code: 'HESTIA_POSTGRES_IDLE_CLIENT' }));
    // Without a listener an idle connection's error would be an uncaught 'error' event.
    this.pool.on('error', onIdleClientError);
    const transaction = <T>(work: (client: PoolClient) => Promise<T>): Promise<T> => this.transaction(work);
    const runner = new PostgresRunner(this.pool, transaction);
    this.directory = new SqlDirectory(runner, 'postgres');
    this.control = new SqlControl(runner);
    this.media = new SqlMedia(runner);
    this.telemetry = new PostgresTelemetryStore(runner, this.pool, transaction);
    this.devices = new SqlDeviceStore(runner);
    this.deadLetters = new SqlDeadLetterStore(runner);
  }

  /** Runs `work` in one transaction on one pooled connection; rolls back and rethrows on error. */
  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let brokenConnection: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection is unusable; releasing it with the error closes it, and the server
        // aborts the transaction when the connection goes. The original error is what matters.
        brokenConnection = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      throw error;
    } finally {
      client.release(brokenConnection);
    }
  }

  async migrate(): Promise<void> {
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at_ms bigint NOT NULL)',
      );
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((r) => r.version));
      assertSchemaKnown(applied);
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        await client.query(migration.sql('postgres'));
        if (migration.backfillRollups) await this.telemetry.backfillRollups(client);
        await client.query('INSERT INTO schema_migrations (version, applied_at_ms) VALUES ($1, $2)', [
          migration.version,
          Date.now(),
        ]);
      }
    });
  }

  /** Every PostgreSQL commit is durable when it returns (synchronous_commit on). */
  async durable(): Promise<void> {}

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}
