import type { ConfigInput } from '../../src/core/config.ts';
import { createTestDatabase, probeTestServer } from './postgres.ts';

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
 * Declares the PostgreSQL suites (`declare`) once the test server answers (waiting for it as
 * postgres.ts does). When it does not, a test `<title> (PostgreSQL)` stands in for them: failing
 * with the reason on CI (`CI=true`) or when the server refuses the connection, skipped otherwise.
 */
export async function onPostgres(title: string, declare: () => void): Promise<void> {
  const { test } = await import('node:test');
  const probe = await probeTestServer().catch((error: unknown) => ({ failed: error }));
  if (probe === undefined) {
    declare();
  } else if ('failed' in probe) {
    test(`${title} (PostgreSQL)`, () => {
      throw probe.failed;
    });
  } else {
    test(
      `${title} (PostgreSQL)`,
      { skip: `${probe.skipped}: skipping the postgres storage backend` },
      () => {},
    );
  }
}

/** Runs `suite` on SQLite, then on PostgreSQL (see onPostgres for a server that does not answer). */
export async function onEveryBackend(title: string, suite: (backend: Backend) => void): Promise<void> {
  suite(SQLITE);
  await onPostgres(title, () => suite(POSTGRES));
}
