import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TENANT_SLUG, eventually } from '../helpers/app.ts';
import { CommandGateway } from '../helpers/command-gateway.ts';
import { SUITE_TIMEOUT_MS } from '../helpers/wait.ts';
import {
  OWNER,
  UI_TIMEOUT_MS,
  assertUsable,
  livingRoomThermometer,
  logIn,
  screenshot,
  startDashboardWorld,
  type Credentials,
  type DashboardWorld,
  type PageProblems,
} from './harness.ts';

/**
 * From an empty account to a watched home, in Debian's Chromium: the provider's admin provisions
 * a gateway in the console; a newcomer signs up, creates "Lake house", adds a room, registers the
 * gateway with its claim code; the gateway connects with its credentials and its reading shows
 * live on the panel. Then the home's settings: rename, location, a room deleted, read-only for a
 * member; the home deleted through its confirmation. Sign-up with a provider whose sign-up is by
 * invitation says so. The steps share one page, in order.
 */

const ADMIN: Credentials = { tenant: TENANT_SLUG, email: ADMIN_EMAIL, password: ADMIN_PASSWORD };
const NEWCOMER = { name: 'Lena Berg', email: 'lena@example.com', password: 'lake house password 1' };
const CLOSED_SLUG = 'globex';
const PHONE = { width: 390, height: 844 };
const WALL_PANEL = { width: 1024, height: 600 };

describe('sign-up, a new home and its settings in Chromium', { timeout: SUITE_TIMEOUT_MS }, () => {
  let world: DashboardWorld;
  let page: Page & PageProblems;
  let provisioned: { id: string; token: string; claimCode: string } | undefined;
  let gateway: CommandGateway | undefined;
  let homeId: string | undefined;
  let newcomerToken: string | undefined;
  const deviceId = randomUUID();

  const api = (method: string, url: string, token: string | null, body?: unknown) =>
    world.app.request(method, url, body, token);
  const newcomerApi = async (method: string, url: string) => {
    assert.ok(newcomerToken, 'the newcomer has signed up');
    return api(method, url, newcomerToken);
  };

  before(async () => {
    world = await startDashboardWorld();
    // A second provider whose people join by invitation only.
    await world.app.hestia.services.tenants.createTenant(
      null,
      {
        name: 'Globex',
        slug: CLOSED_SLUG,
        adminEmail: 'boss@globex.example',
        adminPassword: 'globex password 1',
        signupOpen: false,
      },
      { ip: '127.0.0.1', userAgent: 'test' },
    );
    page = await world.newPage();
  });

  after(async () => {
    assert.deepEqual(page?.problems ?? [], [], 'no uncaught errors or CSP violations in the page');
    await gateway?.close();
    await world?.stop();
  });

  it('the provider admin provisions a gateway in the console and reads its credentials', async () => {
    await logIn(page, ADMIN);
    await page.goto('/console/gateways');
    const form = page.getByTestId('provision-form');
    await form.getByLabel('Name').fill('Lake hub');
    await form.getByRole('button', { name: 'Provision gateway' }).click();
    const dialog = page.getByTestId('gateway-credentials');
    await dialog.waitFor();
    const id = (await dialog.getByTestId('gateway-id').textContent()) ?? '';
    const token = (await dialog.getByTestId('gateway-token').textContent()) ?? '';
    const claimCode = (await dialog.getByTestId('gateway-claim-code').textContent()) ?? '';
    assert.ok(id && token.length >= 16 && claimCode.length >= 8, `credentials shown: ${id} ${claimCode}`);
    provisioned = { id, token, claimCode };
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/login');
  });

  it('a provider whose sign-up is by invitation says so before anything is typed (in Chinese)', async () => {
    const chinese = await world.newPage({ locale: 'zh-CN' });
    await chinese.goto(`/signup?tenant=${CLOSED_SLUG}`);
    const closed = chinese.getByTestId('signup-closed');
    await closed.waitFor();
    assert.match((await closed.textContent()) ?? '', /Globex.*仅接受受邀注册/);
    const submit = chinese.getByTestId('signup-form').getByRole('button', { name: '创建账号' });
    assert.equal(await submit.isDisabled(), true, 'no account can be asked for');
    await screenshot(chinese, 'signup-closed-zh');
    assert.deepEqual(chinese.problems, []);

    // The API agrees: sign-up there is refused, with the code the page explains.
    const refused = await api('POST', '/v1/auth/signup', null, {
      tenant: CLOSED_SLUG,
      email: NEWCOMER.email,
      password: NEWCOMER.password,
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'HESTIA_SIGNUP_CLOSED');
  });

  it('a newcomer finds sign-up from the login page and creates an account', async () => {
    const provider = await api('GET', `/v1/public/tenants/${TENANT_SLUG}`, null);
    assert.equal(provider.body.signupOpen, true, 'the test provider takes sign-ups');

    await page.goto('/login');
    await page.getByTestId('login-form').getByLabel('Provider').fill(TENANT_SLUG);
    await page.getByTestId('signup-link').click();
    await page.waitForURL(
      (url) => url.pathname === '/signup' && url.searchParams.get('tenant') === TENANT_SLUG,
    );
    const form = page.getByTestId('signup-form');
    assert.equal(await form.getByLabel('Provider').inputValue(), TENANT_SLUG);
    await form.getByTestId('signup-provider').getByText('You are signing up with Acme.').waitFor();

    await form.getByLabel('Your name').fill(NEWCOMER.name);
    await form.getByLabel('Email').fill(NEWCOMER.email);
    // The API's password rule, in its own words.
    await form.getByLabel('Password', { exact: true }).fill('short');
    await form.getByLabel('Repeat the password').fill('short');
    await form.getByRole('button', { name: 'Create account' }).click();
    await form.getByTestId('form-error').getByText('10 to 1024 characters').waitFor();
    // Two different passwords never reach the API.
    await form.getByLabel('Password', { exact: true }).fill(NEWCOMER.password);
    await form.getByLabel('Repeat the password').fill(`${NEWCOMER.password}x`);
    await form.getByRole('button', { name: 'Create account' }).click();
    await form.getByTestId('form-error').getByText('The two passwords are not the same.').waitFor();
    await form.getByLabel('Repeat the password').fill(NEWCOMER.password);
    assert.equal(await form.getByTestId('form-error').count(), 0, 'a changed password clears the error');
    await assertUsable(page, 'the sign-up page');
    await page.evaluate('window.scrollTo(0, 0)');
    await screenshot(page, 'signup');

    await form.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    await page.getByTestId('homes-empty').waitFor();

    const login = await api('POST', '/v1/auth/login', null, {
      tenant: TENANT_SLUG,
      email: NEWCOMER.email,
      password: NEWCOMER.password,
    });
    assert.equal(login.status, 200, 'the account exists with the password chosen');
    assert.equal(login.body.user.name, NEWCOMER.name);
    assert.equal(login.body.user.language, 'en', 'the account speaks the language of the page');
    newcomerToken = login.body.accessToken as string;
  });

  it('creates "Lake house" with a time zone on a phone and lands on its panel', async () => {
    await page.setViewportSize(PHONE);
    const form = page.getByTestId('new-home-form');
    await form.getByLabel('Name').fill('Lake house');
    const zone = form.getByLabel('Time zone');
    assert.ok((await zone.inputValue()).length > 0, "the browser's time zone is the default");
    await zone.fill('America/New_York');
    await assertUsable(page, 'the new home form on a phone');
    await screenshot(page, 'new-home-phone');
    await zone.fill('Nowhere/Atlantis');
    await form.getByRole('button', { name: 'Create home' }).click();
    await form.getByTestId('form-error').getByText('is not a time zone').waitFor();
    await zone.fill('America/New_York');

    await form.getByRole('button', { name: 'Create home' }).click();
    await page.waitForURL((url) => /^\/homes\/[^/]+$/.test(url.pathname));
    homeId = new URL(page.url()).pathname.split('/')[2];
    await page.getByRole('heading', { level: 1, name: 'Lake house' }).waitFor();
    const home = await newcomerApi('GET', `/v1/homes/${homeId}`);
    assert.equal(home.body.name, 'Lake house');
    assert.equal(home.body.timezone, 'America/New_York');
    assert.equal(home.body.role, 'owner');
    assert.equal(home.body.latitude, null);
    await page.setViewportSize(WALL_PANEL);
    // The header's home switcher knows the new home.
    await page.getByTestId('home-switcher').locator('option', { hasText: 'Lake house' }).waitFor({
      state: 'attached',
    });
  });

  it('adds a room in the settings', async () => {
    await page.getByTestId('home-tab-settings').click();
    await page.waitForURL((url) => url.pathname === `/homes/${homeId}/settings`);
    const rooms = page.getByTestId('rooms');
    await rooms.getByTestId('rooms-empty').waitFor();
    await rooms.getByLabel('Room name').fill('Boathouse');
    await rooms.getByLabel('Room name').press('Enter');
    await rooms.getByTestId('rooms-list').getByText('Boathouse').waitFor();
    const list = await newcomerApi('GET', `/v1/homes/${homeId}/rooms`);
    assert.deepEqual(
      list.body.items.map((room: { name: string }) => room.name),
      ['Boathouse'],
    );
  });

  it('registers the gateway with its claim code; its device reports over MQTT and shows live', async () => {
    assert.ok(provisioned, 'the first step provisioned a gateway');
    await page.getByTestId('home-tab-devices').click();
    await page.waitForURL((url) => url.pathname === `/homes/${homeId}`);
    const add = page.getByTestId('add-gateway');
    await add.getByRole('button', { name: 'Add gateway' }).click();
    await add.getByLabel('Serial (gateway id)').fill(provisioned.id);
    await add.getByLabel('Claim code').fill(provisioned.claimCode);
    await add.getByRole('button', { name: 'Register gateway' }).click();
    await add.getByTestId('add-gateway-done').waitFor();

    // The gateway connects with the credentials the console showed, and reports a thermometer.
    gateway = await CommandGateway.connect(world.app.mqttUrl, provisioned, [
      livingRoomThermometer(deviceId, 18.5),
    ]);
    const value = `[data-testid="value-${deviceId}-Temperature"]`;
    await page.locator(`${value}[data-value="18.5"]`).waitFor();
    await page.getByTestId('live').and(page.locator('[data-state="connected"]')).waitFor();
    await gateway.publish({
      messageType: 'sensorData',
      deviceId,
      deviceType: 'sensor',
      protocol: 'zwave',
      sensorType: 'SENSOR MULTILEVEL',
      label: 'Temperature',
      units: 'C',
      sensorData: '19.75',
    });
    await page.locator(`${value}[data-value="19.75"]`).waitFor();
    const devices = await newcomerApi('GET', `/v1/homes/${homeId}/devices`);
    assert.deepEqual(
      devices.body.items.map((device: { id: string }) => device.id),
      [deviceId],
    );
  });

  it('renames the home, sets its location and deletes the room', async () => {
    await page.getByTestId('home-tab-settings').click();
    const form = page.getByTestId('home-details-form');
    await form.getByLabel('Name').fill('Lake cabin');
    await form.getByLabel('Latitude').fill('46.4512');
    await form.getByLabel('Longitude').fill('');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.getByTestId('form-error').getByText('Give both latitude and longitude').waitFor();
    await form.getByLabel('Longitude').fill('8.6543');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.getByTestId('home-saved').waitFor();
    await page.getByRole('heading', { level: 1, name: 'Lake cabin' }).waitFor();
    await page.getByTestId('home-switcher').locator('option', { hasText: 'Lake cabin' }).waitFor({
      state: 'attached',
    });
    const home = await newcomerApi('GET', `/v1/homes/${homeId}`);
    assert.equal(home.body.name, 'Lake cabin');
    assert.equal(home.body.latitude, 46.4512);
    assert.equal(home.body.longitude, 8.6543);
    assert.equal(home.body.timezone, 'America/New_York');

    const rooms = page.getByTestId('rooms');
    await rooms.getByRole('button', { name: 'Delete: Boathouse' }).click();
    const dialog = page.getByTestId('delete-room');
    await dialog.getByText('Its devices stay in the home').waitFor();
    await dialog.getByTestId('delete-room-confirm').click();
    await rooms.getByTestId('rooms-empty').waitFor();
    const list = await newcomerApi('GET', `/v1/homes/${homeId}/rooms`);
    assert.deepEqual(list.body.items, []);

    await page.evaluate('window.scrollTo(0, 0)');
    await assertUsable(page, 'the home settings at 1024×600');
    await screenshot(page, 'home-settings');
  });

  it('a member who is not an owner sees the settings read-only', async () => {
    assert.ok(homeId);
    await world.app.hestia.ctx.store.directory.homes.addMember({
      homeId,
      userId: world.app.ownerId,
      tenantId: world.app.tenantId,
      role: 'member',
      atMs: Date.now(),
    });
    const member = await world.newPage();
    await logIn(member, OWNER);
    await member.goto(`/homes/${homeId}/settings`);
    const details = member.getByTestId('home-details-readonly');
    await details.waitFor();
    assert.equal(await details.getByTestId('home-timezone').textContent(), 'America/New_York');
    assert.match((await details.getByTestId('home-location').textContent()) ?? '', /46\.4512, 8\.6543/);
    assert.equal(await member.getByTestId('home-details-form').count(), 0);
    assert.equal(await member.getByTestId('add-room-form').count(), 0);
    assert.equal(await member.getByTestId('delete-home').count(), 0);
    assert.deepEqual(member.problems, []);
  });

  it('deletes the home after showing what goes with it and asking for its name', async () => {
    assert.ok(homeId && provisioned);
    // Emptied coordinates clear the location (null, not the equator).
    const form = page.getByTestId('home-details-form');
    await form.getByLabel('Latitude').fill('');
    await form.getByLabel('Longitude').fill('');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await eventually(
      'the location cleared',
      async () => {
        const home = await newcomerApi('GET', `/v1/homes/${homeId}`);
        return home.body.latitude === null && home.body.longitude === null ? true : undefined;
      },
      UI_TIMEOUT_MS,
    );
    await page.getByTestId('delete-home-open').click();
    const dialog = page.getByTestId('delete-home-dialog');
    const what = dialog.getByTestId('delete-home-what');
    await what.waitFor();
    assert.match((await what.textContent()) ?? '', /1 gateway\(s\).*1 device\(s\) and 2 reading\(s\)/);
    // Nothing was deleted by asking.
    const stillThere = await newcomerApi('GET', `/v1/homes/${homeId}/devices`);
    assert.equal(stillThere.body.items.length, 1);

    await dialog.getByLabel('Type the home’s name').fill('Lake house');
    await dialog.getByTestId('delete-home-dialog-confirm').click();
    await dialog.getByText('The name typed is not the home’s name.').waitFor();
    await dialog.getByLabel('Type the home’s name').fill('Lake cabin');
    await dialog.getByTestId('delete-home-dialog-confirm').click();
    await page.waitForURL((url) => url.pathname === '/');
    await page.getByTestId('homes-empty').waitFor();

    const gone = await newcomerApi('GET', `/v1/homes/${homeId}`);
    assert.equal(gone.status, 404);
    const back = await api('GET', `/v1/gateways/${provisioned.id}`, world.app.adminToken);
    assert.equal(back.body.registration, 'pending', 'the gateway went back to the provider');
    await eventually(
      'the home switcher to forget the home',
      async () =>
        (await page.getByTestId('home-switcher').locator('option', { hasText: 'Lake cabin' }).count()) === 0
          ? true
          : undefined,
      UI_TIMEOUT_MS,
    );
  });
});
