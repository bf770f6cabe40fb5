/**
 * The two SQL engines. Portable stores write SQL both accept; where the engines differ (a scalar
 * maximum, row locks), they take the piece from here.
 */
export type Dialect = 'sqlite' | 'postgres';

/** The larger of two values: SQLite's scalar `max`, PostgreSQL's `greatest`. */
export function greatest(dialect: Dialect): 'max' | 'greatest' {
  return dialect === 'sqlite' ? 'max' : 'greatest';
}

/**
 * Row locks an UPDATE of the selected rows would take, taken now (PostgreSQL): rows locked in
 * key order by every writer cannot deadlock. SQLite's write transaction locks the whole database.
 */
export function lockForUpdate(dialect: Dialect): string {
  return dialect === 'postgres' ? 'FOR NO KEY UPDATE' : '';
}
