import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { eventually } from '../helpers/app.ts';
import { SUITE_TIMEOUT_MS } from '../helpers/wait.ts';
import {
  HOME_NAME,
  UI_TIMEOUT_MS,
  assertUsable,
  joinedPerson,
  logIn,
  screenshot,
  startDashboardWorld,
  type DashboardWorld,
  type PageProblems,
} from './harness.ts';

/**
 * A device's settings on its page, in Chromium against the real app: the owner renames the
 * living-room thermometer, moves it into a new room and sets how often it should report; the
 * page, a reload, the API and the home panel agree; a bad interval is refused at its field and
 * saves nothing; the interval goes back to the default; a guest sees the facts without any
 * editing control. The owner's steps share one page, in order.
 */

interface DeviceBody {
  name: string | null;
  roomId: string | null;
  reportIntervalSeconds: number;
  ownReportInterval: boolean;
}

describe('the device settings in Chromium', { timeout: SUITE_TIMEOUT_MS }, () => {
  let world: DashboardWorld;
  let page: Page & PageProblems;
  let studyId = '';
  const pages: Array<Page & PageProblems> = [];

  const deviceUrl = () => `/devices/${world.thermometerId}`;
  const ownerApi = async (method: string, url: string, body?: unknown) => {
    const reply = await world.app.request(method, url, body, world.app.ownerToken);
    assert.ok(reply.status < 300, `${method} ${url}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  };
  const thermometer = async () => (await ownerApi('GET', `/v1/devices/${world.thermometerId}`)) as DeviceBody;
  const form = (target: Page) => target.getByTestId('device-settings');
  const nameField = (target: Page) => form(target).getByLabel('Name', { exact: true });
  const roomField = (target: Page) => form(target).getByLabel('Room', { exact: true });
  const intervalField = (target: Page) => form(target).getByLabel('Reporting interval', { exact: true });
  const unitField = (target: Page) =>
    form(target).getByLabel('Unit of the reporting interval', { exact: true });

  before(async () => {
    world = await startDashboardWorld();
    const study = await ownerApi('POST', `/v1/homes/${world.app.homeId}/rooms`, { name: 'Study' });
    studyId = study.id as string;
    page = await world.newPage();
    pages.push(page);
    await logIn(page);
  });

  after(async () => {
    for (const each of pages) assert.deepEqual(each.problems, [], 'no uncaught errors or CSP violations');
    await world?.stop();
  });

  it('shows the facts and the current settings: name, room, the default interval', async () => {
    await page.goto(deviceUrl());
    await page.getByRole('heading', { level: 1, name: 'Living room thermometer' }).waitFor();
    // The link under the title leads down to the settings, on the same page.
    await page.getByTestId('device-settings-link').click();
    await page.getByRole('heading', { level: 2, name: 'Settings', exact: true }).waitFor();
    await eventually(
      'the settings to scroll into view',
      async () =>
        (await page.evaluate<boolean>(
          'document.getElementById("device-settings").getBoundingClientRect().top < innerHeight',
        ))
          ? true
          : undefined,
      UI_TIMEOUT_MS,
    );
    assert.equal(new URL(page.url()).pathname, deviceUrl());
    assert.equal(await nameField(page).inputValue(), 'Living room thermometer');
    await roomField(page).locator(`option[value="${studyId}"]`).waitFor({ state: 'attached' });
    const before = await thermometer();
    assert.equal(await roomField(page).inputValue(), before.roomId);
    assert.equal(before.ownReportInterval, false);
    // The default is no own interval: the field is empty and the facts name the default.
    assert.equal(await intervalField(page).inputValue(), '');
    const facts = page.getByTestId('device-facts');
    assert.equal(await facts.getByTestId('device-fact-protocol').innerText(), 'zwave');
    assert.equal(await facts.getByTestId('device-fact-type').innerText(), 'sensor');
    const gatewayId = (await ownerApi('GET', `/v1/devices/${world.thermometerId}`)).gatewayId as string;
    assert.equal(await facts.getByTestId('device-fact-gateway').innerText(), gatewayId);
    assert.equal(
      await facts.getByTestId('device-fact-interval').getAttribute('data-seconds'),
      String(before.reportIntervalSeconds),
    );
    assert.match(await facts.getByTestId('device-fact-interval').innerText(), /\(default\)/);
    assert.match(await facts.getByTestId('device-fact-channels').innerText(), /Temperature: Temperature, °C/);
  });

  it('the owner renames the thermometer, moves it into the new room and sets its interval', async () => {
    await nameField(page).fill('Study thermometer');
    await roomField(page).selectOption(studyId);
    await intervalField(page).fill('5');
    await unitField(page).selectOption('minutes');
    await intervalField(page).press('Enter');
    await page.getByTestId('device-settings-saved').waitFor();
    await page.getByRole('heading', { level: 1, name: 'Study thermometer' }).waitFor();
    // The tab's title follows once the page has rendered the new name.
    await eventually(
      'the tab title to name the device',
      async () => ((await page.title()) === 'Study thermometer · Hestia' ? true : undefined),
      UI_TIMEOUT_MS,
    );

    const saved = await thermometer();
    assert.equal(saved.name, 'Study thermometer');
    assert.equal(saved.roomId, studyId);
    assert.equal(saved.reportIntervalSeconds, 300);
    assert.equal(saved.ownReportInterval, true);

    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Study thermometer' }).waitFor();
    assert.equal(await nameField(page).inputValue(), 'Study thermometer');
    await roomField(page).locator(`option[value="${studyId}"]`).waitFor({ state: 'attached' });
    assert.equal(await roomField(page).inputValue(), studyId);
    assert.equal(await intervalField(page).inputValue(), '5');
    assert.equal(await unitField(page).inputValue(), 'minutes');
    const interval = page.getByTestId('device-fact-interval');
    assert.equal(await interval.getAttribute('data-seconds'), '300');
    assert.equal(await interval.innerText(), '5 minutes');
  });

  it('the home panel shows it under the new room with its new name', async () => {
    await page.getByRole('link', { name: `← Back to ${HOME_NAME}`, exact: true }).click();
    await page.waitForURL((url) => url.pathname === `/homes/${world.app.homeId}`);
    const study = page.locator('section.room', {
      has: page.getByRole('heading', { level: 2, name: 'Study', exact: true }),
    });
    const card = study.getByTestId(`device-${world.thermometerId}`);
    await card.waitFor();
    assert.equal(await card.getByRole('heading', { level: 3 }).innerText(), 'Study thermometer');
  });

  it('refuses a bad interval at its field and saves nothing', async () => {
    await page.goto(deviceUrl());
    await form(page).waitFor();
    await nameField(page).fill('Should not be saved');
    for (const [typed, unit] of [
      ['0', 'seconds'],
      ['five', 'minutes'],
      ['169', 'hours'],
    ] as const) {
      await intervalField(page).fill(typed);
      await unitField(page).selectOption(unit);
      await page.getByTestId('device-settings-save').click();
      const error = page.getByTestId('device-settings-reportIntervalSeconds-error');
      await error.waitFor();
      assert.match(await error.innerText(), /whole number|Enter 1 to/, typed);
      assert.equal(await intervalField(page).getAttribute('aria-invalid'), 'true');
      assert.equal(await page.getByTestId('device-settings-saved').count(), 0);
    }
    const unchanged = await thermometer();
    assert.equal(unchanged.name, 'Study thermometer');
    assert.equal(unchanged.reportIntervalSeconds, 300);
    assert.equal(unchanged.ownReportInterval, true);
    // Typing again clears the field's error.
    await intervalField(page).fill('10');
    assert.equal(await page.getByTestId('device-settings-reportIntervalSeconds-error').count(), 0);
  });

  it('an empty interval returns it to the default', async () => {
    await page.goto(deviceUrl());
    await form(page).waitFor();
    assert.equal(await nameField(page).inputValue(), 'Study thermometer');
    await intervalField(page).fill('');
    await page.getByTestId('device-settings-save').click();
    await page.getByTestId('device-settings-saved').waitFor();
    const reset = await thermometer();
    assert.equal(reset.ownReportInterval, false);
    assert.equal(reset.name, 'Study thermometer');
    assert.equal(reset.roomId, studyId);
    const interval = page.getByTestId('device-fact-interval');
    assert.equal(await interval.getAttribute('data-seconds'), String(reset.reportIntervalSeconds));
    assert.match(await interval.innerText(), /\(default\)/);
    assert.match(
      await form(page).locator('#device-settings-interval-hint').innerText(),
      /Empty: the default \(/,
    );
  });

  it('fits a wall panel and a phone, in English and in Chinese', async () => {
    await page.goto(deviceUrl());
    await form(page).scrollIntoViewIfNeeded();
    await assertUsable(page, 'device settings at 1024×600');
    await screenshot(page, 'device-settings');

    const phone = await world.newPage({ width: 390, height: 844 });
    pages.push(phone);
    await logIn(phone);
    await phone.goto(deviceUrl());
    await form(phone).scrollIntoViewIfNeeded();
    await nameField(phone).waitFor();
    await assertUsable(phone, 'device settings on a phone');
    await screenshot(phone, 'device-settings-phone');

    const chinese = await world.newPage();
    pages.push(chinese);
    await logIn(chinese);
    await chinese.goto(deviceUrl());
    await chinese.getByTestId('language').selectOption('zh');
    await chinese.getByRole('heading', { level: 2, name: '设置' }).waitFor();
    await form(chinese).getByLabel('上报间隔', { exact: true }).waitFor();
    assert.equal(await chinese.getByTestId('device-settings-save').innerText(), '保存设置');
    await form(chinese).scrollIntoViewIfNeeded();
    await assertUsable(chinese, 'device settings in Chinese');
    await screenshot(chinese, 'device-settings-zh');
  });

  it('a guest sees the facts but no editing control, and the API refuses them', async () => {
    const guest = await joinedPerson(world, 'guest@devices.example', 'guest');
    const guestPage = guest.page;
    pages.push(guestPage);
    await guestPage.goto(deviceUrl());
    await guestPage.getByRole('heading', { level: 1, name: 'Study thermometer' }).waitFor();
    await guestPage.getByTestId('device-facts').waitFor();
    assert.equal(await guestPage.getByTestId('device-fact-protocol').innerText(), 'zwave');
    assert.equal(await form(guestPage).count(), 0);
    assert.equal(await guestPage.getByTestId('device-settings-save').count(), 0);
    assert.equal(await guestPage.locator('#device-settings-name').count(), 0);
    assert.equal(await guestPage.locator('#device-settings-interval').count(), 0);

    const refused = await world.app.request(
      'PATCH',
      `/v1/devices/${world.thermometerId}`,
      { name: 'Guest was here' },
      guest.token,
    );
    assert.equal(refused.status, 403);
    assert.equal((await thermometer()).name, 'Study thermometer');
  });
});
