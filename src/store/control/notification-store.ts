import type { Dialect } from '../directory/schema.ts';
import type { SqlRunner } from '../directory/sql-runner.ts';

/** Migration 4 tables of notifications, written once for both engines with the type tokens of `typed()`. */
export function notificationsTables(): string {
  return '';
}

/**
 * The notification outbox: requests, per-recipient delivery decisions and their delivery log; preferences and in-app notifications.
 * Written once in SQL both engines accept, against the `SqlRunner` port. Methods take an
 * optional `tx` so that a caller can write to several control stores in one transaction.
 */
export class NotificationStore {
  constructor(
    private readonly sql: SqlRunner,
    private readonly dialect: Dialect,
  ) {}
}
