import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { Aedes, type Client, type PublishPacket, type Subscription } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { AppContext } from '../core/context.ts';
import type { GatewayStatus } from '../core/domain/gateway.ts';
import type { GatewayAuthority } from './gateway-authority.ts';
import type { GatewayIdentity } from './gateway-identity.ts';
import type { GatewayLink } from './gateway-link.ts';
import type { IngestService } from './ingest-service.ts';
import { gatewayTopic, parseGatewayTopic } from './topics.ts';

/** The gateway identity attached to an Aedes client once it has authenticated. */
const identityOf = new WeakMap<Client, GatewayIdentity>();
/** Digest of the token a session authenticated with, to notice a rotation made elsewhere. */
const tokenHashOf = new WeakMap<Client, string>();
/**
 * Sessions subscribed to their down topic. A QoS 1 publish to a topic nobody subscribes to is
 * dropped, so a gateway counts as reachable (`isConnected`) only from its SUBSCRIBE on.
 */
const subscribedDown = new WeakSet<Client>();

class ConnectRefused extends Error {
  constructor(
    message: string,
    /** CONNACK return code [MQTT-3.2.2.3]: 2 identifier rejected, 4 bad username or password, 5 not authorized. */
    readonly returnCode: 2 | 4 | 5,
  ) {
    super(message);
  }
}

export interface BrokerPorts {
  mqtt: number;
  ws: number | null;
  tls: number | null;
}

/**
 * The built-in MQTT broker (Aedes) of embedded mode, on TCP, WebSocket and optionally TLS.
 * Gateways authenticate with username = gateway id and password = token, and must use their
 * gateway id as client id (otherwise one gateway could take over another's session,
 * [MQTT-3.1.4-2]). The topic ACL lets a gateway publish only to its own up/status topics and
 * subscribe only to its own down topic, literally: wildcard filters are refused.
 * An uplink's PUBACK is sent only once what it carries is durable: Aedes writes the PUBACK
 * after `authorizePublish` calls back, so the ingest runs inside it.
 */
export class EmbeddedBroker implements GatewayLink {
  readonly aedes: Aedes;
  private readonly servers: Array<net.Server | http.Server> = [];
  private webSockets: WebSocketServer | null = null;
  private recheckTimer: NodeJS.Timeout | null = null;
  ports: BrokerPorts = { mqtt: 0, ws: null, tls: null };

  constructor(
    private readonly ctx: AppContext,
    private readonly deps: { authority: GatewayAuthority; ingest: IngestService },
  ) {
    this.aedes = new Aedes({
      id: 'hestia-embedded',
      keepaliveLimit: ctx.config.mqtt.keepaliveLimitSeconds,
      maxClientsIdLength: 64,
      authenticate: (client, username, password, done) => {
        this.authenticate(client, username, password).then(
          () => done(null, true),
          (error: unknown) => {
            const refused = error instanceof ConnectRefused ? error : new ConnectRefused('server error', 5);
            if (!(error instanceof ConnectRefused))
              ctx.logger.error({ err: error }, 'authentication failed with an error');
            done(Object.assign(new Error(refused.message), { returnCode: refused.returnCode }), false);
          },
        );
      },
      authorizePublish: (client, packet, done) => {
        this.authorizePublish(client, packet).then(
          () => done(null),
          (error: unknown) => done(error as Error),
        );
      },
      authorizeSubscribe: (client, subscription, done) =>
        done(null, this.authorizeSubscribe(client, subscription)),
      authorizeForward: (client, packet) => {
        const identity = client ? identityOf.get(client) : undefined;
        // Defence in depth: nothing but the gateway's own down topic is ever delivered to it.
        return identity && packet.topic === gatewayTopic(identity.id, 'down') ? packet : null;
      },
    });
    this.aedes.on('client', (client) => this.onConnected(client));
    // Aedes emits 'subscribe' once the subscription is in place, so what is published from
    // here on reaches the gateway: its registration state first, then its queued commands.
    this.aedes.on('subscribe', (subscriptions, client) => {
      const identity = client ? identityOf.get(client) : undefined;
      // A refused subscription is reported too, with granted QoS 128 [MQTT-3.9.3-2].
      const down = gatewayTopic(identity?.id ?? '', 'down');
      if (identity && subscriptions.some((s) => s.topic === down && (s.qos as number) !== 128)) {
        subscribedDown.add(client);
        this.sendRegistration(identity.id);
        ctx.bus.emit('gateway.down_subscribed', { gatewayId: identity.id, tenantId: identity.tenantId });
      }
    });
    this.aedes.on('unsubscribe', (topics, client) => {
      const identity = client ? identityOf.get(client) : undefined;
      if (identity && topics.includes(gatewayTopic(identity.id, 'down'))) subscribedDown.delete(client);
    });
    this.aedes.on('clientDisconnect', (client) => this.onDisconnected(client));
    this.aedes.on('clientError', (client, error) => this.onClientError(client, error));
    this.aedes.on('connectionError', (client, error) => this.onClientError(client, error));
  }

  async listen(): Promise<BrokerPorts> {
    await this.aedes.listen();
    const { bus, config } = this.ctx;
    const { mqtt } = config;
    bus.on(
      'gateway.registration',
      ({ gatewayId, homeId }) => {
        const client = this.sessionOf(gatewayId);
        const identity = client ? identityOf.get(client) : undefined;
        if (identity) identity.homeId = homeId;
        this.sendRegistration(gatewayId);
      },
      this,
    );
    bus.on(
      'gateway.credentials_changed',
      ({ gatewayId, reason }) => this.disconnect(gatewayId, reason),
      this,
    );
    const handle = (
      stream: net.Socket | ReturnType<typeof createWebSocketStream>,
      req?: http.IncomingMessage,
    ): void => {
      const client = this.aedes.handle(stream, req);
      this.limitPacketSize(client);
    };

    // No Nagle: a command or PUBACK is a small write that must leave now, not after the
    // peer's delayed ACK (about 40 ms on Linux), which would eat the whole latency budget.
    const tcp = net.createServer({ noDelay: true }, (socket) => handle(socket));
    this.ports.mqtt = await listenOn(tcp, mqtt.port, mqtt.host, 'MQTT');
    this.servers.push(tcp);

    if (mqtt.wsPort !== null) {
      const server = http.createServer((_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: upgrade required\n');
      });
      this.webSockets = new WebSocketServer({ server, maxPayload: mqtt.maxPacketBytes + 16 });
      this.webSockets.on('connection', (socket, req) => handle(createWebSocketStream(socket), req));
      this.ports.ws = await listenOn(server, mqtt.wsPort, mqtt.host, 'MQTT over WebSocket');
      this.servers.push(server);
    }

    if (mqtt.tlsPort !== null && mqtt.tlsCertFile && mqtt.tlsKeyFile) {
      const server = tls.createServer(
        { cert: readFileSync(mqtt.tlsCertFile), key: readFileSync(mqtt.tlsKeyFile), noDelay: true },
        (socket) => handle(socket),
      );
      this.ports.tls = await listenOn(server, mqtt.tlsPort, mqtt.host, 'MQTT over TLS');
      this.servers.push(server);
    }
    this.recheckTimer = setInterval(() => {
      this.recheckSessions().catch((error: unknown) =>
        this.ctx.logger.error({ err: error }, 'session recheck failed'),
      );
    }, mqtt.credentialRecheckSeconds * 1000);
    this.recheckTimer.unref();
    return this.ports;
  }

  /**
   * Compares every live session with the store: credentials rotated or revoked, tenant
   * suspended (close it), registration changed (update it and tell the gateway). Catches what
   * another process changed; this process's own changes arrive on the bus at once.
   */
  private async recheckSessions(): Promise<void> {
    const sessions = (this.aedes as Aedes & { clients: Record<string, Client | undefined> }).clients;
    const tenantActive = new Map<string, boolean>();
    for (const client of Object.values(sessions)) {
      const identity = client ? identityOf.get(client) : undefined;
      if (!client || !identity) continue;
      const stored = await this.ctx.store.directory.gateways.findGateway(identity.id);
      let active = tenantActive.get(identity.tenantId);
      if (active === undefined) {
        active = (await this.ctx.store.directory.tenants.findTenant(identity.tenantId))?.status === 'active';
        tenantActive.set(identity.tenantId, active);
      }
      if (!stored || stored.credentialsRevokedAtMs !== null) this.disconnect(identity.id, 'revoked');
      else if (stored.tokenHash !== tokenHashOf.get(client)) this.disconnect(identity.id, 'rotated');
      else if (!active) this.disconnect(identity.id, 'tenant_suspended');
      else if (stored.homeId !== identity.homeId) {
        identity.homeId = stored.homeId;
        this.sendRegistration(identity.id);
      }
    }
  }

  /** Stops listening, disconnects every client and waits for the listeners to close. */
  async close(): Promise<void> {
    this.ctx.bus.removeListeners(this);
    if (this.recheckTimer) clearInterval(this.recheckTimer);
    for (const server of this.servers) server.close();
    for (const client of this.webSockets?.clients ?? []) client.terminate();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    await Promise.all(
      this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  }

  /** Publishes to a gateway's down topic (QoS 1). */
  publishToGateway(gatewayId: string, payload: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      this.aedes.publish(
        {
          cmd: 'publish',
          topic: gatewayTopic(gatewayId, 'down'),
          payload: Buffer.from(JSON.stringify(payload)),
          qos: 1,
          retain: false,
          dup: false,
        },
        (error) => (error ? reject(error) : resolve()),
      );
    });
  }

  /** Whether the gateway's current session is authenticated and subscribed to its down topic. */
  isConnected(gatewayId: string): boolean {
    const client = this.sessionOf(gatewayId);
    return client !== undefined && identityOf.has(client) && subscribedDown.has(client);
  }

  private sessionOf(gatewayId: string): Client | undefined {
    return (this.aedes as Aedes & { clients: Record<string, Client | undefined> }).clients[gatewayId];
  }

  /** Tells the gateway its registration state on `down` (pending, or accepted with the home). */
  private sendRegistration(gatewayId: string): void {
    this.deps.authority
      .registrationMessage(gatewayId)
      .then((message) => this.publishToGateway(gatewayId, message))
      .catch((error: unknown) =>
        this.ctx.logger.error({ err: error, gatewayId }, 'could not send the registration state'),
      );
  }

  /**
   * Closes a gateway's live session because its credentials no longer hold (rotated, revoked,
   * tenant suspended). Its reconnect then meets the new check at CONNECT.
   */
  disconnect(gatewayId: string, reason: string): void {
    const client = this.sessionOf(gatewayId);
    if (!client) return;
    this.ctx.metrics.gatewayDisconnects.inc({ reason });
    this.ctx.logger.info({ gatewayId, reason }, 'closing the gateway session');
    client.close();
  }

  private async authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<void> {
    const { metrics } = this.ctx;
    if (!username || !password) {
      metrics.mqttAuthFailures.inc({ reason: 'anonymous' });
      throw new ConnectRefused('username and password are required', 4);
    }
    const check = await this.deps.authority.verifyCredentials(username, password.toString('utf8'));
    if (!check.ok) {
      metrics.mqttAuthFailures.inc({ reason: check.reason });
      this.ctx.logger.warn(
        { gatewayId: username.slice(0, 64), reason: check.reason },
        'MQTT connection refused',
      );
      // Revoked credentials and suspended tenants are "not authorized" [MQTT-3.2.2.3]: the
      // device knows its password is right and should stop retrying, not re-provision.
      throw check.reason === 'revoked' || check.reason === 'tenant_suspended'
        ? new ConnectRefused('not authorized', 5)
        : new ConnectRefused('bad username or password', 4);
    }
    if (client.id !== check.gateway.id) {
      metrics.mqttAuthFailures.inc({ reason: 'client_id' });
      throw new ConnectRefused('the client id must be the gateway id', 2);
    }
    // The Last Will is published by the broker on the gateway's behalf: it must obey the same ACL.
    const will = (client as Client & { _will?: { topic: string } | null })._will;
    if (will && will.topic !== gatewayTopic(check.gateway.id, 'status')) {
      metrics.mqttAuthFailures.inc({ reason: 'will_topic' });
      throw new ConnectRefused('the Last Will must go to the gateway status topic', 5);
    }
    identityOf.set(client, check.gateway);
    tokenHashOf.set(client, check.tokenHash);
  }

  private async authorizePublish(client: Client | null, packet: PublishPacket): Promise<void> {
    const identity = client ? identityOf.get(client) : undefined;
    const target = parseGatewayTopic(packet.topic);
    if (!identity || !target || target.gatewayId !== identity.id || target.kind === 'down') {
      this.ctx.metrics.mqttAclDenials.inc({ action: 'publish' });
      this.ctx.logger.warn(
        { gatewayId: identity?.id, topic: packet.topic.slice(0, 200) },
        'publish refused by topic ACL',
      );
      throw new Error('publish not authorized');
    }
    if (target.kind === 'status') {
      const text = packet.payload.toString('utf8').trim().toLowerCase();
      const status = text.includes('offline') ? 'offline' : text.includes('online') ? 'online' : null;
      if (status) this.recordStatus(identity, status);
      return;
    }
    // Uplinks are not kept by the broker: a retained uplink would replay into every new subscriber.
    packet.retain = false;
    await this.deps.ingest.handleUplink(identity, packet.payload as Buffer);
  }

  private authorizeSubscribe(client: Client, subscription: Subscription): Subscription | null {
    const identity = identityOf.get(client);
    // Literal match only: "+", "#" or another gateway's topic never widen the grant.
    if (identity && subscription.topic === gatewayTopic(identity.id, 'down')) return subscription;
    this.ctx.metrics.mqttAclDenials.inc({ action: 'subscribe' });
    this.ctx.logger.warn(
      { gatewayId: identity?.id, topic: subscription.topic.slice(0, 200) },
      'subscription refused by topic ACL',
    );
    return null;
  }

  /** Refuses packets above mqtt.maxPacketBytes at the parser, before their payload is buffered. */
  private limitPacketSize(client: Client): void {
    const parser = (client as Client & { _parser?: ParserInternals })._parser;
    if (!parser || typeof parser._parseLength !== 'function') {
      throw new Error('mqtt-packet parser internals changed: cannot enforce mqtt.maxPacketBytes');
    }
    const max = this.ctx.config.mqtt.maxPacketBytes;
    const marked = client as Client & MarkedClient;
    // Every decoding error goes through _emitError: tag the client so onClientError can tell
    // a malformed packet from a socket reset or a refused login.
    const emitError = parser._emitError.bind(parser);
    parser._emitError = (error: Error) => {
      marked.hestiaParserError = error.message;
      emitError(error);
    };
    const parseLength = parser._parseLength.bind(parser);
    parser._parseLength = () => {
      const complete = parseLength();
      if (complete && parser.packet.length > max) {
        marked.hestiaOversized = parser.packet.length;
        parser._emitError(
          new Error(`packet of ${parser.packet.length} bytes exceeds mqtt.maxPacketBytes (${max})`),
        );
        return false;
      }
      return complete;
    };
  }

  private onConnected(client: Client): void {
    const identity = identityOf.get(client);
    this.ctx.metrics.mqttConnections.inc();
    if (identity) this.recordStatus(identity, 'online');
  }

  private onDisconnected(client: Client): void {
    const identity = identityOf.get(client);
    this.ctx.metrics.mqttConnections.dec();
    // A newer session of the same gateway may already be up (takeover): then it stays online.
    const sessions = (this.aedes as Aedes & { clients: Record<string, Client | undefined> }).clients;
    if (identity && sessions[identity.id] === undefined) this.recordStatus(identity, 'offline');
  }

  private onClientError(client: Client, error: Error): void {
    const { hestiaOversized: oversized, hestiaParserError: parserError } = client as Client & MarkedClient;
    const identity = identityOf.get(client) ?? null;
    if (oversized === undefined && parserError === undefined) {
      this.ctx.logger.debug({ gatewayId: identity?.id, err: error.message }, 'MQTT connection error');
      return;
    }
    const kind = oversized !== undefined ? 'oversized' : 'malformed';
    this.ctx.metrics.mqttProtocolErrors.inc({ kind });
    this.ctx.logger.warn(
      { gatewayId: identity?.id, reason: error.message },
      'MQTT connection closed: bad packet',
    );
    const code = oversized !== undefined ? 'HESTIA_MQTT_PACKET_TOO_LARGE' : 'HESTIA_MQTT_MALFORMED_PACKET';
    this.deps.ingest.recordRejection(identity, { code, detail: error.message }).catch((failure: unknown) => {
      this.ctx.logger.error({ err: failure }, 'could not record a dead letter for a bad packet');
    });
  }

  private recordStatus(identity: GatewayIdentity, status: GatewayStatus): void {
    const atMs = this.ctx.clock.now();
    this.ctx.store.directory.gateways.setGatewayStatus({ gatewayId: identity.id, status, atMs }).then(
      () =>
        this.ctx.bus.emit('gateway.status', {
          gatewayId: identity.id,
          tenantId: identity.tenantId,
          status,
          atMs,
        }),
      (error: unknown) =>
        this.ctx.logger.error({ err: error, gatewayId: identity.id }, 'could not record gateway status'),
    );
  }
}

interface ParserInternals {
  _parseLength: () => boolean;
  _emitError: (error: Error) => void;
  packet: { length: number };
}

/** Marks set on a client by the parser hooks in limitPacketSize. */
interface MarkedClient {
  hestiaOversized?: number;
  hestiaParserError?: string;
}

function listenOn(server: net.Server, port: number, host: string, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `${what} port ${port} on ${host} is already in use; choose another (see --help for the HESTIA_* variable)`,
            )
          : error,
      );
    });
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}
