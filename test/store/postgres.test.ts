import assert from 'node:assert/strict';
import { after, describe, it, test } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { MIGRATIONS } from '../../src/store/migrations/index.ts';
import { type TestDatabase, createTestDatabase } from '../helpers/postgres.ts';
import { runStoreConformance } from './conformance.ts';

const name = 'store conformance: postgres';
let database: TestDatabase | { skipped: string } | { failed: unknown };
try {
  database = await createTestDatabase();
} catch (error) {
  database = { failed: error };
}

if ('failed' in database) {
  const { failed } = database;
  test(name, () => {
    throw failed;
  });
} else if ('skipped' in database) {
  test(name, { skip: `${database.skipped}: skipping the postgres storage backend` }, () => {});
} else {
  const { url, drop } = database;
  let opened: PostgresStore | undefined;
  runStoreConformance(
    'postgres',
    async () => {
      opened = new PostgresStore({ connectionString: url, poolSize: 4 });
      await opened.migrate();
      return opened;
    },
    async () => {
      await opened?.close();
    },
  );
  // After every test of this file, whether they passed or not.
  after(drop);

  describe('postgres store: migrations', () => {
    it('workers migrating a fresh database at the same time apply each migration once', async () => {
      const fresh = await createTestDatabase();
      assert.ok('url' in fresh, 'a second test database could be created');
      const workers = Array.from(
        { length: 3 },
        () => new PostgresStore({ connectionString: fresh.url, poolSize: 1 }),
      );
      const admin = new pg.Client({ connectionString: fresh.url });
      try {
        await Promise.all(workers.map((worker) => worker.migrate()));
        await admin.connect();
        const { rows } = await admin.query<{ version: number }>(
          'SELECT version FROM schema_migrations ORDER BY version',
        );
        assert.deepEqual(
          rows.map((r) => r.version),
          MIGRATIONS.map((m) => m.version),
        );
        await workers[0]!.migrate();
        await workers[1]!.ping();
      } finally {
        await admin.end();
        await Promise.all(workers.map((worker) => worker.close()));
        await fresh.drop();
      }
    });

    it('int8 columns come back as numbers, and a value beyond 2^53 is an error, not a rounded number', async () => {
      const store = new PostgresStore({ connectionString: url, poolSize: 1 });
      try {
        await store.directory.tenants.createTenant({
          id: 'int8',
          slug: 'int8',
          name: 'big',
          createdAtMs: 2 ** 53 - 1,
        });
        assert.equal((await store.directory.tenants.findTenant('int8'))?.createdAtMs, 2 ** 53 - 1);
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        try {
          await admin.query(`UPDATE tenants SET created_at_ms = 9007199254740993 WHERE id = 'int8'`);
        } finally {
          await admin.end();
        }
        await assert.rejects(store.directory.tenants.findTenant('int8'), /not a safe integer/);
      } finally {
        await store.close();
      }
    });
  });
}
