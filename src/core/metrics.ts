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

  // ---- alarms ----

  // ---- notifications ----

  // ---- automations ----

  // ---- live feed ----

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'hestia_process_' });
  }
}
