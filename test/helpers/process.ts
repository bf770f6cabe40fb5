import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const HESTIA_BIN = path.join(REPO_ROOT, 'bin/hestia.js');

/** A TCP port that was free a moment ago (for a child that must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
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

/** Starts `hestia start` and resolves once <dataDir>/ports.json is written by this run. */
export async function startHestiaChild(
  env: NodeJS.ProcessEnv & { HESTIA_DATA_DIR: string },
  timeoutMs = 15_000,
): Promise<HestiaChild & { ports: { http: number; mqtt: number } }> {
  const portsFile = path.join(env.HESTIA_DATA_DIR, 'ports.json');
  const before = existsSync(portsFile) ? readFileSync(portsFile, 'utf8') + String(Date.now()) : '';
  const child = spawn(process.execPath, [HESTIA_BIN, 'start'], {
    env: { ...cleanEnv(), HESTIA_LOG_LEVEL: 'warn', ...env },
    cwd: REPO_ROOT,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (output.includes('Hestia is running')) {
      const ports = JSON.parse(readFileSync(portsFile, 'utf8')) as { http: number; mqtt: number };
      return { child, output: () => output, exited, ports };
    }
    if (child.exitCode !== null) throw new Error(`hestia exited with ${child.exitCode}: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(
    `hestia did not start in ${timeoutMs} ms (${before ? 'ports.json existed' : 'no ports.json'}): ${output}`,
  );
}
