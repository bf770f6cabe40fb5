import { randomUUID } from 'node:crypto';
import { capabilityOf, validateCommand } from '../core/capabilities.ts';
import type { AppContext } from '../core/context.ts';
import {
  type Command,
  type WhenOffline,
  FINAL_COMMAND_STATUSES,
  type CommandPosition,
} from '../core/domain/command.ts';
import { HestiaError, isHestiaError } from '../core/errors.ts';
import type { Extension } from '../core/extension.ts';
import type { GatewayLink } from '../ingest/gateway-link.ts';
import type {
  CommandResultInput,
  CommandResultOutcome,
  CommandResultSink,
} from '../ingest/handlers/context.ts';
import type { AuditService } from './audit.ts';
import type { Authorizer } from './authorization.ts';
import { SYSTEM_ORIGIN, type Principal, type RequestOrigin } from './principal.ts';

export interface CommandDeps {
  authorize: Authorizer;
  audit: AuditService;
}

/** A command as an app or API client asks for it (POST /v1/devices/{deviceId}/commands). */
export interface CommandRequest {
  deviceId: string;
  action: string;
  params?: Record<string, unknown> | undefined;
  idempotencyKey?: string | undefined;
  /** Default 'refuse': a person pressing "unlock" wants it now or an error, not an unlock later. */
  whenOffline?: WhenOffline | undefined;
  /** How long a queued command waits for its gateway; default commands.defaultTtlSeconds. */
  ttlSeconds?: number | undefined;
}

/** A command an automation sends on its home's behalf (no person or key behind it). */
export interface AutomationCommandRequest {
  tenantId: string;
  homeId: string;
  automationId: string;
  deviceId: string;
  action: string;
  params: Record<string, unknown>;
  idempotencyKey?: string | undefined;
  /** Default 'queue': a schedule that fires while the gateway reconnects still takes effect. */
  whenOffline?: WhenOffline | undefined;
  ttlSeconds?: number | undefined;
}

/** The deviceCommand message on the gateway's down topic (docs/commands.md). */
export interface DeviceCommandMessage {
  messageType: 'deviceCommand';
  commandId: string;
  gatewayId: string;
  deviceId: string;
  action: string;
  params: Record<string, unknown>;
  timestampMs: number;
  /** The gateway should not act on it after this: Hestia reports it timed out from then on. */
  expiresAtMs: number;
}

const SWEEP_INTERVAL_MS = 1000; // 1 second: timeouts are reported within a second of falling due
/** Queued commands delivered per query while a gateway's queue is worked off. */
const DELIVERY_BATCH = 100;
const MAX_IDEMPOTENCY_KEY_LENGTH = 128;
export const EXPIRED_DETAIL = 'expired while the gateway was offline';
/** Actions written to the audit log: who opened a door matters later. */
const AUDITED_ACTIONS = new Set(['lock', 'unlock']);

interface Requester {
  id: string;
  type: Command['requestedByType'];
  actor: Principal | { kind: 'system'; id: string };
  origin: RequestOrigin;
}

/**
 * Commands to devices: checked against the device's capabilities, stored, sent on the gateway's
 * down topic (at once, or queued until it is back), answered by the gateway's commandResult or
 * timed out. Every status change is emitted as 'command.status'.
 *
 * Delivery to one gateway is serialised in this process, so its commands leave in creation
 * order; across workers the conditional pending → sent update makes sure each is sent once.
 */
export class CommandService implements Extension, CommandResultSink {
  private link: GatewayLink | null = null;
  private readonly limiter: HomeRateLimiter;
  /** The tail of each gateway's delivery chain. */
  private readonly deliveries = new Map<string, Promise<void>>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;

  constructor(
    private readonly ctx: AppContext,
    private readonly deps: CommandDeps,
  ) {
    this.limiter = new HomeRateLimiter(ctx.config.commands.perHomePerMinute);
  }

  /** The broker is built after the services; it is attached before the process starts. */
  attachLink(link: GatewayLink): void {
    this.link = link;
  }

  start(): void {
    this.ctx.bus.on(
      'gateway.down_subscribed',
      ({ gatewayId }) => {
        void this.deliver(gatewayId);
      },
      this,
    );
    this.sweepTimer = setInterval(() => {
      if (this.sweeping) return; // a slow database: the next tick catches up
      this.sweeping = this.sweep()
        .catch((error: unknown) => this.ctx.logger.error({ err: error }, 'command sweep failed'))
        .finally(() => {
          this.sweeping = null;
        });
    }, SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    this.ctx.bus.removeListeners(this);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    await this.sweeping;
    await Promise.all([...this.deliveries.values()]);
  }

  /**
   * A command from a person or an API key: 'control' on the device's home (members and owners;
   * API keys with gateways:write). `created` is false when the idempotency key names an earlier
   * identical command, which is returned as it is now.
   */
  async create(
    principal: Principal,
    input: CommandRequest,
    origin: RequestOrigin = SYSTEM_ORIGIN,
  ): Promise<{ command: Command; created: boolean }> {
    const device = await this.deps.authorize.device(principal, input.deviceId, 'control');
    const requester: Requester =
      principal.kind === 'user'
        ? { id: principal.userId, type: 'user', actor: principal, origin }
        : { id: principal.apiKeyId, type: 'api_key', actor: principal, origin };
    return this.submit({
      deviceId: device.id,
      homeId: null,
      action: input.action,
      params: input.params ?? {},
      idempotencyKey: input.idempotencyKey ?? null,
      whenOffline: input.whenOffline ?? 'refuse',
      ttlSeconds: input.ttlSeconds,
      requester,
    });
  }

  /**
   * A command of an automation of `homeId`: the device must be in that home (else
   * HESTIA_NOT_FOUND). Same capability checks, idempotency and per-home rate limit as `create`.
   */
  async sendForAutomation(input: AutomationCommandRequest): Promise<Command> {
    const device = await this.ctx.store.devices.findDevice(input.deviceId);
    if (!device || device.tenantId !== input.tenantId)
      throw new HestiaError('HESTIA_NOT_FOUND', 'No such device');
    const { command } = await this.submit({
      deviceId: device.id,
      homeId: input.homeId,
      action: input.action,
      params: input.params,
      idempotencyKey: input.idempotencyKey ?? null,
      whenOffline: input.whenOffline ?? 'queue',
      ttlSeconds: input.ttlSeconds,
      requester: {
        id: input.automationId,
        type: 'automation',
        actor: { kind: 'system', id: input.automationId },
        origin: SYSTEM_ORIGIN,
      },
    });
    return command;
  }

  /**
   * A command Hestia itself sends (e.g. telling a camera to ask for another media server),
   * queued while the gateway is offline. Same capability checks as any other command.
   */
  async sendForSystem(input: {
    deviceId: string;
    action: string;
    params?: Record<string, unknown>;
    systemId: string;
  }): Promise<Command> {
    const { command } = await this.submit({
      deviceId: input.deviceId,
      homeId: null,
      action: input.action,
      params: input.params ?? {},
      idempotencyKey: null,
      whenOffline: 'queue',
      ttlSeconds: undefined,
      requester: {
        id: input.systemId,
        type: 'system',
        actor: { kind: 'system', id: input.systemId },
        origin: SYSTEM_ORIGIN,
      },
    });
    return command;
  }

  /** One command, for whoever may read its device (guests included). */
  async get(principal: Principal, commandId: string): Promise<Command> {
    const command = await this.ctx.store.control.commands.find(commandId);
    if (!command) throw new HestiaError('HESTIA_NOT_FOUND', 'No such command');
    try {
      await this.deps.authorize.device(principal, command.deviceId, 'read');
    } catch (error) {
      // A command of a device one may not see does not exist, whatever the device's answer.
      if (isHestiaError(error) && error.code === 'HESTIA_NOT_FOUND')
        throw new HestiaError('HESTIA_NOT_FOUND', 'No such command');
      throw error;
    }
    return command;
  }

  /** A device's commands, newest first (`limit` rows after `after`). */
  async listForDevice(
    principal: Principal,
    deviceId: string,
    page: { limit: number; after?: CommandPosition | undefined },
  ): Promise<Command[]> {
    await this.deps.authorize.device(principal, deviceId, 'read');
    return this.ctx.store.control.commands.listForDevice(deviceId, page);
  }

  /** The gateway's commandResult (called by ingest before the uplink is acknowledged). */
  async recordResult(input: CommandResultInput): Promise<CommandResultOutcome> {
    const { commands } = this.ctx.store.control;
    const command = await commands.find(input.commandId);
    if (!command || command.gatewayId !== input.gatewayId) {
      return { outcome: 'unknown', detail: `no command ${input.commandId} was sent to this gateway` };
    }
    if (command.deviceId !== input.deviceId) {
      return {
        outcome: 'wrong_device',
        detail: `command ${command.id} is for device ${command.deviceId}, not ${input.deviceId}`,
      };
    }
    if ((FINAL_COMMAND_STATUSES as readonly string[]).includes(command.status))
      return { outcome: 'already_final' };
    if (command.status === 'pending')
      return { outcome: 'not_sent', detail: `command ${command.id} has not been sent yet` };
    const completed = await commands.complete({
      id: command.id,
      from: 'sent',
      status: input.status,
      detail: input.status === 'failed' ? (input.error ?? 'the gateway reported a failure') : null,
      atMs: input.receivedAtMs,
    });
    // Timed out between the read and the update: the result came too late, like any other.
    if (!completed) return { outcome: 'already_final' };
    this.ctx.metrics.commands.inc({ action: completed.action, outcome: completed.status });
    if (completed.sentAtMs !== null && completed.completedAtMs !== null) {
      this.ctx.metrics.commandRoundTripSeconds.observe(
        Math.max(0, completed.completedAtMs - completed.sentAtMs) / 1000,
      );
    }
    this.changed(completed);
    return { outcome: 'recorded' };
  }

  private async submit(request: {
    deviceId: string;
    /** The home the command must be for (automations); null: wherever the device is. */
    homeId: string | null;
    action: string;
    params: Record<string, unknown>;
    idempotencyKey: string | null;
    whenOffline: WhenOffline;
    ttlSeconds: number | undefined;
    requester: Requester;
  }): Promise<{ command: Command; created: boolean }> {
    const { store, config, clock, metrics } = this.ctx;
    const { commands } = store.control;
    const ttlSeconds = request.ttlSeconds ?? config.commands.defaultTtlSeconds;
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > config.commands.maxTtlSeconds) {
      throw new HestiaError(
        'HESTIA_VALIDATION_FAILED',
        `ttlSeconds: expected a whole number of seconds from 1 to ${config.commands.maxTtlSeconds}`,
      );
    }
    const key = request.idempotencyKey;
    if (key !== null && (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
      throw new HestiaError(
        'HESTIA_VALIDATION_FAILED',
        `idempotencyKey: expected 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
      );
    }

    const device = await store.devices.findDeviceWithChannels(request.deviceId);
    if (!device) throw new HestiaError('HESTIA_NOT_FOUND', 'No such device');
    const gateway = await store.directory.gateways.findGateway(device.gatewayId);
    if (request.homeId !== null && gateway?.homeId !== request.homeId)
      throw new HestiaError('HESTIA_NOT_FOUND', 'No such device in this home');
    if (device.removedAtMs !== null || !gateway?.homeId) throw new HestiaError('HESTIA_DEVICE_REMOVED');

    const checked = validateCommand(
      {
        capabilities: device.channels.map((channel) => capabilityOf(channel.label, channel.sensorType)),
        deviceType: device.type,
      },
      request.action,
      request.params,
    );
    if (!checked.ok) throw new HestiaError(checked.code, checked.message);

    // A retry with the key answers with the first command, before any check that could now
    // differ (the gateway went offline, the rate limit filled up): it is the same request.
    if (key !== null) {
      const existing = await commands.findByIdempotencyKey(device.id, key);
      if (existing) return { command: sameOrMismatch(existing, checked), created: false };
    }

    const connected = this.link?.isConnected(gateway.id) ?? false;
    if (!connected && request.whenOffline === 'refuse') {
      metrics.commands.inc({ action: checked.action, outcome: 'refused_offline' });
      throw new HestiaError('HESTIA_GATEWAY_OFFLINE');
    }
    const nowMs = clock.now();
    const retryAfterSeconds = this.limiter.take(gateway.homeId, nowMs);
    if (retryAfterSeconds > 0) {
      metrics.commands.inc({ action: checked.action, outcome: 'rate_limited' });
      throw new HestiaError(
        'HESTIA_RATE_LIMITED',
        `This home has sent ${config.commands.perHomePerMinute} commands in the last minute: try again in ${retryAfterSeconds} s`,
        { retryAfterSeconds },
      );
    }

    let command: Command;
    try {
      command = await commands.insert({
        id: randomUUID(),
        tenantId: device.tenantId,
        homeId: gateway.homeId,
        gatewayId: gateway.id,
        deviceId: device.id,
        action: checked.action,
        params: checked.params,
        idempotencyKey: key,
        whenOffline: request.whenOffline,
        requestedBy: request.requester.id,
        requestedByType: request.requester.type,
        createdAtMs: nowMs,
        expiresAtMs: nowMs + ttlSeconds * 1000,
      });
    } catch (error) {
      // Two requests with one key at once: the unique index let one in; the other answers with it.
      if (key !== null && isHestiaError(error) && error.code === 'HESTIA_CONFLICT') {
        const winner = await commands.findByIdempotencyKey(device.id, key);
        if (winner) return { command: sameOrMismatch(winner, checked), created: false };
      }
      throw error;
    }
    this.changed(command);
    if (AUDITED_ACTIONS.has(command.action)) {
      await this.deps.audit.record({
        tenantId: command.tenantId,
        action: 'command.lock',
        actor: request.requester.actor,
        origin: request.requester.origin,
        target: { type: 'device', id: command.deviceId },
        homeId: command.homeId,
        detail: { commandId: command.id, command: command.action, requestedByType: command.requestedByType },
      });
    }
    if (connected) {
      await this.deliver(gateway.id);
      command = (await commands.find(command.id)) ?? command;
    }
    return { command, created: true };
  }

  /**
   * Sends the gateway's queued commands, oldest first, while it stays subscribed. Calls for one
   * gateway run one after another, so a new command never overtakes the queue.
   */
  private deliver(gatewayId: string): Promise<void> {
    const previous = this.deliveries.get(gatewayId) ?? Promise.resolve();
    const next = previous
      .then(() => this.deliverQueue(gatewayId))
      .catch((error: unknown) =>
        this.ctx.logger.error({ err: error, gatewayId }, 'could not deliver queued commands'),
      );
    this.deliveries.set(gatewayId, next);
    void next.then(() => {
      if (this.deliveries.get(gatewayId) === next) this.deliveries.delete(gatewayId);
    });
    return next;
  }

  private async deliverQueue(gatewayId: string): Promise<void> {
    const { store, clock, config } = this.ctx;
    const { commands } = store.control;
    const link = this.link;
    for (;;) {
      if (!link?.isConnected(gatewayId)) return;
      const queued = await commands.listQueued(gatewayId, DELIVERY_BATCH);
      for (const command of queued) {
        if (!link.isConnected(gatewayId)) return;
        const nowMs = clock.now();
        if (command.expiresAtMs <= nowMs) {
          const expired = await commands.complete({
            id: command.id,
            from: 'pending',
            status: 'timed_out',
            detail: EXPIRED_DETAIL,
            atMs: nowMs,
          });
          if (expired) this.finished(expired, 'expired');
          continue;
        }
        // Marked sent before the publish: a fast answer then always finds it sent, and of two
        // workers delivering one queue only the one whose update changed the row publishes.
        const sent = await commands.markSent(command.id, nowMs);
        if (!sent) continue;
        this.changed(sent);
        try {
          // The gateway acts on what it receives: the command's record must outlive a power cut first.
          await store.durable();
          await link.publishToGateway(
            gatewayId,
            downlinkOf(sent, nowMs + config.commands.timeoutSeconds * 1000),
          );
        } catch (error) {
          const failed = await commands.complete({
            id: sent.id,
            from: 'sent',
            status: 'failed',
            detail: `could not publish to the gateway: ${(error as Error).message}`,
            atMs: clock.now(),
          });
          if (failed) this.finished(failed, 'failed');
        }
      }
      if (queued.length < DELIVERY_BATCH) return;
    }
  }

  /**
   * Times out sent commands without an answer and queued ones past their time-to-live, delivers
   * queues of connected gateways that nothing else triggered (commands queued by another
   * process, e.g. the CLI), and forgets full rate-limit buckets.
   */
  private async sweep(): Promise<void> {
    const { store, clock, config, metrics } = this.ctx;
    const { commands } = store.control;
    const nowMs = clock.now();
    const timeoutMs = config.commands.timeoutSeconds * 1000;
    for (const command of await commands.timeOutSent(
      nowMs - timeoutMs,
      nowMs,
      `no commandResult within ${config.commands.timeoutSeconds} s`,
    )) {
      this.finished(command, 'timed_out');
    }
    for (const command of await commands.expireQueued(nowMs, EXPIRED_DETAIL)) {
      this.finished(command, 'expired');
    }
    if (this.link) {
      for (const gatewayId of await commands.gatewaysWithQueued()) {
        if (this.link.isConnected(gatewayId) && !this.deliveries.has(gatewayId)) void this.deliver(gatewayId);
      }
    }
    metrics.commandsQueued.set(await commands.countQueued());
    this.limiter.forgetFull(nowMs);
  }

  private finished(command: Command, outcome: 'timed_out' | 'expired' | 'failed'): void {
    this.ctx.metrics.commands.inc({ action: command.action, outcome });
    this.changed(command);
  }

  private changed(command: Command): void {
    this.ctx.bus.emit('command.status', { command });
  }
}

/** The message a gateway receives on its down topic for a command. */
export function downlinkOf(command: Command, expiresAtMs: number): DeviceCommandMessage {
  return {
    messageType: 'deviceCommand',
    commandId: command.id,
    gatewayId: command.gatewayId,
    deviceId: command.deviceId,
    action: command.action,
    params: command.params,
    timestampMs: command.sentAtMs ?? command.createdAtMs,
    expiresAtMs,
  };
}

/** The stored command when it is the one asked for again, else HESTIA_IDEMPOTENCY_MISMATCH. */
function sameOrMismatch(
  existing: Command,
  asked: { action: string; params: Record<string, unknown> },
): Command {
  if (existing.action === asked.action && stableJson(existing.params) === stableJson(asked.params))
    return existing;
  throw new HestiaError(
    'HESTIA_IDEMPOTENCY_MISMATCH',
    `This idempotency key was used for ${existing.action} ${stableJson(existing.params)} (command ${existing.id})`,
  );
}

/** JSON with object keys sorted, so that {a, b} and {b, a} compare equal. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A token bucket per home: `perMinute` commands in a burst, refilled evenly over a minute.
 * In memory, so in scale-out each worker enforces it for the requests it serves.
 */
export class HomeRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();
  private readonly perMs: number;

  constructor(private readonly perMinute: number) {
    this.perMs = perMinute / 60_000;
  }

  /** Takes one token; returns 0, or the whole seconds until one is there. */
  take(homeId: string, nowMs: number): number {
    const bucket = this.refilled(homeId, nowMs);
    this.buckets.set(homeId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
  }

  /** Drops the buckets that have refilled: they are the same as no bucket. */
  forgetFull(nowMs: number): void {
    for (const homeId of this.buckets.keys()) {
      if (this.refilled(homeId, nowMs).tokens >= this.perMinute) this.buckets.delete(homeId);
    }
  }

  private refilled(homeId: string, nowMs: number): { tokens: number; atMs: number } {
    const bucket = this.buckets.get(homeId);
    if (!bucket) return { tokens: this.perMinute, atMs: nowMs };
    const elapsedMs = Math.max(0, nowMs - bucket.atMs);
    return { tokens: Math.min(this.perMinute, bucket.tokens + elapsedMs * this.perMs), atMs: nowMs };
  }
}
