import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort } from './system.ts';
import { track } from './processes.ts';

/**
 * A private InfluxDB 1.x (Debian's `influxdb` package, 1.6) for the query benchmark: its own
 * `influxd` on free loopback ports, with its configuration, meta, data and WAL in a directory
 * of the benchmark's work directory (removed with it). The system's InfluxDB, if any, is not
 * touched. The start-up logic follows test/helpers/influxdb.ts, which the benchmark does not
 * import (tests and benchmarks do not depend on each other).
 */

const STARTUP_TIMEOUT_MS = 30_000; // influxd opens every shard before it answers /ping
/** How long influxd may take to shut down after SIGTERM before the guard sends SIGKILL. */
const STOP_GRACE_S = 30;
const OUTPUT_TAIL_CHARS = 8_000;

/**
 * influxd runs under this sh guard (`$1` the binary, `$2` the config) so that it never outlives
 * the benchmark: the guard's stdin is a pipe from the benchmark, and when the pipe closes
 * (stop(), or the benchmark ending in any way, even by SIGKILL) the guard sends influxd SIGTERM,
 * then SIGKILL after a grace period.
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
exit "$status"
`;

export interface InfluxSeries {
  name: string;
  columns: string[];
  values: Array<Array<number | string | null>>;
}

export interface InfluxStatementResult {
  statement_id: number;
  series?: InfluxSeries[];
  error?: string;
}

export class BenchInflux {
  private constructor(
    readonly url: string,
    readonly dir: string,
    readonly version: string,
    private readonly child: ChildProcess,
    private readonly exited: Promise<string>,
  ) {}

  /** Where influxd is: HESTIA_TEST_INFLUXD, /usr/bin/influxd, or on PATH. */
  static binary(): string {
    const candidates = [
      process.env.HESTIA_TEST_INFLUXD,
      '/usr/bin/influxd',
      ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => (dir ? path.join(dir, 'influxd') : '')),
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
    throw new Error('influxd not found: apt-get install influxdb (InfluxDB 1.6 is the reference)');
  }

  static async start(dir: string): Promise<BenchInflux> {
    mkdirSync(dir, { recursive: true });
    const httpPort = await freePort();
    const rpcPort = await freePort();
    const configPath = path.join(dir, 'influxdb.conf');
    writeFileSync(configPath, configText(dir, httpPort, rpcPort));
    // INFLUXDB_* variables override the config file: keep the host's out of the private server.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith('INFLUXDB_')),
    );
    const child = track(
      spawn('/bin/sh', ['-c', GUARD_SCRIPT, 'influxd-guard', BenchInflux.binary(), configPath], {
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
    child.stdin?.on('error', () => {
      // The guard is gone already (influxd failed): its exit is reported below.
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<string>((resolve) => {
      child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `exit code ${code}`));
    });
    let exitedHow: string | undefined;
    void exited.then((how) => (exitedHow = how));
    const url = `http://127.0.0.1:${httpPort}`;
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    for (;;) {
      if (exitedHow !== undefined) throw new Error(`influxd exited (${exitedHow}):\n${output}`);
      try {
        const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
        await response.arrayBuffer();
        if (response.status === 204) {
          const version = response.headers.get('x-influxdb-version') ?? 'unknown';
          return new BenchInflux(url, dir, version, child, exited);
        }
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`influxd did not answer ${url}/ping:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** POST /query for statements that change something (CREATE DATABASE). */
  async command(q: string): Promise<void> {
    const response = await fetch(`${this.url}/query`, { method: 'POST', body: new URLSearchParams({ q }) });
    const text = await response.text();
    if (!response.ok || text.includes('"error"')) throw new Error(`InfluxDB: ${q}: ${text.slice(0, 500)}`);
  }

  /** GET /query, times as epoch milliseconds: the body and the milliseconds to its last byte. */
  async query(db: string, q: string): Promise<{ text: string; ms: number }> {
    const params = new URLSearchParams({ db, q, epoch: 'ms' });
    const started = performance.now();
    const response = await fetch(`${this.url}/query?${params.toString()}`);
    const text = await response.text();
    const ms = performance.now() - started;
    if (!response.ok) throw new Error(`InfluxDB /query answered ${response.status}: ${text.slice(0, 500)}`);
    return { text, ms };
  }

  /** POST /write of line protocol with millisecond timestamps; resolves once InfluxDB answered 204. */
  async write(db: string, lines: string): Promise<void> {
    const response = await fetch(`${this.url}/write?db=${encodeURIComponent(db)}&precision=ms`, {
      method: 'POST',
      body: lines,
    });
    const text = await response.text();
    if (response.status !== 204) {
      throw new Error(`InfluxDB /write answered ${response.status}: ${text.slice(0, 500)}`);
    }
  }

  /**
   * Bytes on disk (allocated blocks, as du counts them: InfluxDB preallocates its series files
   * sparsely, so their apparent size overstates it) of the data (TSM) and WAL directories, the
   * apparent size too, and whether a compaction is writing.
   */
  diskUsage(): { dataBytes: number; walBytes: number; apparentBytes: number; compacting: boolean } {
    const data = treeBytes(path.join(this.dir, 'data'));
    const wal = treeBytes(path.join(this.dir, 'wal'));
    return {
      dataBytes: data.allocated,
      walBytes: wal.allocated,
      apparentBytes: data.apparent + wal.apparent,
      compacting: data.temporary > 0,
    };
  }

  /** Stops influxd (SIGTERM through the guard) and waits for it. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin?.end();
    await this.exited;
  }
}

/** Allocated and apparent bytes of every file under `dir`, and how many are compactions in progress (.tmp). */
function treeBytes(dir: string): { allocated: number; apparent: number; temporary: number } {
  let allocated = 0;
  let apparent = 0;
  let temporary = 0;
  const walk = (current: string): void => {
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      return; // removed while we looked (a compaction replaced it)
    }
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        try {
          const stat = statSync(full);
          allocated += stat.blocks * 512; // st_blocks counts 512-byte units (stat(2))
          apparent += stat.size;
          if (entry.name.endsWith('.tmp')) temporary++;
        } catch {
          // removed while we looked
        }
      }
    }
  };
  walk(dir);
  return { allocated, apparent, temporary };
}

function configText(dir: string, httpPort: number, rpcPort: number): string {
  const quoted = (value: string): string => JSON.stringify(value); // a TOML basic string
  // Defaults except: loopback ports, no reporting or monitoring, quiet logs, and a shard that
  // stops receiving writes is snapshotted and fully compacted after seconds instead of 10 minutes
  // and 4 hours, so that the size on disk is measured in its final, compacted form within the
  // run. The WAL is fsynced at every write (wal-fsync-delay 0, the default), like Hestia's
  // synchronous=FULL commits.
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
  cache-snapshot-write-cold-duration = "10s"
  compact-full-write-cold-duration = "30s"

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
  enabled = false

[subscriber]
  enabled = false

[logging]
  level = "error"
  suppress-logo = true
`;
}
