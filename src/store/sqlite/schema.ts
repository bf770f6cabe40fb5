import { directoryMigrationSql } from '../directory/schema.ts';
import { controlMigrationSql } from '../control/schema.ts';
import { languageMigrationSql } from '../language-schema.ts';
import { lifecycleMigrationSql } from '../lifecycle-schema.ts';

/**
 * Numbered SQLite migrations. A migration is never edited once released; add a new one.
 * Every table carries its tenant, directly or (readings) through its series row.
 */
export const sqliteMigrations: Array<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
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
`,
  },
  { version: 2, sql: directoryMigrationSql('sqlite') },
  { version: 3, sql: lifecycleMigrationSql('sqlite') },
  { version: 4, sql: controlMigrationSql('sqlite') },
  { version: 5, sql: languageMigrationSql('sqlite') },
];
