import type { Tariff } from '../../core/domain.ts';
import type { IngestBatch } from '../../store/ports.ts';
import type { Rejection } from '../codec.ts';
import type { DeviceRef } from '../device-registry.ts';
import type { GatewayIdentity } from '../gateway-identity.ts';

/** What a message handler may do: claim devices and add writes to the current group commit. */
export interface HandlerContext {
  readonly gateway: GatewayIdentity;
  readonly receivedAtMs: number;
  readonly writes: IngestBatch;
  /** See DeviceRegistry.claim; `refresh` re-sends the device row (name, node id) even if known. */
  claimDevice(
    ref: DeviceRef & { name?: string | null },
    seenAtMs: number,
    refresh?: boolean,
  ): Promise<Rejection | null>;
  /** The tariff of the gateway's home (limits and allowed recording modes), if it has one. */
  tariff(): Promise<Tariff | undefined>;
}

/** A handler returns null when the message was accepted, or why it was not. */
export type HandlerResult = Rejection | null;
