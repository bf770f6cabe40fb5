import path from 'node:path';
import type { Logger } from 'pino';
import type { HestiaConfig } from '../core/config.ts';
import type { Store } from '../core/ports/store.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';

/** Opens and migrates the configured storage backend. */
export async function openStore(config: Readonly<HestiaConfig>, logger?: Logger): Promise<Store> {
  let store: Store;
  if (config.storage.kind === 'postgres') {
    const { PostgresStore } = await import('./postgres/postgres-store.ts');
    store = new PostgresStore({
      connectionString: config.storage.databaseUrl!,
      poolSize: config.storage.postgresPoolSize,
      onIdleClientError: (error) =>
        logger?.warn({ err: error.message }, 'PostgreSQL dropped an idle connection'),
    });
  } else {
    store = new SqliteStore({
      file: path.join(config.dataDir, 'hestia.db'),
      synchronous: config.storage.sqliteSynchronous,
    });
  }
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
