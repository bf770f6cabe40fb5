import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';

/**
 * The simulator's files: its credentials (accounts it created, the gateways' MQTT credentials and
 * claim codes; secret, 0600), a credentials CSV from `hestia admin gateway import`, the energy meters'
 * readings (so a restarted simulator continues its meters instead of resetting them), plus
 * Hestia's own ports.json and initial-admin.json, read for defaults.
 */

export interface GatewayCredentials {
  gatewayId: string;
  token: string;
  /** The code printed on the device, with which its owner registers it; absent when unknown. */
  claimCode?: string;
}

export interface AccountCredentials {
  email: string;
  password: string;
}

/**
 * What the simulator keeps between runs in its credentials file: the tenant it works in, the
 * accounts it created there (tenant admin, home owner; null when someone else's were used), the
 * simulated home, and the gateways it provisioned.
 */
export interface SimulatorCredentials {
  tenant: { id: string; slug: string } | null;
  tenantAdmin: AccountCredentials | null;
  owner: AccountCredentials | null;
  homeId: string | null;
  gateways: GatewayCredentials[];
}

/** Replaces a file in one step: a crash leaves the old or the new content, never half of one. */
export function writeFileAtomic(file: string, content: string, mode: number): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(temporary, content, { mode });
  renameSync(temporary, file);
}

export function emptyCredentials(): SimulatorCredentials {
  return { tenant: null, tenantAdmin: null, owner: null, homeId: null, gateways: [] };
}

/**
 * Reads the simulator's credentials file; a missing file is an empty one. Files of earlier
 * versions (a bare JSON list of {gatewayId, token}) are read as gateways without accounts.
 */
export function readCredentialsFile(file: string): SimulatorCredentials {
  if (!existsSync(file)) return emptyCredentials();
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message})`);
  }
  if (Array.isArray(parsed)) return { ...emptyCredentials(), gateways: readGatewayList(file, parsed) };
  if (typeof parsed !== 'object' || parsed === null) {
    throw new Error(`${file}: expected the simulator's credentials ({tenant, tenantAdmin, owner, gateways})`);
  }
  const record = parsed as Record<string, unknown>;
  const tenant = record.tenant as Record<string, unknown> | null | undefined;
  if (tenant != null && (typeof tenant.id !== 'string' || typeof tenant.slug !== 'string')) {
    throw new Error(`${file}: tenant is not {id, slug}`);
  }
  return {
    tenant: tenant == null ? null : { id: tenant.id as string, slug: tenant.slug as string },
    tenantAdmin: readAccount(file, 'tenantAdmin', record.tenantAdmin),
    owner: readAccount(file, 'owner', record.owner),
    homeId: typeof record.homeId === 'string' ? record.homeId : null,
    gateways: readGatewayList(file, Array.isArray(record.gateways) ? record.gateways : []),
  };
}

function readAccount(file: string, key: string, value: unknown): AccountCredentials | null {
  if (value == null) return null;
  const { email, password } = value as Record<string, unknown>;
  if (typeof email !== 'string' || typeof password !== 'string' || !email || !password) {
    throw new Error(`${file}: ${key} is not {email, password}`);
  }
  return { email, password };
}

function readGatewayList(file: string, entries: unknown[]): GatewayCredentials[] {
  return entries.map((entry: unknown, index) => {
    const { gatewayId, token, claimCode } = (entry ?? {}) as Record<string, unknown>;
    if (typeof gatewayId !== 'string' || typeof token !== 'string' || !gatewayId || !token) {
      throw new Error(`${file}: gateway ${index} is not {gatewayId, token, claimCode}`);
    }
    return typeof claimCode === 'string' && claimCode
      ? { gatewayId, token, claimCode }
      : { gatewayId, token };
  });
}

/** Passwords and gateway tokens are secrets: the file is readable by its owner only. */
export function writeCredentialsFile(file: string, credentials: SimulatorCredentials): void {
  const content = {
    about: 'hestia simulate: accounts it created and gateways it provisioned (secret)',
    ...credentials,
  };
  writeFileAtomic(file, JSON.stringify(content, null, 2) + '\n', 0o600);
}

/**
 * Gateways provisioned elsewhere, from the credentials CSV that `hestia admin gateway import`
 * writes (serial, name, mqtt_username, mqtt_password, claim_code). Errors name the line.
 */
export function readGatewayCredentialsCsv(file: string): GatewayCredentials[] {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    // With `info`, each record comes with where it ends; csv-parse's typings do not model that option.
    records = parseCsv(readFileSync(file), {
      skip_empty_lines: true,
      info: true,
    }) as unknown as typeof records;
  } catch (error) {
    throw new Error(`${file}: not a CSV file (${(error as Error).message})`);
  }
  const [header, ...rows] = records;
  const column = (name: string): number => header?.record.findIndex((cell) => cell.trim() === name) ?? -1;
  const username = column('mqtt_username');
  const password = column('mqtt_password');
  const claimCode = column('claim_code');
  if (username < 0 || password < 0) {
    throw new Error(
      `${file}:1: expected the header of \`hestia admin gateway import\` (serial,name,mqtt_username,mqtt_password,claim_code)`,
    );
  }
  if (rows.length === 0) throw new Error(`${file}: no gateways in the file`);
  return rows.map(({ record, info }) => {
    const gatewayId = record[username]?.trim() ?? '';
    const token = record[password]?.trim() ?? '';
    const code = claimCode < 0 ? '' : (record[claimCode]?.trim() ?? '');
    if (!gatewayId || !token) {
      throw new Error(`${file}:${info.lines}: mqtt_username and mqtt_password are required`);
    }
    return code ? { gatewayId, token, claimCode: code } : { gatewayId, token };
  });
}

/** The meter file that goes with a credentials file: sim-credentials.json → sim-credentials.meters.json. */
export function meterFileFor(credentialsFile: string): string {
  const base = path.basename(credentialsFile).replace(/\.(json|csv)$/i, '');
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
