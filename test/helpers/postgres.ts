import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Throwaway PostgreSQL databases for tests that run against the real engine (the store
 * conformance suite, the whole app on PostgreSQL).
 *
 * The server is `HESTIA_TEST_DATABASE_URL`, or a local trust-auth server by default. When no
 * server answers, tests skip, except on CI (`CI=true`), where a missing server is a failure:
 * a suite that silently skips there proves nothing.
 */

export const DEFAULT_TEST_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** How long to wait for the server before deciding it is not there. */
const CONNECT_TIMEOUT_MS = 3000; // 3 seconds

export interface TestDatabase {
  /** Connection URL of the new, empty database. */
  url: string;
  name: string;
  /** Drops the database, terminating connections still open on it. Safe to call twice. */
  readonly drop: () => Promise<void>;
}

export function testServerUrl(): string {
  return process.env.HESTIA_TEST_DATABASE_URL ?? DEFAULT_TEST_SERVER_URL;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * Creates an empty database with a random name (`hestia_test_<hex>`) on the test server.
 *
 * Returns `{ skipped }` with the reason when the server cannot be reached and `CI` is not
 * `true`. Throws when `CI=true` and the server cannot be reached, and whenever a server answers
 * but refuses (authentication, permissions): that is a configuration to fix, not a reason to skip.
 */
export async function createTestDatabase(): Promise<TestDatabase | { skipped: string }> {
  const serverUrl = testServerUrl();
  let admin: pg.Client;
  try {
    admin = await connect(serverUrl);
  } catch (error) {
    const cause = error instanceof Error ? error.message || error.name : String(error);
    if (error instanceof pg.DatabaseError) {
      throw new Error(
        `PostgreSQL at ${redactUrl(serverUrl)} refused the test connection (${cause}); ` +
          'set HESTIA_TEST_DATABASE_URL to a server and role that may create databases',
        { cause: error },
      );
    }
    const reason = `PostgreSQL not reachable at ${redactUrl(serverUrl)} (${cause})`;
    if (process.env.CI === 'true') {
      throw new Error(`${reason}; on CI (CI=true) the PostgreSQL tests must run, not skip`, { cause: error });
    }
    return { skipped: reason };
  }

  const name = `hestia_test_${randomBytes(6).toString('hex')}`;
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;

  let dropped: Promise<void> | undefined;
  return {
    url: url.toString(),
    name,
    drop: () => (dropped ??= dropDatabase(serverUrl, name)),
  };
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  await client.connect();
  return client;
}

async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = await connect(serverUrl);
  try {
    // A pool a failed test did not close would otherwise make DROP DATABASE fail.
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    );
    // DROP DATABASE waits up to 5 s for the terminated backends to exit.
    await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
  } finally {
    await admin.end();
  }
}
