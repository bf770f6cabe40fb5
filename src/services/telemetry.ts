import { DateTime } from 'luxon';
import type { AppContext } from '../core/context.ts';
import {
  type Reading,
  type RangeSummary,
  type SummarySource,
  contiguousRuns,
  mergeSummaries,
} from '../core/domain/telemetry.ts';
import type { Device } from '../core/domain/device.ts';
import { HestiaError } from '../core/errors.ts';
import { planSources } from './query-planner.ts';
import {
  aggregateBuckets,
  checkTimezone,
  parseInterval,
  planBuckets,
  type AggregateFunction,
  type AggregatePoint,
  type BucketPlan,
  type FillPolicy,
} from './statistics.ts';

export interface HistoryPage {
  items: Reading[];
  /** Timestamp to continue after, or null when this was the last page. */
  nextAfterMs: number | null;
}

/** How many contiguous time ranges (one read each) of each source answered a query. */
export type QuerySources = Record<SummarySource, number>;

export interface SeriesQuery {
  label: string;
  fromMs: number;
  toMs: number;
  interval: string;
  timezone: string;
}

export interface ChartPoint {
  tsMs: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  count: number;
}

/** Chart intervals from finest to coarsest; a chart takes the finest that fits its points. */
const CHART_INTERVALS = [
  '1m',
  '2m',
  '5m',
  '10m',
  '15m',
  '30m',
  '1h',
  '2h',
  '3h',
  '6h',
  '12h',
  '1d',
  '1w',
  '1mo',
];
const CHART_INTERVAL_MS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  mo: 30 * 86_400_000,
};

export type EnergyPeriod = 'day' | 'week' | 'month' | 'year';
const ENERGY_PERIODS: Record<EnergyPeriod, { unit: 'day' | 'week' | 'month' | 'year'; interval: string }> = {
  day: { unit: 'day', interval: '1h' },
  week: { unit: 'week', interval: '1d' },
  month: { unit: 'month', interval: '1d' },
  year: { unit: 'year', interval: '1mo' },
};

/** Reads of a device's series: raw history pages and calendar-true aggregates. */
export class TelemetryService {
  constructor(private readonly ctx: Pick<AppContext, 'store'>) {}

  async history(
    device: Device,
    query: {
      label: string;
      fromMs: number;
      toMs: number;
      limit: number;
      afterMs?: number | undefined;
      order: 'asc' | 'desc';
    },
  ): Promise<HistoryPage> {
    // One extra row tells whether another page follows.
    const rows = await this.ctx.store.telemetry.readHistory({
      deviceId: device.id,
      ...query,
      limit: query.limit + 1,
    });
    const items = rows.slice(0, query.limit);
    return { items, nextAfterMs: rows.length > query.limit ? items[items.length - 1]!.tsMs : null };
  }

  /**
   * Per-bucket summaries of a series, each bucket answered from the coarsest data that covers
   * it exactly (see query-planner.ts).
   */
  async summaries(
    device: Device,
    query: SeriesQuery,
  ): Promise<{ plan: BucketPlan; summaries: RangeSummary[]; sources: QuerySources }> {
    const plan = planBuckets(
      query.fromMs,
      query.toMs,
      parseInterval(query.interval),
      checkTimezone(query.timezone),
    );
    const sources: QuerySources = { raw: 0, hourly: 0, daily: 0 };
    const series = await this.ctx.store.telemetry.findSeries(device.id, query.label);
    if (!series) return { plan, summaries: [], sources };
    const pieces = planSources(plan.boundariesMs, series.zone);
    const perBucket = new Map<number, RangeSummary>();
    for (const source of ['daily', 'hourly', 'raw'] as const) {
      const ranges = pieces[source];
      if (ranges.length === 0) continue;
      sources[source] = contiguousRuns(ranges).length;
      const parts = await this.ctx.store.telemetry.summarize({ seriesId: series.id, source, ranges });
      for (const part of parts) {
        const bucket = ranges[part.index]!.bucket;
        const current = perBucket.get(bucket);
        const summary = { ...part, index: bucket };
        perBucket.set(bucket, current ? mergeSummaries(current, summary) : summary);
      }
    }
    return { plan, summaries: [...perBucket.values()].sort((a, b) => a.index - b.index), sources };
  }

  async aggregate(
    device: Device,
    query: SeriesQuery & { agg: AggregateFunction; fill: FillPolicy },
  ): Promise<{ points: AggregatePoint[]; sources: QuerySources }> {
    const { plan, summaries, sources } = await this.summaries(device, query);
    return { points: aggregateBuckets(plan, summaries, query.agg, query.fill), sources };
  }

  /**
   * A chart of about `points` buckets: the calendar interval whose bucket count is nearest,
   * with mean, min and max per bucket (a band, so that spikes survive downsampling).
   */
  async chart(
    device: Device,
    query: Omit<SeriesQuery, 'interval'> & { points: number },
  ): Promise<{ interval: string; points: ChartPoint[]; sources: QuerySources }> {
    const spanMs = query.toMs - query.fromMs;
    if (!(spanMs > 0)) throw new HestiaError('HESTIA_VALIDATION_FAILED', 'to: must be after from');
    // The interval whose bucket count (one more for an unaligned start) is nearest to `points`.
    const buckets = (text: string): number => {
      const { count, unit } = parseInterval(text);
      return Math.ceil(spanMs / (count * CHART_INTERVAL_MS[unit]!)) + 1;
    };
    const interval = CHART_INTERVALS.reduce((best, text) =>
      Math.abs(buckets(text) - query.points) < Math.abs(buckets(best) - query.points) ? text : best,
    );
    const { plan, summaries, sources } = await this.summaries(device, { ...query, interval });
    const byIndex = new Map(summaries.map((s) => [s.index, s]));
    const points = plan.startsMs.map((tsMs, index) => {
      const s = byIndex.get(index);
      return s
        ? { tsMs, mean: s.sum / s.count, min: s.min, max: s.max, count: s.count }
        : { tsMs, mean: null, min: null, max: null, count: 0 };
    });
    return { interval, points, sources };
  }

  /**
   * Consumption of a cumulative meter over the current `period` in the home's timezone (or the
   * one containing `atMs`): per hour of a day, per day of a week or month, per month of a year.
   */
  async energy(
    device: Device,
    query: { label: string; period: EnergyPeriod; timezone: string; atMs: number },
  ): Promise<{
    fromMs: number;
    toMs: number;
    interval: string;
    points: AggregatePoint[];
    total: number;
    sources: QuerySources;
  }> {
    const { unit, interval } = ENERGY_PERIODS[query.period];
    const at = DateTime.fromMillis(query.atMs, { zone: checkTimezone(query.timezone) });
    const fromMs = at.startOf(unit).toMillis();
    const toMs = at
      .startOf(unit)
      .plus({ [`${unit}s`]: 1 })
      .toMillis();
    const { points, sources } = await this.aggregate(device, {
      label: query.label,
      fromMs,
      toMs,
      interval,
      timezone: query.timezone,
      agg: 'increase',
      fill: '0',
    });
    const total = points.reduce((sum, p) => sum + (p.value ?? 0), 0);
    return { fromMs, toMs, interval, points, total, sources };
  }
}
