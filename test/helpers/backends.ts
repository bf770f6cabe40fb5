import type { ConfigInput } from '../../src/core/config.ts';
import { createTestDatabase } from './postgres.ts';

/** A storage backend an integration suite runs on; `open` makes a fresh store for one suite. */
export interface Backend {
  name: string;
  open(): Promise<{ storage?: ConfigInput['storage']; drop: () => Promise<void> }>;
}

export const SQLITE: Backend = { name: 'SQLite', open: async () => ({ drop: async () => undefined }) };

export const POSTGRES: Backend = {
  name: 'PostgreSQL',
  async open() {
    const database = await createTestDatabase();
    if ('skipped' in database) throw new Error(database.skipped);
    return { storage: { kind: 'postgres', databaseUrl: database.url }, drop: database.drop };
  },
};

/**
 * Runs `suite` on SQLite, then on PostgreSQL. When PostgreSQL cannot be reached the run fails
 * with the reason, unless the PostgreSQL helper says to skip it (HESTIA_TEST_POSTGRES_URL=skip).
 */
export async function onEveryBackend(title: string, suite: (backend: Backend) => void): Promise<void> {
  const { test } = await import('node:test');
  suite(SQLITE);
  const probe = await createTestDatabase().catch((error: unknown) => ({ failed: error }));
  if ('failed' in probe) {
    test(`${title} (PostgreSQL)`, () => {
      throw probe.failed;
    });
  } else if ('skipped' in probe) {
    test(
      `${title} (PostgreSQL)`,
      { skip: `${probe.skipped}: skipping the postgres storage backend` },
      () => {},
    );
  } else {
    await probe.drop();
    suite(POSTGRES);
  }
}
