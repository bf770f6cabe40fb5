import type { Dialect } from '../directory/schema.ts';
import type { SqlRunner } from '../directory/sql-runner.ts';
import { AlarmStore } from './alarm-store.ts';
import { AutomationStore } from './automation-store.ts';
import { CommandStore } from './command-store.ts';
import { NotificationStore } from './notification-store.ts';
import { PresenceStore } from './presence-store.ts';

/**
 * What a home does on its own and on request: commands, alarms, notifications, automations.
 * Portable SQL on the `SqlRunner` port (like the directory); `transaction` lets a service write
 * to several of them atomically, e.g. an alarm and its notification request (the outbox).
 */
export class ControlStore {
  readonly commands: CommandStore;
  readonly alarms: AlarmStore;
  readonly notifications: NotificationStore;
  readonly automations: AutomationStore;
  readonly presence: PresenceStore;

  constructor(
    private readonly sql: SqlRunner,
    dialect: Dialect,
  ) {
    this.commands = new CommandStore(sql, dialect);
    this.alarms = new AlarmStore(sql, dialect);
    this.notifications = new NotificationStore(sql, dialect);
    this.automations = new AutomationStore(sql, dialect);
    this.presence = new PresenceStore(sql, dialect);
  }

  /** Runs `work` in one transaction; pass its `tx` to the stores' methods. */
  transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.sql.transaction(work);
  }
}
