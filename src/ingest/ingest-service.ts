import type { AppContext } from '../core/context.ts';
import type { ErrorCode } from '../core/errors.ts';
import { emptyBatch, type IngestBatch } from '../core/domain/telemetry.ts';
import { decodeMessage, MESSAGE_TYPES, type DecodeLimits, type Rejection } from './codec.ts';
import { DeviceRegistry } from './device-registry.ts';
import { HomeTariffs } from './home-tariffs.ts';
import { dispatch } from './dispatcher.ts';
import type { GatewayIdentity } from './gateway-identity.ts';
import { GroupCommitter } from './group-commit.ts';
import type { CommandResultSink, HandlerContext } from './handlers/context.ts';

export interface IngestOptions {
  /**
   * Where commandResult messages are recorded (the command service). Without it (tools that
   * run ingest alone) every commandResult is a dead letter: no command was sent from there.
   */
  commandResults?: CommandResultSink;
}

const NO_COMMANDS: CommandResultSink = {
  recordResult: async ({ commandId }) => ({
    outcome: 'unknown',
    detail: `no command ${commandId} was sent to this gateway`,
  }),
};

/**
 * The uplink path after the broker: decode → validate → authorize (payload gateway = session
 * gateway) → dispatch → group commit. `handleUplink` resolves once everything the payload
 * carries is durable — accepted readings and the dead letters of rejected ones — so the broker
 * can acknowledge it. Bad input never throws out of here; a failed commit does (and the broker
 * then withholds the acknowledgement so the gateway sends again).
 */
export class IngestService {
  private readonly registry: DeviceRegistry;
  private readonly homeTariffs: HomeTariffs;
  private readonly committer: GroupCommitter;
  private readonly commandResults: CommandResultSink;

  constructor(
    private readonly ctx: AppContext,
    options: IngestOptions = {},
  ) {
    this.commandResults = options.commandResults ?? NO_COMMANDS;
    this.homeTariffs = new HomeTariffs(ctx);
    this.registry = new DeviceRegistry(ctx, { homeTariffs: this.homeTariffs });
    this.committer = new GroupCommitter(ctx, { onCommitted: (batch) => this.committed(batch) });
    ctx.bus.on('gateway.data_deleted', ({ gatewayId }) => this.registry.forgetGateway(gatewayId), this);
  }

  async handleUplink(gateway: GatewayIdentity, payload: Buffer): Promise<void> {
    const { config, clock } = this.ctx;
    const receivedAtMs = clock.now();
    const writes = emptyBatch();
    const reject = (
      code: ErrorCode,
      detail: string,
      raw: string,
      rawBytes: number,
      messageType = 'unknown',
    ): void => {
      this.deadLetter(writes, gateway, receivedAtMs, { code, detail }, raw, rawBytes);
      this.ctx.metrics.ingestMessages.inc({ message_type: messageType, outcome: 'rejected' });
    };

    if (payload.length > config.ingest.maxPayloadBytes) {
      reject(
        'HESTIA_INGEST_TOO_LARGE',
        `payload of ${payload.length} bytes exceeds ingest.maxPayloadBytes (${config.ingest.maxPayloadBytes})`,
        payload.toString('utf8', 0, config.deadLetters.maxStoredPayloadBytes),
        payload.length,
      );
      return this.commit(writes);
    }

    const text = payload.toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      reject('HESTIA_INGEST_INVALID_JSON', (error as Error).message, text, payload.length);
      return this.commit(writes);
    }

    const items = Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
    if (items.length > config.ingest.maxMessagesPerPayload) {
      reject(
        'HESTIA_INGEST_TOO_MANY_MESSAGES',
        `${items.length} messages in one payload exceed ingest.maxMessagesPerPayload (${config.ingest.maxMessagesPerPayload})`,
        text,
        payload.length,
      );
      return this.commit(writes);
    }
    if (items.length === 0) {
      reject('HESTIA_INGEST_SCHEMA', 'empty array', text, payload.length);
      return this.commit(writes);
    }

    if (gateway.homeId === null) {
      // Registration pending (seed: the controller waits until a user registers it): nothing is
      // stored, but the messages are counted on the gateway so its provider can see it is alive.
      writes.unregisteredDrops.push({ gatewayId: gateway.id, messages: items.length });
      writes.gatewaySeen.push({
        gatewayId: gateway.id,
        tenantId: gateway.tenantId,
        atMs: receivedAtMs,
        messages: items.length,
        firmware: null,
        vendor: null,
      });
      for (const item of items) {
        this.ctx.metrics.ingestMessages.inc({ message_type: messageTypeOf(item), outcome: 'unregistered' });
      }
      return this.commit(writes);
    }

    const limits: DecodeLimits = {
      nowMs: receivedAtMs,
      maxFutureSkewMs: config.ingest.maxFutureSkewMs,
      maxDevicesPerGateway: config.ingest.maxDevicesPerGateway,
    };
    const handlerContext: HandlerContext = {
      gateway,
      receivedAtMs,
      writes,
      claimDevice: (ref, seenAtMs, refresh) => this.registry.claim(gateway, ref, seenAtMs, writes, refresh),
      tariff: () =>
        gateway.homeId === null ? Promise.resolve(undefined) : this.homeTariffs.tariff(gateway.homeId),
      recordCommandResult: (input) => this.commandResults.recordResult(input),
    };
    let newest: { tsMs: number; vendor: string | null; version: string | null } | null = null;
    let accepted = 0;

    for (const item of items) {
      const decoded = decodeMessage(item, limits);
      const itemText = items.length === 1 ? text : JSON.stringify(item);
      const messageType = messageTypeOf(item);
      if (!decoded.ok) {
        reject(
          decoded.rejection.code,
          decoded.rejection.detail,
          itemText,
          Buffer.byteLength(itemText),
          messageType,
        );
        continue;
      }
      const message = decoded.message;
      if (message.gatewayId !== gateway.id) {
        reject(
          'HESTIA_INGEST_GATEWAY_MISMATCH',
          `payload gatewayId ${JSON.stringify(message.gatewayId)} is not the authenticated gateway ${gateway.id}`,
          itemText,
          Buffer.byteLength(itemText),
          messageType,
        );
        continue;
      }
      const rejection = await dispatch(message, handlerContext);
      if (rejection) {
        reject(rejection.code, rejection.detail, itemText, Buffer.byteLength(itemText), messageType);
        continue;
      }
      if (message.messageType === 'gatewayConfig') {
        this.registry.invalidateCount(gateway.id);
        if (gateway.homeId !== null) this.homeTariffs.forgetCameras(gateway.homeId);
      }
      this.ctx.metrics.ingestMessages.inc({ message_type: message.messageType, outcome: 'accepted' });
      accepted += 1;
      if (!newest || message.tsMs >= newest.tsMs) newest = message;
    }
    if (newest) {
      writes.gatewaySeen.push({
        gatewayId: gateway.id,
        tenantId: gateway.tenantId,
        atMs: receivedAtMs,
        messages: accepted,
        firmware: newest.version,
        vendor: newest.vendor,
      });
    }
    return this.commit(writes);
  }

  /** Records input that failed before it reached the uplink path (e.g. a malformed MQTT packet). */
  recordRejection(gateway: GatewayIdentity | null, rejection: Rejection, raw = ''): Promise<void> {
    const writes = emptyBatch();
    this.deadLetter(writes, gateway, this.ctx.clock.now(), rejection, raw, Buffer.byteLength(raw));
    return this.commit(writes);
  }

  /** Stops accepting, waits for every accepted write to be committed, and leaves the bus. */
  async drain(): Promise<void> {
    await this.committer.drain();
    this.ctx.bus.removeListeners(this);
    this.homeTariffs.stop();
  }

  private async commit(writes: IngestBatch): Promise<void> {
    try {
      await this.committer.submit(writes);
    } catch (error) {
      this.registry.forgetUncommitted(writes);
      throw error;
    }
  }

  private committed(batch: IngestBatch): void {
    this.registry.markCommitted(batch);
    if (batch.readings.length > 0) this.ctx.bus.emit('telemetry.committed', { readings: batch.readings });
    if (batch.deviceSettings.length > 0)
      this.ctx.bus.emit('devices.settings_committed', { changes: batch.deviceSettings });
    if (batch.previews.length > 0)
      this.ctx.bus.emit('previews.committed', {
        previews: batch.previews.map(({ deviceId, tenantId, tsMs }) => ({ deviceId, tenantId, tsMs })),
      });
  }

  private deadLetter(
    writes: IngestBatch,
    gateway: GatewayIdentity | null,
    receivedAtMs: number,
    rejection: Rejection,
    raw: string,
    rawBytes: number,
  ): void {
    const limit = this.ctx.config.deadLetters.maxStoredPayloadBytes;
    writes.deadLetters.push({
      tenantId: gateway?.tenantId ?? null,
      gatewayId: gateway?.id ?? null,
      receivedAtMs,
      reason: rejection.code,
      detail: rejection.detail.slice(0, 1000),
      payload: raw.length > limit ? raw.slice(0, limit) : raw,
      payloadBytes: rawBytes,
    });
    this.ctx.metrics.deadLetters.inc({ reason: rejection.code });
    this.ctx.bus.emit('ingest.rejected', {
      tenantId: gateway?.tenantId ?? null,
      gatewayId: gateway?.id ?? null,
      reason: rejection.code,
      detail: rejection.detail,
    });
  }
}

function messageTypeOf(item: unknown): string {
  const type = (item as { messageType?: unknown } | null)?.messageType;
  // Only known types become metric labels: a label per attacker-chosen string would be unbounded.
  return typeof type === 'string' && (MESSAGE_TYPES as readonly string[]).includes(type) ? type : 'unknown';
}
