import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError } from 'commander';
import { DateTime } from 'luxon';
import { seededRandom } from '../src/simulator/model.ts';
import { login } from '../src/simulator/provision.ts';
import { mainThreadProfile, prepareProfileDir, summarizeCpuProfile } from './cpu-profile.ts';
import { percentileOf, round } from './histogram.ts';
import { BenchInflux, type InfluxStatementResult } from './influxdb.ts';
import { machineCpuTicks } from './system.ts';
import { REPO_ROOT, killChildren, progress, removeAtExit, startHestia, waitForExit } from './processes.ts';
import { resultHead } from './options.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, benchDevices, type BenchDevice } from './query-data.ts';
import {
  INFLUX_DB,
  RAW_RETENTION_DAYS,
  TIMEZONE,
  createDirectory,
  loadHestia,
  loadInflux,
  measureSqlite,
  openBenchStore,
  settleInflux,
  type SqliteDisk,
} from './query-load.ts';
import { ingestDuringRetention } from './query-retention.ts';

/**
 * `npm run bench:query`: Hestia's history and statistics next to InfluxDB 1.6 with the same
 * data: load rate, bytes on disk per reading, and the latency of three app queries (the weekly
 * mean by day, a 45-day chart of ~1,000 points, monthly energy over a year), each answer checked
 * against InfluxDB's; and the ingest rate while a large retention pass deletes. Progress goes to
 * stderr, one JSON document to stdout; the exit code is 1 when an answer differs.
 */

/** Hestia's and InfluxDB's numbers must agree this closely (they add up in different orders). */
const RELATIVE_TOLERANCE = 1e-9;
const MISMATCH_EXAMPLES = 20;
const CHART_DAYS = 45;
const WEEK_DAYS = 7;

interface Options {
  devices: number;
  devicesPerGateway: number;
  days: number;
  months: number;
  runs: number;
  warmupRuns: number;
  chartPoints: number;
  influxBatch: number;
  influxWriters: number;
  influxSettleCap: number;
  retention: boolean;
  retentionBacklogDays: number;
  ingestGateways: number;
  ingestRate: number;
  ingestInflight: number;
  ingestBaseline: number;
  retentionCap: number;
  retentionWait: number;
  profile?: string | boolean;
  keep: boolean;
}

/** Microseconds on the monotonic clock that V8's profiler stamps its samples with. */
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

// ---------------------------------------------------------------------------------------------
// The three queries, each as Hestia and InfluxDB are asked it, and how their answers compare.

interface Mismatch {
  query: string;
  deviceId: string;
  bucket: string;
  hestia: number | null | 'no bucket';
  influx: number | null | 'no bucket';
  relativeDifference: number | null;
}

interface Sources {
  raw: number;
  hourly: number;
  daily: number;
}

interface HestiaAnswer {
  interval?: string;
  points: Array<{ tsMs: number; value?: number | null; mean?: number | null }>;
  sources: Sources;
}

/** One bucket as each engine reported it: start and value. */
type Buckets = Array<{ tsMs: number; value: number | null }>;

interface QueryCase {
  name: string;
  kind: BenchDevice['kind'];
  hestiaPath: (device: BenchDevice) => string;
  influxQuery: (device: BenchDevice) => string;
  hestiaBuckets: (answer: HestiaAnswer) => Buckets;
  influxBuckets: (results: InfluxStatementResult[]) => Buckets;
}

const isoOf = (ms: number): string => new Date(ms).toISOString();

function sameNumber(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= RELATIVE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
}

/** Rows of a GROUP BY time() answer: [time, value]. */
function groupedRows(results: InfluxStatementResult[]): Buckets {
  const result = results[0];
  if (!result) throw new Error('InfluxDB returned no result');
  if (result.error) throw new Error(`InfluxDB: ${result.error}`);
  return (result.series?.[0]?.values ?? []).map(([time, value]) => ({
    tsMs: Number(time),
    value: value === null ? null : Number(value),
  }));
}

interface TimeRanges {
  week: { fromMs: number; toMs: number };
  chart: { fromMs: number; toMs: number };
  /** Month starts in Europe/Berlin: months[0] … months[n]; n calendar months between them. */
  monthStartsMs: number[];
}

/** The queries' ranges, relative to the end of the data ("now" when the load began). */
function timeRanges(nowMs: number, dataStartMs: number, wantedMonths: number): TimeRanges {
  const local = DateTime.fromMillis(nowMs, { zone: TIMEZONE });
  const today = local.startOf('day');
  // UTC hours are Europe/Berlin's hours too (its offsets are whole hours).
  const chartTo = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  const thisMonth = local.startOf('month');
  // The first month needs a reading before it (its increase starts from there).
  let months = wantedMonths;
  while (months > 0 && thisMonth.minus({ months }).toMillis() <= dataStartMs) months--;
  return {
    week: { fromMs: today.minus({ days: WEEK_DAYS }).toMillis(), toMs: today.toMillis() },
    chart: { fromMs: chartTo - CHART_DAYS * DAY_MS, toMs: chartTo },
    monthStartsMs: Array.from({ length: months + 1 }, (_unused, i) =>
      thisMonth.minus({ months: months - i }).toMillis(),
    ),
  };
}

function queryCases(ranges: TimeRanges, chartPoints: number, chartInterval: () => string): QueryCase[] {
  const device = (d: BenchDevice): string => `/v1/devices/${d.id}`;
  const params = (values: Record<string, string | number>): string =>
    new URLSearchParams(Object.entries(values).map(([k, v]): [string, string] => [k, String(v)])).toString();
  const { week, chart, monthStartsMs } = ranges;
  const firstMonthMs = monthStartsMs[0]!;
  const endMonthMs = monthStartsMs[monthStartsMs.length - 1]!;
  return [
    {
      name: 'weeklyMeanByDay',
      kind: 'temperature',
      hestiaPath: (d) =>
        `${device(d)}/aggregate?${params({ label: d.label, from: isoOf(week.fromMs), to: isoOf(week.toMs), agg: 'mean', interval: '1d', timezone: TIMEZONE })}`,
      influxQuery: (d) =>
        `SELECT mean(value) FROM Temperature WHERE device='${d.id}' AND time >= '${isoOf(week.fromMs)}' AND time < '${isoOf(week.toMs)}' GROUP BY time(1d) tz('${TIMEZONE}')`,
      hestiaBuckets: (answer) => answer.points.map((p) => ({ tsMs: p.tsMs, value: p.value ?? null })),
      influxBuckets: groupedRows,
    },
    {
      name: 'chart45Days',
      kind: 'temperature',
      hestiaPath: (d) =>
        `${device(d)}/chart?${params({ label: d.label, from: isoOf(chart.fromMs), to: isoOf(chart.toMs), points: chartPoints, timezone: TIMEZONE })}`,
      influxQuery: (d) =>
        `SELECT mean(value) FROM Temperature WHERE device='${d.id}' AND time >= '${isoOf(chart.fromMs)}' AND time < '${isoOf(chart.toMs)}' GROUP BY time(${chartInterval()}) tz('${TIMEZONE}')`,
      hestiaBuckets: (answer) => answer.points.map((p) => ({ tsMs: p.tsMs, value: p.mean ?? null })),
      influxBuckets: groupedRows,
    },
    {
      name: 'monthlyEnergy',
      kind: 'energy',
      hestiaPath: (d) =>
        `${device(d)}/aggregate?${params({ label: d.label, from: isoOf(firstMonthMs), to: isoOf(endMonthMs), agg: 'increase', interval: '1mo', timezone: TIMEZONE })}`,
      // InfluxDB 1.x cannot group by calendar month: the meter's last reading before each month
      // start, in one request, and the differences.
      influxQuery: (d) =>
        monthStartsMs
          .map((ms) => `SELECT last(value) FROM Energy WHERE device='${d.id}' AND time < '${isoOf(ms)}'`)
          .join('; '),
      hestiaBuckets: (answer) => answer.points.map((p) => ({ tsMs: p.tsMs, value: p.value ?? null })),
      influxBuckets: (results) => {
        const lasts = monthStartsMs.map((_ms, i) => {
          const result = results[i];
          if (!result || result.error)
            throw new Error(`InfluxDB statement ${i}: ${result?.error ?? 'missing'}`);
          const value = result.series?.[0]?.values[0]?.[1];
          return value === undefined || value === null ? null : Number(value);
        });
        // Month i used what the meter rose from its last reading before month i to its last
        // reading before month i + 1 (the data has no gaps and no resets).
        return monthStartsMs.slice(0, -1).map((tsMs, i) => {
          const before = lasts[i] ?? null;
          const after = lasts[i + 1] ?? null;
          return { tsMs, value: before === null || after === null ? null : after - before };
        });
      },
    },
  ];
}

/** Buckets matched by their start; one that only one engine reports is a mismatch too. */
function compare(query: string, deviceId: string, hestia: Buckets, influx: Buckets): Mismatch[] {
  const influxByStart = new Map(influx.map((b) => [b.tsMs, b.value]));
  const hestiaByStart = new Map(hestia.map((b) => [b.tsMs, b.value]));
  const starts = [...new Set([...hestiaByStart.keys(), ...influxByStart.keys()])].sort((a, b) => a - b);
  const mismatches: Mismatch[] = [];
  for (const tsMs of starts) {
    const h = hestiaByStart.has(tsMs) ? hestiaByStart.get(tsMs)! : undefined;
    const x = influxByStart.has(tsMs) ? influxByStart.get(tsMs)! : undefined;
    if (h !== undefined && x !== undefined && sameNumber(h, x)) continue;
    const scale = Math.max(Math.abs(h ?? 0), Math.abs(x ?? 0));
    mismatches.push({
      query,
      deviceId,
      bucket: isoOf(tsMs),
      hestia: h === undefined ? 'no bucket' : h,
      influx: x === undefined ? 'no bucket' : x,
      relativeDifference:
        typeof h === 'number' && typeof x === 'number' && scale > 0 ? Math.abs(h - x) / scale : null,
    });
  }
  return mismatches;
}

async function hestiaGet(
  apiUrl: string,
  route: string,
  token: string,
): Promise<{ text: string; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${apiUrl}${route}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`Hestia GET ${route} answered ${response.status}: ${text.slice(0, 500)}`);
  return { text, ms };
}

interface QueryFigures {
  hestia: { p50Ms: number | null; p99Ms: number | null; maxMs: number | null; sources: unknown[] };
  influx: { p50Ms: number | null; p99Ms: number | null; maxMs: number | null };
  ratioP50: number | null;
  ratioP99: number | null;
  bucketsPerAnswer: number;
  comparedValues: number;
  mismatches: number;
  interval?: string;
  example: { hestia: string; influx: string };
}

/**
 * Each query `warmup + runs` times on a random device of its kind, Hestia and InfluxDB in turn
 * (the order alternates), one request at a time; every answer is compared, the last `runs`
 * are timed from the request to the last byte of the answer.
 */
async function runQueries(
  apiUrl: string,
  token: string,
  influx: BenchInflux,
  devices: readonly BenchDevice[],
  ranges: TimeRanges,
  options: Options,
): Promise<{
  figures: Record<string, QueryFigures>;
  mismatches: Mismatch[];
  windowsUs: Record<string, { fromUs: number; toUs: number }>;
}> {
  let chartInterval = '1h';
  const cases = queryCases(ranges, options.chartPoints, () => chartInterval);
  const random = seededRandom(20261124);
  const byKind = {
    temperature: devices.filter((d) => d.kind === 'temperature'),
    energy: devices.filter((d) => d.kind === 'energy'),
  };
  // The chart's interval is Hestia's choice: ask once, and ask InfluxDB for the same buckets.
  const probe = JSON.parse(
    (await hestiaGet(apiUrl, cases[1]!.hestiaPath(byKind.temperature[0]!), token)).text,
  ) as HestiaAnswer;
  chartInterval = probe.interval ?? '1h';
  if (chartInterval !== '1h') {
    progress(
      `note: Hestia chose interval ${chartInterval} for ${CHART_DAYS} days at points=${options.chartPoints} (expected 1h)`,
    );
  }

  const figures: Record<string, QueryFigures> = {};
  const allMismatches: Mismatch[] = [];
  const windowsUs: Record<string, { fromUs: number; toUs: number }> = {};
  for (const queryCase of cases) {
    if (queryCase.name === 'monthlyEnergy' && ranges.monthStartsMs.length < 2) {
      progress(`  ${queryCase.name}: skipped, the data holds no whole month with a reading before it`);
      continue;
    }
    const hestiaMs: number[] = [];
    const influxMs: number[] = [];
    const sources = new Map<string, number>();
    let compared = 0;
    let mismatches = 0;
    let buckets = 0;
    const fromUs = monotonicUs();
    for (let run = 0; run < options.warmupRuns + options.runs; run++) {
      const pool = byKind[queryCase.kind];
      const device = pool[Math.floor(random() * pool.length)]!;
      const askHestia = (): Promise<{ text: string; ms: number }> =>
        hestiaGet(apiUrl, queryCase.hestiaPath(device), token);
      const askInflux = (): Promise<{ text: string; ms: number }> =>
        influx.query(INFLUX_DB, queryCase.influxQuery(device));
      let hestiaReply: { text: string; ms: number };
      let influxReply: { text: string; ms: number };
      if (run % 2 === 0) {
        hestiaReply = await askHestia();
        influxReply = await askInflux();
      } else {
        influxReply = await askInflux();
        hestiaReply = await askHestia();
      }
      if (run >= options.warmupRuns) {
        hestiaMs.push(hestiaReply.ms);
        influxMs.push(influxReply.ms);
      }
      const answer = JSON.parse(hestiaReply.text) as HestiaAnswer;
      const key = JSON.stringify(answer.sources);
      sources.set(key, (sources.get(key) ?? 0) + 1);
      const hestiaBuckets = queryCase.hestiaBuckets(answer);
      const influxBuckets = queryCase.influxBuckets(
        (JSON.parse(influxReply.text) as { results: InfluxStatementResult[] }).results,
      );
      buckets = hestiaBuckets.length;
      const found = compare(queryCase.name, device.id, hestiaBuckets, influxBuckets);
      compared += new Set([...hestiaBuckets, ...influxBuckets].map((b) => b.tsMs)).size;
      mismatches += found.length;
      for (const mismatch of found) {
        if (allMismatches.length < MISMATCH_EXAMPLES) allMismatches.push(mismatch);
      }
    }
    windowsUs[queryCase.name] = { fromUs, toUs: monotonicUs() };
    const summary = (ms: number[]) => ({
      p50Ms: roundOrNull(percentileOf(ms, 0.5)),
      p99Ms: roundOrNull(percentileOf(ms, 0.99)),
      maxMs: roundOrNull(percentileOf(ms, 1)),
    });
    const hestia = summary(hestiaMs);
    const influxFigures = summary(influxMs);
    const exampleDevice = byKind[queryCase.kind][0]!;
    figures[queryCase.name] = {
      hestia: {
        ...hestia,
        sources: [...sources].map(([key, responses]) => ({ ...(JSON.parse(key) as Sources), responses })),
      },
      influx: influxFigures,
      ratioP50: ratio(hestia.p50Ms, influxFigures.p50Ms),
      ratioP99: ratio(hestia.p99Ms, influxFigures.p99Ms),
      bucketsPerAnswer: buckets,
      comparedValues: compared,
      mismatches,
      ...(queryCase.name === 'chart45Days' ? { interval: chartInterval } : {}),
      example: {
        hestia: `GET ${queryCase.hestiaPath(exampleDevice)}`,
        influx: queryCase.influxQuery(exampleDevice),
      },
    };
    progress(
      `  ${queryCase.name}: Hestia p50 ${hestia.p50Ms} ms, p99 ${hestia.p99Ms} ms; InfluxDB p50 ${influxFigures.p50Ms} ms, ` +
        `p99 ${influxFigures.p99Ms} ms; ${compared} values compared, ${mismatches} mismatches`,
    );
  }
  return { figures, mismatches: allMismatches, windowsUs };
}

/**
 * The machine's busy share (all cores) between two readings of /proc/stat: the machine is
 * shared, and a phase that ran beside other work is told apart by it.
 */
function busyPct(
  before: ReturnType<typeof machineCpuTicks>,
  after: ReturnType<typeof machineCpuTicks>,
): number | null {
  if (!before || !after || after.total <= before.total) return null;
  return Math.round(((after.busy - before.busy) * 100) / (after.total - before.total));
}

function roundOrNull(value: number | null): number | null {
  return value === null ? null : round(value);
}

function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : round(a / b, 3);
}

// ---------------------------------------------------------------------------------------------

function parseOptions(): Options {
  const whole = (what: string, min: number) => (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${what}: expected a whole number ≥ ${min}`);
    return n;
  };
  return new Command()
    .name('bench:query')
    .description(
      "Hestia's history and statistics next to InfluxDB 1.6 with the same data: load rate, bytes on disk per " +
        'reading, latency of the weekly mean by day, a 45-day chart and monthly energy over a year (answers ' +
        'checked against each other), and the ingest rate while a large retention pass deletes.',
    )
    .option(
      '--devices <n>',
      'devices, half temperature sensors, half energy meters',
      whole('devices', 2),
      200,
    )
    .option(
      '--devices-per-gateway <n>',
      'devices of one gateway (two gateways per home)',
      whole('devices-per-gateway', 1),
      10,
    )
    .option(
      '--days <n>',
      'days of history, one reading a minute per device, ending now (400: the energy query has 12 whole months)',
      whole('days', CHART_DAYS + 1),
      400,
    )
    .option(
      '--months <n>',
      'calendar months of the energy query (fewer if the data does not reach back)',
      whole('months', 1),
      12,
    )
    .option('--runs <n>', 'timed repetitions of each query on each engine', whole('runs', 1), 50)
    .option(
      '--warmup-runs <n>',
      'untimed repetitions before (answers still compared)',
      whole('warmup-runs', 0),
      5,
    )
    .option(
      '--chart-points <n>',
      "the chart's points parameter (Hestia picks the interval with the nearest bucket count: 1h for 45 days)",
      whole('chart-points', 10),
      1000,
    )
    .option('--influx-batch <n>', 'points per InfluxDB write', whole('influx-batch', 1), 10_000)
    .option('--influx-writers <n>', 'InfluxDB writes in flight', whole('influx-writers', 1), 2)
    .option(
      '--influx-settle-cap <s>',
      'longest wait for InfluxDB to compact after the load',
      whole('influx-settle-cap', 0),
      600,
    )
    .option('--no-retention', 'skip the ingest-during-retention phase (raw trimmed to 45 days while loading)')
    .option(
      '--retention-backlog-days <n>',
      'days of raw history left past the 45-day horizon for the retention phase to delete',
      whole('retention-backlog-days', 1),
      30,
    )
    .option(
      '--ingest-gateways <n>',
      'MQTT gateways publishing during the retention phase',
      whole('ingest-gateways', 1),
      100,
    )
    .option('--ingest-rate <msg/s>', 'their total fixed rate', whole('ingest-rate', 1), 10_000)
    .option('--ingest-inflight <n>', 'QoS 1 messages in flight per gateway', whole('ingest-inflight', 1), 16)
    .option(
      '--ingest-baseline <s>',
      'seconds of load measured before the retention pass',
      whole('ingest-baseline', 1),
      20,
    )
    .option('--retention-cap <s>', 'longest measurement while the pass runs', whole('retention-cap', 1), 120)
    .option(
      '--retention-wait <s>',
      'longest further wait for the pass to end',
      whole('retention-wait', 0),
      900,
    )
    .option(
      '--profile [dir]',
      'run Hestia under `node --cpu-prof` and summarise each query (default dir: test-output/bench-profile)',
    )
    .option('--keep', 'keep the work directory (Hestia data, InfluxDB data)')
    .addHelpText(
      'after',
      '\nPrints progress on stderr and one JSON document on stdout; exits with 1 if an answer differs.\n' +
        'Example: npm run bench:query -- --devices 20 --days 60 --runs 10\n',
    )
    .parse()
    .opts<Options>();
}

function diskFigures(disk: SqliteDisk, loadedReadings: number): Record<string, unknown> {
  return {
    ...disk,
    bytesPerLoadedReading: round(disk.inUseBytes / loadedReadings, 2),
    fileBytesPerLoadedReading: round(disk.fileBytes / loadedReadings, 2),
    // The readings table alone (raw history), and the two rollup tables, per row they hold.
    bytesPerRawRow: round((disk.bytesByTable.readings ?? 0) / disk.rawReadings, 2),
    bytesPerRollupRow: round(
      ((disk.bytesByTable.rollups_hourly ?? 0) + (disk.bytesByTable.rollups_daily ?? 0)) /
        (disk.hourlyRollups + disk.dailyRollups),
      2,
    ),
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (options.devices % 2 !== 0)
    throw new InvalidArgumentError('--devices: an even number (half of each kind)');
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'hestia-bench-query-'));
  if (!options.keep) removeAtExit(workDir);
  const dataDir = path.join(workDir, 'hestia');
  const profileDir = prepareProfileDir(options.profile, REPO_ROOT);
  const devices = benchDevices(options.devices, options.devicesPerGateway);
  const nowMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  const hours = options.days * 24;
  const dataStartMs = nowMs - options.days * DAY_MS;
  const backlogDays = options.retention ? options.retentionBacklogDays : 0;
  const loadRawWindowDays = RAW_RETENTION_DAYS + backlogDays;
  const ranges = timeRanges(nowMs, dataStartMs, options.months);
  const months = ranges.monthStartsMs.length - 1;
  const result: Record<string, unknown> = {
    ...resultHead('query'),
  };
  const started = performance.now();
  try {
    // ---- 1. Hestia, loaded in-process ----
    progress(`Hestia: setting up tenant, homes and gateways in ${dataDir}`);
    let store = await openBenchStore(dataDir);
    const directory = await createDirectory(
      store,
      devices,
      loadRawWindowDays,
      options.retention ? options.ingestGateways : 0,
    );
    const readings = devices.length * hours * 60;
    result.config = {
      devices: devices.length,
      temperatureSensors: devices.filter((d) => d.kind === 'temperature').length,
      energyMeters: devices.filter((d) => d.kind === 'energy').length,
      gateways: directory.gatewayIds.length,
      homes: directory.homes,
      timezone: TIMEZONE,
      days: options.days,
      readingIntervalS: 60,
      readings,
      dataFrom: isoOf(dataStartMs),
      dataTo: isoOf(nowMs),
      hestiaRawWindowDaysWhileLoading: loadRawWindowDays,
      hestiaRawWindowDaysAtQueryTime: RAW_RETENTION_DAYS,
      influxRetention: 'autogen (infinite): every raw reading is kept',
      queryRuns: options.runs,
      queryWarmupRuns: options.warmupRuns,
      energyMonths: months,
      week: { from: isoOf(ranges.week.fromMs), to: isoOf(ranges.week.toMs) },
      chart: { from: isoOf(ranges.chart.fromMs), to: isoOf(ranges.chart.toMs), points: options.chartPoints },
      energy: { from: isoOf(ranges.monthStartsMs[0]!), to: isoOf(ranges.monthStartsMs[months]!) },
      influxBatchPoints: options.influxBatch,
      influxWriters: options.influxWriters,
    };
    if (months < options.months) {
      progress(`note: the data reaches back to ${months} whole months only (--days 400 gives 12)`);
    }
    progress(
      `Hestia: loading ${readings.toLocaleString('en')} readings (${devices.length} devices × ${options.days} days), ` +
        `raw trimmed daily to ${loadRawWindowDays} days`,
    );
    const machineBusyPct: Record<string, number | null> = {};
    let ticks = machineCpuTicks();
    const hestiaLoad = await loadHestia(store, directory, devices, dataStartMs, hours, loadRawWindowDays);
    machineBusyPct.hestiaLoad = busyPct(ticks, machineCpuTicks());
    await store.close();
    const hestiaAfterLoad = measureSqlite(dataDir);

    // ---- 2. InfluxDB, loaded over HTTP ----
    progress('InfluxDB: starting a private influxd');
    const influx = await BenchInflux.start(path.join(workDir, 'influxdb'));
    await influx.command(`CREATE DATABASE ${INFLUX_DB}`);
    progress(`InfluxDB ${influx.version}: loading the same readings`);
    ticks = machineCpuTicks();
    const influxLoad = await loadInflux(
      influx,
      devices,
      dataStartMs,
      hours,
      options.influxBatch,
      options.influxWriters,
    );
    progress(
      `InfluxDB: ${Math.round(influxLoad.readings / influxLoad.seconds).toLocaleString('en')} readings/s; waiting for compaction`,
    );
    machineBusyPct.influxLoad = busyPct(ticks, machineCpuTicks());
    const influxDisk = await settleInflux(influx, options.influxSettleCap);
    progress(
      `InfluxDB: ${influxDisk.dataBytes + influxDisk.walBytes} bytes after ${influxDisk.settleSeconds} s`,
    );

    const hestiaSeconds = hestiaLoad.insertSeconds + hestiaLoad.trimSeconds;
    const hestiaRate = Math.round(hestiaLoad.readings / hestiaSeconds);
    const influxRate = Math.round(influxLoad.readings / influxLoad.seconds);
    result.load = {
      hestia: {
        ...hestiaLoad,
        seconds: round(hestiaSeconds, 1),
        readingsPerSec: hestiaRate,
        readingsPerSecInsertOnly: Math.round(hestiaLoad.readings / hestiaLoad.insertSeconds),
        batch: `${devices.length * 60} readings (an hour of every device) per applyIngest transaction`,
      },
      influx: {
        ...influxLoad,
        readingsPerSec: influxRate,
        version: influx.version,
        settleSeconds: influxDisk.settleSeconds,
        settled: influxDisk.settled,
      },
      ratioHestiaToInflux: round(hestiaRate / influxRate, 3),
    };

    // ---- 3. Hestia as a process: ingest during retention, then the queries ----
    progress('Hestia: starting the server on the loaded data');
    const hestia = await startHestia(dataDir, profileDir, {
      // Passes only when the tariff changes (the retention phase); none during the queries.
      HESTIA_RETENTION_INITIAL_DELAY_SECONDS: '86400',
      HESTIA_RETENTION_INTERVAL_SECONDS: '86400',
    });
    const apiUrl = `http://127.0.0.1:${hestia.ports.http}`;
    if (options.retention) {
      result.ingestDuringRetention = await ingestDuringRetention(
        hestia,
        directory.tenantAdmin,
        directory.tariffId,
        directory.loadGateways,
        {
          rate: options.ingestRate,
          inflight: options.ingestInflight,
          warmupSeconds: 3,
          baselineSeconds: options.ingestBaseline,
          capSeconds: options.retentionCap,
          waitSeconds: options.retentionWait,
          newRawRetentionDays: RAW_RETENTION_DAYS,
        },
      );
    }

    progress(`queries: ${options.warmupRuns} + ${options.runs} runs of each, random devices, one at a time`);
    const owner = directory.owner;
    const token = await login(apiUrl, owner.email, owner.password, owner.tenantSlug);
    ticks = machineCpuTicks();
    const queries = await runQueries(apiUrl, token, influx, devices, ranges, options);
    machineBusyPct.queries = busyPct(ticks, machineCpuTicks());
    result.machineBusyPctOfAllCores = machineBusyPct;
    result.queries = queries.figures;

    progress('stopping Hestia and InfluxDB');
    hestia.child.kill('SIGTERM');
    const exitCode = await waitForExit(hestia.child, 60_000);
    await influx.stop();
    if (profileDir) {
      const file = mainThreadProfile(readdirSync(profileDir));
      result.profile = file
        ? Object.fromEntries(
            Object.entries(queries.windowsUs).map(([name, window]) => [
              name,
              summarizeCpuProfile(path.join(profileDir, file), REPO_ROOT, window, 12),
            ]),
          )
        : { error: `no .cpuprofile in ${profileDir} (did Hestia exit cleanly?)` };
    }

    // ---- 4. Bytes on disk: Hestia's bench data only (the MQTT load's gateways are removed) ----
    if (directory.loadGateways.length > 0) {
      store = await openBenchStore(dataDir);
      for (const gateway of directory.loadGateways)
        await store.telemetry.deleteGatewayData(gateway.gatewayId);
      await store.close();
    }
    const hestiaDisk = measureSqlite(dataDir);
    const influxBytes = influxDisk.dataBytes + influxDisk.walBytes;
    const hestiaBytesPerReading = hestiaDisk.inUseBytes / readings;
    const influxBytesPerReading = influxBytes / readings;
    result.disk = {
      hestia: {
        ...diskFigures(hestiaDisk, readings),
        afterLoad: {
          rawWindowDays: loadRawWindowDays,
          ...diskFigures(hestiaAfterLoad, readings),
        },
        exitCode,
      },
      influx: {
        dataBytes: influxDisk.dataBytes,
        walBytes: influxDisk.walBytes,
        bytes: influxBytes,
        apparentBytes: influxDisk.apparentBytes,
        measuredAs: 'allocated blocks (du) of the data and wal directories after compaction',
        bytesPerReading: round(influxBytesPerReading, 2),
        keeps: 'every raw reading',
      },
      ratioHestiaToInfluxPerLoadedReading: round(hestiaBytesPerReading / influxBytesPerReading, 3),
    };
    const mismatchCount = Object.values(queries.figures).reduce((sum, q) => sum + q.mismatches, 0);
    result.check = {
      relativeTolerance: RELATIVE_TOLERANCE,
      comparedValues: Object.values(queries.figures).reduce((sum, q) => sum + q.comparedValues, 0),
      mismatches: mismatchCount,
      examples: queries.mismatches,
    };
    result.totalSeconds = round((performance.now() - started) / 1000, 0);
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    if (mismatchCount > 0) {
      progress(`MISMATCH: ${mismatchCount} values differ between Hestia and InfluxDB; examples:`);
      for (const m of queries.mismatches) progress(`  ${JSON.stringify(m)}`);
      process.exitCode = 1;
    }
  } finally {
    killChildren();
    if (options.keep) progress(`kept ${workDir}`);
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    progress(`failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
