import { typed, type Migration } from './migration.ts';

/**
 * Migration 4, control: commands, alarms and home modes, the notification outbox, automations,
 * device presence. Each index serves one query of a service (a device's command history, a
 * gateway's queue, the sweeps of sent and queued commands, due deliveries and schedules…).
 */
export const control: Migration = {
  version: 4,
  name: 'control',
  sql: (dialect) => typed(dialect, SQL),
};

const SQL = `
CREATE TABLE commands (
  id {id} PRIMARY KEY,
  tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  home_id {id} NOT NULL REFERENCES homes(id) ON DELETE CASCADE,
  gateway_id {id} NOT NULL,
  device_id {id} NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  action {text} NOT NULL,
  params {text} NOT NULL,
  idempotency_key {text},
  when_offline {text} NOT NULL,
  status {text} NOT NULL,
  detail {text},
  requested_by {text} NOT NULL,
  requested_by_type {text} NOT NULL,
  created_at_ms {int} NOT NULL,
  sent_at_ms {int},
  completed_at_ms {int},
  expires_at_ms {int} NOT NULL
);
CREATE UNIQUE INDEX commands_idempotency ON commands (device_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX commands_by_device ON commands (device_id, created_at_ms, id);
CREATE INDEX commands_queued_by_gateway ON commands (gateway_id, created_at_ms, id) WHERE status = 'pending';
CREATE INDEX commands_queued_by_expiry ON commands (expires_at_ms) WHERE status = 'pending';
CREATE INDEX commands_sent_by_time ON commands (sent_at_ms) WHERE status = 'sent';


-- Alarms raised from readings. At most one active alarm per (device, cause): a further reading
-- of the same cause counts an occurrence instead of raising again (no notification storms).
CREATE TABLE alarms (
  id {id} PRIMARY KEY,
  tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  home_id {id} NOT NULL REFERENCES homes(id) ON DELETE CASCADE,
  gateway_id {id} NOT NULL,
  device_id {id} NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  cause {id} NOT NULL,
  severity {text} NOT NULL,
  state {id} NOT NULL,
  label {text} NOT NULL,
  value {real},
  raised_at_ms {int} NOT NULL,
  occurrences {int} NOT NULL,
  last_occurrence_at_ms {int} NOT NULL,
  acknowledged_at_ms {int},
  acknowledged_by {id},
  cleared_at_ms {int},
  cleared_by {id}
);
CREATE UNIQUE INDEX alarms_one_active ON alarms (device_id, cause) WHERE state = 'active';
-- A home's alarms newest first (history, keyset paging on raised_at_ms, id).
CREATE INDEX alarms_by_home ON alarms (home_id, raised_at_ms, id);
-- Device deletion cascades here; the partial index above only holds active rows.
CREATE INDEX alarms_by_device ON alarms (device_id);
-- Each home's security mode and its own heat/freeze thresholds (null: the configured default).
-- No row: disarmed, default thresholds.
CREATE TABLE home_security (
  home_id {id} PRIMARY KEY REFERENCES homes(id) ON DELETE CASCADE,
  tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  mode {id} NOT NULL,
  heat_threshold_c {real},
  freeze_threshold_c {real},
  -- When and by whom the mode last changed (null: never, the home is disarmed).
  changed_at_ms {int},
  changed_by {id}
);


-- The outbox: one row per event worth telling people about. source_key makes enqueueing
-- idempotent (an alarm raised twice by a re-delivered reading is told once). decided_at_ms is
-- set, in the same transaction that writes the deliveries, once recipients are worked out.
CREATE TABLE notification_requests (
  id {id} PRIMARY KEY,
  tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  home_id {id} REFERENCES homes(id) ON DELETE CASCADE,
  source_key {text} NOT NULL UNIQUE,
  kind {text} NOT NULL,
  severity {text} NOT NULL,
  title {text} NOT NULL,
  body {text} NOT NULL,
  data {text} NOT NULL,
  user_ids {text},
  channels {text},
  created_at_ms {int} NOT NULL,
  decided_at_ms {int}
);
CREATE INDEX notification_requests_undecided ON notification_requests (created_at_ms, id)
  WHERE decided_at_ms IS NULL;
CREATE INDEX notification_requests_by_home ON notification_requests (home_id, created_at_ms);

-- One row per (request, channel, target): the unique key makes a re-run of a decision after a
-- crash create nothing twice. A delivery being sent holds a lease; an expired lease (the
-- sender died) makes it claimable again.
CREATE TABLE notification_deliveries (
  id {id} PRIMARY KEY,
  request_id {id} NOT NULL REFERENCES notification_requests(id) ON DELETE CASCADE,
  tenant_id {id} NOT NULL,
  home_id {id},
  user_id {id},
  channel {text} NOT NULL,
  target {text} NOT NULL,
  status {text} NOT NULL,
  attempts {int} NOT NULL DEFAULT 0,
  next_attempt_at_ms {int} NOT NULL,
  lease_until_ms {int},
  last_error {text},
  provider_response {text},
  created_at_ms {int} NOT NULL,
  updated_at_ms {int} NOT NULL,
  sent_at_ms {int},
  UNIQUE (request_id, channel, target)
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at_ms)
  WHERE status IN ('pending', 'sending');
CREATE INDEX notification_deliveries_by_tenant ON notification_deliveries (tenant_id, created_at_ms, id);
CREATE INDEX notification_deliveries_by_request ON notification_deliveries (request_id);

-- A person's choices; no row means the defaults (see DEFAULT_CHANNELS).
CREATE TABLE notification_preferences (
  user_id {id} PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  tenant_id {id},
  channels {text} NOT NULL,
  quiet_start {text},
  quiet_end {text},
  quiet_timezone {text},
  updated_at_ms {int} NOT NULL
);

-- Phones and browsers a person registered with a push provider (OneSignal player id, FCM
-- registration token). A token belongs to one person at a time: the last one to sign in on it.
CREATE TABLE push_devices (
  id {id} PRIMARY KEY,
  user_id {id} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  tenant_id {id},
  provider {text} NOT NULL,
  token {text} NOT NULL,
  platform {text},
  created_at_ms {int} NOT NULL,
  last_seen_at_ms {int} NOT NULL,
  UNIQUE (provider, token)
);
CREATE INDEX push_devices_by_user ON push_devices (user_id);

CREATE TABLE in_app_notifications (
  id {id} PRIMARY KEY,
  tenant_id {id},
  user_id {id} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  home_id {id},
  request_id {id} NOT NULL,
  severity {text} NOT NULL,
  title {text} NOT NULL,
  body {text} NOT NULL,
  data {text} NOT NULL,
  created_at_ms {int} NOT NULL,
  read_at_ms {int},
  UNIQUE (request_id, user_id)
);
CREATE INDEX in_app_notifications_by_user ON in_app_notifications (user_id, created_at_ms, id);


-- Rules of a home; triggers, conditions and actions as JSON text (validated before they are stored).
CREATE TABLE automations (
  id {id} PRIMARY KEY,
  tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  home_id {id} NOT NULL REFERENCES homes(id) ON DELETE CASCADE,
  name {text} NOT NULL,
  enabled {int} NOT NULL,
  triggers {text} NOT NULL,
  conditions {text} NOT NULL,
  actions {text} NOT NULL,
  cooldown_seconds {int} NOT NULL DEFAULT 0,
  flagged_at_ms {int},
  flag_reason {text},
  created_by {id},
  created_at_ms {int} NOT NULL,
  updated_at_ms {int} NOT NULL
);
CREATE INDEX automations_by_home ON automations (home_id, created_at_ms, id);
CREATE INDEX automations_enabled ON automations (enabled, id);
CREATE TABLE scenes (
  id {id} PRIMARY KEY,
  tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  home_id {id} NOT NULL REFERENCES homes(id) ON DELETE CASCADE,
  name {text} NOT NULL,
  actions {text} NOT NULL,
  created_by {id},
  created_at_ms {int} NOT NULL,
  updated_at_ms {int} NOT NULL
);
CREATE INDEX scenes_by_home ON scenes (home_id, created_at_ms, id);
-- What each run did. A run paused at a delay keeps its remaining actions and resume time here,
-- so that it continues after a restart; resuming claims it (resume_at_ms back to NULL) once.
CREATE TABLE automation_runs (
  id {id} PRIMARY KEY,
  automation_id {id} NOT NULL REFERENCES automations(id) ON DELETE CASCADE,
  tenant_id {id} NOT NULL,
  home_id {id} NOT NULL,
  trigger_json {text} NOT NULL,
  started_at_ms {int} NOT NULL,
  finished_at_ms {int},
  outcome {text} NOT NULL,
  action_results {text} NOT NULL,
  error {text},
  pending_actions {text} NOT NULL DEFAULT '[]',
  next_action_index {int},
  resume_at_ms {int},
  causes {text} NOT NULL DEFAULT '[]'
);
CREATE INDEX automation_runs_by_automation ON automation_runs (automation_id, started_at_ms, id);
CREATE INDEX automation_runs_by_start ON automation_runs (started_at_ms);
CREATE INDEX automation_runs_resume ON automation_runs (resume_at_ms) WHERE resume_at_ms IS NOT NULL;
-- The next fire of each timed trigger (cron, sun) of an enabled rule. A worker claims a due fire
-- by moving next_fire_at_ms on with a conditional UPDATE, so each fire happens exactly once
-- across workers and restarts.
CREATE TABLE automation_schedules (
  automation_id {id} NOT NULL REFERENCES automations(id) ON DELETE CASCADE,
  trigger_index {int} NOT NULL,
  next_fire_at_ms {int},
  PRIMARY KEY (automation_id, trigger_index)
);
CREATE INDEX automation_schedules_due ON automation_schedules (next_fire_at_ms);


-- When Hestia last heard from each device, how often it is expected to report, and when it goes
-- (or went) stale. Kept apart from devices: the ingest path does not update a device row per
-- reading, and presence writes are thinned out (see PresenceService).
CREATE TABLE device_presence (
  device_id {id} PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
  tenant_id {id} NOT NULL,
  gateway_id {id} NOT NULL,
  -- The device's own expected interval between reports (null: presence.defaultReportIntervalSeconds).
  report_interval_seconds {int},
  last_heard_at_ms {int} NOT NULL,
  -- last_heard_at_ms + missed reports x interval: the sweep marks the device stale after it.
  stale_after_ms {int} NOT NULL,
  stale_since_ms {int}
);
-- The sweep reads only devices that are not stale yet and whose time is up.
CREATE INDEX device_presence_due ON device_presence (stale_after_ms) WHERE stale_since_ms IS NULL;
CREATE INDEX device_presence_by_gateway ON device_presence (gateway_id);
`;
