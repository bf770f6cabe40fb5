import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import {
  cameraStateMessage,
  gatewayConfigMessage,
  previewMessage,
  sensorDataMessage,
} from '../../src/simulator/messages.ts';
import type { SimulatedCamera } from '../../src/simulator/model.ts';
import { archivePath } from '../../src/core/domain/media.ts';
import {
  CHROMIUM_PATH,
  TEST_DASHBOARD_DIR,
  UI_TIMEOUT_MS,
  ensureDashboardBuilt,
  type PageProblems,
} from '../browser/harness.ts';
import { ADMIN_PASSWORD, eventually, startTestApp, type TestApp } from './app.ts';
import { CommandGateway } from './command-gateway.ts';
import { waitUntilReady } from './wait.ts';

/**
 * The camera browser tests' world: a real Hestia (test app: embedded broker, SQLite, media
 * settings quick enough for a test) serving the built dashboard, a gateway registered to the
 * owner's home that reports two cameras over MQTT in the seed's shapes (the front door one
 * streaming, with a picture and motion now; yesterday's pictures, motion, a doorbell press and
 * three recordings, which a registered media server's agent reported to the archive index),
 * and Debian's Chromium. The media server that plays video is the tests' own (nginx-rtmp).
 */

export const CAMERA_HOME_NAME = 'Seaside flat';
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const PLATFORM_EMAIL = 'platform@example.com';

export function seedCamera(name: string): SimulatedCamera {
  return {
    kind: 'camera',
    deviceType: 'camera',
    protocol: 'onvif',
    slot: 0,
    deviceId: randomUUID(),
    name,
    label: 'Motion',
    sensorType: 'VIDEO MOTION',
    units: '',
  };
}

/** What the front camera saw yesterday (home time), recorded to a registered media server's index. */
export interface CameraYesterday {
  date: string;
  /** Recorded spans (epoch ms), as the media agent reported them. */
  recordings: Array<{ startMs: number; endMs: number }>;
  pictureTimes: number[];
  motionTimes: number[];
  doorbellAt: number;
}

export interface CameraWorld {
  app: TestApp;
  baseUrl: string;
  browser: Browser;
  gateway: CommandGateway;
  /** The gateway's MQTT token, which it also asks for a media server with. */
  gatewayToken: string;
  /** Streams (it says so), has pictures, saw motion now; recorded yesterday. */
  front: SimulatedCamera;
  /** Reported by the gateway, nothing else yet. */
  garden: SimulatedCamera;
  /** Today: the front camera's latest picture and its motion now (epoch ms). */
  latestPictureAt: number;
  motionAt: number;
  yesterday: CameraYesterday;
  /** A platform administrator's token (media servers are theirs). */
  platformToken: string;
  /** Publishes seed messages as the camera gateway; resolves on PUBACK. */
  publish(message: Record<string, unknown>): Promise<void>;
  /** A fresh context and page (panel size, English); `bypassCSP` for what the policy does not allow yet. */
  newPage(options?: {
    locale?: string;
    width?: number;
    height?: number;
    bypassCSP?: boolean;
  }): Promise<Page & PageProblems>;
  stop(): Promise<void>;
}

/** A camera's picture drawn by Chromium (a porch at dusk, the time burnt in, as cameras do), as base64 JPEG. */
async function drawPicture(browser: Browser, label: string, hue: number): Promise<string> {
  const page = await browser.newPage();
  try {
    const dataUrl = await page.evaluate(`(() => {
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 180;
      const g = canvas.getContext('2d');
      const sky = g.createLinearGradient(0, 0, 0, 180);
      sky.addColorStop(0, 'hsl(${hue}, 45%, 55%)');
      sky.addColorStop(1, 'hsl(${hue + 30}, 35%, 80%)');
      g.fillStyle = sky;
      g.fillRect(0, 0, 320, 180);
      g.fillStyle = '#6b5b4b';
      g.fillRect(0, 130, 320, 50);
      g.fillStyle = '#efe7dc';
      g.fillRect(90, 40, 140, 95);
      g.fillStyle = '#7c2d12';
      g.fillRect(140, 70, 40, 65);
      g.fillStyle = '#fde68a';
      g.fillRect(105, 60, 25, 25);
      g.fillRect(190, 60, 25, 25);
      g.fillStyle = 'rgba(0,0,0,0.55)';
      g.fillRect(0, 0, 320, 20);
      g.fillStyle = '#fff';
      g.font = '12px monospace';
      g.fillText(${JSON.stringify(label)}, 6, 14);
      return canvas.toDataURL('image/jpeg', 0.8);
    })()`);
    return String(dataUrl).replace(/^data:image\/jpeg;base64,/, '');
  } finally {
    await page.close();
  }
}

export async function startCameraWorld(): Promise<CameraWorld> {
  ensureDashboardBuilt();
  const app = await startTestApp({
    http: { port: 0, host: '127.0.0.1', dashboardDir: TEST_DASHBOARD_DIR },
    retention: { initialDelaySeconds: 3600 },
    // A media server is polled, and a motion recording ends, within seconds (defaults: 10 s, 30 s).
    media: { pollIntervalSeconds: 1, motionPostRollSeconds: 3, reconcileIntervalSeconds: 1 },
  });
  const contexts: BrowserContext[] = [];
  let browser: Browser | undefined;
  let gateway: CommandGateway | undefined;
  const stop = async () => {
    await Promise.all(contexts.map((context) => context.close().catch(() => undefined)));
    await browser?.close();
    await gateway?.close();
    await app.stop();
  };
  try {
    const owner = async (method: string, url: string, body?: unknown) => {
      const reply = await app.request(method, url, body, app.ownerToken);
      assert.ok(reply.status < 300, `${method} ${url}: ${reply.status} ${JSON.stringify(reply.body)}`);
      return reply.body;
    };
    await owner('PATCH', `/v1/homes/${app.homeId}`, { name: CAMERA_HOME_NAME });
    browser = await waitUntilReady(
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
    const launched = browser;

    // The gateway: provisioned by the provider, registered by the owner, then it reports.
    const registered = await app.createGateway();
    gateway = await CommandGateway.connect(app.mqttUrl, registered);
    const camerasGateway = gateway;
    const publish = (message: Record<string, unknown>) => camerasGateway.publish(message);
    const front = seedCamera('Front door');
    const garden = seedCamera('Garden');
    const nowMs = Date.now();
    const home = (await owner('GET', `/v1/homes/${app.homeId}`)) as { timezone: string };
    const midnight = startOfDay(nowMs, home.timezone);
    const yesterdayStart = startOfDay(midnight - 12 * HOUR_MS, home.timezone);
    /** Yesterday at a time of day (home time; the day's clock change, if any, is ignored). */
    const yesterdayAt = (hours: number, minutes = 0) => yesterdayStart + (hours * 60 + minutes) * MINUTE_MS;
    const picture = async (atMs: number, hue: number) => {
      const label = `FRONT DOOR ${new Date(atMs).toISOString().slice(0, 19).replace('T', ' ')}Z`;
      await publish({
        ...previewMessage(registered.id, front, atMs, await drawPicture(launched, label, hue)),
      });
    };
    const motion = (atMs: number) => publish({ ...sensorDataMessage(registered.id, front, '1', atMs) });

    await publish({ ...gatewayConfigMessage(registered.id, [front, garden], nowMs - 5000) });
    const yesterday: CameraYesterday = {
      date: localDate(yesterdayStart + 12 * HOUR_MS, home.timezone),
      recordings: [
        { startMs: yesterdayAt(7), endMs: yesterdayAt(8) },
        { startMs: yesterdayAt(12, 30), endMs: yesterdayAt(12, 50) },
        { startMs: yesterdayAt(18, 10), endMs: yesterdayAt(21, 40) },
      ],
      pictureTimes: [yesterdayAt(7, 5), yesterdayAt(12, 35), yesterdayAt(19, 20), yesterdayAt(21, 0)],
      motionTimes: [yesterdayAt(7, 2), yesterdayAt(12, 31), yesterdayAt(18, 12), yesterdayAt(20, 5)],
      doorbellAt: yesterdayAt(12, 33),
    };
    for (const [index, atMs] of yesterday.pictureTimes.entries()) await picture(atMs, 190 + index * 30);
    for (const atMs of yesterday.motionTimes) await motion(atMs);
    await publish({
      ...sensorDataMessage(registered.id, front, '1', yesterday.doorbellAt),
      label: 'Doorbell',
      sensorType: 'DOORBELL',
    });
    // Today: the camera streams, sends a picture and sees motion.
    await publish({ ...cameraStateMessage(registered.id, front, 'streamingOn', '127.0.0.1', nowMs - 3000) });
    const latestPictureAt = nowMs - 2000;
    await picture(latestPictureAt, 215);
    const motionAt = nowMs - 1000;
    await motion(motionAt);

    // Yesterday's recordings, reported by a media server's agent as it does for finished files.
    await app.hestia.services.accounts.createUser({
      tenantId: null,
      email: PLATFORM_EMAIL,
      password: ADMIN_PASSWORD,
      name: 'Platform',
      role: 'platform_admin',
    });
    const platformToken = (
      await app.request('POST', '/v1/auth/login', { email: PLATFORM_EMAIL, password: ADMIN_PASSWORD }, null)
    ).body.accessToken as string;
    const server = await app.request(
      'POST',
      '/v1/media-servers',
      {
        name: 'archive-1',
        engine: 'nginx-rtmp',
        // Nothing listens there: yesterday's files are in the index only, not playable.
        controlUrl: 'http://127.0.0.1:9',
        ingestUrl: 'rtmp://127.0.0.1:9/live',
        playbackUrl: 'http://127.0.0.1:9',
        application: 'live',
      },
      platformToken,
    );
    assert.equal(server.status, 201, JSON.stringify(server.body));
    const serverAuth = Buffer.from(`${server.body.server.id}:${server.body.secret}`).toString('base64');
    const frontCamera = await owner('GET', `/v1/cameras/${front.deviceId}`);
    for (const { startMs, endMs } of yesterday.recordings) {
      const reply = await app.hestia.api.inject({
        method: 'POST',
        url: '/v1/media/agent/segments',
        headers: { authorization: `Basic ${serverAuth}` },
        payload: {
          stream: front.deviceId,
          diskId: 'disk1',
          path: archivePath('disk1', frontCamera.number as number, front.deviceId, startMs),
          startMs,
          endMs,
          sizeBytes: 1_000_000,
          init: { offset: 0, length: 1000 },
          fragments: [[endMs - startMs, 1000, 999_000]],
        },
      });
      assert.equal(reply.statusCode, 201, reply.body);
    }

    await eventually(
      'the front camera to stream, with its pictures, motion and doorbell on the timeline',
      async () => {
        const camera = await app.request('GET', `/v1/cameras/${front.deviceId}`, undefined, app.ownerToken);
        const timeline = await app.request(
          'GET',
          `/v1/cameras/${front.deviceId}/timeline?from=${new Date(yesterdayStart).toISOString()}`,
          undefined,
          app.ownerToken,
        );
        const events = (timeline.body?.events ?? []) as Array<{ kind: string }>;
        return camera.body?.streaming === true &&
          camera.body?.lastMotionAt === new Date(motionAt).toISOString() &&
          timeline.body?.previews?.length === yesterday.pictureTimes.length + 1 &&
          events.filter((event) => event.kind === 'motion').length === yesterday.motionTimes.length + 1 &&
          events.some((event) => event.kind === 'doorbell')
          ? true
          : undefined;
      },
      UI_TIMEOUT_MS,
    );

    return {
      app,
      baseUrl: `http://127.0.0.1:${app.hestia.ports.http}`,
      browser: launched,
      gateway: camerasGateway,
      gatewayToken: registered.token,
      front,
      garden,
      latestPictureAt,
      motionAt,
      yesterday,
      platformToken,
      publish,
      async newPage({ locale = 'en-US', width = 1024, height = 600, bypassCSP = false } = {}) {
        const context = await launched.newContext({
          baseURL: `http://127.0.0.1:${app.hestia.ports.http}`,
          locale,
          viewport: { width, height },
          bypassCSP,
        });
        contexts.push(context);
        context.setDefaultTimeout(UI_TIMEOUT_MS);
        const page = (await context.newPage()) as Page & PageProblems;
        page.problems = [];
        page.on('pageerror', (error) => page.problems.push(`uncaught: ${error.message}`));
        page.on('console', (message) => {
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

/** The home's midnight before `ms` (the dashboard's rule, in web/src/model.ts). */
function startOfDay(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const sinceMidnightMs = ((part('hour') * 60 + part('minute')) * 60 + part('second')) * 1000 + (ms % 1000);
  return ms - sinceMidnightMs;
}

/** The calendar date (YYYY-MM-DD) at `ms` in `timeZone`. */
export function localDate(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(ms));
}
