/**
 * One numbered schema change. A released migration is never edited, and nothing it uses may
 * change its SQL: a change of schema is a new migration. test/store/migrations.test.ts holds the
 * digest of every released migration's SQL and fails when one differs.
 */
export interface Migration {
  version: number;
  /** What it does, recorded in `schema_migrations`. */
  name: string;
  /** Its SQL on the engine. */
  sql(dialect: 'sqlite' | 'postgres'): string;
  /** After its SQL, in the same transaction: compute the rollups of readings stored before rollups existed. */
  backfillRollups?: true;
}

/**
 * Column types of migration SQL written once for both engines. Released migrations depend on
 * these tokens: never change what one means; add a new token instead.
 */
const TYPES = {
  sqlite: {
    '{id}': 'TEXT',
    '{text}': 'TEXT',
    '{int}': 'INTEGER',
    '{real}': 'REAL',
    '{serial}': 'INTEGER PRIMARY KEY AUTOINCREMENT',
    '{without_rowid}': 'WITHOUT ROWID',
    '{blob}': 'BLOB',
  },
  postgres: {
    // Ids and compared text in byte order, like SQLite's BINARY collation (see 001-initial.ts).
    '{id}': 'text COLLATE "C"',
    '{text}': 'text',
    '{int}': 'bigint',
    '{real}': 'double precision',
    '{serial}': 'bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
    '{without_rowid}': '',
    '{blob}': 'bytea',
  },
} as const;

export function typed(dialect: 'sqlite' | 'postgres', sql: string): string {
  return sql.replace(
    /\{(id|text|int|real|serial|without_rowid|blob)\}/g,
    (token) => TYPES[dialect][token as keyof (typeof TYPES)['sqlite']],
  );
}
