import mqtt, { type MqttClient } from 'mqtt';
import { parseDeviceCommand, type ParsedCommand } from './commands.ts';
import type { GatewayCredentials } from './files.ts';

/** Topics of the versioned contract (DESIGN §3); kept literal here so the simulator only speaks MQTT. */
export function gatewayTopics(gatewayId: string): { up: string; down: string; status: string } {
  const base = `hestia/v1/gw/${gatewayId}`;
  return { up: `${base}/up`, down: `${base}/down`, status: `${base}/status` };
}

/**
 * What Hestia last said about the gateway's registration on its down topic: `unknown` until the
 * first notice (sent when the gateway subscribes), then `pending` (not registered to a home: its
 * uplinks are counted, not stored) or `accepted` (registered to the home named).
 */
export type Registration =
  { status: 'unknown' } | { status: 'pending' } | { status: 'accepted'; homeId: string; homeName: string };

export type RegistrationNotice = Exclude<Registration, { status: 'unknown' }> & { gatewayId: string };

/**
 * Reads a down message: a registration notice, an error for a registration notice that breaks the
 * contract, or null for any other message (commands, configuration).
 */
export function parseRegistrationNotice(payload: string): RegistrationNotice | { error: string } | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return null; // not JSON: not a registration notice, shown as any other down message
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const message = parsed as Record<string, unknown>;
  if (message.messageType !== 'registration') return null;
  const { gatewayId, status, homeId, homeName } = message;
  if (typeof gatewayId !== 'string') return { error: 'registration notice without gatewayId' };
  if (status === 'pending') return { gatewayId, status };
  if (status === 'accepted' && typeof homeId === 'string' && typeof homeName === 'string') {
    return { gatewayId, status, homeId, homeName };
  }
  return { error: `registration notice not understood: ${payload.slice(0, 200)}` };
}

export type SessionEvent =
  | { kind: 'connected'; gatewayId: string; reconnect: boolean }
  | { kind: 'disconnected'; gatewayId: string }
  /** `changed` is false when Hestia repeats the state the gateway knew (at every reconnect). */
  | ({ kind: 'registration'; changed: boolean } & RegistrationNotice)
  | { kind: 'down'; gatewayId: string; topic: string; payload: string }
  | { kind: 'refused'; gatewayId: string; reason: string }
  | { kind: 'error'; gatewayId: string; reason: string };

export interface GatewaySessionOptions {
  url: string;
  credentials: GatewayCredentials;
  /** Wait between reconnection attempts; short, so a restarted Hestia sees its gateways again at once. */
  reconnectPeriodMs?: number;
  connectTimeoutMs?: number;
  keepaliveSeconds?: number;
  /**
   * Telemetry waiting for its PUBACK (in flight, or stored while offline) beyond which new
   * telemetry is dropped, as a real gateway's bounded buffer would; counted in `dropped`.
   */
  maxUnacknowledged?: number;
  /**
   * Sent whenever Hestia accepts the registration (once per connect of a registered gateway, and
   * when a person registers it): the device list first, so Hestia knows the devices before their
   * telemetry (seed 002: the controller sends its configuration once registered).
   */
  greeting: () => readonly object[];
  /**
   * Sent whenever Hestia says the registration is pending: the gateway announces itself (Hestia
   * counts it in the gateway's unregisteredMessages, so its provider sees it is alive).
   */
  announcement?: () => readonly object[];
  /**
   * A deviceCommand arrived on the down topic (or a message that claims to be one but breaks
   * the contract). Without this handler commands are shown as any other down message.
   */
  onCommand?: (command: ParsedCommand) => void;
  onEvent?: (event: SessionEvent) => void;
}

const DEFAULT_RECONNECT_PERIOD_MS = 1000; // 1 second
const DEFAULT_CONNECT_TIMEOUT_MS = 5000; // 5 seconds
const DEFAULT_KEEPALIVE_SECONDS = 30;
const DEFAULT_MAX_UNACKNOWLEDGED = 10_000;

/**
 * CONNACK codes that no retry can fix [MQTT-3.2.2.3]: 2 identifier rejected, 4 bad user name or
 * password. Others (3 server unavailable, 5 not authorized, which Hestia also uses for a failed
 * lookup) are retried on the reconnect period.
 */
const PERMANENT_REFUSALS = new Set([2, 4]);

/**
 * One gateway's MQTT session, as a real controller runs it: client id = user name = gateway id,
 * password = token, a persistent session (clean: false) so that QoS 1 messages without a PUBACK
 * are sent again after a reconnect, a retained Last Will "offline" on its status topic, and
 * "online" (retained) on every connect. Telemetry flows only while Hestia says the gateway is
 * registered to a home; the last state Hestia told is kept across reconnects, so readings made
 * while Hestia is unreachable are buffered as before.
 */
export class GatewaySession {
  /** Uplink messages handed to MQTT: telemetry, greetings and announcements. */
  published = 0;
  acknowledged = 0;
  failed = 0;
  dropped = 0;
  /** Telemetry not sent because the registration was not (yet) accepted. */
  withheld = 0;
  /** Messages sent to announce the gateway on a pending notice. */
  announcements = 0;
  connects = 0;
  refusedReason: string | null = null;
  registration: Registration = { status: 'unknown' };
  readonly topics: ReturnType<typeof gatewayTopics>;
  private client: MqttClient | null = null;
  private stopping = false;
  /** Between a CONNACK and the next close: failed attempts while reconnecting close too. */
  private up = false;

  constructor(private readonly options: GatewaySessionOptions) {
    this.topics = gatewayTopics(options.credentials.gatewayId);
  }

  get gatewayId(): string {
    return this.options.credentials.gatewayId;
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Hestia accepted the registration: telemetry flows. */
  get registered(): boolean {
    return this.registration.status === 'accepted';
  }

  /** Telemetry published and not yet acknowledged (or failed). */
  get unacknowledged(): number {
    return this.published - this.acknowledged - this.failed;
  }

  /** Successful connections after the first one. */
  get reconnects(): number {
    return Math.max(0, this.connects - 1);
  }

  start(): void {
    if (this.client) return;
    const { credentials } = this.options;
    const client = mqtt.connect(this.options.url, {
      clientId: credentials.gatewayId,
      username: credentials.gatewayId,
      password: credentials.token,
      clean: false,
      reconnectPeriod: this.options.reconnectPeriodMs ?? DEFAULT_RECONNECT_PERIOD_MS,
      connectTimeout: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      keepalive: this.options.keepaliveSeconds ?? DEFAULT_KEEPALIVE_SECONDS,
      // Refusals are sorted in onError: the permanent ones end the session there.
      reconnectOnConnackError: true,
      will: { topic: this.topics.status, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client = client;
    client.on('connect', () => this.onConnect(client));
    client.on('close', () => {
      if (this.up && !this.stopping) this.emit({ kind: 'disconnected', gatewayId: this.gatewayId });
      this.up = false;
    });
    client.on('message', (topic, payload) => this.onDown(topic, payload.toString('utf8')));
    client.on('error', (error: Error & { code?: unknown }) => this.onError(client, error));
  }

  /**
   * Publishes one telemetry message (QoS 1) if the gateway is registered; otherwise it is
   * withheld (counted, not sent). While disconnected, mqtt.js keeps it and sends it after the
   * reconnect. Returns false when it was withheld or dropped.
   */
  publish(message: object): boolean {
    if (!this.registered) {
      this.withheld++;
      return false;
    }
    return this.send(message);
  }

  /**
   * Publishes the answer to a command (QoS 1) whatever the registration says: Hestia asked for
   * it. False when it was dropped (buffer full, stopping).
   */
  answer(message: object): boolean {
    return this.send(message);
  }

  /** Publishes one uplink message (QoS 1); false when it was dropped (buffer full, stopping). */
  private send(message: object): boolean {
    const client = this.client;
    if (!client || this.stopping || this.refusedReason !== null) return false;
    if (this.unacknowledged >= (this.options.maxUnacknowledged ?? DEFAULT_MAX_UNACKNOWLEDGED)) {
      this.dropped++;
      return false;
    }
    this.published++;
    client.publish(this.topics.up, JSON.stringify(message), { qos: 1 }, (error) => {
      if (error) this.failed++;
      else this.acknowledged++;
    });
    return true;
  }

  /**
   * Clean stop: waits (bounded) for outstanding PUBACKs, reports "offline" on the status topic
   * (a clean DISCONNECT suppresses the Last Will [MQTT-3.1.2-10]) and disconnects.
   */
  async stop(timeoutMs = 5000): Promise<void> {
    const client = this.client;
    if (!client || this.stopping) return;
    this.stopping = true;
    const deadline = Date.now() + timeoutMs;
    while (client.connected && this.unacknowledged > 0 && Date.now() < deadline) await sleep(20);
    if (client.connected) {
      await withTimeout(
        client.publishAsync(this.topics.status, 'offline', { qos: 1, retain: true }),
        Math.max(100, deadline - Date.now()),
      ).catch((error: unknown) => {
        this.emit({
          kind: 'error',
          gatewayId: this.gatewayId,
          reason: `offline status: ${(error as Error).message}`,
        });
      });
    }
    // A forced end when the broker is unreachable: a graceful one would wait for it forever.
    const graceful = client.connected;
    await withTimeout(client.endAsync(!graceful), 2000).catch(async () => {
      await client.endAsync(true);
    });
  }

  private onConnect(client: MqttClient): void {
    this.connects++;
    this.up = true;
    this.emit({ kind: 'connected', gatewayId: this.gatewayId, reconnect: this.connects > 1 });
    client.publish(this.topics.status, 'online', { qos: 1, retain: true }, (error) => {
      if (error)
        this.emit({ kind: 'error', gatewayId: this.gatewayId, reason: `online status: ${error.message}` });
    });
    client.subscribe(this.topics.down, { qos: 1 }, (error, granted) => {
      const refused = granted?.some((grant) => grant.qos === 128);
      if (error || refused) {
        const reason = error ? error.message : 'refused by the broker';
        this.emit({
          kind: 'error',
          gatewayId: this.gatewayId,
          reason: `subscribe ${this.topics.down}: ${reason}`,
        });
      }
    });
  }

  /** A message on the down topic: registration notices change what the gateway sends; commands are handed on. */
  private onDown(topic: string, payload: string): void {
    const command = topic === this.topics.down && this.options.onCommand ? parseDeviceCommand(payload) : null;
    if (command !== null) {
      this.options.onCommand?.(command);
      return;
    }
    const notice = topic === this.topics.down ? parseRegistrationNotice(payload) : null;
    if (notice === null) {
      this.emit({ kind: 'down', gatewayId: this.gatewayId, topic, payload });
      return;
    }
    if ('error' in notice || notice.gatewayId !== this.gatewayId) {
      const reason = 'error' in notice ? notice.error : `registration notice for ${notice.gatewayId}`;
      this.emit({ kind: 'error', gatewayId: this.gatewayId, reason });
      return;
    }
    const previous = this.registration;
    const changed =
      previous.status !== notice.status ||
      (previous.status === 'accepted' && notice.status === 'accepted' && previous.homeId !== notice.homeId);
    const { gatewayId: _gatewayId, ...registration } = notice;
    this.registration = registration;
    this.emit({ kind: 'registration', changed, ...notice });
    if (notice.status === 'accepted') {
      for (const message of this.options.greeting()) this.send(message);
    } else {
      for (const message of this.options.announcement?.() ?? []) {
        if (this.send(message)) this.announcements++;
      }
    }
  }

  private onError(client: MqttClient, error: Error & { code?: unknown }): void {
    if (typeof error.code === 'number' && PERMANENT_REFUSALS.has(error.code)) {
      this.refusedReason = error.message;
      this.emit({ kind: 'refused', gatewayId: this.gatewayId, reason: error.message });
      client.end(true);
      return;
    }
    this.emit({ kind: 'error', gatewayId: this.gatewayId, reason: error.message });
  }

  private emit(event: SessionEvent): void {
    this.options.onEvent?.(event);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
