import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { Hestia } from '../../src/app.ts';
import { loadConfig } from '../../src/core/config.ts';
import { isHestiaError } from '../../src/core/errors.ts';
import type { Store } from '../../src/core/ports/store.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { SUITE_TIMEOUT_MS } from '../helpers/wait.ts';

/**
 * Several workers on one database, first steps (DESIGN.md §7): workers started together on an
 * empty database all start (one platform administrator is made), and a worker older than the
 * database's schema refuses it with a message instead of writing to tables it does not know.
 */
const database = await createTestDatabase();
const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  if (!('skipped' in database)) await database.drop();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hestia-workers-'));
  dirs.push(dir);
  return dir;
}

async function refusesNewerSchema(
  open: () => Store,
  addVersion: (store: Store) => Promise<void>,
): Promise<void> {
  const store = open();
  await store.migrate();
  await addVersion(store);
  await store.close();
  const again = open();
  try {
    const error = await again.migrate().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isHestiaError(error) && error.code === 'HESTIA_SCHEMA_TOO_NEW', `got ${String(error)}`);
    assert.match(error.message, /schema version 999, this Hestia knows up to \d+/);
  } finally {
    await again.close();
  }
}

describe('workers on one database', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('two workers started together on an empty PostgreSQL database both start, with one administrator', async (t) => {
    if ('skipped' in database) {
      t.skip(database.skipped);
      return;
    }
    const start = (dataDir: string) =>
      Hestia.start(
        loadConfig({
          env: {},
          overrides: {
            dataDir,
            storage: { kind: 'postgres', databaseUrl: database.url },
            http: { port: 0, host: '127.0.0.1' },
            mqtt: { port: 0, wsPort: null, host: '127.0.0.1' },
            log: { level: 'silent' },
          },
        }),
        { logger: pino({ level: 'silent' }), firstRunSetup: true },
      );
    const [a, b] = [tempDir(), tempDir()];
    const workers = await Promise.all([start(a), start(b)]);
    try {
      assert.equal(await workers[0].ctx.store.directory.people.countUsers(), 1);
      const files = [a, b].filter((dir) => existsSync(path.join(dir, 'initial-admin.json')));
      assert.equal(files.length, 1, 'one worker made the administrator and wrote its password');
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
    }
  });

  it('a worker refuses a SQLite database migrated by a newer Hestia', async () => {
    const file = path.join(tempDir(), 'hestia.db');
    await refusesNewerSchema(
      () => new SqliteStore({ file, synchronous: 'full' }),
      async () => {
        const { default: Database } = await import('better-sqlite3');
        const db = new Database(file);
        db.prepare('INSERT INTO schema_migrations (version, applied_at_ms) VALUES (999, 0)').run();
        db.close();
      },
    );
  });

  it('a worker refuses a PostgreSQL database migrated by a newer Hestia', async (t) => {
    if ('skipped' in database) {
      t.skip(database.skipped);
      return;
    }
    const fresh = await createTestDatabase();
    if ('skipped' in fresh) return;
    try {
      await refusesNewerSchema(
        () => new PostgresStore({ connectionString: fresh.url, poolSize: 1 }),
        async () => {
          const { default: pg } = await import('pg');
          const client = new pg.Client({ connectionString: fresh.url });
          await client.connect();
          await client.query('INSERT INTO schema_migrations (version, applied_at_ms) VALUES (999, 0)');
          await client.end();
        },
      );
    } finally {
      await fresh.drop();
    }
  });
});
