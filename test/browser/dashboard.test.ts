import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { Locator, Page, Request } from 'playwright-core';
import { DASHBOARD_CSP } from '../../src/api/routes/web.ts';
import { ADMIN_PASSWORD, TENANT_SLUG, eventually } from '../helpers/app.ts';
import { SUITE_TIMEOUT_MS } from '../helpers/wait.ts';
import {
  HISTORY_DAYS,
  HOME_NAME,
  UI_TIMEOUT_MS,
  OWNER,
  assertUsable,
  logIn,
  screenshot,
  submitLogin,
  startDashboardWorld,
  type DashboardWorld,
  type PageProblems,
} from './harness.ts';

/**
 * The web dashboard in Debian's Chromium against the real app and the simulator, through the
 * test hooks of the dashboard's contract (data-testid, labels, roles). The owner's steps share
 * one page, logged in once, in order, as a person uses the app; a person of another home has a
 * browser of their own. Every wait is Playwright's, for an element in the state the step
 * expects, bounded by a generous deadline: nothing here times anything.
 */

/** First-load budget of the issue: gzipped JavaScript the browser fetches before the app runs. */
const FIRST_LOAD_BUDGET_BYTES = 300 * 1024;

/** Picks a value in a control that is a select or a group of radio buttons (both fit the contract). */
async function choose(control: Locator, value: { value?: string; label?: string }): Promise<void> {
  const tag = await control.evaluate((element) => element.tagName);
  if (tag === 'SELECT') {
    await control.selectOption(value.value !== undefined ? { value: value.value } : { label: value.label! });
    return;
  }
  const select = control.locator('select');
  if ((await select.count()) === 1) {
    await select.selectOption(value.value !== undefined ? { value: value.value } : { label: value.label! });
    return;
  }
  if (value.value !== undefined) await control.locator(`input[value="${value.value}"]`).check();
  else await control.getByText(value.label!, { exact: true }).click();
}

function logOutControl(page: Page): Locator {
  return page
    .getByRole('button', { name: 'Log out', exact: true })
    .or(page.getByRole('link', { name: 'Log out', exact: true }));
}

describe('the web dashboard in Chromium', { timeout: SUITE_TIMEOUT_MS }, () => {
  let world: DashboardWorld;
  /** The owner's browser page, logged in by the first step. */
  let page: Page & PageProblems;

  const homeUrl = () => `/homes/${world.app.homeId}`;
  const ownerApi = async (method: string, url: string, body?: unknown) => {
    const reply = await world.app.request(method, url, body, world.app.ownerToken);
    assert.ok(reply.status < 300, `${method} ${url}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  };
  const waitForLive = () => page.locator('[data-testid="live"][data-state="connected"]').waitFor();

  before(async () => {
    world = await startDashboardWorld();
  });

  after(async () => {
    assert.deepEqual(page?.problems ?? [], [], 'no uncaught errors or CSP violations in the page');
    await world?.stop();
  });

  it('is served by Hestia: the app with its security headers, assets cached for good, API misses in JSON, first load under 300 KB of gzipped JavaScript', async () => {
    const get = (path: string, accept = 'text/html') =>
      fetch(`${world.baseUrl}${path}`, { headers: { accept }, redirect: 'manual' });
    const index = await get('/');
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assert.equal(index.headers.get('content-security-policy'), DASHBOARD_CSP);
    assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(index.headers.get('referrer-policy'), 'no-referrer');
    const html = await index.text();

    // The app's own paths are the same page (the app routes them); API paths are not.
    for (const path of ['/login', homeUrl(), `/devices/${world.thermostatId}`]) {
      const page = await get(path);
      assert.equal(page.status, 200, path);
      assert.equal(await page.text(), html, path);
    }
    const miss = await get('/v1/no-such-route');
    assert.equal(miss.status, 404);
    assert.equal(((await miss.json()) as { error: { code: string } }).error.code, 'HESTIA_NOT_FOUND');
    assert.equal((await get('/healthz', 'application/json')).status, 200);
    assert.equal((await get('/openapi.json', 'application/json')).status, 200);
    assert.ok((await get('/docs')).status < 400, '/docs still answers');
    assert.equal((await get('/assets/no-such-file.js')).status, 404);

    // What the page loads before the app runs: its module scripts and their preloads.
    const scripts = [
      ...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+)"/g),
    ]
      .map((match) => match[1]!)
      .filter((src) => src.startsWith('/'));
    assert.ok(scripts.length > 0, 'index.html loads a script');
    let gzippedBytes = 0;
    for (const src of scripts) {
      const asset = await get(src, '*/*');
      assert.equal(asset.status, 200, src);
      assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable', src);
      gzippedBytes += gzipSync(Buffer.from(await asset.arrayBuffer()), { level: 9 }).length;
    }
    assert.ok(
      gzippedBytes < FIRST_LOAD_BUDGET_BYTES,
      `first load: ${gzippedBytes} bytes of gzipped JavaScript (budget ${FIRST_LOAD_BUDGET_BYTES})`,
    );
  });

  it('logs in: a wrong password is refused with an alert, the right one opens the app', async () => {
    page = await world.newPage();
    await page.goto('/login');
    await screenshot(page, 'login');
    await submitLogin(page, { ...OWNER, password: 'not the password' });
    await page.getByRole('alert').waitFor();
    assert.equal(new URL(page.url()).pathname, '/login');

    await logIn(page);
    await page.goto(homeUrl());
    await page.getByRole('heading', { name: HOME_NAME }).waitFor();
    // The session outlives a reload.
    await page.reload();
    await page.getByRole('heading', { name: HOME_NAME }).waitFor();
    assert.notEqual(new URL(page.url()).pathname, '/login');
  });

  it("shows the home's devices, and a value changes live after a reading is published over MQTT", async () => {
    await page.goto(homeUrl());
    for (const deviceId of [world.thermometerId, world.thermostatId, world.leakId, world.plugId])
      await page.getByTestId(`device-${deviceId}`).waitFor();
    const thermometerCard = page.getByTestId(`device-${world.thermometerId}`);
    assert.equal(await thermometerCard.getAttribute('data-availability'), 'online');
    assert.ok(
      ['online', 'stale', 'unavailable'].includes(
        (await page.getByTestId(`device-${world.leakId}`).getAttribute('data-availability'))!,
      ),
    );
    const value = `[data-testid="value-${world.thermometerId}-Temperature"]`;
    await page.locator(`${value}[data-value="21.5"]`).waitFor();
    await page.locator(`[data-testid="value-${world.thermostatId}-Thermostat"]`).waitFor();
    assert.ok(
      (await thermometerCard.locator(`a[href="/devices/${world.thermometerId}"]`).count()) > 0,
      'the card links to the device page',
    );
    await waitForLive();
    await screenshot(page, 'home');

    // From here on the value can only arrive over the live feed: the page does not reload.
    const reloads: string[] = [];
    const noteReload = (request: Request) => {
      if (request.url().includes(`/v1/homes/${world.app.homeId}/devices`)) reloads.push(request.url());
    };
    page.on('request', noteReload);
    await world.publishTemperature(23.25);
    await page.locator(`${value}[data-value="23.25"]`).waitFor();
    page.off('request', noteReload);
    assert.match((await page.locator(value).textContent()) ?? '', /23[.,]\d/);
    assert.deepEqual(reloads, [], 'the new value came over the WebSocket, not a REST reload');
  });

  it('sends a thermostat set-point from the device page and shows the command succeed', async () => {
    await page.goto(`/devices/${world.thermostatId}`);
    await page.getByLabel('Set-point (°C)').fill('22.5');
    await page.getByRole('button', { name: 'Set', exact: true }).click();
    await page.locator('[data-testid="command-status"][data-status="succeeded"]').waitFor();
    await screenshot(page, 'device-thermostat');
    // The simulated gateway executed it and reported the new set-point.
    await eventually(
      'the thermostat to read 22.5',
      async () => {
        const device = await ownerApi('GET', `/v1/devices/${world.thermostatId}`);
        const channel = (device.channels as Array<{ label: string; value: number }>).find(
          (c) => c.label === 'Thermostat',
        );
        return channel?.value === 22.5 ? true : undefined;
      },
      UI_TIMEOUT_MS,
    );
  });

  it("renders the thermometer's 45-day chart and the week's daily means, and a meter's energy bars", async () => {
    await page.goto(`/devices/${world.thermometerId}`);
    const chart = page.locator('[data-testid="chart-45d"][data-ready="true"]');
    await chart.waitFor();
    const points = Number(await chart.getAttribute('data-points'));
    assert.ok(points >= HISTORY_DAYS, `the chart shows ${points} points of ${HISTORY_DAYS} days of history`);
    await chart.locator('canvas').first().waitFor();
    await page.getByTestId('chart-week').waitFor();
    assert.equal(await page.getByTestId('energy-month').count(), 0, 'no energy bars for a thermometer');
    await screenshot(page, 'device-chart');

    await page.goto(`/devices/${world.energyMeterId}`);
    await page.getByTestId('energy-month').waitFor();
    await page.getByTestId('energy-year').waitFor();
  });

  it('zooms the 45-day chart by keyboard with the range buttons, and with touch: pinch to zoom, swipe to pan', async () => {
    await page.goto(`/devices/${world.thermometerId}`);
    const chart = page.locator('[data-testid="chart-45d"][data-ready="true"]');
    await chart.waitFor();
    const windowOf = async () => {
      const [min, max] = await Promise.all([
        chart.getAttribute('data-x-min'),
        chart.getAttribute('data-x-max'),
      ]);
      return {
        min: Number(min),
        max: Number(max),
        zoomed: (await chart.getAttribute('data-zoomed')) === 'true',
      };
    };
    const full = await windowOf();
    assert.equal(full.zoomed, false);
    const DAY_S = 86_400;

    const week = page.getByRole('button', { name: '7 days', exact: true });
    await week.focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="chart-45d"][data-zoomed="true"]').waitFor();
    const lastWeek = await windowOf();
    assert.equal(lastWeek.max, full.max, 'the last seven days end with the last bucket');
    assert.equal(lastWeek.max - lastWeek.min, 7 * DAY_S);
    assert.equal(await week.getAttribute('aria-pressed'), 'true');
    await page.getByRole('button', { name: 'All', exact: true }).click();
    await page.locator('[data-testid="chart-45d"][data-zoomed="false"]').waitFor();

    // Touch input through the DevTools protocol, as a phone's screen sends it.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });
    const box = (await chart.locator('.u-over').boundingBox())!;
    const y = box.y + box.height / 2;
    const middle = box.x + box.width / 2;
    const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', xs: number[]) =>
      cdp.send('Input.dispatchTouchEvent', {
        type,
        touchPoints: xs.map((x, id) => ({ x, y, id })),
      });
    const waitForWindow = (accept: (w: Awaited<ReturnType<typeof windowOf>>) => boolean, what: string) =>
      eventually(what, async () => ((w) => (accept(w) ? w : undefined))(await windowOf()), UI_TIMEOUT_MS);

    await touch('touchStart', [middle - 20, middle + 20]);
    for (const spread of [40, 80, 120]) await touch('touchMove', [middle - spread, middle + spread]);
    await touch('touchEnd', []);
    const pinched = await waitForWindow((w) => w.zoomed, 'the pinch to zoom in');
    const fullWidth = full.max - full.min;
    assert.ok(
      pinched.max - pinched.min < fullWidth / 3,
      `spreading two fingers six times apart narrows the window (${(pinched.max - pinched.min) / DAY_S} of ${fullWidth / DAY_S} days)`,
    );
    assert.ok(pinched.min > full.min && pinched.max < full.max, 'around the fingers, inside the data');

    await touch('touchStart', [middle]);
    for (const dx of [30, 60, 100]) await touch('touchMove', [middle + dx]);
    await touch('touchEnd', []);
    const panned = await waitForWindow((w) => w.min < pinched.min, 'the swipe to pan');
    assert.equal(
      panned.max - panned.min,
      pinched.max - pinched.min,
      'a swipe moves the window without zooming',
    );
    await cdp.detach();
  });

  it('shows the alarm a leak raises in the banner, and acknowledges it', async () => {
    await page.goto(homeUrl());
    await waitForLive();
    assert.equal(world.simulator.triggerLeak(0), true, 'the leak reading was sent');
    const alarm = await eventually(
      'the leak alarm',
      async () => {
        const { items } = await ownerApi('GET', `/v1/homes/${world.app.homeId}/alarms?state=active`);
        return (items as Array<{ id: string; deviceId: string }>).find((a) => a.deviceId === world.leakId);
      },
      UI_TIMEOUT_MS,
    );
    const item = page.getByTestId('alarms').getByTestId(`alarm-${alarm.id}`);
    await item.waitFor();
    await page.locator(`[data-testid="value-${world.leakId}-Water Leak"][data-value="1"]`).waitFor();
    await screenshot(page, 'alarm');
    await item.getByRole('button', { name: 'Acknowledge' }).click();
    await page.locator(`[data-testid="alarm-${alarm.id}"][data-acknowledged="true"]`).waitFor();
    const stored = await ownerApi('GET', `/v1/alarms/${alarm.id}`);
    assert.notEqual(stored.acknowledgedAt, null, 'acknowledged in Hestia, not only on screen');
    world.simulator.endLeak(0);
  });

  it('arms and disarms the home', async () => {
    await page.goto(homeUrl());
    const mode = page.getByTestId('mode');
    await mode.waitFor();
    const modeOf = async () =>
      (await ownerApi('GET', `/v1/homes/${world.app.homeId}/security`)).mode as string;
    for (const wanted of ['armed', 'disarmed']) {
      await choose(mode, { value: wanted });
      await eventually(
        `the home to be ${wanted}`,
        async () => ((await modeOf()) === wanted ? true : undefined),
        UI_TIMEOUT_MS,
      );
    }
  });

  it('switches between homes, and between English and Chinese (remembered)', async () => {
    const cabin = await ownerApi('POST', '/v1/homes', { name: 'Cabin', timezone: 'Europe/Berlin' });
    await page.goto(homeUrl());
    await page.getByRole('heading', { name: HOME_NAME }).waitFor();
    const switcher = page.getByTestId('home-switcher');
    await switcher.getByRole('option', { name: 'Cabin' }).waitFor({ state: 'attached' });
    await choose(switcher, { value: cabin.id });
    await page.waitForURL((url) => url.pathname === `/homes/${cabin.id}`);
    await page.getByRole('heading', { name: 'Cabin' }).waitFor();
    await choose(page.getByTestId('home-switcher'), { value: world.app.homeId });
    await page.waitForURL((url) => url.pathname === homeUrl());
    await page.getByRole('heading', { name: HOME_NAME }).waitFor();

    const language = page.getByTestId('language');
    await choose(language, { label: '中文' });
    await page.getByTestId(`device-${world.thermometerId}`).waitFor();
    await logOutControl(page).waitFor({ state: 'detached' });
    await page.reload();
    await page.getByTestId(`device-${world.thermometerId}`).waitFor();
    assert.equal(await logOutControl(page).count(), 0, 'still in Chinese after a reload');
    await screenshot(page, 'home-zh');
    // The choice is the account's too: Hestia writes this person's notifications in it, and
    // another browser signing in shows the dashboard in it.
    const accountLanguage = async () =>
      ((await ownerApi('GET', '/v1/me')).user as { language: string }).language;
    await eventually(
      'the account language zh',
      async () => ((await accountLanguage()) === 'zh' ? true : undefined),
      UI_TIMEOUT_MS,
    );
    const elsewhere = await world.newPage();
    await submitLogin(elsewhere, OWNER);
    await elsewhere.getByRole('button', { name: '退出登录' }).waitFor();
    assert.deepEqual(elsewhere.problems, []);
    await elsewhere.context().close();

    await choose(page.getByTestId('language'), { label: 'English' });
    await logOutControl(page).waitFor();
    await eventually(
      'the account language en',
      async () => ((await accountLanguage()) === 'en' ? true : undefined),
      UI_TIMEOUT_MS,
    );
  });

  it('fits a 1024×600 wall panel and a phone, with every control named and a keyboard path to the content', async () => {
    for (const [width, height, name] of [
      [1024, 600, 'wall panel'],
      [390, 844, 'phone'],
    ] as const) {
      const sized = await world.newPage({ width, height });
      await logIn(sized);
      for (const path of [homeUrl(), `/devices/${world.thermostatId}`, `/devices/${world.thermometerId}`]) {
        await sized.goto(path);
        await sized.locator('[data-testid="live"][data-state="connected"]').waitFor();
        if (path.includes(world.thermometerId))
          await sized.locator('[data-testid="chart-45d"][data-ready="true"]').waitFor();
        else await sized.locator('main h1').first().waitFor();
        await assertUsable(sized, `${path} on a ${name}`);
      }
      await sized.goto(homeUrl());
      await sized.getByTestId(`device-${world.thermometerId}`).waitFor();
      if (name === 'phone') await screenshot(sized, 'home-phone');
      // The first Tab reaches "Skip to content", which moves the focus to the page itself.
      await sized.keyboard.press('Tab');
      const skip = sized.getByRole('link', { name: 'Skip to content' });
      assert.equal(await skip.evaluate((element) => element === element.ownerDocument.activeElement), true);
      await sized.keyboard.press('Enter');
      await sized.waitForFunction(() => {
        const page = globalThis as unknown as { document: { activeElement: { id: string } | null } };
        return page.document.activeElement?.id === 'main';
      });
      assert.deepEqual(sized.problems, [], `no errors or CSP violations on the ${name}`);
      await sized.context().close();
    }
  });

  it("keeps a person of another home out of this home's pages", async () => {
    const stranger = await world.app.signUp('stranger@example.com');
    await world.app.request('POST', '/v1/homes', { name: 'Elsewhere', timezone: 'UTC' }, stranger.token);
    const strangerPage = await world.newPage();
    const victimCalls: Array<{ url: string; status: number }> = [];
    strangerPage.on('response', (response) => {
      const url = response.url();
      if ([world.app.homeId, world.thermostatId].some((id) => url.includes(`/v1/`) && url.includes(id)))
        victimCalls.push({ url, status: response.status() });
    });
    await logIn(strangerPage, {
      tenant: TENANT_SLUG,
      email: 'stranger@example.com',
      password: ADMIN_PASSWORD,
    });

    for (const [path, id] of [
      [homeUrl(), world.app.homeId],
      [`/devices/${world.thermostatId}`, world.thermostatId],
    ] as const) {
      await strangerPage.goto(path);
      // Either the app says it found nothing, or it sends the person elsewhere.
      await strangerPage.waitForFunction((hidden) => {
        // Runs in the page, whose globals this program does not type.
        const page = globalThis as unknown as { location: URL; document: { body: { innerText: string } } };
        return (
          !page.location.pathname.includes(hidden) ||
          /not found|找不到|不存在/i.test(page.document.body.innerText)
        );
      }, id);
      assert.equal(await strangerPage.getByRole('heading', { name: HOME_NAME }).count(), 0, path);
      assert.equal(
        await strangerPage.locator(`[data-testid="device-${world.thermostatId}"]`).count(),
        0,
        path,
      );
      assert.equal(await strangerPage.getByTestId('command-status').count(), 0, path);
      if (path === homeUrl()) await screenshot(strangerPage, 'not-found');
    }
    const leaked = victimCalls.filter((call) => call.status !== 404);
    assert.deepEqual(leaked, [], "every API call about the other home's resources was answered 404");
    assert.equal(
      (await world.app.request('GET', `/v1/homes/${world.app.homeId}/devices`, undefined, stranger.token))
        .status,
      404,
    );
    assert.deepEqual(strangerPage.problems, []);
  });

  it('logs out: the session is gone and the pages ask for a login again', async () => {
    await page.goto(homeUrl());
    await logOutControl(page).click();
    await page.waitForURL((url) => url.pathname === '/login');
    assert.equal(
      await page.evaluate(() =>
        (
          globalThis as unknown as { localStorage: { getItem(key: string): string | null } }
        ).localStorage.getItem('hestia.session'),
      ),
      null,
    );
    await page.goto(homeUrl());
    await page.waitForURL((url) => url.pathname === '/login');
    await page.getByTestId('login-form').waitFor();
  });
});
