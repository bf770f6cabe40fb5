import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DASHBOARD_DIR } from '../../src/api/routes/web.ts';
import { onChangeDevices, simulatedDevices } from '../../src/simulator/model.ts';
import { Simulator } from '../../src/simulator/simulator.ts';
import {
  ADMIN_PASSWORD,
  OWNER_EMAIL,
  TENANT_SLUG,
  eventually,
  startTestApp,
  type TestApp,
} from '../helpers/app.ts';
import { CommandGateway, type SimulatedDevice } from '../helpers/command-gateway.ts';
import { EVENT_TIMEOUT_MS, waitUntilReady } from '../helpers/wait.ts';

/**
 * The browser tests' world: a real Hestia (test app: embedded broker, SQLite) whose HTTP server
 * serves the built dashboard, the real simulator's gateway registered to the owner's home
 * (thermostat, plug, leak sensor, the seed's sensors and cameras, answering commands), a second
 * gateway whose living-room thermometer the tests drive reading by reading (with 44 days of
 * hourly history behind it), and Debian's Chromium driven through playwright-core.
 */

export const PROJECT_DIR = path.resolve(import.meta.dirname, '../..');
export const SCREENSHOT_DIR = path.join(PROJECT_DIR, 'test-output', 'screenshots');
export const CHROMIUM_PATH = process.env.HESTIA_TEST_CHROMIUM ?? '/usr/bin/chromium';
/** A deadline for one step in the browser (never an expectation: steps take milliseconds to a second). */
export const UI_TIMEOUT_MS = EVENT_TIMEOUT_MS;
export const HOME_NAME = 'Seaside flat';
export const OWNER = { tenant: TENANT_SLUG, email: OWNER_EMAIL, password: ADMIN_PASSWORD };
/** Simulated time runs this much faster, so the periodic sensors report within the run. */
const SIMULATOR_SPEED = 60;
/** Hourly history this far back (the default tariff keeps raw readings 45 days). */
export const HISTORY_DAYS = 44;
const HOUR_MS = 60 * 60 * 1000;
/** Readings per MQTT payload: well under ingest.maxPayloadBytes (64 KiB). */
const READINGS_PER_PAYLOAD = 150;

/** A thermometer on the second gateway, reporting only when the test publishes. */
export const livingRoomThermometer = (deviceId: string, celsius: number): SimulatedDevice => ({
  deviceId,
  deviceType: 'sensor',
  label: 'Temperature',
  sensorType: 'SENSOR MULTILEVEL',
  units: 'C',
  value: celsius,
});

/**
 * The build the browser tests serve: dist/web, or HESTIA_TEST_DASHBOARD_DIR (a build of one's
 * own, untouched by another checkout's or run's rebuild).
 */
export const TEST_DASHBOARD_DIR = process.env.HESTIA_TEST_DASHBOARD_DIR
  ? path.resolve(process.env.HESTIA_TEST_DASHBOARD_DIR)
  : DASHBOARD_DIR;

/**
 * Set by scripts/test.js, which builds the dashboard once before the test files run side by side:
 * a file must then not rebuild it (emptying the directory another file's Hestia is serving).
 */
const DASHBOARD_BUILT_ENV = 'HESTIA_TEST_DASHBOARD_BUILT';

/**
 * Builds the dashboard when it is missing or older than a file under web/ (scripts/build-web.js
 * decides), when a test file runs on its own; the build output is shown only when it fails.
 */
export function ensureDashboardBuilt(): void {
  if (process.env[DASHBOARD_BUILT_ENV] === '1' && existsSync(path.join(TEST_DASHBOARD_DIR, 'index.html')))
    return;
  const build = spawnSync(
    process.execPath,
    [path.join(PROJECT_DIR, 'scripts/build-web.js'), '--if-stale', '--out-dir', TEST_DASHBOARD_DIR],
    { cwd: PROJECT_DIR, encoding: 'utf8' },
  );
  if (build.status !== 0)
    throw new Error(`building the dashboard failed (${build.status}):\n${build.stdout}\n${build.stderr}`);
  if (!existsSync(path.join(TEST_DASHBOARD_DIR, 'index.html')))
    throw new Error(`no dashboard build in ${TEST_DASHBOARD_DIR}: ${build.stdout.trim()}`);
}

/** What went wrong in a page that no assertion looked at: uncaught errors and CSP violations. */
export interface PageProblems {
  problems: string[];
}

export interface DashboardWorld {
  app: TestApp;
  baseUrl: string;
  browser: Browser;
  simulator: Simulator;
  /** The simulated gateway's devices. */
  thermostatId: string;
  plugId: string;
  leakId: string;
  energyMeterId: string;
  /** The thermometer the tests publish readings for (second gateway). */
  thermometerId: string;
  thermometer: CommandGateway;
  /** Publishes a reading of the living-room thermometer, stamped now; resolves on PUBACK. */
  publishTemperature(celsius: number): Promise<void>;
  /** A fresh browser context (own localStorage) and page, in English, at a wall panel's size. */
  newPage(options?: { locale?: string; width?: number; height?: number }): Promise<Page & PageProblems>;
  stop(): Promise<void>;
}

/** Starts everything; `stop()` undoes it. */
export async function startDashboardWorld(): Promise<DashboardWorld> {
  ensureDashboardBuilt();
  const app = await startTestApp({
    http: { port: 0, host: '127.0.0.1', dashboardDir: TEST_DASHBOARD_DIR },
    // The first retention pass would otherwise run during the suite; history here is within the
    // tariff's horizon anyway.
    retention: { initialDelaySeconds: 3600 },
  });
  const contexts: BrowserContext[] = [];
  let simulator: Simulator | undefined;
  let thermometer: CommandGateway | undefined;
  let browser: Browser | undefined;
  const stop = async () => {
    await Promise.all(contexts.map((context) => context.close().catch(() => undefined)));
    await browser?.close();
    await simulator?.stop();
    await thermometer?.close();
    await app.stop();
  };
  try {
    const owner = async (method: string, url: string, body?: unknown) => {
      const reply = await app.request(method, url, body, app.ownerToken);
      assert.ok(reply.status < 300, `${method} ${url}: ${reply.status} ${JSON.stringify(reply.body)}`);
      return reply.body;
    };
    await owner('PATCH', `/v1/homes/${app.homeId}`, { name: HOME_NAME });
    const livingRoom = await owner('POST', `/v1/homes/${app.homeId}/rooms`, { name: 'Living room' });
    const kitchen = await owner('POST', `/v1/homes/${app.homeId}/rooms`, { name: 'Kitchen' });

    // The simulator's gateway: its on-change devices and the seed's sensors and cameras.
    const simulated = await app.createGateway();
    simulator = Simulator.start({
      url: app.mqttUrl,
      gateways: [{ gatewayId: simulated.id, token: simulated.token }],
      speed: SIMULATOR_SPEED,
      seed: 1,
      commandDelayMs: 20,
      meterFile: null,
    });
    const running = simulator;
    await eventually(
      'the simulated gateway to be registered',
      async () => (running.stats().registered === 1 ? true : undefined),
      UI_TIMEOUT_MS,
    );
    const [thermostat, plug, leak] = onChangeDevices(simulated.id);
    assert.ok(thermostat?.kind === 'thermostat' && plug?.kind === 'plug' && leak?.kind === 'leak');
    const energyMeter = simulatedDevices(simulated.id).find((device) => device.kind === 'energy');
    assert.ok(energyMeter, 'the simulated gateway has an energy meter');

    // The thermometer: history first (past timestamps), then its current value.
    const second = await app.createGateway();
    const thermometerId = randomUUID();
    thermometer = await CommandGateway.connect(app.mqttUrl, second, [
      livingRoomThermometer(thermometerId, 21.5),
    ]);
    await publishHistory(thermometer, thermometerId);
    const gateway = thermometer;
    const publishTemperature = (celsius: number) =>
      gateway.publish({
        messageType: 'sensorData',
        deviceId: thermometerId,
        deviceType: 'sensor',
        protocol: 'zwave',
        sensorType: 'SENSOR MULTILEVEL',
        label: 'Temperature',
        units: 'C',
        sensorData: String(celsius),
      });
    await publishTemperature(21.5);

    // Every device has reported before the first page loads (a device listed by the gateway's
    // configuration has no channels until its first reading); names and rooms make the panel readable.
    const expected: Array<[string, string]> = [
      [thermostat.deviceId, 'Thermostat'],
      [leak.deviceId, 'Water Leak'],
      [energyMeter.deviceId, 'Energy'],
      [thermometerId, 'Temperature'],
    ];
    await eventually(
      'the first readings of the devices the tests use',
      async () => {
        const items = (await owner('GET', `/v1/homes/${app.homeId}/devices`)).items as Array<{
          id: string;
          channels: Array<{ label: string; value: unknown }>;
        }>;
        const reported = (deviceId: string, label: string) =>
          items
            .find((item) => item.id === deviceId)
            ?.channels.some((c) => c.label === label && c.value !== null);
        return expected.every(([deviceId, label]) => reported(deviceId, label)) ? true : undefined;
      },
      UI_TIMEOUT_MS,
    );
    await owner('PATCH', `/v1/devices/${thermometerId}`, {
      name: 'Living room thermometer',
      roomId: livingRoom.id,
    });
    await owner('PATCH', `/v1/devices/${thermostat.deviceId}`, { roomId: livingRoom.id });
    await owner('PATCH', `/v1/devices/${leak.deviceId}`, { roomId: kitchen.id });

    browser = await launchChromium();
    const launched = browser;
    const baseUrl = `http://127.0.0.1:${app.hestia.ports.http}`;

    return {
      app,
      baseUrl,
      browser: launched,
      simulator: running,
      thermostatId: thermostat.deviceId,
      plugId: plug.deviceId,
      leakId: leak.deviceId,
      energyMeterId: energyMeter.deviceId,
      thermometerId,
      thermometer: gateway,
      publishTemperature,
      async newPage({ locale = 'en-US', width = 1024, height = 600 } = {}) {
        const context = await launched.newContext({ baseURL: baseUrl, locale, viewport: { width, height } });
        contexts.push(context);
        context.setDefaultTimeout(UI_TIMEOUT_MS);
        const page = (await context.newPage()) as Page & PageProblems;
        page.problems = [];
        page.on('pageerror', (error) => page.problems.push(`uncaught: ${error.message}`));
        page.on('console', (message) => {
          // Chromium reports CSP violations on the console; the served policy must fit the app.
          if (message.type() === 'error' && /Content Security Policy/i.test(message.text()))
            page.problems.push(`CSP: ${message.text()}`);
        });
        return page;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Debian's Chromium, waited for up to READY_TIMEOUT_MS: a launch that fails on a busy machine
 * (a slow start, a crash of the new process) is tried again; a missing binary fails at once.
 */
async function launchChromium(): Promise<Browser> {
  return waitUntilReady(
    'Chromium',
    CHROMIUM_PATH,
    (remainingMs) =>
      chromium.launch({
        executablePath: CHROMIUM_PATH,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
        timeout: remainingMs,
      }),
    { retryable: () => existsSync(CHROMIUM_PATH) },
  );
}

/** 44 days of hourly readings up to an hour ago, a daily swing around 20 °C, oldest first. */
async function publishHistory(gateway: CommandGateway, deviceId: string): Promise<void> {
  const lastMs = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS;
  const readings: Array<Record<string, unknown>> = [];
  for (let at = lastMs - HISTORY_DAYS * 24 * HOUR_MS; at <= lastMs; at += HOUR_MS) {
    const hourOfDay = new Date(at).getUTCHours();
    const celsius = 20 + 2.5 * Math.sin(((hourOfDay - 9) / 24) * 2 * Math.PI);
    readings.push({
      messageType: 'sensorData',
      timestampMs: String(at),
      deviceId,
      deviceType: 'sensor',
      protocol: 'zwave',
      sensorType: 'SENSOR MULTILEVEL',
      label: 'Temperature',
      units: 'C',
      sensorData: celsius.toFixed(2),
    });
  }
  for (let i = 0; i < readings.length; i += READINGS_PER_PAYLOAD)
    await gateway.publish(readings.slice(i, i + READINGS_PER_PAYLOAD));
}

/** Number of hourly readings publishHistory sends. */
export const HISTORY_READINGS = HISTORY_DAYS * 24 + 1;

export interface Credentials {
  tenant: string;
  email: string;
  password: string;
}

/** Opens the login page, fills in the form and submits it. */
export async function submitLogin(page: Page, who: Credentials): Promise<void> {
  await page.goto('/login');
  const form = page.getByTestId('login-form');
  await form.getByLabel('Provider').fill(who.tenant);
  await form.getByLabel('Email').fill(who.email);
  await form.getByLabel('Password').fill(who.password);
  await form.getByRole('button', { name: 'Log in' }).click();
}

/** Logs in through the login page and waits until the app has left it. */
export async function logIn(page: Page, who: Credentials = OWNER): Promise<void> {
  await submitLogin(page, who);
  await page.waitForURL((url) => url.pathname !== '/login');
}

/** Saves a screenshot of the page to test-output/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) });
}

/**
 * What a page must be for a person at any screen size: no horizontal scrolling of the page
 * (wide tables scroll inside their own wrapper), and every visible control named (a label, an
 * aria-label or its text), so screen readers and `getByLabel` find it. Fails listing offenders.
 */
export async function assertUsable(page: Page, what: string): Promise<void> {
  const report = await page.evaluate<{ overflow: number; unnamed: string[] }>(USABILITY_PROBE);
  assert.ok(report.overflow <= 1, `${what}: the page scrolls sideways by ${report.overflow} px`);
  assert.deepEqual(report.unnamed, [], `${what}: controls without a name`);
}

/** Runs in the page (plain JavaScript: the tests are type-checked without the DOM's types). */
const USABILITY_PROBE = `(() => {
  const root = document.documentElement;
  const overflow = root.scrollWidth - root.clientWidth;
  const unnamed = [];
  for (const element of document.querySelectorAll('input, select, textarea, button, a[href]')) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || element.closest('[hidden], [aria-hidden="true"]')) continue;
    if (element.type === 'hidden') continue;
    const isField = element.matches('input, select, textarea');
    const named =
      (element.labels && element.labels.length > 0) ||
      (element.getAttribute('aria-label') || '').trim() ||
      element.getAttribute('aria-labelledby') ||
      (element.getAttribute('title') || '').trim() ||
      (!isField && (element.textContent || '').trim()) ||
      (element.matches('input[type=submit], input[type=button]') && element.value.trim()) ||
      element.querySelector('img[alt]:not([alt=""])');
    if (!named) unnamed.push(element.outerHTML.slice(0, 120));
  }
  return { overflow, unnamed };
})()`;

/**
 * A new person of the test provider who joins the owner's home with `role`, and a browser page
 * logged in as them (in `pages`, for the caller to close with the others).
 */
export async function joinedPerson(
  world: DashboardWorld,
  email: string,
  role: 'member' | 'guest',
): Promise<{ page: Page & PageProblems; token: string; userId: string }> {
  const person = await world.app.signUp(email);
  await world.app.hestia.ctx.store.directory.homes.addMember({
    homeId: world.app.homeId,
    userId: person.userId,
    tenantId: world.app.tenantId,
    role,
    atMs: Date.now(),
  });
  const page = await world.newPage();
  await logIn(page, { tenant: TENANT_SLUG, email, password: ADMIN_PASSWORD });
  return { page, token: person.token, userId: person.userId };
}
