import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, waitForPort } from './system.ts';

/**
 * The processes a benchmark starts (Hestia, a reference Mosquitto), its progress lines on
 * stderr, and the clean-up that kills them and removes the work directory however it exits.
 */

export const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const HESTIA_BIN = path.join(REPO_ROOT, 'bin/hestia.js');
const MOSQUITTO_BIN = '/usr/sbin/mosquitto';
const STARTUP_TIMEOUT_MS = 30_000;

// Children: every process started here is killed when this one exits, however it exits.

const children = new Set<ChildProcess>();
/** Removed at exit unless --keep, also when the run is interrupted. */
let workDirToRemove: string | null = null;
export function removeAtExit(dir: string): void {
  workDirToRemove = dir;
}
export function track<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
export function killChildren(): void {
  for (const child of children) child.kill('SIGKILL');
}
process.on('exit', () => {
  killChildren();
  if (workDirToRemove) rmSync(workDirToRemove, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    progress(`${signal}: stopping`);
    process.exit(130);
  });
}

const benchStartedAt = performance.now();
export function progress(message: string): void {
  process.stderr.write(`[bench +${((performance.now() - benchStartedAt) / 1000).toFixed(1)}s] ${message}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** This environment minus HESTIA_* variables, which would reconfigure the Hestia under test. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('HESTIA_')));
}

export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

export interface HestiaProcess {
  child: ChildProcess;
  pid: number;
  dataDir: string;
  ports: { mqtt: number; http: number };
}

export async function startHestia(
  dataDir: string,
  profileDir: string | null,
  overrides: Record<string, string>,
): Promise<HestiaProcess> {
  const args = [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), HESTIA_BIN, 'start'];
  const child = track(
    spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: {
        ...cleanEnv(),
        HESTIA_DATA_DIR: dataDir,
        HESTIA_HTTP_PORT: '0',
        HESTIA_HTTP_HOST: '127.0.0.1',
        HESTIA_MQTT_PORT: '0',
        HESTIA_MQTT_HOST: '127.0.0.1',
        HESTIA_MQTT_WS_PORT: '0',
        HESTIA_LOG_LEVEL: 'warn',
        ...overrides,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!output.includes('Hestia is running')) {
    if (child.exitCode !== null) throw new Error(`Hestia exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline)
      throw new Error(`Hestia did not start in ${STARTUP_TIMEOUT_MS} ms:\n${output}`);
    await sleep(50);
  }
  // From here on only warnings and errors are printed; pass them on.
  child.stdout?.off('data', collect);
  child.stderr?.off('data', collect);
  const forward = (chunk: Buffer): void => {
    process.stderr.write(chunk.toString().replace(/^(?=.)/gm, '[hestia] '));
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  const ports = JSON.parse(readFileSync(path.join(dataDir, 'ports.json'), 'utf8')) as {
    mqtt: number;
    http: number;
  };
  return { child, pid: child.pid!, dataDir, ports };
}

export async function startMosquitto(
  workDir: string,
): Promise<{ child: ChildProcess; port: number; version: string }> {
  if (!existsSync(MOSQUITTO_BIN))
    throw new Error(`${MOSQUITTO_BIN} not found: install mosquitto for the reference`);
  const port = await freePort();
  const config = path.join(workDir, 'mosquitto.conf');
  // A private broker on a port of its own: the system's Mosquitto (1883) is left alone.
  writeFileSync(
    config,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'max_inflight_messages 0',
      'max_queued_messages 0',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const child = track(spawn(MOSQUITTO_BIN, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] }));
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[mosquitto] ${chunk.toString()}`));
  await waitForPort(port, 10_000);
  let usage: string;
  try {
    usage = execFileSync(MOSQUITTO_BIN, ['-h'], { encoding: 'utf8' });
  } catch (error) {
    // `mosquitto -h` prints its usage, version on the first line, and exits with a non-zero code.
    usage = String((error as { stdout?: string }).stdout ?? '');
  }
  return { child, port, version: /mosquitto version (\S+)/.exec(usage)?.[1] ?? 'unknown' };
}
