import { typed, type Migration } from './migration.ts';

/**
 * Migration 2, the directory: tenants' settings, people, sessions, homes, rooms, members,
 * invitations, API keys, the audit log and gateway registration. The tables are the same on
 * both engines; only column types differ, so the SQL is written once with type tokens.
 *
 * Emails become unique per tenant instead of per installation: a person may use two providers'
 * apps with one address, and one provider must not learn that the address exists at another.
 * SQLite cannot drop a table constraint, so its users table is rebuilt; access tokens of the
 * first schema carried a role copy and no session, so they are dropped (everyone logs in again).
 */
export const directory: Migration = {
  version: 2,
  name: 'directory',
  sql: (dialect) =>
    (dialect === 'sqlite' ? USERS_REBUILD_SQLITE : USERS_REBUILD_POSTGRES) + typed(dialect, SQL),
};

const USERS_REBUILD_SQLITE = `
DROP TABLE access_tokens;
CREATE TABLE users_v2 (
  id TEXT PRIMARY KEY,
  tenant_id TEXT REFERENCES tenants(id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  email_lower TEXT NOT NULL,
  name TEXT,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  password_changed_at_ms INTEGER,
  disabled_at_ms INTEGER
);
INSERT INTO users_v2 (id, tenant_id, email, email_lower, password_hash, role, created_at_ms)
  SELECT id, tenant_id, email, email_lower, password_hash, role, created_at_ms FROM users;
DROP TABLE users;
ALTER TABLE users_v2 RENAME TO users;
`;

const USERS_REBUILD_POSTGRES = `
DROP TABLE access_tokens;
ALTER TABLE users DROP CONSTRAINT users_email_lower_key;
ALTER TABLE users ADD COLUMN name text;
ALTER TABLE users ADD COLUMN password_changed_at_ms bigint;
ALTER TABLE users ADD COLUMN disabled_at_ms bigint;
`;

const SQL = `
CREATE UNIQUE INDEX users_email ON users (coalesce(tenant_id, ''), email_lower);
CREATE INDEX users_by_tenant ON users (tenant_id, id);

ALTER TABLE tenants ADD COLUMN slug {id};
ALTER TABLE tenants ADD COLUMN status {text} NOT NULL DEFAULT 'active';
ALTER TABLE tenants ADD COLUMN suspended_at_ms {int};
ALTER TABLE tenants ADD COLUMN branding {text} NOT NULL DEFAULT '{}';
ALTER TABLE tenants ADD COLUMN signup_open {int} NOT NULL DEFAULT 1;
-- Push-provider credentials (JSON); never returned by the API, only whether they are set.
ALTER TABLE tenants ADD COLUMN push_credentials {text};
UPDATE tenants SET slug = id;
CREATE UNIQUE INDEX tenants_slug ON tenants (slug);

-- A login. The refresh token rotates at each use; presenting any earlier one again means it
-- was copied, and revokes the session.
CREATE TABLE sessions (
  id {id} PRIMARY KEY,
  tenant_id {id} REFERENCES tenants(id) ON DELETE CASCADE,
  user_id {id} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  refresh_hash {id} NOT NULL UNIQUE,
  client {text},
  created_at_ms {int} NOT NULL,
  refreshed_at_ms {int} NOT NULL,
  expires_at_ms {int} NOT NULL,
  revoked_at_ms {int}
);
CREATE INDEX sessions_by_user ON sessions (user_id);
-- Every refresh token a session rotated out, kept as long as the session.
CREATE TABLE retired_refresh_tokens (
  token_hash {id} PRIMARY KEY,
  session_id {id} NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  retired_at_ms {int} NOT NULL
);
CREATE INDEX retired_refresh_tokens_by_session ON retired_refresh_tokens (session_id);
CREATE TABLE access_tokens (
  token_hash {id} PRIMARY KEY,
  session_id {id} NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  user_id {id} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires_at_ms {int} NOT NULL
);
CREATE INDEX access_tokens_by_session ON access_tokens (session_id);
-- Mailed one-time tokens (password reset).
CREATE TABLE one_time_tokens (
  token_hash {id} PRIMARY KEY,
  purpose {text} NOT NULL,
  user_id {id} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at_ms {int} NOT NULL,
  expires_at_ms {int} NOT NULL,
  used_at_ms {int}
);
-- Failed logins per account key, for the lock with backoff; shared by every worker.
CREATE TABLE login_throttle (
  throttle_key {id} PRIMARY KEY,
  failures {int} NOT NULL,
  locked_until_ms {int},
  updated_at_ms {int} NOT NULL
);
CREATE TABLE api_keys (
  id {id} PRIMARY KEY,
  tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name {text} NOT NULL,
  key_hash {id} NOT NULL UNIQUE,
  scopes {text} NOT NULL,
  created_by {id},
  created_at_ms {int} NOT NULL,
  last_used_at_ms {int},
  revoked_at_ms {int}
);
CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, id);
CREATE TABLE homes (
  id {id} PRIMARY KEY,
  tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name {text} NOT NULL,
  timezone {text} NOT NULL,
  latitude {real},
  longitude {real},
  created_at_ms {int} NOT NULL
);
CREATE INDEX homes_by_tenant ON homes (tenant_id, id);
CREATE TABLE rooms (
  id {id} PRIMARY KEY,
  tenant_id {id} NOT NULL,
  home_id {id} NOT NULL REFERENCES homes(id) ON DELETE CASCADE,
  name {text} NOT NULL,
  created_at_ms {int} NOT NULL
);
CREATE INDEX rooms_by_home ON rooms (home_id, id);
CREATE TABLE home_members (
  home_id {id} NOT NULL REFERENCES homes(id) ON DELETE CASCADE,
  user_id {id} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  tenant_id {id} NOT NULL,
  role {text} NOT NULL,
  joined_at_ms {int} NOT NULL,
  PRIMARY KEY (home_id, user_id)
);
CREATE INDEX home_members_by_user ON home_members (user_id, home_id);
CREATE TABLE invitations (
  id {id} PRIMARY KEY,
  tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  home_id {id} REFERENCES homes(id) ON DELETE CASCADE,
  email {text} NOT NULL,
  email_lower {id} NOT NULL,
  role {text} NOT NULL,
  token_hash {id} NOT NULL UNIQUE,
  invited_by {id},
  created_at_ms {int} NOT NULL,
  expires_at_ms {int} NOT NULL,
  accepted_at_ms {int},
  revoked_at_ms {int}
);
CREATE INDEX invitations_by_tenant ON invitations (tenant_id, home_id, id);

ALTER TABLE gateways ADD COLUMN home_id {id} REFERENCES homes(id) ON DELETE SET NULL;
ALTER TABLE gateways ADD COLUMN claim_code_hash {id};
ALTER TABLE gateways ADD COLUMN registered_at_ms {int};
ALTER TABLE gateways ADD COLUMN unregistered_messages {int} NOT NULL DEFAULT 0;
ALTER TABLE gateways ADD COLUMN credentials_rotated_at_ms {int};
ALTER TABLE gateways ADD COLUMN credentials_revoked_at_ms {int};
CREATE INDEX gateways_by_home ON gateways (home_id, id);
ALTER TABLE devices ADD COLUMN room_id {id} REFERENCES rooms(id) ON DELETE SET NULL;

CREATE TABLE audit_log (
  id {serial},
  tenant_id {id},
  at_ms {int} NOT NULL,
  actor_type {text} NOT NULL,
  actor_id {id},
  action {id} NOT NULL,
  target_type {text},
  target_id {id},
  home_id {id},
  ip {text},
  outcome {text} NOT NULL,
  detail {text} NOT NULL
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, id);
`;
