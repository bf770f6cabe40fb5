import { typed, type Migration } from './migration.ts';

/**
 * Migration 3, the data lifecycle: tariffs (retention and limits per home), hourly and daily
 * rollups of every numeric series, and per-gateway monthly usage for providers' reports.
 *
 * Every existing tenant gets the three tariffs of the seed, "Basic" being its default; homes
 * without a tariff follow their tenant's default. Rollups of readings stored before this
 * migration are computed right after it, in its transaction (`backfillRollups`).
 */
export const dataLifecycle: Migration = {
  version: 3,
  name: 'data lifecycle',
  sql: (dialect) => typed(dialect, SQL),
  backfillRollups: true,
};

const SQL = `
CREATE TABLE tariffs (
  id {id} PRIMARY KEY,
  tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name {text} NOT NULL,
  sensor_retention_days {int} NOT NULL,
  video_retention_days {int} NOT NULL,
  raw_retention_days {int} NOT NULL,
  recording_modes {text} NOT NULL,
  max_gateways_per_home {int} NOT NULL,
  max_cameras_per_home {int} NOT NULL,
  is_default {int} NOT NULL DEFAULT 0,
  created_at_ms {int} NOT NULL,
  updated_at_ms {int} NOT NULL,
  UNIQUE (tenant_id, name)
);
CREATE INDEX tariffs_by_tenant ON tariffs (tenant_id, id);
INSERT INTO tariffs (id, tenant_id, name, sensor_retention_days, video_retention_days,
  raw_retention_days, recording_modes, max_gateways_per_home, max_cameras_per_home, is_default,
  created_at_ms, updated_at_ms)
SELECT 'tariff-basic-' || id, id, 'Basic', 1095, 7,
  45, '["off","motion"]', 2,
  6, 1, created_at_ms, created_at_ms FROM tenants;
INSERT INTO tariffs (id, tenant_id, name, sensor_retention_days, video_retention_days,
  raw_retention_days, recording_modes, max_gateways_per_home, max_cameras_per_home, is_default,
  created_at_ms, updated_at_ms)
SELECT 'tariff-standard-' || id, id, 'Standard', 1825, 14,
  45, '["off","motion","continuous"]', 3,
  9, 0, created_at_ms, created_at_ms FROM tenants;
INSERT INTO tariffs (id, tenant_id, name, sensor_retention_days, video_retention_days,
  raw_retention_days, recording_modes, max_gateways_per_home, max_cameras_per_home, is_default,
  created_at_ms, updated_at_ms)
SELECT 'tariff-premium-' || id, id, 'Premium', 2555, 30,
  90, '["off","motion","continuous"]', 5,
  15, 0, created_at_ms, created_at_ms FROM tenants;
ALTER TABLE homes ADD COLUMN tariff_id {id} REFERENCES tariffs(id);

-- The zone a series' rollups are bucketed in (its home's timezone when the series began), and
-- its newest numeric reading, from which the next reading's increase is computed.
ALTER TABLE series ADD COLUMN zone {text};
ALTER TABLE series ADD COLUMN num_ts {int};
ALTER TABLE series ADD COLUMN num_value {real};
-- Raw readings before this time were deleted by retention; later arrivals that old are dropped.
ALTER TABLE series ADD COLUMN raw_horizon_ms {int};
UPDATE series SET zone = (SELECT h.timezone FROM gateways g JOIN homes h ON h.id = g.home_id
  WHERE g.id = series.gateway_id);
UPDATE series SET zone = 'UTC' WHERE zone IS NULL;

-- Per (series, bucket): count, sum, min, max, the first and last reading (with their times,
-- so that late readings update them), and the increase: the sum, over consecutive numeric
-- readings whose later one falls in the bucket, of the rise (or of the new value after a reset).
CREATE TABLE rollups_hourly (
  series_id {int} NOT NULL,
  start_ms {int} NOT NULL,
  n {int} NOT NULL,
  sum_val {real} NOT NULL,
  min_val {real} NOT NULL,
  max_val {real} NOT NULL,
  first_ts {int} NOT NULL,
  first_val {real} NOT NULL,
  last_ts {int} NOT NULL,
  last_val {real} NOT NULL,
  increase {real} NOT NULL,
  PRIMARY KEY (series_id, start_ms)
) {without_rowid};
CREATE TABLE rollups_daily (
  series_id {int} NOT NULL,
  start_ms {int} NOT NULL,
  n {int} NOT NULL,
  sum_val {real} NOT NULL,
  min_val {real} NOT NULL,
  max_val {real} NOT NULL,
  first_ts {int} NOT NULL,
  first_val {real} NOT NULL,
  last_ts {int} NOT NULL,
  last_val {real} NOT NULL,
  increase {real} NOT NULL,
  PRIMARY KEY (series_id, start_ms)
) {without_rowid};

-- Monthly figures per gateway (UTC months, 'YYYY-MM'), kept when the gateway is removed.
CREATE TABLE gateway_usage (
  gateway_id {id} NOT NULL,
  month {id} NOT NULL,
  tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  messages {int} NOT NULL DEFAULT 0,
  online_ms {int} NOT NULL DEFAULT 0,
  alarms {int} NOT NULL DEFAULT 0,
  PRIMARY KEY (gateway_id, month)
);
CREATE INDEX gateway_usage_by_tenant ON gateway_usage (tenant_id, month, gateway_id);
`;
