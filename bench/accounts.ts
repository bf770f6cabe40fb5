import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'csv-parse/sync';
import { Command, InvalidArgumentError } from 'commander';
import mqtt from 'mqtt';
import { hashPassword, verifyPassword } from '../src/services/secrets.ts';
import { readInitialAdmin } from '../src/simulator/files.ts';
import { callApi, login } from '../src/simulator/provision.ts';
import { percentileOf, round } from './histogram.ts';
import { killChildren, progress, removeAtExit, startHestia, startMosquitto } from './processes.ts';

/**
 * `npm run bench:accounts`: what the security of issue "tenants, people, homes" costs.
 * - A reconnect storm: N provisioned gateways connect at once (CONNECT → CONNACK with the
 *   credential and tenant check), next to a Mosquitto accepting the same clients anonymously.
 * - Bulk provisioning: a CSV of N gateways imported through the API.
 * - An authenticated API read (bearer resolved against the store, tenant and home checked)
 *   next to /healthz, which does no authentication, on the same server.
 * - One scrypt password hash and verification (the cost of a login).
 * Progress on stderr, one JSON document on stdout; everything on 127.0.0.1, stops by itself.
 */

interface Options {
  gateways: number;
  concurrency: number;
  httpSeconds: number;
  httpConcurrency: number;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive integer');
  return n;
}

function parseOptions(): Options {
  return new Command()
    .name('bench:accounts')
    .description('Reconnect storm, bulk CSV provisioning, authenticated API reads and password hashing.')
    .option('--gateways <n>', 'gateways provisioned by CSV and connected in the storm', positiveInt, 1000)
    .option('--concurrency <n>', 'connections opened at once in the storm', positiveInt, 100)
    .option('--http-seconds <s>', 'seconds of each HTTP read measurement', positiveInt, 5)
    .option('--http-concurrency <n>', 'HTTP requests in flight', positiveInt, 16)
    .parse()
    .opts<Options>();
}

/** Connects every client (`concurrency` at a time), returns connects/s and CONNACK latencies. */
async function connectStorm(
  url: string,
  clients: Array<{ clientId: string; username?: string; password?: string }>,
  concurrency: number,
): Promise<{ perSec: number; p50Ms: number | null; p99Ms: number | null }> {
  const latencies: number[] = [];
  const connected: mqtt.MqttClient[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < clients.length) {
        const options = clients[next++]!;
        const t0 = performance.now();
        connected.push(
          await mqtt.connectAsync(url, {
            ...options,
            reconnectPeriod: 0,
            connectTimeout: 30_000,
            clean: true,
          }),
        );
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  await Promise.all(connected.map((client) => client.endAsync(true)));
  return {
    perSec: round(clients.length / elapsedS, 0),
    p50Ms: round(percentileOf(latencies, 0.5) ?? 0),
    p99Ms: round(percentileOf(latencies, 0.99) ?? 0),
  };
}

/** Requests per second of `url` with `concurrency` in flight for `seconds`. */
async function httpRate(
  url: string,
  headers: Record<string, string>,
  seconds: number,
  concurrency: number,
): Promise<{ perSec: number; p50Ms: number | null; p99Ms: number | null; failures: number }> {
  const latencies: number[] = [];
  let failures = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const response = await fetch(url, { headers });
        await response.arrayBuffer();
        if (response.status !== 200) failures++;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return {
    perSec: round(latencies.length / seconds, 0),
    p50Ms: round(percentileOf(latencies, 0.5) ?? 0),
    p99Ms: round(percentileOf(latencies, 0.99) ?? 0),
    failures,
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'hestia-bench-accounts-'));
  removeAtExit(workDir);
  const result: Record<string, unknown> = {
    benchmark: 'accounts',
    startedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', node: process.version },
    config: options,
  };
  try {
    progress('password hashing: scrypt N=2^15, r=8, p=1');
    const hashMs: number[] = [];
    const verifyMs: number[] = [];
    let stored = '';
    for (let i = 0; i < 10; i++) {
      let t0 = performance.now();
      stored = await hashPassword(`password number ${i}`);
      hashMs.push(performance.now() - t0);
      t0 = performance.now();
      await verifyPassword(`password number ${i}`, stored);
      verifyMs.push(performance.now() - t0);
    }
    result.passwordHash = {
      hashP50Ms: round(percentileOf(hashMs, 0.5) ?? 0),
      verifyP50Ms: round(percentileOf(verifyMs, 0.5) ?? 0),
    };

    progress('starting Hestia');
    const hestia = await startHestia(path.join(workDir, 'hestia'), null, {});
    const apiUrl = `http://127.0.0.1:${hestia.ports.http}`;
    const admin = readInitialAdmin(hestia.dataDir);
    if (!admin) throw new Error('Hestia wrote no initial-admin.json');
    const root = await login(apiUrl, admin.email, admin.password);
    const tenantPassword = 'benchmark tenant admin';
    await callApi(
      apiUrl,
      'POST',
      '/v1/tenants',
      { name: 'Bench', slug: 'bench', adminEmail: 'ops@bench.example', adminPassword: tenantPassword },
      root,
    );
    const tenantAdmin = await login(apiUrl, 'ops@bench.example', tenantPassword, 'bench');

    progress(`bulk provisioning: importing a CSV of ${options.gateways} gateways`);
    const csv = [
      'serial,name',
      ...Array.from({ length: options.gateways }, (_, i) => `bench-${i},Bench ${i}`),
    ].join('\n');
    const t0 = performance.now();
    const imported = await fetch(`${apiUrl}/v1/gateways/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenantAdmin}`, 'content-type': 'text/csv' },
      body: csv,
    });
    const credentialsCsv = await imported.text();
    const importS = (performance.now() - t0) / 1000;
    if (imported.status !== 200) throw new Error(`import failed: ${imported.status} ${credentialsCsv}`);
    const rows = parse<{ serial: string; mqtt_password: string }>(credentialsCsv, { columns: true });
    result.bulkImport = {
      gateways: rows.length,
      seconds: round(importS),
      gatewaysPerSec: round(rows.length / importS, 0),
    };

    progress(`reconnect storm: ${rows.length} gateways, ${options.concurrency} at a time`);
    const hestiaStorm = await connectStorm(
      `mqtt://127.0.0.1:${hestia.ports.mqtt}`,
      rows.map((row) => ({ clientId: row.serial, username: row.serial, password: row.mqtt_password })),
      options.concurrency,
    );
    progress(`  Hestia: ${hestiaStorm.perSec} connects/s`);

    progress(
      `API reads: ${options.httpConcurrency} in flight, ${options.httpSeconds} s each after a 2 s warm-up`,
    );
    await httpRate(`${apiUrl}/healthz`, {}, 1, options.httpConcurrency);
    await httpRate(`${apiUrl}/v1/me`, { authorization: `Bearer ${tenantAdmin}` }, 1, options.httpConcurrency);
    const health = await httpRate(`${apiUrl}/healthz`, {}, options.httpSeconds, options.httpConcurrency);
    const me = await httpRate(
      `${apiUrl}/v1/me`,
      { authorization: `Bearer ${tenantAdmin}` },
      options.httpSeconds,
      options.httpConcurrency,
    );
    const gateway = await httpRate(
      `${apiUrl}/v1/gateways/bench-0`,
      { authorization: `Bearer ${tenantAdmin}` },
      options.httpSeconds,
      options.httpConcurrency,
    );
    result.api = {
      healthzUnauthenticated: health,
      meAuthenticated: me,
      gatewayAuthorized: gateway,
      meVsHealthz: round(me.perSec / health.perSec),
      gatewayVsHealthz: round(gateway.perSec / health.perSec),
    };
    hestia.child.kill('SIGTERM');

    progress('reference: Mosquitto accepting the same clients anonymously');
    const mosquitto = await startMosquitto(workDir);
    const referenceStorm = await connectStorm(
      `mqtt://127.0.0.1:${mosquitto.port}`,
      rows.map((row) => ({ clientId: row.serial })),
      options.concurrency,
    );
    progress(`  Mosquitto ${mosquitto.version}: ${referenceStorm.perSec} connects/s`);
    result.reconnectStorm = {
      hestia: hestiaStorm,
      mosquitto: { version: mosquitto.version, ...referenceStorm },
      ratio: round(hestiaStorm.perSec / referenceStorm.perSec),
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } finally {
    killChildren();
  }
}

await main();
