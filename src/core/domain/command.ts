/** Commands from apps and automations to a device, through its gateway. Times are epoch milliseconds. */

/**
 * A command's life: `pending` (stored; queued while its gateway is offline), `sent` (published
 * on the gateway's down topic), then `succeeded` or `failed` (the gateway's commandResult) or
 * `timed_out` (no answer within the timeout, or still queued when its time-to-live ran out).
 */
export type CommandStatus = 'pending' | 'sent' | 'succeeded' | 'failed' | 'timed_out';

export const COMMAND_STATUSES: readonly CommandStatus[] = [
  'pending',
  'sent',
  'succeeded',
  'failed',
  'timed_out',
];

/** What happens to a command whose gateway is offline: kept until it reconnects (within the TTL), or refused. */
export type WhenOffline = 'queue' | 'refuse';

export interface Command {
  id: string;
  tenantId: string;
  homeId: string;
  gatewayId: string;
  deviceId: string;
  action: string;
  params: Record<string, unknown>;
  /** The caller's key: a retry with the same key returns the first command instead of sending again. */
  idempotencyKey: string | null;
  whenOffline: WhenOffline;
  status: CommandStatus;
  /** Why it failed or timed out (the gateway's error text, "expired while the gateway was offline"…). */
  detail: string | null;
  /** Who asked: a user id, an API key id, or an automation id. */
  requestedBy: string;
  requestedByType: 'user' | 'api_key' | 'automation' | 'system';
  createdAtMs: number;
  sentAtMs: number | null;
  completedAtMs: number | null;
  /** A queued command not delivered by then times out. */
  expiresAtMs: number;
}

/** Statuses a command leaves no more: a late result or a second worker never moves it back. */
export const FINAL_COMMAND_STATUSES: readonly CommandStatus[] = ['succeeded', 'failed', 'timed_out'];

export type CommandInsert = Omit<Command, 'status' | 'detail' | 'sentAtMs' | 'completedAtMs'>;

/** A position in a device's history, newest first: the last item of the previous page. */
export interface CommandPosition {
  createdAtMs: number;
  id: string;
}
