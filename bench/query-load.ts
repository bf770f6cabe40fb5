import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { loadConfig } from '../src/core/config.ts';
import { hashPassword, hashToken, newToken } from '../src/services/secrets.ts';
import { generatePassword } from '../src/simulator/provision.ts';
import { openStore } from '../src/store/open-store.ts';
import type { Store } from '../src/core/ports/store.ts';
import { emptyBatch } from '../src/core/domain/telemetry.ts';
import { round } from './histogram.ts';
import type { BenchInflux } from './influxdb.ts';
import { progress } from './processes.ts';
import type { WorkerGateway } from './protocol.ts';
import {
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  ReadingGenerator,
  benchGatewayId,
  type BenchDevice,
} from './query-data.ts';

/**
 * Loading the query benchmark's data set into Hestia (in-process, through the store port the
 * ingest path uses) and into InfluxDB (HTTP line protocol), and measuring what each keeps on disk.
 */

export const TIMEZONE = 'Europe/Berlin';
/** Hestia's raw window of the default tariff ("Basic"): what the home panel shows. */
export const RAW_RETENTION_DAYS = 45;
/** The default tariff's rollup retention (3 years). */
export const ROLLUP_RETENTION_DAYS = 3 * 365;
/** Gateways per home: the default tariff allows two. */
const GATEWAYS_PER_HOME = 2;
export const INFLUX_DB = 'bench';

export interface Account {
  email: string;
  password: string;
  tenantSlug: string;
}

/** Who and what the in-process set-up created, for the phases that follow. */
export interface Directory {
  tenantId: string;
  gatewayIds: string[];
  homes: number;
  /** The bench tenant's default tariff, whose raw window the retention phase shortens. */
  tariffId: string;
  /** Member (owner) of every bench home: reads the devices as an app would. */
  owner: Account;
  /** The bench tenant's admin: changes the tariff. */
  tenantAdmin: Account;
  /** Gateways of a separate tenant that publish over MQTT during the retention phase. */
  loadGateways: WorkerGateway[];
}

/** A SQLite store in `dataDir`, configured as Hestia's default configuration would. */
export function openBenchStore(dataDir: string): Promise<Store> {
  // No environment: HESTIA_* variables of the caller's shell must not reconfigure the benchmark.
  return openStore(loadConfig({ env: {}, overrides: { dataDir } }));
}

/**
 * Tenant, people, homes (Europe/Berlin) and registered gateways, created with the directory
 * store's own methods (those the tenant, home and gateway services call). The default tariff's
 * raw window is `rawWindowDays` while loading (see the retention phase). With `loadGateways`
 * > 0, a second tenant with one home and that many MQTT gateways (tokens known) is created too.
 */
export async function createDirectory(
  store: Store,
  devices: readonly BenchDevice[],
  rawWindowDays: number,
  loadGateways: number,
): Promise<Directory> {
  const directory = store.directory;
  const nowMs = Date.now();
  const tenantId = randomUUID();
  await directory.tenants.createTenant({
    id: tenantId,
    slug: 'bench',
    name: 'Query benchmark',
    createdAtMs: nowMs,
  });
  const owner = await createAccount(store, tenantId, 'bench', 'owner@bench.example', 'user');
  const tenantAdmin = await createAccount(store, tenantId, 'bench', 'ops@bench.example', 'tenant_admin');
  const tariff = (await directory.tariffs.listTariffs(tenantId)).find((t) => t.isDefault);
  if (!tariff) throw new Error('the bench tenant has no default tariff');
  await directory.tariffs.updateTariff(tariff.id, { rawRetentionDays: rawWindowDays }, nowMs);

  const gatewayCount = Math.max(...devices.map((d) => d.gatewayIndex)) + 1;
  const gatewayIds = Array.from({ length: gatewayCount }, (_unused, i) => benchGatewayId(i));
  let homes = 0;
  for (let first = 0; first < gatewayCount; first += GATEWAYS_PER_HOME) {
    const homeId = randomUUID();
    await directory.homes.createHome(
      {
        id: homeId,
        tenantId,
        name: `Home ${++homes}`,
        timezone: TIMEZONE,
        latitude: null,
        longitude: null,
        createdAtMs: nowMs,
      },
      owner.userId,
    );
    const ids = gatewayIds.slice(first, first + GATEWAYS_PER_HOME);
    await directory.gateways.createGateways(
      ids.map((id) => ({
        id,
        tenantId,
        name: `Gateway ${id.slice(0, 8)}`,
        tokenHash: hashToken(newToken('hgw')),
        claimCodeHash: null,
        createdAtMs: nowMs,
      })),
    );
    for (const id of ids) await directory.gateways.registerGateway(id, homeId, nowMs);
  }

  return {
    tenantId,
    gatewayIds,
    homes,
    tariffId: tariff.id,
    owner: owner.account,
    tenantAdmin: tenantAdmin.account,
    loadGateways: loadGateways > 0 ? await createLoadTenant(store, loadGateways, nowMs) : [],
  };
}

async function createAccount(
  store: Store,
  tenantId: string,
  tenantSlug: string,
  email: string,
  role: 'user' | 'tenant_admin',
): Promise<{ userId: string; account: Account }> {
  const password = generatePassword();
  const userId = randomUUID();
  await store.directory.people.createUser({
    id: userId,
    tenantId,
    email,
    passwordHash: await hashPassword(password),
    role,
    createdAtMs: Date.now(),
  });
  return { userId, account: { email, password, tenantSlug } };
}

/** The MQTT load of the retention phase: its own tenant, home and tariff, so it expires nothing. */
async function createLoadTenant(store: Store, count: number, nowMs: number): Promise<WorkerGateway[]> {
  const directory = store.directory;
  const tenantId = randomUUID();
  await directory.tenants.createTenant({ id: tenantId, slug: 'load', name: 'MQTT load', createdAtMs: nowMs });
  const { userId } = await createAccount(store, tenantId, 'load', 'owner@load.example', 'user');
  const homeId = randomUUID();
  await directory.homes.createHome(
    {
      id: homeId,
      tenantId,
      name: 'Load',
      timezone: TIMEZONE,
      latitude: null,
      longitude: null,
      createdAtMs: nowMs,
    },
    userId,
  );
  const tariffId = randomUUID();
  await directory.tariffs.createTariff({
    id: tariffId,
    tenantId,
    name: 'Load',
    sensorRetentionDays: ROLLUP_RETENTION_DAYS,
    videoRetentionDays: 7,
    rawRetentionDays: RAW_RETENTION_DAYS,
    recordingModes: ['off', 'motion'],
    maxGatewaysPerHome: count,
    // bench/load-worker.ts simulates the seed's gateways: 3 cameras each.
    maxCamerasPerHome: 3 * count,
    createdAtMs: nowMs,
  });
  await directory.tariffs.setHomeTariff(homeId, tariffId);
  const gateways = Array.from({ length: count }, () => ({ gatewayId: randomUUID(), token: newToken('hgw') }));
  await directory.gateways.createGateways(
    gateways.map((g) => ({
      id: g.gatewayId,
      tenantId,
      name: `Load ${g.gatewayId.slice(0, 8)}`,
      tokenHash: hashToken(g.token),
      claimCodeHash: null,
      createdAtMs: nowMs,
    })),
  );
  for (const g of gateways) await directory.gateways.registerGateway(g.gatewayId, homeId, nowMs);
  return gateways;
}

export interface HestiaLoad {
  readings: number;
  /** applyIngest: readings, state and hourly/daily rollups, one fsynced transaction per hour. */
  insertSeconds: number;
  /** trimHistory after each simulated day, every gateway: the retention service's store port. */
  trimSeconds: number;
  trimmedRows: number;
  /** Including making the batches, which neither engine is charged for. */
  wallSeconds: number;
}

/**
 * Loads `hours` hours of readings from `startMs` on, an hour of every device per batch
 * (devices × 60 readings), chronologically, as a gateway fleet would deliver them. After each
 * simulated day, raw readings older than `rawWindowDays` before the day's end are trimmed.
 */
export async function loadHestia(
  store: Store,
  directory: Directory,
  devices: readonly BenchDevice[],
  startMs: number,
  hours: number,
  rawWindowDays: number,
): Promise<HestiaLoad> {
  const generator = new ReadingGenerator(devices, startMs);
  const values = new Float64Array(devices.length * 60);
  let insertMs = 0;
  let trimMs = 0;
  let trimmedRows = 0;
  let readings = 0;
  const wallStarted = performance.now();
  let reportedAt = wallStarted;
  for (let hour = 0; hour < hours; hour++) {
    const hourMs = generator.nextHour(values);
    const batch = emptyBatch();
    if (hour === 0) {
      batch.devices = devices.map((device) => ({
        id: device.id,
        tenantId: directory.tenantId,
        gatewayId: directory.gatewayIds[device.gatewayIndex]!,
        type: 'sensor',
        protocol: 'zwave',
        nodeId: String(device.index + 2),
        networkId: null,
        name: device.label,
        seenAtMs: hourMs,
      }));
    }
    for (const device of devices) {
      const gatewayId = directory.gatewayIds[device.gatewayIndex]!;
      const base = device.index * 60;
      for (let minute = 0; minute < 60; minute++) {
        batch.readings.push({
          tenantId: directory.tenantId,
          gatewayId,
          deviceId: device.id,
          label: device.label,
          unit: device.unit,
          sensorType: null,
          tsMs: hourMs + minute * MINUTE_MS,
          value: values[base + minute]!,
          text: null,
        });
      }
    }
    const insertStarted = performance.now();
    await store.telemetry.applyIngest(batch);
    insertMs += performance.now() - insertStarted;
    readings += batch.readings.length;

    if ((hour + 1) % 24 === 0) {
      const dayEndMs = hourMs + HOUR_MS;
      const trimStarted = performance.now();
      for (const gatewayId of directory.gatewayIds) {
        const trimmed = await store.telemetry.trimHistory({
          gatewayId,
          rawBeforeMs: dayEndMs - rawWindowDays * DAY_MS,
          rollupsBeforeMs: dayEndMs - ROLLUP_RETENTION_DAYS * DAY_MS,
          maxRows: Number.MAX_SAFE_INTEGER,
        });
        trimmedRows += trimmed.readings + trimmed.rollups;
      }
      trimMs += performance.now() - trimStarted;
    }
    if (performance.now() - reportedAt > 30_000 || hour === hours - 1) {
      reportedAt = performance.now();
      progress(
        `  Hestia: day ${Math.ceil((hour + 1) / 24)}/${hours / 24}, ${readings.toLocaleString('en')} readings, ` +
          `${Math.round(readings / ((insertMs + trimMs) / 1000)).toLocaleString('en')}/s (insert ${round(insertMs / 1000, 1)} s, trim ${round(trimMs / 1000, 1)} s, ${trimmedRows.toLocaleString('en')} rows trimmed)`,
      );
    }
  }
  return {
    readings,
    insertSeconds: round(insertMs / 1000, 1),
    trimSeconds: round(trimMs / 1000, 1),
    trimmedRows,
    wallSeconds: round((performance.now() - wallStarted) / 1000, 1),
  };
}

export interface InfluxLoad {
  readings: number;
  seconds: number;
  batches: number;
}

/**
 * Writes the same readings to InfluxDB: measurement = label, tag device = id, field value,
 * millisecond timestamps, `batchPoints` lines per POST /write, at most `writers` in flight.
 * The next batch is made while earlier ones are in flight; the time runs from the first write
 * to the last 204 (InfluxDB answers once the points are in its fsynced WAL).
 */
export async function loadInflux(
  influx: BenchInflux,
  devices: readonly BenchDevice[],
  startMs: number,
  hours: number,
  batchPoints: number,
  writers: number,
): Promise<InfluxLoad> {
  const generator = new ReadingGenerator(devices, startMs);
  const values = new Float64Array(devices.length * 60);
  const prefixes = devices.map((device) => `${device.label},device=${device.id} value=`);
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  let batches = 0;
  let readings = 0;
  const send = async (lines: string[]): Promise<void> => {
    while (inFlight.size >= writers) await Promise.race(inFlight);
    if (failure) throw failure;
    const write: Promise<void> = influx
      .write(INFLUX_DB, lines.join('\n'))
      .catch((error: unknown) => {
        failure ??= error instanceof Error ? error : new Error(String(error));
      })
      .finally(() => inFlight.delete(write));
    inFlight.add(write);
    batches++;
  };
  const started = performance.now();
  let reportedAt = started;
  let pending: string[] = [];
  for (let hour = 0; hour < hours; hour++) {
    const hourMs = generator.nextHour(values);
    for (const device of devices) {
      const prefix = prefixes[device.index]!;
      const base = device.index * 60;
      for (let minute = 0; minute < 60; minute++) {
        pending.push(`${prefix}${values[base + minute]!} ${hourMs + minute * MINUTE_MS}`);
        if (pending.length === batchPoints) {
          readings += pending.length;
          await send(pending);
          pending = [];
        }
      }
    }
    if (performance.now() - reportedAt > 30_000) {
      reportedAt = performance.now();
      progress(
        `  InfluxDB: day ${Math.ceil((hour + 1) / 24)}/${hours / 24}, ${readings.toLocaleString('en')} readings, ` +
          `${Math.round(readings / ((reportedAt - started) / 1000)).toLocaleString('en')}/s`,
      );
    }
  }
  if (pending.length > 0) {
    readings += pending.length;
    await send(pending);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  return { readings, seconds: round((performance.now() - started) / 1000, 1), batches };
}

/**
 * Waits until InfluxDB has snapshotted its WAL and finished compacting (the size on disk has
 * not changed for `stableSamples` samples 5 s apart and no compaction is writing), at most
 * `capSeconds`; returns the sizes then.
 */
export async function settleInflux(
  influx: BenchInflux,
  capSeconds: number,
): Promise<{
  dataBytes: number;
  walBytes: number;
  apparentBytes: number;
  settleSeconds: number;
  settled: boolean;
}> {
  const stableSamples = 3;
  const started = performance.now();
  let last = -1;
  let stable = 0;
  for (;;) {
    const usage = influx.diskUsage();
    const total = usage.dataBytes + usage.walBytes;
    stable = total === last && !usage.compacting ? stable + 1 : 0;
    last = total;
    const elapsedS = (performance.now() - started) / 1000;
    if (stable >= stableSamples || elapsedS > capSeconds) {
      return {
        dataBytes: usage.dataBytes,
        walBytes: usage.walBytes,
        apparentBytes: usage.apparentBytes,
        settleSeconds: round(elapsedS, 0),
        settled: stable >= stableSamples,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
}

export interface SqliteDisk {
  /** hestia.db + hestia.db-wal after a checkpoint that truncates the WAL. */
  fileBytes: number;
  walBytes: number;
  /** (page_count − freelist_count) × page_size: pages holding data (free pages are reused by later writes). */
  inUseBytes: number;
  pageSize: number;
  pageCount: number;
  freelistCount: number;
  rawReadings: number;
  hourlyRollups: number;
  dailyRollups: number;
  /** Bytes of pages per table and index (SQLite's dbstat), largest first. */
  bytesByTable: Record<string, number>;
}

/** Checkpoints Hestia's SQLite file (the WAL into the database, then truncated) and measures it. */
export function measureSqlite(dataDir: string): SqliteDisk {
  const file = path.join(dataDir, 'hestia.db');
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const pragma = (name: string): number => Number(db.pragma(name, { simple: true }));
    const count = (table: string): number =>
      Number(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
    const pageSize = pragma('page_size');
    const pageCount = pragma('page_count');
    const freelistCount = pragma('freelist_count');
    const wal = `${file}-wal`;
    const walBytes = existsSync(wal) ? statSync(wal).size : 0;
    return {
      fileBytes: statSync(file).size + walBytes,
      walBytes,
      inUseBytes: (pageCount - freelistCount) * pageSize,
      pageSize,
      pageCount,
      freelistCount,
      rawReadings: count('readings'),
      hourlyRollups: count('rollups_hourly'),
      dailyRollups: count('rollups_daily'),
      bytesByTable: Object.fromEntries(
        (
          db
            .prepare(
              'SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC LIMIT 8',
            )
            .all() as Array<{ name: string; bytes: number }>
        ).map((row) => [row.name, row.bytes]),
      ),
    };
  } finally {
    db.close();
  }
}
