import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { NotReadyError, describeError, waitUntilReady } from './wait.ts';

/**
 * Throwaway PostgreSQL databases for tests that run against the real engine (the store
 * conformance suite, the whole app on PostgreSQL).
 *
 * The server is `HESTIA_TEST_DATABASE_URL`, or a local trust-auth server by default. A server
 * that is slow to accept a connection (a busy machine, a server still starting) is waited for up
 * to READY_TIMEOUT_MS. When no server answers, tests skip, except on CI (`CI=true`), where a
 * missing server is a failure: a suite that silently skips there proves nothing.
 */

export const DEFAULT_TEST_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Longest single connection attempt: a connect whose SYN or startup packet was dropped by an
 * overloaded machine is abandoned and tried afresh rather than waited out for the whole deadline.
 */
const ATTEMPT_TIMEOUT_MS = 10_000; // 10 seconds
/**
 * Outside CI, how long "connection refused" (nothing listening) is retried before the tests skip:
 * long enough for a server that is just starting, short enough for a developer without one.
 */
const REFUSED_GRACE_MS = 2_000; // 2 seconds
/**
 * SQLSTATEs a server sends while it cannot take the connection yet: cannot_connect_now (starting
 * up, shutting down, in recovery) and too_many_connections (other suites hold every slot).
 */
const RETRYABLE_SQLSTATES = new Set(['57P03', '53300']);

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
  const admin = await connectAdmin(serverUrl);
  if ('skipped' in admin) return admin;

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

/**
 * Whether the test server answers, without creating anything: `undefined` when it does,
 * `{ skipped }` when it cannot be reached outside CI. Throws like createTestDatabase.
 */
export async function probeTestServer(): Promise<{ skipped: string } | undefined> {
  const admin = await connectAdmin(testServerUrl());
  if ('skipped' in admin) return admin;
  await admin.end();
  return undefined;
}

/**
 * A connection to the server's maintenance database, retried until READY_TIMEOUT_MS: the tests'
 * own throwaway databases are created and dropped through it.
 */
async function connectAdmin(serverUrl: string): Promise<pg.Client | { skipped: string }> {
  try {
    return await connectWhenReady(serverUrl, process.env.CI === 'true');
  } catch (error) {
    if (error instanceof pg.DatabaseError) {
      throw new Error(
        `PostgreSQL at ${redactUrl(serverUrl)} refused the test connection (${describeError(error)}); ` +
          'set HESTIA_TEST_DATABASE_URL to a server and role that may create databases',
        { cause: error },
      );
    }
    const reason =
      error instanceof NotReadyError
        ? error.message
        : `PostgreSQL not reachable at ${redactUrl(serverUrl)} (${describeError(error)})`;
    if (process.env.CI === 'true') {
      throw new Error(`${reason}; on CI (CI=true) the PostgreSQL tests must run, not skip`, { cause: error });
    }
    return { skipped: reason };
  }
}

/**
 * Connects, trying again on errors that mean "not yet" (refused, reset, timed out, the server
 * starting or full) until READY_TIMEOUT_MS. A refused connection is only retried for
 * REFUSED_GRACE_MS unless `waitWhenRefused`: outside CI it usually means there is no server.
 */
async function connectWhenReady(url: string, waitWhenRefused = true): Promise<pg.Client> {
  const startedAt = Date.now();
  return waitUntilReady(
    'PostgreSQL',
    redactUrl(url),
    async (remainingMs) => {
      const client = new pg.Client({
        connectionString: url,
        connectionTimeoutMillis: Math.min(remainingMs, ATTEMPT_TIMEOUT_MS),
      });
      // A connection the server drops later fails the query that uses it; without a listener
      // the client's 'error' event would crash the test process instead.
      client.on('error', () => undefined);
      try {
        await client.connect();
        return client;
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
    },
    {
      retryable: (error) => {
        if (error instanceof pg.DatabaseError) return RETRYABLE_SQLSTATES.has(error.code ?? '');
        if (!waitWhenRefused && (error as { code?: string }).code === 'ECONNREFUSED')
          return Date.now() - startedAt < REFUSED_GRACE_MS;
        return true;
      },
    },
  );
}

async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = await connectWhenReady(serverUrl);
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
