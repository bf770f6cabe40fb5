import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TENANT_SLUG } from '../helpers/app.ts';
import { SUITE_TIMEOUT_MS } from '../helpers/wait.ts';
import {
  UI_TIMEOUT_MS,
  logIn,
  screenshot,
  startDashboardWorld,
  type Credentials,
  type DashboardWorld,
  type PageProblems,
} from './harness.ts';

/**
 * The platform admin's tenants and the provider console's settings in Debian's Chromium: a
 * platform admin creates, suspends and resumes a provider and manages acme through the tenant
 * picker; acme's admin sees no tenants, creates and revokes an API key that works against the
 * API in between, adds a tariff and makes it the default, sets write-only push credentials, and
 * watches a gateway go online and offline without reloading the page.
 */

const PLATFORM: Credentials = { tenant: '', email: 'root@example.com', password: 'platform password 1' };
const ADMIN: Credentials = { tenant: TENANT_SLUG, email: ADMIN_EMAIL, password: ADMIN_PASSWORD };
const ONESIGNAL_KEY = 'os-rest-key-7f3a9c1e5b2d4f60';

describe('the platform console and the provider settings in Chromium', { timeout: SUITE_TIMEOUT_MS }, () => {
  let world: DashboardWorld;
  let platformPage: Page & PageProblems;
  let page: Page & PageProblems;
  let platformToken: string;
  let globexId: string | undefined;

  const api = async (method: string, url: string, token: string | null, body?: unknown) =>
    world.app.request(method, url, body, token);
  const acceptNextDialog = (on: Page) => on.once('dialog', (dialog) => void dialog.accept());

  before(async () => {
    world = await startDashboardWorld();
    // A platform admin, as `hestia admin platform-admin` makes one.
    await world.app.hestia.services.accounts.createUser({
      tenantId: null,
      email: PLATFORM.email,
      password: PLATFORM.password,
      name: null,
      role: 'platform_admin',
    });
    platformToken = (
      await world.app.hestia.services.accounts.login(
        { email: PLATFORM.email, password: PLATFORM.password },
        { ip: '127.0.0.1', userAgent: 'test' },
      )
    ).accessToken;
    platformPage = await world.newPage();
    page = await world.newPage();
  });

  after(async () => {
    assert.deepEqual(platformPage?.problems ?? [], [], 'no uncaught errors or CSP violations (platform)');
    assert.deepEqual(page?.problems ?? [], [], 'no uncaught errors or CSP violations (tenant admin)');
    await world?.stop();
  });

  it('the platform admin logs in without a provider, sees the tenants and adds Globex', async () => {
    await logIn(platformPage, PLATFORM);
    await platformPage.getByRole('link', { name: 'Console', exact: true }).click();
    await platformPage.waitForURL((url) => url.pathname === '/console/tenants');
    const table = platformPage.getByTestId('tenants-table');
    await table.getByTestId(`tenant-${TENANT_SLUG}`).waitFor();

    const form = platformPage.getByTestId('create-tenant-form');
    await form.getByLabel('Name', { exact: true }).fill('Globex');
    await form.getByLabel('Short name (slug)').fill('globex');
    await form.getByLabel("First admin's email").fill('boss@globex.example');
    await form.getByLabel('Set a password now').check();
    await form.getByLabel("Admin's password").fill('globex password 1');
    await form.getByRole('button', { name: 'Add provider' }).click();
    await platformPage.getByTestId('tenant-created').getByText('boss@globex.example').waitFor();
    const row = table.getByTestId('tenant-globex');
    await row.waitFor();
    assert.equal(await row.getAttribute('data-status'), 'active');

    const listed = await api('GET', '/v1/tenants', platformToken);
    const globex = (listed.body.items as Array<{ id: string; slug: string; name: string }>).find(
      (tenant) => tenant.slug === 'globex',
    );
    assert.equal(globex?.name, 'Globex');
    globexId = globex?.id;
    // Its admin was made with the password given.
    const login = await api('POST', '/v1/auth/login', null, {
      tenant: 'globex',
      email: 'boss@globex.example',
      password: 'globex password 1',
    });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    await platformPage.getByRole('heading', { name: 'Tenants', exact: true }).scrollIntoViewIfNeeded();
    await screenshot(platformPage, 'platform-tenants');
  });

  it('suspends Globex and resumes it, after a confirmation each time', async () => {
    assert.ok(globexId, 'the step before created Globex');
    const row = platformPage.getByTestId('tenants-table').getByTestId('tenant-globex');
    acceptNextDialog(platformPage);
    await row.getByRole('button', { name: 'Suspend' }).click();
    await platformPage
      .getByTestId('tenants-table')
      .locator('[data-testid="tenant-globex"][data-status="suspended"]')
      .waitFor();
    assert.equal((await api('GET', `/v1/tenants/${globexId}`, platformToken)).body.status, 'suspended');

    acceptNextDialog(platformPage);
    await row.getByRole('button', { name: 'Resume' }).click();
    await platformPage
      .getByTestId('tenants-table')
      .locator('[data-testid="tenant-globex"][data-status="active"]')
      .waitFor();
    assert.equal((await api('GET', `/v1/tenants/${globexId}`, platformToken)).body.status, 'active');
  });

  it("picks acme in the tenant picker and sees acme's gateways and tariffs", async () => {
    await platformPage.getByTestId('tenant-picker').getByLabel('Provider').selectOption(world.app.tenantId);
    await platformPage.waitForURL(
      (url) => url.pathname === '/console/gateways' && url.searchParams.get('tenant') === world.app.tenantId,
    );
    const gateways = platformPage.getByTestId('gateways-table');
    await gateways.waitFor();
    // The simulated gateway and the thermometer's, both in the owner's home.
    assert.equal(await gateways.locator('tbody tr[data-registration="registered"]').count(), 2);

    // The pick holds across the console's tabs.
    await platformPage.getByRole('link', { name: 'Tariffs', exact: true }).click();
    await platformPage.waitForURL((url) => url.searchParams.get('tenant') === world.app.tenantId);
    await platformPage.getByTestId('tariffs-table').getByText('Basic').waitFor();
  });

  it('a tenant admin sees no tenants tab, and /console/tenants is not found', async () => {
    await logIn(page, ADMIN);
    await page.getByRole('link', { name: 'Console', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/console/gateways');
    await page.getByTestId('gateways-table').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Tenants', exact: true }).count(), 0);
    assert.equal(await page.getByTestId('tenant-picker').count(), 0);
    await page.goto('/console/tenants');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    assert.equal(await page.getByTestId('tenants-table').count(), 0);
    assert.equal((await api('GET', '/v1/tenants', world.app.adminToken)).status, 403);
  });

  it('creates an API key, reads it once, uses it against the API, and revokes it', async () => {
    await page.goto('/console/api-keys');
    const form = page.getByTestId('create-api-key-form');
    await form.getByLabel('Name').fill('Billing backend');
    await form.getByLabel('users:read').check();
    await form.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByTestId('api-key-created');
    await dialog.getByText('shown only this once').waitFor();
    const key = ((await dialog.getByTestId('api-key-secret').textContent()) ?? '').trim();
    assert.ok(key.length >= 20, `a key is shown: ${key.length} characters`);

    const users = `/v1/tenants/${world.app.tenantId}/users`;
    const withKey = await api('GET', users, key);
    assert.equal(withKey.status, 200, JSON.stringify(withKey.body));
    assert.ok((withKey.body.items as Array<{ email: string }>).some((user) => user.email === ADMIN_EMAIL));

    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.getByText(key).count(), 0, 'the key is not shown again');
    const listed = await api('GET', `/v1/tenants/${world.app.tenantId}/api-keys`, world.app.adminToken);
    const created = (listed.body.items as Array<{ id: string; name: string }>).find(
      (item) => item.name === 'Billing backend',
    );
    assert.ok(created);
    const row = page.getByTestId(`api-key-${created.id}`);

    await page.setViewportSize({ width: 390, height: 844 });
    await row.waitFor();
    await screenshot(page, 'console-api-keys-phone');
    const overflow = await page.evaluate(() => {
      const root = (
        globalThis as unknown as {
          document: { documentElement: { scrollWidth: number; clientWidth: number } };
        }
      ).document.documentElement;
      return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth };
    });
    assert.ok(
      overflow.scrollWidth <= overflow.clientWidth,
      `no horizontal scrolling on a phone: ${overflow.scrollWidth} > ${overflow.clientWidth}`,
    );
    await page.setViewportSize({ width: 1024, height: 600 });

    acceptNextDialog(page);
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.locator(`[data-testid="api-key-${created.id}"][data-revoked="true"]`).waitFor();
    assert.equal((await api('GET', users, key)).status, 401, 'the revoked key no longer works');
  });

  it('adds a tariff and makes it the default; deleting a tariff a home has is refused', async () => {
    await page.getByRole('link', { name: 'Tariffs', exact: true }).click();
    const form = page.getByTestId('create-tariff-form');
    await form.getByLabel('Tariff').fill('Premium');
    await form.getByLabel('Video (days)').fill('30');
    await form.getByLabel('Continuous').check();
    await form.getByRole('button', { name: 'Add tariff' }).click();
    const table = page.getByTestId('tariffs-table');
    const premium = table.locator('tbody tr', { hasText: 'Premium' });
    await premium.waitFor();
    await premium.getByRole('button', { name: 'Make default' }).click();
    await table.locator('tbody tr[data-default="true"]', { hasText: 'Premium' }).waitFor();

    const tariffs = (await api('GET', '/v1/tariffs', world.app.adminToken)).body.items as Array<{
      id: string;
      name: string;
      isDefault: boolean;
      videoRetentionDays: number;
      recordingModes: string[];
    }>;
    const created = tariffs.find((tariff) => tariff.name === 'Premium');
    const basic = tariffs.find((tariff) => tariff.name === 'Basic');
    assert.ok(created?.isDefault, 'the API has Premium as the default');
    assert.equal(created.videoRetentionDays, 30);
    assert.ok(created.recordingModes.includes('continuous'));
    assert.ok(basic && !basic.isDefault);

    // The owner's home gets Basic of its own: Basic is then in use and cannot go.
    await page.getByRole('link', { name: 'Homes', exact: true }).last().click();
    const home = page.getByTestId(`home-${world.app.homeId}`);
    await home.getByRole('combobox').selectOption(basic.id);
    await page.locator(`[data-testid="home-${world.app.homeId}"][data-tariff="${basic.id}"]`).waitFor();
    const detail = await api('GET', `/v1/homes/${world.app.homeId}`, world.app.adminToken);
    assert.equal(detail.body.tariff?.id, basic.id);

    await page.getByRole('link', { name: 'Tariffs', exact: true }).click();
    acceptNextDialog(page);
    await table.locator('tbody tr', { hasText: 'Basic' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('alert').waitFor();
    assert.equal(
      (await api('GET', `/v1/tariffs/${basic.id}`, world.app.adminToken)).status,
      200,
      'Basic is still there',
    );

    // Back to the default.
    await page.getByRole('link', { name: 'Homes', exact: true }).last().click();
    await page.getByTestId(`home-${world.app.homeId}`).getByRole('combobox').selectOption('');
    await page.locator(`[data-testid="home-${world.app.homeId}"][data-tariff=""]`).waitFor();
    const followed = await api('GET', `/v1/homes/${world.app.homeId}`, world.app.adminToken);
    assert.equal(followed.body.tariff?.id, created.id, 'the home follows the new default');
  });

  it('sets OneSignal credentials: the page shows "set" and never the key', async () => {
    await page.goto('/console/notifications');
    const onesignal = page.getByTestId('push-status-onesignal');
    await onesignal.locator('[data-set="false"]').waitFor();
    const form = page.getByTestId('push-form');
    await form.getByLabel('OneSignal app id').fill('app-1234');
    await form.getByLabel('REST API key').fill(ONESIGNAL_KEY);
    await form.getByRole('button', { name: 'Save credentials' }).click();
    await form.getByText('Saved.', { exact: true }).waitFor();
    await onesignal.locator('[data-set="true"]').waitFor();
    await onesignal.getByText('app-1234').waitFor();
    assert.equal(await form.getByLabel('REST API key').inputValue(), '');
    assert.ok(!(await page.content()).includes(ONESIGNAL_KEY), 'the key is not in the page');
    await page.reload();
    await page.getByTestId('push-status-onesignal').locator('[data-set="true"]').waitFor();
    assert.ok(!(await page.content()).includes(ONESIGNAL_KEY), 'nor after a reload');
    const status = await api(
      'GET',
      `/v1/tenants/${world.app.tenantId}/push-credentials`,
      world.app.adminToken,
    );
    assert.equal(status.body.oneSignal.configured, true);
    assert.ok(!JSON.stringify(status.body).includes(ONESIGNAL_KEY), 'nor in the API answer');

    // Adding a webhook keeps the stored OneSignal key without typing it again, and asks nothing;
    // the new webhook's secret, made in the browser, is shown once.
    const stored = async () =>
      JSON.parse(
        (await world.app.hestia.ctx.store.directory.tenants.findTenantPushCredentials(world.app.tenantId)) ??
          '{}',
      ) as {
        oneSignal?: { appId: string; restApiKey: string };
        webhooks?: Array<{ url: string; secret: string; minSeverity: string }>;
      };
    const questions: string[] = [];
    const noteDialog = (dialog: { message: () => string; dismiss: () => Promise<void> }) => {
      questions.push(dialog.message());
      void dialog.dismiss();
    };
    page.on('dialog', noteDialog);
    const pushForm = page.getByTestId('push-form');
    assert.equal(await pushForm.getByLabel('REST API key').inputValue(), '');
    await pushForm.getByText('Stored — leave empty to keep').first().waitFor();
    await pushForm.getByRole('button', { name: 'Add a webhook' }).click();
    await pushForm.getByLabel('Webhook URL').fill('https://pager.example.com/in');
    await pushForm.getByLabel('Lowest severity sent').selectOption('critical');
    await pushForm.getByRole('button', { name: 'Save credentials' }).click();
    const secrets = page.getByTestId('webhook-secrets');
    await secrets.waitFor();
    const webhookSecret = (await secrets.getByTestId('webhook-secret-0').innerText()).trim();
    assert.match(webhookSecret, /^[0-9a-f]{64}$/);
    await secrets.getByRole('button', { name: 'Close', exact: true }).click();
    await secrets.waitFor({ state: 'detached' });
    const webhooks = page.getByTestId('push-status-webhooks');
    await webhooks.getByText('https://pager.example.com/in · Critical').waitFor();
    let kept = await stored();
    assert.equal(kept.oneSignal?.restApiKey, ONESIGNAL_KEY, 'the OneSignal key is kept');
    assert.equal(kept.oneSignal?.appId, 'app-1234');
    assert.deepEqual(kept.webhooks, [
      { url: 'https://pager.example.com/in', secret: webhookSecret, minSeverity: 'critical' },
    ]);

    // Changing only the webhook's severity keeps both secrets; no secret is shown this time.
    const row = pushForm.getByTestId('webhook-0');
    assert.equal(await row.getAttribute('data-stored'), 'true');
    await row.getByText('Stored — leave empty to keep').waitFor();
    await row.getByLabel('Lowest severity sent').selectOption('warning');
    await pushForm.getByRole('button', { name: 'Save credentials' }).click();
    await webhooks.getByText('https://pager.example.com/in · Warning').waitFor();
    assert.equal(await page.getByTestId('webhook-secrets').count(), 0, 'no secret to show');
    kept = await stored();
    assert.equal(kept.oneSignal?.restApiKey, ONESIGNAL_KEY);
    assert.deepEqual(kept.webhooks, [
      { url: 'https://pager.example.com/in', secret: webhookSecret, minSeverity: 'warning' },
    ]);
    const again = await api(
      'GET',
      `/v1/tenants/${world.app.tenantId}/push-credentials`,
      world.app.adminToken,
    );
    assert.equal(again.body.oneSignal.configured, true, 'OneSignal is still configured');
    await row.scrollIntoViewIfNeeded();
    await screenshot(page, 'console-push-credentials');

    // Removing a provider asks first; cancelled, nothing changes.
    const appIdField = pushForm.getByLabel('OneSignal app id');
    await appIdField.fill('');
    await pushForm.getByRole('button', { name: 'Save credentials' }).click();
    const question = page.getByTestId('push-drop');
    await question.waitFor();
    assert.match(await question.innerText(), /OneSignal/);
    await screenshot(page, 'console-push-remove');
    await question.getByRole('button', { name: 'Cancel', exact: true }).click();
    await question.waitFor({ state: 'detached' });
    assert.equal((await stored()).oneSignal?.restApiKey, ONESIGNAL_KEY, 'nothing removed');
    await appIdField.fill('app-1234');
    page.off('dialog', noteDialog);
    assert.deepEqual(questions, [], 'no browser confirmation');
    assert.ok(!(await page.content()).includes(ONESIGNAL_KEY), 'the key never reached the page');

    // A test notification in the app, to the admin: it shows in the delivery log.
    const test = page.getByTestId('push-test-form');
    await test.getByLabel('Channel').selectOption('in_app');
    await test.getByRole('button', { name: 'Send test' }).click();
    await test.getByTestId('push-test-sent').waitFor();
    await page.getByTestId('deliveries-table').locator('tbody tr').first().waitFor();
    await screenshot(page, 'console-notifications');
  });

  it('shows a gateway going online and offline without a reload', async () => {
    const gateway = await world.app.provisionGateway('LIVE-GW-1');
    await page.getByRole('link', { name: 'Gateways', exact: true }).click();
    const row = () => page.getByTestId('gateway-LIVE-GW-1');
    await row().waitFor();
    assert.equal(await row().getAttribute('data-status'), 'never_connected');
    await page.getByTestId('gateways-refreshed').waitFor();
    // A mark on the page: a reload would lose it.
    await page.evaluate(() => ((globalThis as unknown as { stillHere: boolean }).stillHere = true));

    let client: MqttClient | undefined = await world.app.connectGateway(gateway);
    await page
      .locator('[data-testid="gateway-LIVE-GW-1"][data-status="online"]')
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await client.endAsync();
    client = undefined;
    await page
      .locator('[data-testid="gateway-LIVE-GW-1"][data-status="offline"]')
      .waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { stillHere?: boolean }).stillHere),
      true,
    );
    assert.equal((await api('GET', '/v1/gateways/LIVE-GW-1', world.app.adminToken)).body.status, 'offline');
    await screenshot(page, 'console-gateways-live');
  });

  it('shows the console in Chinese', async () => {
    await page.getByTestId('language').selectOption({ label: '中文' });
    await page.getByRole('link', { name: 'API 密钥', exact: true }).click();
    await page.getByTestId('api-keys-table').waitFor();
    await page.getByRole('heading', { name: 'API 密钥', exact: true }).waitFor();
    await screenshot(page, 'console-zh');
    await page.getByTestId('language').selectOption({ label: 'English' });
    await page.getByRole('heading', { name: 'API keys', exact: true }).waitFor();
  });
});
