import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitUntilReady } from './wait.ts';

/**
 * A throwaway InfluxDB 1.x server for tests and benchmarks that compare Hestia with the real
 * engine the seed used (Debian's `influxdb` package, 1.6).
 *
 * Each call starts its own `influxd` on free loopback ports with a generated configuration and
 * all its files (meta, data, WAL) in a new temporary directory; `stop()` kills the process and
 * removes the directory. Nothing of a system-wide InfluxDB (its config, /var/lib/influxdb, a
 * running service) is used or touched.
 *
 * The binary is `HESTIA_TEST_INFLUXD` when set, else /usr/bin/influxd, else `influxd` on PATH.
 * When there is none, the caller gets `{ skipped }`, except on CI (`CI=true`), where a missing
 * binary is a failure: a comparison that silently skips there proves nothing.
 */

export const INFLUXD_INSTALL_HINT = 'apt-get install influxdb';

/** Longest single /ping: one that got no answer is abandoned and sent afresh. */
const PING_ATTEMPT_TIMEOUT_MS = 5_000; // 5 seconds
/** How long influxd may take to shut down after SIGTERM before it gets SIGKILL. */
const STOP_GRACE_S = 10;
/** How much of influxd's own output is kept for error messages. */
const OUTPUT_TAIL_CHARS = 8_000;
const START_ATTEMPTS = 3; // a free port can be taken by someone else before influxd binds it

export type InfluxValue = string | number | boolean | null;

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: InfluxValue[][];
}

export interface InfluxStatementResult {
  statement_id: number;
  series?: InfluxSeries[];
  messages?: { level: string; text: string }[];
}

/** Timestamp precision of written points and of returned `time` values. */
export type InfluxPrecision = 'ns' | 'u' | 'ms' | 's' | 'm' | 'h';

export interface InfluxQueryOptions {
  /**
   * How `time` comes back: epoch numbers in this unit (default `'ms'`, as everywhere in Hestia),
   * or `'rfc3339'` for InfluxDB's own default (strings, with the offset of a `tz()` clause).
   */
  epoch?: InfluxPrecision | 'rfc3339';
}

export interface InfluxDbServer {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:40123 */
  url: string;
  /** The temporary directory holding the config, meta, data and WAL. */
  dir: string;
  /** The influxd version it reported on /ping (X-Influxdb-Version). */
  version: string;
  /**
   * POST /query. Returns one result per statement; throws when the request or any statement
   * fails, with InfluxDB's error text.
   */
  query(q: string, db?: string, options?: InfluxQueryOptions): Promise<InfluxStatementResult[]>;
  /** POST /write: line protocol, timestamps in `precision` (default `'ms'`). */
  write(db: string, lineProtocol: string, precision?: InfluxPrecision): Promise<void>;
  /** Kills influxd and removes its directory. Safe to call more than once. */
  stop(): Promise<void>;
}

/** Where the influxd binary is, or undefined when there is none. */
export function findInfluxd(): string | undefined {
  const candidates = [
    process.env.HESTIA_TEST_INFLUXD,
    '/usr/bin/influxd',
    ...(process.env.PATH ?? '')
      .split(path.delimiter)
      .map((dir) => (dir ? path.join(dir, 'influxd') : undefined)),
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there or not executable: try the next one
    }
  }
  return undefined;
}

/**
 * Starts a private influxd. Returns `{ skipped }` when it is not installed (throws instead on CI);
 * throws when it is installed but does not come up.
 */
export async function startInfluxDb(): Promise<InfluxDbServer | { skipped: string }> {
  const binary = findInfluxd();
  if (!binary) {
    const reason = `influxd not installed: ${INFLUXD_INSTALL_HINT}`;
    if (process.env.CI === 'true') {
      throw new Error(`${reason}; on CI (CI=true) the InfluxDB comparison must run, not skip`);
    }
    return { skipped: reason };
  }
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binary);
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortTakenError)) break;
    }
  }
  throw lastError;
}

class PortTakenError extends Error {}
class InfluxdExitedError extends Error {}

/**
 * influxd runs under this small sh guard (`$1` the binary, `$2` the config, `$3` the directory)
 * so that it never outlives the process that started it: the guard's stdin is a pipe from that
 * process, and when the pipe closes (stop(), or that process ending in any way, even by SIGKILL
 * or a signal that skips Node's exit handlers) the guard sends influxd SIGTERM, then SIGKILL
 * after a grace period. When influxd has exited, the guard removes the directory and exits with
 * influxd's status.
 */
const GUARD_SCRIPT = `exec 3<&0
"$1" run -config "$2" </dev/null 3<&- &
pid=$!
{
  cat <&3 >/dev/null
  kill -TERM "$pid" 2>/dev/null
  i=0
  while [ "$i" -lt ${STOP_GRACE_S * 10} ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$pid" 2>/dev/null
} &
watcher=$!
exec 3<&-
wait "$pid"
status=$?
kill "$watcher" 2>/dev/null
rm -rf "$3"
exit "$status"
`;

async function startOnce(binary: string): Promise<InfluxDbServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hestia-influxdb-'));
  const [httpPort, rpcPort] = await freePorts(2);
  if (httpPort === undefined || rpcPort === undefined) throw new Error('no free ports');
  const configPath = path.join(dir, 'influxdb.conf');
  writeFileSync(configPath, configText(dir, httpPort, rpcPort));
  const url = `http://127.0.0.1:${httpPort}`;

  // INFLUXDB_* variables override the config file: keep the host's out of the private server.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('INFLUXDB_')));
  const child = spawn('/bin/sh', ['-c', GUARD_SCRIPT, 'influxd-guard', binary, configPath, dir], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin?.on('error', () => {
    // The guard is gone already (influxd failed): nothing is left to tell.
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `exit code ${code}`));
    child.once('error', (error) => resolve(error.message));
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await terminate(child, exited);
      rmSync(dir, { recursive: true, force: true });
    })());

  try {
    const version = await waitForPing(url, exited, () => output);
    return {
      url,
      dir,
      version,
      query: (q, db, options) => query(url, q, db, options),
      write: (db, lineProtocol, precision) => write(url, db, lineProtocol, precision),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function configText(dir: string, httpPort: number, rpcPort: number): string {
  const quoted = (value: string): string => JSON.stringify(value); // a TOML basic string
  // Only what a test needs; UDP, Graphite, collectd and OpenTSDB listeners are off by default
  // and are not declared here.
  return `reporting-disabled = true
bind-address = ${quoted(`127.0.0.1:${rpcPort}`)}

[meta]
  dir = ${quoted(path.join(dir, 'meta'))}
  logging-enabled = false

[data]
  dir = ${quoted(path.join(dir, 'data'))}
  wal-dir = ${quoted(path.join(dir, 'wal'))}
  query-log-enabled = false
  trace-logging-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = ${quoted(`127.0.0.1:${httpPort}`)}
  auth-enabled = false
  log-enabled = false
  write-tracing = false
  pprof-enabled = false

[continuous_queries]
  log-enabled = false

[subscriber]
  enabled = false

[logging]
  level = "error"
  suppress-logo = true
`;
}

/** Distinct free loopback ports (free when asked; influxd binds them a moment later). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no TCP address');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

async function waitForPing(url: string, exited: Promise<string>, output: () => string): Promise<string> {
  let exitedHow: string | undefined;
  void exited.then((how) => (exitedHow = how));
  return waitUntilReady(
    'influxd',
    `${url}/ping`,
    async (remainingMs) => {
      if (exitedHow !== undefined) {
        const text = output();
        const message = `influxd exited before it answered /ping (${exitedHow}):\n${text}`;
        throw /address already in use/i.test(text)
          ? new PortTakenError(message)
          : new InfluxdExitedError(message);
      }
      const response = await fetch(`${url}/ping`, {
        signal: AbortSignal.timeout(Math.min(remainingMs, PING_ATTEMPT_TIMEOUT_MS)),
      });
      await response.arrayBuffer();
      if (response.status !== 204) throw new Error(`/ping answered ${response.status}`);
      return response.headers.get('x-influxdb-version') ?? 'unknown';
    },
    {
      // Not listening yet, or too busy to answer: try again; an influxd that exited will not come.
      retryable: (error) => !(error instanceof PortTakenError || error instanceof InfluxdExitedError),
      detail: () => `influxd's output:\n${output()}`,
    },
  );
}

/** Closes the guard's stdin, so it stops influxd; kills the guard if it is still there later. */
async function terminate(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.stdin?.end();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), (STOP_GRACE_S + 5) * 1000);
  });
  const how = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (how === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

async function query(
  url: string,
  q: string,
  db: string | undefined,
  options: InfluxQueryOptions = {},
): Promise<InfluxStatementResult[]> {
  const form = new URLSearchParams({ q });
  if (db !== undefined) form.set('db', db);
  const epoch = options.epoch ?? 'ms';
  if (epoch !== 'rfc3339') form.set('epoch', epoch);
  const response = await fetch(`${url}/query`, { method: 'POST', body: form });
  const text = await response.text();
  let body: { results?: (InfluxStatementResult & { error?: string })[]; error?: string };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`InfluxDB /query answered ${response.status} with non-JSON: ${text.slice(0, 500)}`);
  }
  if (!response.ok || body.error !== undefined) {
    throw new Error(
      `InfluxDB /query failed (${response.status}): ${body.error ?? text.slice(0, 500)}\n  query: ${q}`,
    );
  }
  const results = body.results ?? [];
  const failed = results.find((result) => result.error !== undefined);
  if (failed) {
    throw new Error(`InfluxDB statement ${failed.statement_id} failed: ${failed.error}\n  query: ${q}`);
  }
  return results;
}

async function write(
  url: string,
  db: string,
  lineProtocol: string,
  precision: InfluxPrecision = 'ms',
): Promise<void> {
  const params = new URLSearchParams({ db, precision });
  const response = await fetch(`${url}/write?${params.toString()}`, { method: 'POST', body: lineProtocol });
  const text = await response.text();
  if (response.status !== 204) {
    throw new Error(`InfluxDB /write to ${db} failed (${response.status}): ${text.slice(0, 1000)}`);
  }
}
