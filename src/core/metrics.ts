import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one Hestia process, exposed at /metrics. */
export class Metrics {
  readonly registry = new Registry();

  readonly ingestMessages = new Counter({
    name: 'hestia_ingest_messages_total',
    help: 'Uplink messages by type and outcome (accepted, rejected, unregistered: dropped while registration is pending)',
    labelNames: ['message_type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'hestia_dead_letters_total',
    help: 'Rejected uplink input recorded as dead letters, by reason code',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: 'hestia_ingest_commit_seconds',
    help: 'Duration of one group commit',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly commitRows = new Histogram({
    name: 'hestia_ingest_commit_rows',
    help: 'Rows written by one group commit',
    buckets: [1, 10, 50, 100, 500, 1000, 2500, 5000, 10000],
    registers: [this.registry],
  });
  readonly commitFailures = new Counter({
    name: 'hestia_ingest_commit_failures_total',
    help: 'Group commits that failed (their messages were not acknowledged)',
    registers: [this.registry],
  });
  readonly retentionDeleted = new Counter({
    name: 'hestia_retention_deleted_rows_total',
    help: 'Rows deleted by retention, by kind (readings, rollups, audit)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly retentionPasses = new Counter({
    name: 'hestia_retention_passes_total',
    help: 'Completed retention passes over every gateway',
    registers: [this.registry],
  });
  readonly retentionRunning = new Gauge({
    name: 'hestia_retention_running',
    help: '1 while a retention pass is deleting, else 0',
    registers: [this.registry],
  });
  readonly pendingWrites = new Gauge({
    name: 'hestia_ingest_pending_rows',
    help: 'Rows accepted and waiting for the next commit',
    registers: [this.registry],
  });
  readonly mqttConnections = new Gauge({
    name: 'hestia_mqtt_connections',
    help: 'Authenticated MQTT connections',
    registers: [this.registry],
  });
  readonly mqttAuthFailures = new Counter({
    name: 'hestia_mqtt_auth_failures_total',
    help: 'Refused MQTT connections by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly mqttAclDenials = new Counter({
    name: 'hestia_mqtt_acl_denials_total',
    help: 'Publishes and subscriptions refused by the topic ACL',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });
  readonly mqttProtocolErrors = new Counter({
    name: 'hestia_mqtt_protocol_errors_total',
    help: 'Connections closed for malformed or oversized MQTT packets',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly auditEvents = new Counter({
    name: 'hestia_audit_events_total',
    help: 'Security-relevant actions written to the audit log, by action and outcome',
    labelNames: ['action', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly loginLocks = new Counter({
    name: 'hestia_login_locks_total',
    help: 'Logins refused because the account is locked after repeated failures',
    registers: [this.registry],
  });
  readonly gatewayDisconnects = new Counter({
    name: 'hestia_mqtt_forced_disconnects_total',
    help: 'Gateway sessions closed by Hestia, by reason (credentials rotated or revoked, tenant suspended)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  // ---- commands and presence ----
  readonly commands = new Counter({
    name: 'hestia_commands_total',
    help: 'Device commands by action and outcome (succeeded, failed, timed_out, expired; refused_offline, rate_limited: not stored)',
    labelNames: ['action', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly commandRoundTripSeconds = new Histogram({
    name: 'hestia_command_round_trip_seconds',
    help: "From a command's publish on the down topic to its commandResult",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly commandsQueued = new Gauge({
    name: 'hestia_commands_queued',
    help: 'Commands stored and not yet sent (mostly queued for offline gateways), as of the last sweep',
    registers: [this.registry],
  });

  readonly deviceAvailabilityChanges = new Counter({
    name: 'hestia_device_availability_changes_total',
    help: 'Device availability changes announced, by new availability (online, stale, unavailable)',
    labelNames: ['availability'] as const,
    registers: [this.registry],
  });

  // ---- alarms ----
  readonly alarmsRaised = new Counter({
    name: 'hestia_alarms_raised_total',
    help: 'Alarms raised, by cause (a repeated reading of an active alarm counts an occurrence, not a raise)',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });
  readonly alarmsCleared = new Counter({
    name: 'hestia_alarms_cleared_total',
    help: 'Alarms cleared, by how (device: the sensor reported normal; person; disarm)',
    labelNames: ['by'] as const,
    registers: [this.registry],
  });
  readonly alarmRaiseSeconds = new Histogram({
    name: 'hestia_alarm_raise_seconds',
    help: 'From the commit of a reading to its alarm and notification request committed',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly alarmEvaluationFailures = new Counter({
    name: 'hestia_alarm_evaluation_failures_total',
    help: 'Readings whose alarm could not be written (logged; the reading itself is stored)',
    registers: [this.registry],
  });

  // ---- notifications ----
  readonly notificationDeliveries = new Counter({
    name: 'hestia_notification_deliveries_total',
    help: 'Delivery attempts by channel and outcome (sent, retry, failed, skipped, released at shutdown)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly notificationOutstanding = new Gauge({
    name: 'hestia_notification_outbox_pending',
    help: 'Outbox work not finished: undecided requests plus pending or sending deliveries',
    registers: [this.registry],
  });
  readonly notificationDispatchSeconds = new Histogram({
    name: 'hestia_notification_dispatch_seconds',
    help: "From a notification request's creation to the first provider call of one of its deliveries",
    labelNames: ['channel'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  readonly notificationProviderSeconds = new Histogram({
    name: 'hestia_notification_provider_seconds',
    help: 'Duration of one call to a push provider, webhook, mail server or the in-app store, by channel',
    labelNames: ['channel'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });

  // ---- automations ----
  readonly automationRuns = new Counter({
    name: 'hestia_automation_runs_total',
    help: 'Automation runs by outcome (succeeded, failed, skipped_condition, throttled, missed, waiting: paused at a delay)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly automationTriggersSuppressed = new Counter({
    name: 'hestia_automation_triggers_suppressed_total',
    help: 'Triggers that started no run, by reason (cooldown)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly automationReactionSeconds = new Histogram({
    name: 'hestia_automation_reaction_seconds',
    help: "From a trigger event to the run's first action issued",
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly automationFlagged = new Counter({
    name: 'hestia_automation_flagged_total',
    help: 'Automations stopped by loop protection, by reason (loop, rate)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  // ---- live feed ----
  readonly liveConnections = new Gauge({
    name: 'hestia_live_connections',
    help: 'Open live-feed WebSocket connections',
    registers: [this.registry],
  });
  readonly liveMessages = new Counter({
    name: 'hestia_live_messages_total',
    help: 'Messages sent on live-feed connections, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly liveDisconnects = new Counter({
    name: 'hestia_live_disconnects_total',
    help: 'Live-feed connections closed by Hestia, by reason (slow, unauthorized, expired, limit)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly mediaServerUp = new Gauge({
    name: 'hestia_media_server_up',
    help: 'Whether a media server answered its polls (1) or is unhealthy (0)',
    labelNames: ['server'] as const,
    registers: [this.registry],
  });
  readonly mediaServerStreams = new Gauge({
    name: 'hestia_media_server_streams',
    help: 'Streams published to a media server at its last poll',
    labelNames: ['server'] as const,
    registers: [this.registry],
  });
  readonly mediaDiskFreeBytes = new Gauge({
    name: 'hestia_media_disk_free_bytes',
    help: "Free bytes of a media server's archive disk at its last poll",
    labelNames: ['server', 'disk'] as const,
    registers: [this.registry],
  });
  readonly mediaDiskFull = new Gauge({
    name: 'hestia_media_disk_full',
    help: 'Whether an archive disk is above the fill threshold (1: it receives no new recordings)',
    labelNames: ['server', 'disk'] as const,
    registers: [this.registry],
  });
  readonly recordingStartSeconds = new Histogram({
    name: 'hestia_recording_start_seconds',
    help: 'From the event that wants a recording (motion, streamingOn, mode) to the media server accepting it',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly recordingFailures = new Counter({
    name: 'hestia_recording_failures_total',
    help: 'Recording starts and stops a media server refused or did not answer, by engine and whether it will be retried',
    labelNames: ['engine', 'retryable'] as const,
    registers: [this.registry],
  });
  readonly archiveSegments = new Counter({
    name: 'hestia_archive_segments_total',
    help: 'Recorded files reported by media agents, by outcome (indexed, duplicate, rejected)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly archiveDeletions = new Counter({
    name: 'hestia_archive_deletions_total',
    help: 'Archive files deleted on media servers (retention and removal), by outcome (deleted, missing, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'hestia_process_' });
  }
}
