import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { MIGRATIONS } from '../../src/store/migrations/index.ts';

/**
 * Released migrations are frozen: a database that applied one must never meet a different text
 * of it. Each released migration's SQL is pinned by its SHA-256 here; a change of schema is a
 * new migration (and a new line below), never an edit of an old one or of anything it uses.
 */
const RELEASED: Record<number, { sqlite: string; postgres: string }> = {
  1: {
    sqlite: '1f68f3e9454cf68194994eec1dfa879f559eb007c3f3caee3071a196befba7a4',
    postgres: '3da465d3eb799460157beba5301107af721b0a2c0449dfad4480faeaeaf58a3d',
  },
  2: {
    sqlite: '8e4a3a08e50e2808d291ec32e7002a1220d1b1438086d2b05deddf61fda12d08',
    postgres: '05fd86e946d96c44001b75a495ef3dc5db682cdab7a9dc635e3d8fd806d3a893',
  },
  3: {
    sqlite: '4053b41c4742ba30cdc7fab01dbb21de06d6be0a0bafe4090176549c400b4136',
    postgres: '623fd1204ce44658b2c4c10ffd39cc5bf36212a7128be53fa66583664aec4cd9',
  },
  4: {
    sqlite: '9ef6b4e10e0dd7266f90d7cab039bcef840dc7e1ea422d4c8039e107d491c448',
    postgres: '6ba28447b3aac29663706b2a89263bb70d5a74c902adba88cb646980a5eabf42',
  },
  5: {
    sqlite: 'd45d55c4b9d77fec942a69811ec6e8a21e8a01cae821f04d47c78c11101d9ad2',
    postgres: '5caf8be836296eab94d5a39cc4c3cfd18fd8c4078700331ac06198f1680cc17c',
  },
};

const digest = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('schema migrations', () => {
  it('are numbered 1, 2, 3… without gaps', () => {
    assert.deepEqual(
      MIGRATIONS.map((m) => m.version),
      MIGRATIONS.map((_, index) => index + 1),
    );
  });

  it('released ones produce exactly the SQL they were released with, on both engines', () => {
    for (const migration of MIGRATIONS) {
      const pinned = RELEASED[migration.version];
      if (!pinned) continue; // a new migration: pin it here when it is released
      for (const dialect of ['sqlite', 'postgres'] as const) {
        assert.equal(
          digest(migration.sql(dialect)),
          pinned[dialect],
          `migration ${migration.version} (${migration.name}) on ${dialect} changed: released migrations are frozen, add a new one`,
        );
      }
    }
  });

  it('import nothing outside store/migrations', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = new URL('../../src/store/migrations/', import.meta.url);
    for (const file of readdirSync(dir)) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      for (const [, specifier] of text.matchAll(/from '([^']+)'/g)) {
        assert.ok(
          specifier!.startsWith('./'),
          `${file} imports ${specifier}: a migration may only use its own folder`,
        );
      }
    }
  });
});
