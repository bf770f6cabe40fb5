import type { Tariff } from '../../core/domain/tariff.ts';
import type { IngestBatch } from '../../core/domain/telemetry.ts';
import type { Rejection } from '../codec.ts';
import type { DeviceRef } from '../device-registry.ts';
import type { GatewayIdentity } from '../gateway-identity.ts';

/** A gateway's answer to a command, as the ingest path hands it to whoever keeps commands. */
export interface CommandResultInput {
  gatewayId: string;
  deviceId: string;
  commandId: string;
  status: 'succeeded' | 'failed';
  error: string | null;
  receivedAtMs: number;
}

/**
 * What became of a commandResult: recorded; a replay for a command already final (accepted and
 * ignored); or refused — no such command for this gateway, another device's command, or one
 * that was never sent.
 */
export type CommandResultOutcome =
  | { outcome: 'recorded' | 'already_final' }
  | { outcome: 'unknown' | 'wrong_device' | 'not_sent'; detail: string };

/**
 * The port through which ingest records command results without importing the services:
 * the command service implements it and the process hands it to IngestService.
 */
export interface CommandResultSink {
  recordResult(input: CommandResultInput): Promise<CommandResultOutcome>;
}

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
  /**
   * Records a command's result at once (not in the group commit): it is durable before the
   * uplink is acknowledged, and a replay after a lost PUBACK finds the command already final.
   */
  recordCommandResult(input: CommandResultInput): Promise<CommandResultOutcome>;
}

/** A handler returns null when the message was accepted, or why it was not. */
export type HandlerResult = Rejection | null;
