import type { Migration } from './migration.ts';

/**
 * Migration 1: gateways, devices, their series (one row per device and label, with the
 * channel's current state) and history, previews, dead letters, and the first accounts. Every
 * table carries its tenant, directly or (readings) through its series row.
 *
 * On PostgreSQL, text columns that are ordered or compared (ids, labels, state text) use the
 * "C" collation: byte order, the same as SQLite's BINARY collation, whatever the database's
 * locale. Keyset pages and the state tie-break then agree between the two engines.
 */
export const initial: Migration = {
  version: 1,
  name: 'initial',
  sql: (dialect) => (dialect === 'sqlite' ? SQLITE : POSTGRES),
};

const SQLITE = `
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  tenant_id TEXT REFERENCES tenants(id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  email_lower TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);
CREATE TABLE access_tokens (
  token_hash TEXT PRIMARY KEY,
  tenant_id TEXT REFERENCES tenants(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  expires_at_ms INTEGER NOT NULL
);
CREATE TABLE gateways (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'never_connected',
  status_changed_at_ms INTEGER,
  last_seen_at_ms INTEGER,
  firmware TEXT,
  vendor TEXT,
  created_at_ms INTEGER NOT NULL
);
CREATE INDEX gateways_by_tenant ON gateways(tenant_id, id);
CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  gateway_id TEXT NOT NULL REFERENCES gateways(id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  protocol TEXT NOT NULL,
  name TEXT,
  node_id TEXT,
  network_id TEXT,
  attributes TEXT NOT NULL DEFAULT '{}',
  settings TEXT NOT NULL DEFAULT '{}',
  created_at_ms INTEGER NOT NULL,
  last_seen_at_ms INTEGER,
  removed_at_ms INTEGER
);
CREATE INDEX devices_by_gateway ON devices(gateway_id, id);
-- One row per (device, label): the series id used by readings, and the channel's current state.
CREATE TABLE series (
  id INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  gateway_id TEXT NOT NULL,
  device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  unit TEXT,
  sensor_type TEXT,
  value REAL,
  text TEXT,
  ts_ms INTEGER,
  UNIQUE (device_id, label)
);
-- History, idempotent on (series, timestamp). WITHOUT ROWID keeps it clustered by series and time.
CREATE TABLE readings (
  series_id INTEGER NOT NULL,
  ts_ms INTEGER NOT NULL,
  value REAL,
  text TEXT,
  PRIMARY KEY (series_id, ts_ms)
) WITHOUT ROWID;
CREATE TABLE previews (
  device_id TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
  tenant_id TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  image BLOB NOT NULL
);
CREATE TABLE dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id TEXT,
  gateway_id TEXT,
  received_at_ms INTEGER NOT NULL,
  reason TEXT NOT NULL,
  detail TEXT NOT NULL,
  payload TEXT NOT NULL,
  payload_bytes INTEGER NOT NULL
);
CREATE INDEX dead_letters_by_tenant ON dead_letters(tenant_id, id);
`;

const POSTGRES = `
CREATE TABLE tenants (
  id text COLLATE "C" PRIMARY KEY,
  name text NOT NULL,
  created_at_ms bigint NOT NULL
);
CREATE TABLE users (
  id text COLLATE "C" PRIMARY KEY,
  tenant_id text COLLATE "C" REFERENCES tenants(id) ON DELETE CASCADE,
  email text NOT NULL,
  email_lower text COLLATE "C" NOT NULL UNIQUE,
  password_hash text NOT NULL,
  role text NOT NULL,
  created_at_ms bigint NOT NULL
);
CREATE TABLE access_tokens (
  token_hash text COLLATE "C" PRIMARY KEY,
  tenant_id text COLLATE "C" REFERENCES tenants(id) ON DELETE CASCADE,
  user_id text COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role text NOT NULL,
  expires_at_ms bigint NOT NULL
);
CREATE TABLE gateways (
  id text COLLATE "C" PRIMARY KEY,
  tenant_id text COLLATE "C" NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name text NOT NULL,
  token_hash text NOT NULL,
  status text NOT NULL DEFAULT 'never_connected',
  status_changed_at_ms bigint,
  last_seen_at_ms bigint,
  firmware text,
  vendor text,
  created_at_ms bigint NOT NULL
);
CREATE INDEX gateways_by_tenant ON gateways (tenant_id, id);
CREATE TABLE devices (
  id text COLLATE "C" PRIMARY KEY,
  tenant_id text COLLATE "C" NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  gateway_id text COLLATE "C" NOT NULL REFERENCES gateways(id) ON DELETE CASCADE,
  type text NOT NULL,
  protocol text NOT NULL,
  name text,
  node_id text,
  network_id text,
  attributes jsonb NOT NULL DEFAULT '{}',
  settings jsonb NOT NULL DEFAULT '{}',
  created_at_ms bigint NOT NULL,
  last_seen_at_ms bigint,
  removed_at_ms bigint
);
CREATE INDEX devices_by_gateway ON devices (gateway_id, id);
-- One row per (device, label): the series id used by readings, and the channel's current state.
CREATE TABLE series (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id text COLLATE "C" NOT NULL,
  gateway_id text COLLATE "C" NOT NULL,
  device_id text COLLATE "C" NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  label text COLLATE "C" NOT NULL,
  unit text,
  sensor_type text,
  value double precision,
  text text COLLATE "C",
  ts_ms bigint,
  UNIQUE (device_id, label)
);
CREATE INDEX series_by_gateway ON series (gateway_id, device_id, label);
-- History, idempotent on (series, timestamp); the primary key keeps a series' points together.
-- Time partitioning goes here (DESIGN §6): PARTITION BY RANGE (ts_ms) with one partition per
-- period, so that retention drops or trims whole partitions instead of deleting rows. The
-- primary key already contains ts_ms, as a partitioned table requires. Kept as one table until
-- retention is built, because partitions need a job that creates them ahead of time.
CREATE TABLE readings (
  series_id bigint NOT NULL,
  ts_ms bigint NOT NULL,
  value double precision,
  text text,
  PRIMARY KEY (series_id, ts_ms)
);
CREATE TABLE previews (
  device_id text COLLATE "C" PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
  tenant_id text COLLATE "C" NOT NULL,
  ts_ms bigint NOT NULL,
  content_type text NOT NULL,
  image bytea NOT NULL
);
CREATE TABLE dead_letters (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id text COLLATE "C",
  gateway_id text COLLATE "C",
  received_at_ms bigint NOT NULL,
  reason text NOT NULL,
  detail text NOT NULL,
  -- What a gateway sent, as UTF-8 bytes: text cannot hold the NUL characters garbage carries.
  payload bytea NOT NULL,
  payload_bytes integer NOT NULL
);
CREATE INDEX dead_letters_by_tenant ON dead_letters (tenant_id, id);
`;
