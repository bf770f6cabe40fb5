/** Paging and time parameters shared by the routes: opaque cursors, pages of presented items. */

import { HestiaError } from '../core/errors.ts';

/** Parses a query time: ISO 8601 with a zone, or epoch milliseconds. */
export function parseTime(value: string | undefined, name: string, fallbackMs: number): number {
  if (value === undefined || value === '') return fallbackMs;
  if (/^\d{1,16}$/.test(value)) return Number(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || !/(Z|[+-]\d{2}:?\d{2})$/.test(value)) {
    throw new HestiaError(
      'HESTIA_VALIDATION_FAILED',
      `${name}: expected an ISO 8601 time with a zone (e.g. 2019-10-21T00:00:00Z) or epoch milliseconds`,
    );
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new HestiaError('HESTIA_VALIDATION_FAILED', `${name}: not a valid time`);
  return ms;
}

/**
 * One page of a keyset listing fetched with `limit + 1` rows: the extra row only tells that
 * there is a next page, whose cursor is the position of the page's last item.
 */
export function pageOf<T, U>(
  rows: T[],
  limit: number,
  positionOf: (row: T) => string | number,
  present: (row: T) => U,
): { items: U[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  return {
    items: items.map(present),
    nextCursor: rows.length > limit ? encodeCursor(positionOf(items[items.length - 1]!)) : null,
  };
}

/** Opaque pagination cursors (base64url of a position). */
export function encodeCursor(position: string | number): string {
  return Buffer.from(String(position)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (text.length === 0 || text.length > 200)
    throw new HestiaError('HESTIA_VALIDATION_FAILED', 'cursor: not a cursor from this API');
  return text;
}

export function decodeNumericCursor(cursor: string | undefined): number | undefined {
  const text = decodeCursor(cursor);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value))
    throw new HestiaError('HESTIA_VALIDATION_FAILED', 'cursor: not a cursor from this API');
  return value;
}
