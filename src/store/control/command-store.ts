import type { Dialect } from '../directory/schema.ts';
import type { SqlRunner } from '../directory/sql-runner.ts';

/** Migration 4 tables of commands, written once for both engines with the type tokens of `typed()`. */
export function commandsTables(): string {
  return '';
}

/**
 * Commands sent to devices, their status and idempotency keys (rate limits live in memory).
 * Written once in SQL both engines accept, against the `SqlRunner` port. Methods take an
 * optional `tx` so that a caller can write to several control stores in one transaction.
 */
export class CommandStore {
  constructor(
    private readonly sql: SqlRunner,
    private readonly dialect: Dialect,
  ) {}
}
