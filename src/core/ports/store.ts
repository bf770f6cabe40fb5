import type { Control } from './control.ts';
import type { Directory } from './directory.ts';
import type { Media } from './media.ts';
import type { DeadLetterStore, DeviceStore, TelemetryStore } from './telemetry.ts';

/**
 * Hestia's storage, one store per aggregate. Each engine adapter (store/sqlite/,
 * store/postgres/) provides it and passes the one conformance suite in test/store/.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Tenants, people, sessions, API keys, homes, invitations, gateways, tariffs, the audit log. */
  readonly directory: Directory;
  /** Commands, alarms and home modes, the notification outbox, automations, device presence. */
  readonly control: Control;
  /** Media servers, cameras, the archive index and its deletion queue, camera events, previews. */
  readonly media: Media;
  /** Group commits of readings, history, summaries, retention of a gateway's data, usage. */
  readonly telemetry: TelemetryStore;
  readonly devices: DeviceStore;
  readonly deadLetters: DeadLetterStore;
  /** Creates or upgrades the schema (numbered migrations). */
  migrate(): Promise<void>;
  /**
   * Resolves once every write committed so far survives power loss. Control writes may commit
   * without their own fsync (SQLite); whoever lets something leave the process on their account
   * (a command to a gateway, a notification, an API answer) waits for this first.
   */
  durable(): Promise<void>;
  /** Cheap liveness query for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
