import type pg from 'pg';
import { HestiaError } from '../../core/errors.ts';
import type { SqlRunner, Row } from '../../core/ports/sql.ts';

const UNIQUE_VIOLATION = '23505';

/** `?` placeholders → `$1, $2, …`. Directory SQL never has a `?` inside a literal. */
function numbered(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

const converted = new Map<string, string>();
function toPostgres(sql: string): string {
  let text = converted.get(sql);
  if (text === undefined) {
    text = numbered(sql);
    converted.set(sql, text);
  }
  return text;
}

function toHestiaError(error: unknown): unknown {
  if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) {
    return new HestiaError('HESTIA_CONFLICT', undefined, { cause: (error as Error).message });
  }
  return error;
}

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** Runs directory statements on the pool, or on one client inside a transaction. */
export class PostgresRunner implements SqlRunner {
  constructor(
    private readonly target: Queryable,
    private readonly inTransaction: <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T>,
    /** True on a transaction's client: a nested transaction() joins it. */
    private readonly joined = false,
  ) {}

  async all(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    try {
      return (await this.target.query(toPostgres(sql), params as unknown[])).rows as Row[];
    } catch (error) {
      throw toHestiaError(error);
    }
  }

  async get(sql: string, params?: readonly unknown[]): Promise<Row | undefined> {
    return (await this.all(sql, params))[0];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    try {
      return (await this.target.query(toPostgres(sql), params as unknown[])).rowCount ?? 0;
    } catch (error) {
      throw toHestiaError(error);
    }
  }

  transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    if (this.joined) return work(this);
    return this.inTransaction((client) => work(new PostgresRunner(client, this.inTransaction, true)));
  }
}
