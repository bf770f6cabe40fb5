import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { HestiaError } from './errors.ts';

const port = z.number().int().min(0).max(65535);

/**
 * The one configuration schema. Every key has a default with its unit in the name;
 * a file (`hestia.config.json` or `--config`) and `HESTIA_*` variables override it.
 */
export const ConfigSchema = z
  .object({
    dataDir: z.string().min(1).default('./data'),
    http: z
      .object({
        host: z.string().default('0.0.0.0'),
        port: port.default(8080),
        bodyLimitBytes: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024),
        /** Serve the web dashboard (built into dist/web) at `/`; false leaves only the API. */
        dashboard: z.boolean().default(true),
        /** The built dashboard to serve; the install's dist/web when unset (`npm run build:web`). */
        dashboardDir: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    mqtt: z
      .object({
        host: z.string().default('0.0.0.0'),
        port: port.default(1883),
        /** MQTT over WebSocket; null disables the listener. */
        wsPort: port.nullable().default(8083),
        /** MQTT over TLS; enabled when a port, certificate and key are all given. */
        tlsPort: port.nullable().default(null),
        tlsCertFile: z.string().nullable().default(null),
        tlsKeyFile: z.string().nullable().default(null),
        /** Packets above this are refused at the parser and the connection is closed. */
        maxPacketBytes: z
          .number()
          .int()
          .min(1024)
          .default(256 * 1024),
        /** Longest keepalive a gateway may ask for; 0 = no limit. */
        keepaliveLimitSeconds: z.number().int().min(0).default(1200),
        /**
         * How often live sessions are checked against the stored credentials, registration and
         * tenant state, for changes made by another process (CLI, another worker). Changes made
         * through this process's API act at once.
         */
        credentialRecheckSeconds: z.number().int().min(1).default(10),
      })
      .strict()
      .prefault({}),
    storage: z
      .object({
        kind: z.enum(['sqlite', 'postgres']).default('sqlite'),
        databaseUrl: z.string().nullable().default(null),
        /** SQLite fsync policy: "full" survives power loss, "normal" survives process crashes only. */
        sqliteSynchronous: z.enum(['full', 'normal']).default('full'),
        postgresPoolSize: z.number().int().min(1).max(200).default(10),
      })
      .strict()
      .prefault({}),
    ingest: z
      .object({
        maxPayloadBytes: z
          .number()
          .int()
          .min(256)
          .default(64 * 1024),
        maxMessagesPerPayload: z.number().int().min(1).default(1000),
        /** Readings stamped further ahead than this are rejected. */
        maxFutureSkewMs: z
          .number()
          .int()
          .min(0)
          .default(24 * 60 * 60 * 1000),
        /** A commit starts once this many messages wait, or at the end of the current event-loop turn. */
        commitMaxBatch: z.number().int().min(1).default(5000),
        /** Extra wait before a commit to gather more messages; 0 = commit as soon as the loop is idle. */
        commitDelayMs: z.number().int().min(0).max(1000).default(0),
        /** Messages accepted but not yet committed; above this, gateways wait (back-pressure). */
        maxPendingMessages: z.number().int().min(1).default(50_000),
        maxDevicesPerGateway: z.number().int().min(1).default(500),
      })
      .strict()
      .prefault({}),
    retention: z
      .object({
        /** Seconds between retention passes over every gateway (tariff horizons). */
        intervalSeconds: z.number().int().min(10).default(3600),
        /** Seconds after start before the first pass, so a restart does not begin with deletes. */
        initialDelaySeconds: z.number().int().min(0).default(60),
        /** Rows deleted per gateway before the pass moves on to the next gateway. */
        rowsPerTurn: z.number().int().min(100).default(20_000),
        /**
         * Pause after each delete of at most 2,000 rows, in milliseconds: room for ingestion's
         * commits (and their fsyncs) between deletes; 0 deletes as fast as the database goes.
         */
        pauseMs: z.number().int().min(0).max(1000).default(10),
        /** Audit log records older than this many days are deleted. */
        auditDays: z.number().int().min(30).default(400),
      })
      .strict()
      .prefault({}),
    commands: z
      .object({
        /** A sent command without a commandResult after this many seconds is timed_out. */
        timeoutSeconds: z.number().int().min(1).max(3600).default(30),
        /** Time-to-live of a command queued for an offline gateway, unless the request says otherwise. */
        defaultTtlSeconds: z
          .number()
          .int()
          .min(1)
          .default(10 * 60),
        /** Longest time-to-live a request may ask for. */
        maxTtlSeconds: z
          .number()
          .int()
          .min(1)
          .default(24 * 60 * 60),
        /** Commands one home may send per minute (apps and automations together). */
        perHomePerMinute: z.number().int().min(1).default(120),
      })
      .strict()
      .prefault({}),
    presence: z
      .object({
        /** A device's expected reporting interval when it has none of its own, in seconds. */
        defaultReportIntervalSeconds: z
          .number()
          .int()
          .min(10)
          .default(60 * 60),
        /** A device is stale after missing this many expected reports. */
        missedReportsBeforeStale: z.number().min(1).default(2),
        /** Seconds between sweeps that mark devices stale. */
        sweepIntervalSeconds: z.number().int().min(1).default(60),
      })
      .strict()
      .prefault({}),
    alarms: z
      .object({
        /** Temperature at or above which a heat alarm is raised, in °C, unless the home sets its own. */
        heatThresholdC: z.number().default(57),
        /** Temperature at or below which a freeze alarm is raised, in °C, unless the home sets its own. */
        freezeThresholdC: z.number().default(4),
        /**
         * Seconds a worker trusts its cached home modes, thresholds and active-alarm list for changes
         * made by another worker (its own changes apply at once).
         */
        cacheTtlSeconds: z.number().int().min(1).max(3600).default(5),
      })
      .strict()
      .prefault({}),
    notifications: z
      .object({
        /** Seconds between outbox sweeps (new work is picked up at once; the sweep catches the rest). */
        sweepIntervalSeconds: z.number().int().min(1).default(5),
        /** Delivery attempts before a delivery is marked failed. */
        maxAttempts: z.number().int().min(1).max(20).default(6),
        /** First retry delay; each further retry doubles it. */
        retryBaseMs: z.number().int().min(10).default(2000),
        /** Timeout of one HTTP call to a push provider or webhook. */
        httpTimeoutMs: z.number().int().min(100).default(10_000),
        /** Deliveries in flight at once (a slow provider cannot hold more than this). */
        concurrency: z.number().int().min(1).max(256).default(16),
        /** Base URLs of the providers, overridable for tests and private relays. */
        oneSignalUrl: z.string().url().default('https://api.onesignal.com'),
        fcmUrl: z.string().url().default('https://fcm.googleapis.com'),
        fcmTokenUrl: z.string().url().default('https://oauth2.googleapis.com/token'),
      })
      .strict()
      .prefault({}),
    media: z
      .object({
        /** Seconds between polls of every media server's load, health and disks. */
        pollIntervalSeconds: z.number().int().min(1).default(10),
        /** Consecutive failed polls after which a server is unhealthy: no camera is sent to it, its cameras move. */
        unhealthyAfterFailures: z.number().int().min(1).default(3),
        /** Milliseconds a call to a media server or its agent may take. */
        requestTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
        /** Length of one recorded file, in milliseconds (the seed's 30 minutes). */
        segmentMs: z
          .number()
          .int()
          .min(10_000)
          .default(30 * 60_000),
        /** On motion, recording goes on this many seconds after the last motion. */
        motionPostRollSeconds: z.number().int().min(0).max(3600).default(30),
        /** A disk filled above this ratio receives no new recordings and raises an alert. */
        diskFillThreshold: z.number().min(0.5).max(1).default(0.9),
        /** Lifetime of a signed playback URL, in seconds. */
        playbackUrlTtlSeconds: z.number().int().min(10).max(86_400).default(3600),
        /** Longest archive playback one URL covers, in seconds. */
        maxPlaybackSeconds: z
          .number()
          .int()
          .min(60)
          .default(24 * 3600),
        /** Attempts at starting or stopping a recording before the camera's state is failed (it is retried later). */
        recordingAttempts: z.number().int().min(1).max(10).default(3),
        /** Seconds between retries of failed recordings and between passes of the deletion queue. */
        reconcileIntervalSeconds: z.number().int().min(1).default(5),
        /** A recorded file whose times lie this far in the future (a camera's or host's wrong clock) is refused. */
        maxClockSkewSeconds: z.number().int().min(1).default(300),
      })
      .strict()
      .prefault({}),
    automations: z
      .object({
        /** Runs of one rule per minute above which it is throttled and flagged (loop protection). */
        maxRunsPerMinute: z.number().int().min(1).default(20),
        /** Longest delay action, in seconds. */
        maxDelaySeconds: z
          .number()
          .int()
          .min(1)
          .default(24 * 60 * 60),
        /** Seconds between scheduler checks for due schedules (the next due one is also timed exactly). */
        schedulerIntervalSeconds: z.number().int().min(1).default(30),
        maxRulesPerHome: z.number().int().min(1).default(200),
        /** Scenes one home may have. */
        maxScenesPerHome: z.number().int().min(1).default(100),
        /** A schedule found due later than this (the process was down) is skipped to its next time, recorded as missed. */
        missedGraceSeconds: z
          .number()
          .int()
          .min(1)
          .default(5 * 60),
        /** Readings of a device within this many seconds of a command an automation sent it count as caused by that automation. */
        causalityWindowSeconds: z.number().int().min(1).max(3600).default(10),
        /** Seconds between reloads of the trigger index (picks up changes made by other workers). */
        refreshIntervalSeconds: z.number().int().min(1).default(30),
        /** Run history is kept this many days. */
        runRetentionDays: z.number().int().min(1).default(30),
      })
      .strict()
      .prefault({}),
    live: z
      .object({
        /** WebSocket live-feed connections this process accepts in all. */
        maxConnections: z.number().int().min(1).default(10_000),
        /** Live-feed connections of one person or API key at once. */
        maxConnectionsPerPrincipal: z.number().int().min(1).default(20),
        /** A client that falls this far behind (bytes queued to it) is disconnected: it reconnects and reloads. */
        maxBufferedBytes: z
          .number()
          .int()
          .min(1024)
          .default(1024 * 1024),
        /** Seconds a client has to send its credential when it did not send an Authorization header. */
        authTimeoutSeconds: z.number().int().min(1).default(10),
        /** Seconds between re-checks of a connection's credential and access (expired token, removed member). */
        recheckSeconds: z.number().int().min(1).default(60),
      })
      .strict()
      .prefault({}),
    deadLetters: z
      .object({
        maxPerTenant: z.number().int().min(1).default(10_000),
        maxStoredPayloadBytes: z.number().int().min(0).default(4096),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        /** Access tokens are short-lived; apps renew them with the refresh token. */
        accessTokenTtlSeconds: z
          .number()
          .int()
          .min(60)
          .default(15 * 60),
        /** A refresh token lives this long after its last use (sliding), then the user logs in again. */
        refreshTokenTtlSeconds: z
          .number()
          .int()
          .min(60)
          .default(30 * 24 * 60 * 60),
        /** One-time tokens mailed for password reset. */
        passwordResetTtlSeconds: z
          .number()
          .int()
          .min(60)
          .default(60 * 60),
        /** Invitations to a tenant or a home. */
        invitationTtlSeconds: z
          .number()
          .int()
          .min(60)
          .default(7 * 24 * 60 * 60),
        /** Failed logins of one account before it is locked for a while; the lock doubles each further failure. */
        loginFailuresBeforeLock: z.number().int().min(1).default(5),
        loginLockBaseSeconds: z.number().int().min(1).default(30),
        loginLockMaxSeconds: z
          .number()
          .int()
          .min(1)
          .default(15 * 60),
        /** Failed claim attempts per person per hour; claim codes are short, so guessing must stay slow. */
        claimAttemptsPerHour: z.number().int().min(1).default(20),
      })
      .strict()
      .prefault({}),
    mail: z
      .object({
        /**
         * "file" writes each message as an .eml file under <dataDir>/mail (embedded default, nothing
         * to install); "smtp" sends through mail.smtpUrl.
         */
        transport: z.enum(['file', 'smtp']).default('file'),
        /** smtp://user:pass@host:587 or smtps://…; required when transport is "smtp". */
        smtpUrl: z.string().nullable().default(null),
        from: z.string().min(3).default('Hestia <no-reply@hestia.local>'),
        /** Base URL of the app that opens links in mails (password reset, invitations). */
        appUrl: z.string().url().default('http://localhost:8080'),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type HestiaConfig = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Environment variables that do not follow the `HESTIA_<SECTION>_<KEY>` pattern. */
const envAliases: Record<string, string> = {
  HESTIA_STORAGE: 'storage.kind',
  HESTIA_DATABASE_URL: 'storage.databaseUrl',
  HESTIA_DATA_DIR: 'dataDir',
  HESTIA_MQTT_TLS_CERT: 'mqtt.tlsCertFile',
  HESTIA_MQTT_TLS_KEY: 'mqtt.tlsKeyFile',
};

/** Variables read elsewhere (CLI, tests) that are not configuration keys. */
const envNotConfig = new Set([
  'HESTIA_CONFIG',
  'HESTIA_TOKEN',
  'HESTIA_API_URL',
  'HESTIA_TEST_DATABASE_URL',
  'HESTIA_TEST_DASHBOARD_DIR',
]);

function snakeUpper(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** Every settable key path and its schema leaf, e.g. ["mqtt.wsPort", ZodNumber]. */
function leafPaths(shape: z.ZodObject, prefix = ''): Array<[string, z.ZodType]> {
  const out: Array<[string, z.ZodType]> = [];
  for (const [key, value] of Object.entries(shape.shape)) {
    const full = prefix ? `${prefix}.${key}` : key;
    const inner = unwrap(value as z.ZodType);
    if (inner instanceof z.ZodObject) out.push(...leafPaths(inner, full));
    else out.push([full, value as z.ZodType]);
  }
  return out;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  for (;;) {
    if (current instanceof z.ZodDefault || current instanceof z.ZodPrefault) {
      current = current.def.innerType as z.ZodType;
    } else if (current instanceof z.ZodNullable || current instanceof z.ZodOptional) {
      current = current.def.innerType as z.ZodType;
    } else return current;
  }
}

/** Map of env variable name → config key path. */
export function envKeyMap(): Map<string, string> {
  const map = new Map<string, string>();
  for (const [keyPath] of leafPaths(ConfigSchema)) {
    map.set('HESTIA_' + keyPath.split('.').map(snakeUpper).join('_'), keyPath);
  }
  for (const [name, keyPath] of Object.entries(envAliases)) map.set(name, keyPath);
  return map;
}

function coerceEnvValue(keyPath: string, raw: string): unknown {
  const leaf = leafPaths(ConfigSchema).find(([p]) => p === keyPath)?.[1];
  const nullable = leaf instanceof z.ZodDefault && leaf.def.innerType instanceof z.ZodNullable;
  if (nullable && (raw === '' || raw === 'null')) return null;
  const inner = leaf ? unwrap(leaf) : undefined;
  if (inner instanceof z.ZodNumber) {
    const n = Number(raw);
    return raw.trim() === '' || !Number.isFinite(n) ? raw : n;
  }
  if (inner instanceof z.ZodBoolean) return raw === 'true' ? true : raw === 'false' ? false : raw;
  return raw;
}

function setPath(target: Record<string, unknown>, keyPath: string, value: unknown): void {
  const parts = keyPath.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

export interface LoadConfigOptions {
  /** Explicit config file; otherwise `hestia.config.json` in the working directory if present. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Overrides applied last (used by tests and the CLI). */
  overrides?: ConfigInput;
}

/**
 * Loads and validates the configuration. Throws `HESTIA_CONFIG_INVALID` with a message that
 * names the bad key and where it came from (file or variable).
 */
export function loadConfig(options: LoadConfigOptions = {}): Readonly<HestiaConfig> {
  const env = options.env ?? process.env;
  const sources = new Map<string, string>();
  let raw: Record<string, unknown> = {};

  const file =
    options.file ??
    env.HESTIA_CONFIG ??
    (existsSync('hestia.config.json') ? 'hestia.config.json' : undefined);
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new HestiaError(
        'HESTIA_CONFIG_INVALID',
        `cannot read config file ${file}: ${(error as Error).message}`,
      );
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      raw = parsed as Record<string, unknown>;
    } catch (error) {
      throw new HestiaError(
        'HESTIA_CONFIG_INVALID',
        `config file ${file} is not a JSON object: ${(error as Error).message}`,
      );
    }
    for (const [keyPath] of leafPaths(ConfigSchema)) sources.set(keyPath, `${file}: ${keyPath}`);
  }

  const envMap = envKeyMap();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('HESTIA_') || value === undefined || envNotConfig.has(name)) continue;
    // The media agent's own settings (hestia media-agent) may share the environment.
    if (name.startsWith('HESTIA_AGENT_')) continue;
    const keyPath = envMap.get(name);
    if (!keyPath) {
      throw new HestiaError('HESTIA_CONFIG_INVALID', `${name}: unknown configuration variable`);
    }
    setPath(raw, keyPath, coerceEnvValue(keyPath, value));
    sources.set(keyPath, name);
  }

  if (options.overrides) mergeInto(raw, options.overrides);

  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const keyPath = issue.path.join('.');
    const unknownKeys =
      issue.code === 'unrecognized_keys' ? issue.keys.map((k) => (keyPath ? `${keyPath}.${k}` : k)) : [];
    const where = unknownKeys.length
      ? `${file ?? 'config'}: unknown key ${unknownKeys.join(', ')}`
      : (sources.get(keyPath) ?? keyPath);
    throw new HestiaError(
      'HESTIA_CONFIG_INVALID',
      `${where}: ${unknownKeys.length ? 'not a configuration key' : issue.message}`,
    );
  }
  const config = result.data;
  if (config.storage.kind === 'postgres' && !config.storage.databaseUrl) {
    throw new HestiaError(
      'HESTIA_CONFIG_INVALID',
      'HESTIA_DATABASE_URL (storage.databaseUrl): required when storage.kind is "postgres"',
    );
  }
  const tls = [config.mqtt.tlsPort, config.mqtt.tlsCertFile, config.mqtt.tlsKeyFile];
  if (tls.some((v) => v !== null) && tls.some((v) => v === null)) {
    throw new HestiaError(
      'HESTIA_CONFIG_INVALID',
      'mqtt.tlsPort, mqtt.tlsCertFile and mqtt.tlsKeyFile: set all three or none',
    );
  }
  if (config.mail.transport === 'smtp' && !config.mail.smtpUrl) {
    throw new HestiaError(
      'HESTIA_CONFIG_INVALID',
      'HESTIA_MAIL_SMTP_URL (mail.smtpUrl): required when mail.transport is "smtp"',
    );
  }
  config.dataDir = path.resolve(config.dataDir);
  return deepFreeze(config);
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      existing &&
      typeof existing === 'object'
    ) {
      mergeInto(existing as Record<string, unknown>, value as Record<string, unknown>);
    } else {
      target[key] = value;
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
