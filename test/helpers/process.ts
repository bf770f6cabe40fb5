import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { READY_TIMEOUT_MS, waitUntilReady } from './wait.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const HESTIA_BIN = path.join(REPO_ROOT, 'bin/hestia.js');

/**
 * A loopback TCP port that was free a moment ago, for a child that must come back on the same
 * port or for "nothing listens there". Where the kernel says which ports it hands out by itself
 * (Linux), the port is picked below that range: a listen(0) or an outgoing connection of another
 * test file running at the same time cannot take it in between.
 */
export async function freePort(): Promise<number> {
  const ephemeral = ephemeralPortRange();
  if (ephemeral && ephemeral.low > PICKED_PORT_LOW) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = PICKED_PORT_LOW + Math.floor(Math.random() * (ephemeral.low - PICKED_PORT_LOW));
      if (await isFree(port)) return port;
    }
  }
  return listenOnce(0);
}

/** The lowest port freePort picks itself (below it: services' registered ports). */
const PICKED_PORT_LOW = 20_000;

function ephemeralPortRange(): { low: number; high: number } | undefined {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    return low && high ? { low: Number(low), high: Number(high) } : undefined;
  } catch {
    return undefined; // not Linux
  }
}

function isFree(port: number): Promise<boolean> {
  return listenOnce(port).then(
    () => true,
    () => false,
  );
}

/** Listens on 127.0.0.1:`port` (0: any), closes again and returns the port. */
function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

/** Runs `hestia <args>` to completion and returns its exit code and output. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HESTIA_BIN, ...args], {
      env: { ...cleanEnv(), ...env },
      cwd: REPO_ROOT,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** The environment without any HESTIA_* variable of the developer's shell. */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('HESTIA_')));
}

export interface HestiaChild {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * Starts `hestia start` and resolves once it says it is running (its ports are then in
 * <dataDir>/ports.json); waits up to `timeoutMs`, and fails at once if it exits before.
 */
export async function startHestiaChild(
  env: NodeJS.ProcessEnv & { HESTIA_DATA_DIR: string },
  timeoutMs = READY_TIMEOUT_MS,
): Promise<HestiaChild & { ports: { http: number; mqtt: number } }> {
  const portsFile = path.join(env.HESTIA_DATA_DIR, 'ports.json');
  const child = spawn(process.execPath, [HESTIA_BIN, 'start'], {
    env: { ...cleanEnv(), HESTIA_LOG_LEVEL: 'warn', ...env },
    cwd: REPO_ROOT,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const ports = await waitUntilReady(
      'hestia start',
      `data dir ${env.HESTIA_DATA_DIR}`,
      () => {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`hestia exited (${child.exitCode ?? child.signalCode}) before it ran: ${output}`);
        // The line is printed after ports.json is written.
        if (!output.includes('Hestia is running')) return undefined;
        return JSON.parse(readFileSync(portsFile, 'utf8')) as { http: number; mqtt: number };
      },
      { timeoutMs, retryable: () => false, detail: () => `its output so far:\n${output}` },
    );
    return { child, output: () => output, exited, ports };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}
