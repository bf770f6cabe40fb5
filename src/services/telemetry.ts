import type { AppContext } from '../core/context.ts';
import type { Device, Reading } from '../core/domain.ts';
import {
  aggregateBuckets,
  checkTimezone,
  parseInterval,
  planBuckets,
  type AggregateFunction,
  type AggregatePoint,
  type FillPolicy,
} from './statistics.ts';

export interface HistoryPage {
  items: Reading[];
  /** Timestamp to continue after, or null when this was the last page. */
  nextAfterMs: number | null;
}

/** Reads of a device's series: raw history pages and calendar-true aggregates. */
export class TelemetryService {
  constructor(private readonly ctx: AppContext) {}

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
    const rows = await this.ctx.store.readHistory({ deviceId: device.id, ...query, limit: query.limit + 1 });
    const items = rows.slice(0, query.limit);
    return { items, nextAfterMs: rows.length > query.limit ? items[items.length - 1]!.tsMs : null };
  }

  async aggregate(
    device: Device,
    query: {
      label: string;
      fromMs: number;
      toMs: number;
      agg: AggregateFunction;
      interval: string;
      timezone: string;
      fill: FillPolicy;
    },
  ): Promise<AggregatePoint[]> {
    const plan = planBuckets(
      query.fromMs,
      query.toMs,
      parseInterval(query.interval),
      checkTimezone(query.timezone),
    );
    const summaries = await this.ctx.store.summarizeBuckets({
      deviceId: device.id,
      label: query.label,
      boundariesMs: plan.boundariesMs,
    });
    return aggregateBuckets(plan, summaries, query.agg, query.fill);
  }
}
