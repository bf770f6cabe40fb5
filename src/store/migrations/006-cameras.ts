import { typed, type Migration } from './migration.ts';

/**
 * Migration 6, cameras: the media servers of the cluster, cameras as Hestia drives them (mode,
 * server, recording state), the archive index (one row per recorded file, its fMP4 fragments
 * for HLS by byte range), camera events for the timeline, the preview history, the queue of
 * archive files to delete on media servers (retention and removal: the index row goes at once,
 * the file when its server answers), and secrets the workers of one installation share.
 *
 * Archive rows carry no foreign key to the device: when a camera or its gateway is removed,
 * its files must still be found to be deleted from the media servers.
 */
export const cameras: Migration = {
  version: 6,
  name: 'cameras',
  sql: (dialect) => typed(dialect, SQL),
};

const SQL = `
CREATE TABLE media_servers (
  id {id} PRIMARY KEY,
  name {text} NOT NULL UNIQUE,
  engine {text} NOT NULL,
  control_url {text} NOT NULL,
  agent_url {text},
  ingest_url {text} NOT NULL,
  playback_url {text} NOT NULL,
  application {text} NOT NULL,
  region {text},
  state {text} NOT NULL,
  secret {text} NOT NULL,
  max_streams {int} NOT NULL,
  max_bits_per_sec {int} NOT NULL,
  healthy {int} NOT NULL,
  failures {int} NOT NULL,
  health_reason {text},
  checked_at_ms {int},
  load {text},
  disks {text} NOT NULL,
  full_disk_ids {text} NOT NULL,
  created_at_ms {int} NOT NULL
);
CREATE TABLE cameras (
  device_id {id} PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
  tenant_id {id} NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  home_id {id} NOT NULL,
  gateway_id {id} NOT NULL,
  number {int} NOT NULL UNIQUE,
  mode {text} NOT NULL,
  server_id {id} REFERENCES media_servers(id) ON DELETE SET NULL,
  streaming {int} NOT NULL,
  want_recording {int} NOT NULL,
  record_until_ms {int},
  recording_state {text} NOT NULL,
  recording_reason {text},
  recording_since_ms {int} NOT NULL,
  last_motion_at_ms {int},
  created_at_ms {int} NOT NULL
);
CREATE INDEX cameras_by_home ON cameras (home_id, device_id);
CREATE INDEX cameras_by_server ON cameras (server_id);
CREATE INDEX cameras_by_gateway ON cameras (gateway_id);
CREATE TABLE archive_segments (
  id {id} PRIMARY KEY,
  device_id {id} NOT NULL,
  tenant_id {id} NOT NULL,
  home_id {id} NOT NULL,
  gateway_id {id} NOT NULL,
  server_id {id} NOT NULL,
  disk_id {text} NOT NULL,
  path {text} NOT NULL,
  start_ms {int} NOT NULL,
  end_ms {int} NOT NULL,
  size_bytes {int} NOT NULL,
  init_offset {int} NOT NULL,
  init_length {int} NOT NULL,
  fragments {text} NOT NULL,
  created_at_ms {int} NOT NULL,
  UNIQUE (server_id, path)
);
CREATE INDEX archive_segments_by_camera ON archive_segments (device_id, start_ms);
CREATE INDEX archive_segments_by_camera_end ON archive_segments (device_id, end_ms);
CREATE INDEX archive_segments_by_gateway ON archive_segments (gateway_id);
CREATE TABLE camera_events (
  id {id} PRIMARY KEY,
  device_id {id} NOT NULL,
  tenant_id {id} NOT NULL,
  home_id {id} NOT NULL,
  gateway_id {id} NOT NULL,
  kind {text} NOT NULL,
  at_ms {int} NOT NULL
);
CREATE INDEX camera_events_by_camera ON camera_events (device_id, at_ms);
CREATE INDEX camera_events_by_gateway ON camera_events (gateway_id);
CREATE TABLE camera_previews (
  device_id {id} NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  tenant_id {id} NOT NULL,
  ts_ms {int} NOT NULL,
  content_type {text} NOT NULL,
  image {blob} NOT NULL,
  PRIMARY KEY (device_id, ts_ms)
);
CREATE TABLE media_deletions (
  id {serial},
  server_id {id} NOT NULL,
  path {text} NOT NULL,
  reason {text} NOT NULL,
  created_at_ms {int} NOT NULL,
  attempts {int} NOT NULL,
  next_attempt_at_ms {int} NOT NULL,
  last_error {text}
);
CREATE INDEX media_deletions_due ON media_deletions (server_id, next_attempt_at_ms);
CREATE TABLE platform_secrets (
  name {text} PRIMARY KEY,
  value {text} NOT NULL,
  created_at_ms {int} NOT NULL
);
`;
