/**
 * Latency histogram with logarithmic buckets (2 % wide, from 10 µs to over a minute), so
 * hundreds of thousands of samples cost a fixed 8 KiB and histograms of several worker
 * processes merge by adding counts. Percentiles are exact to the bucket's width.
 */

const BASE_MS = 0.01;
const GROWTH = 1.02;
const BUCKETS = 1024; // 0.01 ms × 1.02^1024 ≈ 6.5e6 ms: far beyond any timeout here
const LOG_GROWTH = Math.log(GROWTH);

export interface HistogramData {
  counts: number[];
  count: number;
  sumMs: number;
  minMs: number;
  maxMs: number;
}

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  sumMs = 0;
  minMs = Number.POSITIVE_INFINITY;
  maxMs = 0;

  record(ms: number): void {
    const index = ms <= BASE_MS ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log(ms / BASE_MS) / LOG_GROWTH));
    this.counts[index]!++;
    this.count++;
    this.sumMs += ms;
    if (ms < this.minMs) this.minMs = ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  toData(): HistogramData {
    return {
      counts: Array.from(this.counts),
      count: this.count,
      sumMs: this.sumMs,
      minMs: this.minMs,
      maxMs: this.maxMs,
    };
  }

  static merge(parts: readonly HistogramData[]): LatencyHistogram {
    const merged = new LatencyHistogram();
    for (const part of parts) {
      part.counts.forEach((n, i) => {
        merged.counts[i]! += n;
      });
      merged.count += part.count;
      merged.sumMs += part.sumMs;
      merged.minMs = Math.min(merged.minMs, part.minMs);
      merged.maxMs = Math.max(merged.maxMs, part.maxMs);
    }
    return merged;
  }

  /** The value below which `q` (0..1) of the samples fall: the bucket's geometric middle, capped by the max. */
  percentile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.maxMs, Math.max(this.minMs, BASE_MS * GROWTH ** (i + 0.5)));
    }
    return this.maxMs;
  }

  summary(): {
    count: number;
    meanMs: number | null;
    p50Ms: number | null;
    p99Ms: number | null;
    maxMs: number | null;
  } {
    return {
      count: this.count,
      meanMs: this.count ? round(this.sumMs / this.count) : null,
      p50Ms: roundOrNull(this.percentile(0.5)),
      p99Ms: roundOrNull(this.percentile(0.99)),
      maxMs: this.count ? round(this.maxMs) : null,
    };
  }
}

/** Percentile of a small sample, by rank (nearest-rank method). */
export function percentileOf(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function roundOrNull(value: number | null): number | null {
  return value === null ? null : round(value);
}

/** Percentiles of a sample in milliseconds, rounded for the JSON output. */
export interface Summary {
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export function summary(values: readonly number[]): Summary {
  const at = (q: number) => {
    const v = percentileOf(values, q);
    return v === null ? null : round(v);
  };
  return {
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: values.length ? round(Math.max(...values)) : null,
  };
}
