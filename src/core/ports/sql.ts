/**
 * The small SQL port the portable stores are written against (store/directory/, store/control/,
 * store/telemetry/): the SQLite and PostgreSQL adapters each implement it. Services see it only as
 * the transaction handle they pass from `Control.transaction` to the control stores.
 */

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

/**
 * Row → domain mappers shared by both adapters (same snake_case columns). Where the engines
 * differ in representation — JSON as text (SQLite) or jsonb (PostgreSQL), payload as text or
 * bytea — the mapper accepts both.
 */
export type Row = Record<string, unknown>;
