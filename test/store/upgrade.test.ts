import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { Store } from '../../src/core/ports/store.ts';
import { emptyBatch } from '../../src/core/domain/telemetry.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { MIGRATIONS } from '../../src/store/migrations/index.ts';
import { deliveryTexts } from '../../src/core/domain/notification.ts';
import { createTestDatabase } from '../helpers/postgres.ts';

/**
 * Upgrading a database of schema 2 that already holds history: migration 3 gives every tenant
 * the default tariffs and computes the rollups of the stored readings, so that statistics from
 * rollups answer as the raw data does. And one of schema 4 with a notification waiting in the
 * outbox: migration 5 (languages) leaves it sendable as it was written, in English.
 */

const HOUR = 3_600_000;
const t0 = Date.UTC(2024, 0, 1);
const SCHEMA_2 = [
  `INSERT INTO tenants (id, name, created_at_ms, slug) VALUES ('t1', 'Old', ${t0}, 'old')`,
  `INSERT INTO gateways (id, tenant_id, name, token_hash, created_at_ms) VALUES ('g1', 't1', 'G', 'h', ${t0})`,
  `INSERT INTO devices (id, tenant_id, gateway_id, type, protocol, created_at_ms) VALUES ('d1', 't1', 'g1', 'sensor', 'zwave', ${t0})`,
  `INSERT INTO series (tenant_id, gateway_id, device_id, label) VALUES ('t1', 'g1', 'd1', 'Energy')`,
];
/** Ten readings over five hours, with a reset at the seventh. */
const VALUES = [1, 2, 4, 7, 8, 9, 0.5, 1.5, 3, 4];

async function checkUpgraded(store: Store): Promise<void> {
  await store.migrate();
  assert.deepEqual(
    (await store.directory.tariffs.listTariffs('t1')).map((t) => [t.name, t.isDefault]),
    [
      ['Basic', true],
      ['Premium', false],
      ['Standard', false],
    ],
  );
  const series = await store.telemetry.findSeries('d1', 'Energy');
  assert.ok(series);
  assert.equal(series.zone, 'UTC');
  const ranges = Array.from({ length: 5 }, (_, h) => ({ fromMs: t0 + h * HOUR, toMs: t0 + (h + 1) * HOUR }));
  const strip = (rows: Array<{ index: number; count: number; sum: number; increase: number }>) =>
    rows.map(({ index, count, sum, increase }) => ({ index, count, sum, increase }));
  const raw = strip(await store.telemetry.summarize({ seriesId: series.id, source: 'raw', ranges }));
  const hourly = strip(await store.telemetry.summarize({ seriesId: series.id, source: 'hourly', ranges }));
  assert.equal(hourly.length, 5);
  assert.deepEqual(hourly, raw);
  const [day] = await store.telemetry.summarize({
    seriesId: series.id,
    source: 'daily',
    ranges: [{ fromMs: t0, toMs: t0 + 24 * HOUR }],
  });
  assert.equal(day?.count, VALUES.length);
  assert.equal(day?.increase, 8 + 0.5 + 3.5);
  // The next reading continues from the last stored one: 4 → 6 adds 2.
  await store.telemetry.applyIngest({
    ...emptyBatch(),
    readings: [
      {
        tenantId: 't1',
        gatewayId: 'g1',
        deviceId: 'd1',
        label: 'Energy',
        unit: 'kWh',
        sensorType: null,
        tsMs: t0 + 6 * HOUR,
        value: 6,
        text: null,
      },
    ],
  });
  const [later] = await store.telemetry.summarize({
    seriesId: series.id,
    source: 'hourly',
    ranges: [{ fromMs: t0 + 6 * HOUR, toMs: t0 + 7 * HOUR }],
  });
  assert.equal(later?.increase, 2);
  await store.close();
}

describe('upgrading a schema-2 database with history', () => {
  it('SQLite: default tariffs and rollups of the stored readings', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hestia-upgrade-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'hestia.db');
    const db = new Database(file);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)');
    for (const migration of MIGRATIONS.slice(0, 2)) {
      db.exec(migration.sql('sqlite'));
      db.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(migration.version);
    }
    for (const statement of SCHEMA_2) db.exec(statement);
    const insert = db.prepare('INSERT INTO readings (series_id, ts_ms, value) VALUES (1, ?, ?)');
    VALUES.forEach((value, i) => insert.run(t0 + i * (HOUR / 2), value));
    db.close();
    await checkUpgraded(new SqliteStore({ file, synchronous: 'normal' }));
  });

  it('PostgreSQL: default tariffs and rollups of the stored readings', async (t) => {
    const database = await createTestDatabase();
    if ('skipped' in database) return t.skip(database.skipped);
    after(() => database.drop());
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(
        'CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at_ms bigint NOT NULL)',
      );
      for (const migration of MIGRATIONS.slice(0, 2)) {
        await client.query(migration.sql('postgres'));
        await client.query('INSERT INTO schema_migrations VALUES ($1, 0)', [migration.version]);
      }
      for (const statement of SCHEMA_2) await client.query(statement);
      for (const [i, value] of VALUES.entries()) {
        await client.query('INSERT INTO readings (series_id, ts_ms, value) VALUES (1, $1, $2)', [
          t0 + i * (HOUR / 2),
          value,
        ]);
      }
    } finally {
      await client.end();
    }
    await checkUpgraded(new PostgresStore({ connectionString: database.url, poolSize: 2 }));
  });
});

/** A tenant, a person and a decided request with one pending delivery, as schema 4 wrote them. */
const SCHEMA_4 = [
  `INSERT INTO tenants (id, name, created_at_ms, slug) VALUES ('t1', 'Old', ${t0}, 'old')`,
  `INSERT INTO users (id, tenant_id, email, email_lower, password_hash, role, created_at_ms)
     VALUES ('u1', 't1', 'ada@example.com', 'ada@example.com', 'scrypt$x', 'user', ${t0})`,
  `INSERT INTO notification_requests (id, tenant_id, home_id, source_key, kind, severity, title, body, data,
     user_ids, channels, created_at_ms, decided_at_ms)
     VALUES ('r1', 't1', NULL, 'alarm:a1:raised', 'alarm', 'critical', 'Water leak — Tap',
       'Water leak detected: Tap at Flat.', '{}', '["u1"]', NULL, ${t0}, ${t0})`,
  `INSERT INTO notification_deliveries (id, request_id, tenant_id, home_id, user_id, channel, target, status,
     attempts, next_attempt_at_ms, created_at_ms, updated_at_ms)
     VALUES ('d1', 'r1', 't1', NULL, 'u1', 'in_app', 'u1', 'pending', 0, ${t0}, ${t0}, ${t0})`,
];

async function checkOutboxUpgraded(store: Store): Promise<void> {
  await store.migrate();
  assert.equal((await store.directory.people.findUser('u1'))?.language, null, 'no language: the default');
  const delivery = await store.control.notifications.claim('d1', t0 + 1, t0 + 60_000);
  assert.ok(delivery, 'the pending delivery is still claimed once');
  assert.equal(delivery.language, null);
  assert.equal(delivery.request.message, null);
  assert.deepEqual(deliveryTexts(delivery), {
    title: 'Water leak — Tap',
    body: 'Water leak detected: Tap at Flat.',
    language: 'en',
  });
  assert.equal(await store.control.notifications.claim('d1', t0 + 1, t0 + 60_000), undefined);
  await store.close();
}

describe('upgrading a schema-4 database with a notification in the outbox', () => {
  it('SQLite: the request is sent as it was written', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hestia-upgrade-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'hestia.db');
    const db = new Database(file);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)');
    for (const migration of MIGRATIONS.filter((m) => m.version <= 4)) {
      db.exec(migration.sql('sqlite'));
      db.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(migration.version);
    }
    for (const statement of SCHEMA_4) db.exec(statement);
    db.close();
    await checkOutboxUpgraded(new SqliteStore({ file, synchronous: 'normal' }));
  });

  it('PostgreSQL: the request is sent as it was written', async (t) => {
    const database = await createTestDatabase();
    if ('skipped' in database) return t.skip(database.skipped);
    after(() => database.drop());
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(
        'CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at_ms bigint NOT NULL)',
      );
      for (const migration of MIGRATIONS.filter((m) => m.version <= 4)) {
        await client.query(migration.sql('postgres'));
        await client.query('INSERT INTO schema_migrations VALUES ($1, 0)', [migration.version]);
      }
      for (const statement of SCHEMA_4) await client.query(statement);
    } finally {
      await client.end();
    }
    await checkOutboxUpgraded(new PostgresStore({ connectionString: database.url, poolSize: 2 }));
  });
});
