import type { Dialect } from '../directory/schema.ts';
import type { SqlRunner } from '../directory/sql-runner.ts';

/** Migration 4 tables of automations, written once for both engines with the type tokens of `typed()`. */
export function automationsTables(): string {
  return '';
}

/**
 * Automations, scenes, run history and the schedule of timed triggers.
 * Written once in SQL both engines accept, against the `SqlRunner` port. Methods take an
 * optional `tx` so that a caller can write to several control stores in one transaction.
 */
export class AutomationStore {
  constructor(
    private readonly sql: SqlRunner,
    private readonly dialect: Dialect,
  ) {}
}
