import mqtt, { type MqttClient } from 'mqtt';
import type { GatewayCredentials } from './files.ts';

/** Topics of the versioned contract (DESIGN §3); kept literal here so the simulator only speaks MQTT. */
export function gatewayTopics(gatewayId: string): { up: string; down: string; status: string } {
  const base = `hestia/v1/gw/${gatewayId}`;
  return { up: `${base}/up`, down: `${base}/down`, status: `${base}/status` };
}

export type SessionEvent =
  | { kind: 'connected'; gatewayId: string; reconnect: boolean }
  | { kind: 'disconnected'; gatewayId: string }
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
  /** Sent after every (re)connect, once the status is online and the down topic subscribed. */
  greeting: () => readonly object[];
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
 * "online" (retained) on every connect.
 */
export class GatewaySession {
  published = 0;
  acknowledged = 0;
  failed = 0;
  dropped = 0;
  connects = 0;
  refusedReason: string | null = null;
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
    client.on('message', (topic, payload) => {
      this.emit({ kind: 'down', gatewayId: this.gatewayId, topic, payload: payload.toString('utf8') });
    });
    client.on('error', (error: Error & { code?: unknown }) => this.onError(client, error));
  }

  /**
   * Publishes one uplink message (QoS 1). While disconnected, mqtt.js keeps it and sends it
   * after the reconnect; returns false when it was dropped instead.
   */
  publish(message: object): boolean {
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
    for (const message of this.options.greeting()) this.publish(message);
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
