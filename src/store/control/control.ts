import type { Control } from '../../core/ports/control.ts';
import type { SqlRunner } from '../../core/ports/sql.ts';
import { SqlAlarmStore } from './alarms.ts';
import { SqlAutomationStore } from './automations.ts';
import { SqlCommandStore } from './commands.ts';
import { SqlNotificationStore } from './notifications.ts';
import { SqlPresenceStore } from './presence.ts';
import { SqlRecipientStore } from './recipients.ts';

/**
 * What a home does on its own and on request: commands, alarms, notifications and their
 * recipients, automations, device presence.
 * Portable SQL on the `SqlRunner` port (like the directory); `transaction` lets a service write
 * to several of them atomically, e.g. an alarm and its notification request (the outbox).
 */
export class SqlControl implements Control {
  readonly commands: SqlCommandStore;
  readonly alarms: SqlAlarmStore;
  readonly notifications: SqlNotificationStore;
  readonly recipients: SqlRecipientStore;
  readonly automations: SqlAutomationStore;
  readonly presence: SqlPresenceStore;

  constructor(private readonly sql: SqlRunner) {
    this.commands = new SqlCommandStore(sql);
    this.alarms = new SqlAlarmStore(sql);
    this.notifications = new SqlNotificationStore(sql);
    this.recipients = new SqlRecipientStore(sql);
    this.automations = new SqlAutomationStore(sql);
    this.presence = new SqlPresenceStore(sql);
  }

  /** Runs `work` in one transaction; pass its `tx` to the stores' methods. */
  transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.sql.transaction(work);
  }
}
