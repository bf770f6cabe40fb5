import type { RollupResolution } from './rollups.ts';

/** Table names and horizons both adapters use for rollups and retention. */

export const ROLLUP_TABLES = ['rollups_hourly', 'rollups_daily'] as const;

export function tableOf(resolution: RollupResolution): (typeof ROLLUP_TABLES)[number] {
  return resolution === 'hourly' ? 'rollups_hourly' : 'rollups_daily';
}

/** Rows deleted per retention statement: short enough not to hold up a group commit. */
export const RETENTION_CHUNK_ROWS = 2000;

/**
 * Rollup buckets are deleted once they end before the horizon: bucket starts at least an hour
 * (hourly) or 25 hours (daily, the longest local day) before it.
 */
export function rollupHorizon(resolution: RollupResolution, beforeMs: number): number {
  return beforeMs - (resolution === 'hourly' ? 3_600_000 : 25 * 3_600_000) + 1;
}
