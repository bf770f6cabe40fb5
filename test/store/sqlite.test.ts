import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { runStoreConformance } from './conformance.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'hestia-sqlite-'));

runStoreConformance(
  'sqlite',
  async () => {
    const store = new SqliteStore({ file: path.join(dir, 'hestia.db'), synchronous: 'full' });
    await store.migrate();
    return store;
  },
  async (store) => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  },
);

describe('SQLite control writes: relaxed commits, durable on demand', () => {
  it('commits control writes without changing the connection, and durable() syncs them', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'hestia-sqlite-durable-')), 'hestia.db');
    const store = new SqliteStore({ file, synchronous: 'full' });
    await store.migrate();
    try {
      const db = (store as unknown as { db: Database.Database }).db;
      await store.directory.tenants.createTenant({
        id: 't',
        slug: 'durable',
        name: 'Durable',
        createdAtMs: Date.now(),
      });
      await store.control.notifications.enqueue({
        tenantId: 't',
        homeId: null,
        sourceKey: 'durable-test',
        kind: 'system',
        severity: 'info',
        title: 'title',
        body: 'body',
        data: {},
        userIds: [],
        createdAtMs: Date.now(),
      });
      // The relaxed commit set NORMAL for itself only: ingest commits still fsync (2 = FULL).
      assert.equal(db.pragma('synchronous', { simple: true }), 2);
      const counters = (store as unknown as { wal: { relaxedCommits: number; syncedCommits: number } }).wal;
      assert.ok(counters.relaxedCommits > counters.syncedCommits, 'the write is not known to be on disk yet');
      await store.durable();
      assert.equal(counters.syncedCommits, counters.relaxedCommits);
      // Nothing new: returns at once; and the data is there.
      await store.durable();
      assert.ok(await store.control.notifications.findRequestBySourceKey('durable-test'));
    } finally {
      await store.close();
    }
  });
});
