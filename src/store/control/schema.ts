import { typed, type Dialect } from '../directory/schema.ts';
import { alarmsTables } from './alarm-store.ts';
import { automationsTables } from './automation-store.ts';
import { commandsTables } from './command-store.ts';
import { notificationsTables } from './notification-store.ts';
import { presenceTables } from './presence-store.ts';

/**
 * Migration 4, control: commands, alarms and home modes, the notification outbox, automations,
 * device presence.
 * The same tables on both engines; each store file owns its part.
 */
export function controlMigrationSql(dialect: Dialect): string {
  const parts = [
    commandsTables(),
    alarmsTables(),
    notificationsTables(),
    automationsTables(),
    presenceTables(),
  ];
  return typed(dialect, parts.join('\n'));
}
