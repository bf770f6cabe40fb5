import type { Dialect } from '../directory/schema.ts';
import type { SqlRunner } from '../directory/sql-runner.ts';

/** Migration 4 tables of alarms, written once for both engines with the type tokens of `typed()`. */
export function alarmsTables(): string {
  return '';
}

/**
 * Alarms (one active per device and cause), their history, and each home's security mode and thresholds.
 * Written once in SQL both engines accept, against the `SqlRunner` port. Methods take an
 * optional `tx` so that a caller can write to several control stores in one transaction.
 */
export class AlarmStore {
  constructor(
    private readonly sql: SqlRunner,
    private readonly dialect: Dialect,
  ) {}
}
