import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
