import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The simulator's files: the gateways' MQTT credentials (secret, 0600) and the energy meters'
 * readings (so a restarted simulator continues its meters instead of resetting them), plus
 * Hestia's own ports.json and initial-admin.json, read for defaults.
 */

export interface GatewayCredentials {
  gatewayId: string;
  token: string;
}

/** Replaces a file in one step: a crash leaves the old or the new content, never half of one. */
export function writeFileAtomic(file: string, content: string, mode: number): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(temporary, content, { mode });
  renameSync(temporary, file);
}

export function readCredentialsFile(file: string): GatewayCredentials[] {
  if (!existsSync(file)) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(parsed)) throw new Error(`${file}: expected a JSON list of {gatewayId, token}`);
  return parsed.map((entry: unknown, index) => {
    const { gatewayId, token } = (entry ?? {}) as Record<string, unknown>;
    if (typeof gatewayId !== 'string' || typeof token !== 'string' || !gatewayId || !token) {
      throw new Error(`${file}: entry ${index} is not {gatewayId, token}`);
    }
    return { gatewayId, token };
  });
}

/** Gateway tokens are passwords: the file is readable by its owner only. */
export function writeCredentialsFile(file: string, credentials: readonly GatewayCredentials[]): void {
  writeFileAtomic(file, JSON.stringify(credentials, null, 2) + '\n', 0o600);
}

/** The meter file that goes with a credentials file: sim-credentials.json → sim-credentials.meters.json. */
export function meterFileFor(credentialsFile: string): string {
  const base = path.basename(credentialsFile).replace(/\.json$/i, '');
  return path.join(path.dirname(credentialsFile), `${base}.meters.json`);
}

/**
 * Per gateway, the reading its energy meter starts from on the next run. While a run goes on,
 * the file holds a ceiling the meter is kept below until the next save, so even after a crash
 * the next run starts at or above the last value published: the series never goes back.
 */
export function readMeterFile(file: string): Map<string, number> {
  const readings = new Map<string, number>();
  if (!existsSync(file)) return readings;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message}); delete it to reset the meters`);
  }
  const meters = (parsed as { meters?: unknown } | null)?.meters;
  if (typeof meters !== 'object' || meters === null) return readings;
  for (const [gatewayId, kwh] of Object.entries(meters)) {
    if (typeof kwh === 'number' && Number.isFinite(kwh) && kwh >= 0) readings.set(gatewayId, kwh);
  }
  return readings;
}

export function writeMeterFile(file: string, readings: ReadonlyMap<string, number>): void {
  const meters = Object.fromEntries(
    [...readings].map(([gatewayId, kwh]) => [gatewayId, Number(kwh.toFixed(3))]),
  );
  writeFileAtomic(
    file,
    JSON.stringify({ about: 'energy meters of hestia simulate, in kWh', meters }, null, 2) + '\n',
    0o644,
  );
}

export interface HestiaPortsFile {
  mqtt?: number;
  http?: number;
}

/** <dataDir>/ports.json as written by `hestia start`; undefined when absent or unreadable. */
export function readPortsFile(dataDir: string): HestiaPortsFile | undefined {
  const file = path.join(dataDir, 'ports.json');
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const port = (value: unknown): number | undefined =>
      typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
    return { mqtt: port(parsed.mqtt), http: port(parsed.http) };
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message})`);
  }
}

/** <dataDir>/initial-admin.json, written by the first `hestia start`. */
export function readInitialAdmin(dataDir: string): { email: string; password: string } | undefined {
  const file = path.join(dataDir, 'initial-admin.json');
  if (!existsSync(file)) return undefined;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  if (typeof parsed.email !== 'string' || typeof parsed.password !== 'string') {
    throw new Error(`${file}: expected {email, password}`);
  }
  return { email: parsed.email, password: parsed.password };
}
