import type { Row } from '../rows.ts';

/**
 * The small SQL port the directory store is written against. Statements use `?` placeholders
 * and SQL that both engines accept; each adapter converts placeholders and errors. A unique
 * violation surfaces as `HESTIA_CONFLICT`.
 */
export interface SqlRunner {
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  get(sql: string, params?: readonly unknown[]): Promise<Row | undefined>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Runs `work` in one transaction; statements of other callers wait or run beside it, never inside. */
  transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T>;
}
