import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import mqtt, { type MqttClient } from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import { readCredentialsFile, readInitialAdmin } from '../src/simulator/files.ts';
import { gatewayConfigMessage, sensorDataMessage } from '../src/simulator/messages.ts';
import { gatewayDevices, type GatewayDevice } from '../src/simulator/model.ts';
import { login, prepareSimulation } from '../src/simulator/provision.ts';
import { gatewayTopics } from '../src/simulator/session.ts';
import { collectHestiaEnv, environmentOf, positiveNumber, resultHead, wholeNumber } from './options.ts';
import { round, summary, type Summary } from './histogram.ts';
import { measureUnderLoad } from './load-workers.ts';
import { REPO_ROOT, killChildren, progress, removeAtExit, startHestia, waitForExit } from './processes.ts';

/**
 * `npm run bench:dashboard`: what a person at the dashboard waits for, idle and under the ingest
 * benchmark's load.
 *   - publish → screen: a probe gateway publishes a new temperature (QoS 1); the time until the
 *     home panel's value element carries it (`data-value`), seen by a MutationObserver in the page.
 *     Both ends read an epoch clock with sub-millisecond resolution (`performance.timeOrigin +
 *     performance.now()`, in Node and in Chromium, on the same machine); the offset between the two
 *     is checked by round trips and reported.
 *   - the 45-day chart: the device page is opened K times (a full navigation each); the chart's own
 *     `data-render-ms` (request → drawn) and navigation start → `data-ready`.
 * The reference, same run and phase, is the probe's publish → PUBACK (the reading is durable).
 * Progress on stderr, one JSON document on stdout; everything on 127.0.0.1.
 */

const CHROMIUM_PATH = process.env.HESTIA_BENCH_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const SAMPLE_TIMEOUT_MS = 10_000;
const UI_TIMEOUT_MS = 30_000;
const HOUR_MS = 3_600_000;
/** Hourly history this far back (the default tariff keeps raw readings 45 days: stay inside). */
const HISTORY_HOURS = 45 * 24 - 2;
/** Readings per MQTT payload: well under ingest.maxPayloadBytes (64 KiB) and maxMessagesPerPayload. */
const READINGS_PER_PAYLOAD = 150;

interface Options {
  gateways: number;
  rate: number;
  workers: number;
  inflight: number;
  samples: number;
  probeHz: number;
  opens: number;
  warmup: number;
  idle: boolean;
  load: boolean;
  keep: boolean;
  hestiaEnv: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Epoch milliseconds with sub-millisecond resolution; Chromium's pages read the same expression. */
const epochNow = (): number => performance.timeOrigin + performance.now();

/** The probe gateway: a thermometer whose readings the benchmark chooses. */
class Probe {
  private lastTsMs = 0;

  private constructor(
    private readonly client: MqttClient,
    private readonly gatewayId: string,
    readonly thermometer: GatewayDevice,
  ) {}

  static async connect(mqttUrl: string, gateway: { gatewayId: string; token: string }): Promise<Probe> {
    const client = await mqtt.connectAsync(mqttUrl, {
      clientId: gateway.gatewayId,
      username: gateway.gatewayId,
      password: gateway.token,
      reconnectPeriod: 0,
    });
    const all = gatewayDevices(gateway.gatewayId);
    const thermometer = all.find((d) => d.kind === 'temperature');
    if (!thermometer) throw new Error('the simulated gateway has no temperature device');
    const probe = new Probe(client, gateway.gatewayId, thermometer);
    await probe.publish(gatewayConfigMessage(gateway.gatewayId, all, probe.nextTs()));
    return probe;
  }

  private nextTs(): number {
    this.lastTsMs = Math.max(Date.now(), this.lastTsMs + 1);
    return this.lastTsMs;
  }

  private async publish(message: unknown): Promise<void> {
    await this.client.publishAsync(gatewayTopics(this.gatewayId).up, JSON.stringify(message), { qos: 1 });
  }

  /** Publishes a current reading; resolves at its PUBACK (durable). */
  reading(value: string): Promise<void> {
    return this.publish(sensorDataMessage(this.gatewayId, this.thermometer, value, this.nextTs()));
  }

  /** Hourly readings for HISTORY_HOURS up to an hour ago, a daily swing around 20 °C; returns the count. */
  async history(): Promise<number> {
    const lastMs = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS;
    const readings = [];
    for (let at = lastMs - HISTORY_HOURS * HOUR_MS; at <= lastMs; at += HOUR_MS) {
      const celsius = 20 + 2.5 * Math.sin(((new Date(at).getUTCHours() - 9) / 24) * 2 * Math.PI);
      readings.push(sensorDataMessage(this.gatewayId, this.thermometer, celsius.toFixed(2), at));
    }
    for (let i = 0; i < readings.length; i += READINGS_PER_PAYLOAD)
      await this.publish(readings.slice(i, i + READINGS_PER_PAYLOAD));
    return readings.length;
  }

  close(): Promise<void> {
    return this.client.endAsync();
  }
}

/**
 * In the page (JavaScript source: this program has no DOM types): records when the value element
 * first carries each data-value (MutationObserver, epoch ms), and the animation frame after it (the
 * frame that paints it); `__benchWait(key, timeoutMs)` resolves with both, or null.
 */
const WATCH_VALUE = (selector: string): string => `(() => {
  const selector = ${JSON.stringify(selector)};
  const seen = {}, frame = {}, waiters = {};
  let last = null;
  const check = () => {
    const at = performance.timeOrigin + performance.now();
    const value = document.querySelector(selector)?.getAttribute('data-value') ?? null;
    if (value === null || value === last) return;
    last = value;
    const key = String(Number(value));
    if (seen[key] !== undefined) return;
    seen[key] = at;
    requestAnimationFrame(() => {
      frame[key] = performance.timeOrigin + performance.now();
      waiters[key]?.();
    });
  };
  new MutationObserver(check).observe(document.body, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['data-value'],
  });
  check();
  window.__benchWait = (key, timeoutMs) => new Promise((resolve) => {
    const done = () => resolve([seen[key], frame[key]]);
    if (frame[key] !== undefined) return done();
    const timer = setTimeout(() => resolve(null), timeoutMs);
    waiters[key] = () => { clearTimeout(timer); done(); };
  });
})()`;

/** In the page, on every navigation: performance.now() when the 45-day chart is first ready. */
const WATCH_CHART = `new MutationObserver(() => {
  if (window.__benchChartReadyAt === undefined &&
      document.querySelector('[data-testid="chart-45d"][data-ready="true"]'))
    window.__benchChartReadyAt = performance.now();
}).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-ready'] });`;

/** Node's epoch clock against the page's: offset (page − Node) at the smallest round trip of 20. */
async function clockOffset(page: Page): Promise<{ offsetMs: number; roundTripMs: number }> {
  let best = { offsetMs: 0, roundTripMs: Infinity };
  for (let i = 0; i < 20; i++) {
    const t0 = epochNow();
    const inPage = await page.evaluate(() => performance.timeOrigin + performance.now());
    const t1 = epochNow();
    if (t1 - t0 < best.roundTripMs) best = { offsetMs: inPage - (t0 + t1) / 2, roundTripMs: t1 - t0 };
  }
  return { offsetMs: round(best.offsetMs, 3), roundTripMs: round(best.roundTripMs, 3) };
}

interface PhaseResult {
  samples: number;
  /** Publish → the value element carries the value (DOM), page clock. */
  publishToScreenMs: Summary;
  /** Publish → the animation frame after the change (the frame that paints it). */
  publishToFrameMs: Summary;
  /** Reference: the same readings' publish → PUBACK. */
  probePubackMs: Summary;
  screenP50OverPubackP50: number | null;
  screenP99OverPubackP99: number | null;
  chart: {
    opens: number;
    points: number | null;
    /** The chart's data-render-ms: request → drawn (page's performance.now()). */
    renderMs: Summary;
    /** Navigation start → data-ready="true" (the whole page: document, scripts, session, data, draw). */
    navigationToReadyMs: Summary;
  };
  clock: { offsetMs: number; roundTripMs: number };
  failures: string[];
  load?: { targetMsgPerSec: number; ackedMsgPerSec: number };
}

let sampleValue = 0;
/** A temperature never shown before in this run: 10.00, 10.01, … (two decimals, as a string). */
function nextValue(): string {
  sampleValue++;
  return (10 + sampleValue / 100).toFixed(2);
}

async function measurePhase(
  page: Page,
  baseUrl: string,
  homeId: string,
  probe: Probe,
  options: Options,
): Promise<PhaseResult> {
  const deviceId = probe.thermometer.deviceId;
  const selector = `[data-testid="value-${deviceId}-${probe.thermometer.label}"]`;

  await page.goto(`${baseUrl}/homes/${homeId}`);
  await page.locator('[data-testid="live"][data-state="connected"]').waitFor({ timeout: UI_TIMEOUT_MS });
  await page.locator(selector).waitFor({ timeout: UI_TIMEOUT_MS });
  await page.evaluate(WATCH_VALUE(selector));
  const clock = await clockOffset(page);

  const screen: number[] = [];
  const frame: number[] = [];
  const puback: number[] = [];
  const failures: string[] = [];
  const periodMs = 1000 / options.probeHz;
  for (let i = 0; i < options.samples; i++) {
    const startedAt = performance.now();
    const value = nextValue();
    const key = String(Number(value));
    try {
      const t0 = epochNow();
      await probe.reading(value);
      puback.push(epochNow() - t0);
      const seen = await page.evaluate<[number, number] | null>(
        `window.__benchWait(${JSON.stringify(key)}, ${SAMPLE_TIMEOUT_MS})`,
      );
      if (!seen) throw new Error(`value ${value} not on screen within ${SAMPLE_TIMEOUT_MS} ms`);
      screen.push(seen[0] - t0);
      frame.push(seen[1] - t0);
    } catch (error) {
      failures.push((error as Error).message);
      if (failures.length > 10) throw new Error(`too many failed samples: ${failures.join('; ')}`);
    }
    if ((i + 1) % 25 === 0) progress(`  ${i + 1}/${options.samples} readings`);
    await sleep(Math.max(0, periodMs - (performance.now() - startedAt)));
  }

  const render: number[] = [];
  const ready: number[] = [];
  let points: number | null = null;
  for (let i = 0; i < options.opens; i++) {
    await page.goto(`${baseUrl}/devices/${deviceId}`);
    const chart = page.locator('[data-testid="chart-45d"][data-ready="true"]');
    await chart.waitFor({ timeout: UI_TIMEOUT_MS });
    render.push(Number(await chart.getAttribute('data-render-ms')));
    points = Number(await chart.getAttribute('data-points'));
    ready.push(Number(await page.evaluate('window.__benchChartReadyAt ?? NaN')));
  }
  progress(`  ${options.opens} chart opens`);

  const pubackSummary = summary(puback);
  const screenSummary = summary(screen);
  const ratio = (a: number | null, b: number | null) =>
    a === null || b === null || b === 0 ? null : round(a / b);
  return {
    samples: screen.length,
    publishToScreenMs: screenSummary,
    publishToFrameMs: summary(frame),
    probePubackMs: pubackSummary,
    screenP50OverPubackP50: ratio(screenSummary.p50, pubackSummary.p50),
    screenP99OverPubackP99: ratio(screenSummary.p99, pubackSummary.p99),
    chart: {
      opens: render.length,
      points,
      renderMs: summary(render),
      navigationToReadyMs: summary(ready.filter((v) => Number.isFinite(v))),
    },
    clock,
    failures,
  };
}

function parseOptions(): Options {
  const program = new Command()
    .name('bench:dashboard')
    .description(
      "The dashboard's latency in Chromium: a reading's publish → its value on the home panel, and the 45-day " +
        "chart's render time, idle and under the ingest benchmark's fixed-rate load, next to the probe's own PUBACK.",
    )
    .option(
      '--gateways <n>',
      'load gateways (MQTT clients, another home), 8 devices each',
      wholeNumber('gateways'),
      100,
    )
    .option('--rate <msg/s>', 'ingest load during the loaded phase', positiveNumber('rate'), 10_000)
    .option('--workers <n>', 'load-generator processes', wholeNumber('workers'), 1)
    .option('--inflight <n>', 'QoS 1 messages in flight per load client', wholeNumber('inflight'), 16)
    .option('--samples <n>', 'readings published → screen per phase', wholeNumber('samples'), 100)
    .option('--probe-hz <n>', 'readings per second', positiveNumber('probe-hz'), 5)
    .option('--opens <n>', 'openings of the device page (45-day chart) per phase', wholeNumber('opens'), 10)
    .option(
      '--warmup <s>',
      'seconds of load before the loaded phase is measured',
      positiveNumber('warmup'),
      5,
    )
    .option('--no-idle', 'skip the idle phase')
    .option('--no-load', 'skip the loaded phase')
    .option('--keep', "keep Hestia's data directory")
    .option(
      '--hestia-env <KEY=VALUE>',
      'configuration of the Hestia under test (repeatable)',
      collectHestiaEnv,
      [] as string[],
    )
    .addHelpText(
      'after',
      '\nPrints progress on stderr and one JSON document on stdout.\nExample: npm run bench:dashboard -- --samples 50 --no-load',
    );
  program.parse(process.argv);
  return program.opts<Options>();
}

/**
 * Builds dist/web when it is stale. When the build fails (web/ half-way through an edit) and an
 * earlier build exists, that one is measured and the JSON says so.
 */
function buildDashboard(): string {
  const build = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts/build-web.js'), '--if-stale'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (build.status === 0) return 'current (scripts/build-web.js --if-stale)';
  const firstError = `${build.stdout}\n${build.stderr}`.split('\n').find((line) => /error|fail/i.test(line));
  // eslint-disable-next-line no-control-regex
  const reason = (firstError ?? `exit ${build.status}`).replace(/\x1b\[[0-9;]*m/g, '').trim();
  if (!existsSync(path.join(REPO_ROOT, 'dist/web/index.html')))
    throw new Error(`building the dashboard failed (${build.status}):\n${build.stdout}\n${build.stderr}`);
  progress(`building the dashboard failed (${reason}): measuring the existing dist/web`);
  return `earlier build in dist/web (rebuilding failed: ${reason})`;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'hestia-bench-dashboard-'));
  if (!options.keep) removeAtExit(workDir);
  const dataDir = path.join(workDir, 'data');
  const result: Record<string, unknown> = {
    ...resultHead('dashboard'),
  };
  let browser: Browser | null = null;
  try {
    progress('building the dashboard if stale (scripts/build-web.js --if-stale)');
    result.dashboardBuild = buildDashboard();
    const hestiaEnv = environmentOf(options.hestiaEnv);
    progress(`starting Hestia (data in ${dataDir})`);
    const hestia = await startHestia(dataDir, null, hestiaEnv);
    const apiUrl = `http://127.0.0.1:${hestia.ports.http}`;
    const mqttUrl = `mqtt://127.0.0.1:${hestia.ports.mqtt}`;
    const admin = readInitialAdmin(dataDir);
    if (!admin) throw new Error('Hestia wrote no initial-admin.json');
    const adminToken = await login(apiUrl, admin.email, admin.password);

    // The watched home has only the probe gateway; the load gateways belong to another
    // provider's home, so the load is the server's, not a firehose into this home's live feed.
    progress('provisioning the probe gateway, registered to the simulated home');
    const probeFile = path.join(dataDir, 'bench-probe.json');
    const probePrepared = await prepareSimulation({
      apiUrl,
      file: probeFile,
      count: 1,
      register: true,
      adminToken: async () => adminToken,
    });
    const state = readCredentialsFile(probeFile);
    if (!state.owner || !state.tenant || !state.homeId)
      throw new Error('the simulation has no owner, tenant or home');
    let loadGateways: Array<{ gatewayId: string; token: string }> = [];
    if (options.load) {
      progress(`provisioning ${options.gateways} load gateways, registered to a home of tenant "load"`);
      const loadPrepared = await prepareSimulation({
        apiUrl,
        file: path.join(dataDir, 'bench-load.json'),
        count: options.gateways,
        tenantSlug: 'load',
        register: true,
        adminToken: async () => adminToken,
        concurrency: 8,
      });
      if (loadPrepared.registration && loadPrepared.registration.failed.length > 0)
        throw new Error(
          `load gateways not registered: ${JSON.stringify(loadPrepared.registration.failed[0])}`,
        );
      loadGateways = loadPrepared.gateways.map((g) => ({ gatewayId: g.gatewayId, token: g.token }));
    }

    progress('connecting the probe gateway and publishing 45 days of hourly history');
    const probe = await Probe.connect(mqttUrl, probePrepared.gateways[0]!);
    const historyReadings = await probe.history();
    await probe.reading(nextValue());

    progress('logging in as the home owner in Chromium');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1024, height: 600 } });
    await context.addInitScript({ content: WATCH_CHART });
    const page = await context.newPage();
    await page.goto(`${apiUrl}/login`);
    const form = page.getByTestId('login-form');
    await form.getByLabel('Provider').fill(state.tenant.slug);
    await form.getByLabel('Email').fill(state.owner.email);
    await form.getByLabel('Password').fill(state.owner.password);
    await form.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL((url) => url.pathname !== '/login', { timeout: UI_TIMEOUT_MS });

    result.config = {
      loadGateways: options.load ? options.gateways : 0,
      loadRateMsgPerSec: options.load ? options.rate : 0,
      loadWorkers: options.workers,
      samplesPerPhase: options.samples,
      probeHz: options.probeHz,
      chartOpensPerPhase: options.opens,
      historyReadings,
      browser: `${CHROMIUM_PATH} ${browser.version()} (${CHROMIUM_ARGS.join(' ')}), 1024×600`,
      hestia: 'embedded broker (Aedes), SQLite in WAL mode with synchronous=FULL',
      hestiaEnvironment: hestiaEnv,
    };

    const phases: Record<string, PhaseResult> = {};
    const say = (name: string, phase: PhaseResult) =>
      progress(
        `${name}: publish→screen p50 ${phase.publishToScreenMs.p50} / p99 ${phase.publishToScreenMs.p99} ms ` +
          `(PUBACK p99 ${phase.probePubackMs.p99}), chart render p50 ${phase.chart.renderMs.p50} ms, ${phase.chart.points} points`,
      );
    if (options.idle) {
      progress(`idle phase: ${options.samples} readings, ${options.opens} chart opens`);
      phases.idle = await measurePhase(page, apiUrl, state.homeId, probe, options);
      say('idle', phases.idle);
    }
    if (options.load) {
      progress(
        `loaded phase: ${options.rate} msg/s from ${options.gateways} gateways, ${options.warmup} s warm-up`,
      );
      const homeId = state.homeId;
      const { result: loaded, load } = await measureUnderLoad(
        {
          mqttUrl,
          gateways: loadGateways,
          workers: options.workers,
          inflightPerClient: options.inflight,
          ratePerSec: options.rate,
          warmupS: options.warmup,
        },
        () => measurePhase(page, apiUrl, homeId, probe, options),
      );
      loaded.load = load;
      phases.loaded = loaded;
      say('loaded', loaded);
    }
    result.phases = phases;

    await browser.close();
    browser = null;
    await probe.close();
    progress('stopping Hestia');
    hestia.child.kill('SIGTERM');
    await waitForExit(hestia.child, 30_000);
  } finally {
    if (browser) await browser.close().catch(() => undefined);
    killChildren();
  }
  result.finishedAt = new Date().toISOString();
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main().catch((error: unknown) => {
  progress(`bench:dashboard failed: ${(error as Error).stack ?? String(error)}`);
  killChildren();
  process.exit(1);
});
