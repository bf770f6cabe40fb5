import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TENANT_SLUG, eventually } from '../helpers/app.ts';
import { CommandGateway } from '../helpers/command-gateway.ts';
import { SUITE_TIMEOUT_MS } from '../helpers/wait.ts';
import {
  HOME_NAME,
  OWNER,
  UI_TIMEOUT_MS,
  logIn,
  screenshot,
  startDashboardWorld,
  type Credentials,
  type DashboardWorld,
  type PageProblems,
} from './harness.ts';

/**
 * The provider console in Debian's Chromium: a tenant admin provisions a gateway and reads its
 * credentials once, the home owner registers it with the claim code on the home panel, and the
 * console shows it registered and online; the other pages load, branding reaches the provider's
 * people, and a home owner cannot open the console. The steps share one browser page, in order.
 */

const ADMIN: Credentials = { tenant: TENANT_SLUG, email: ADMIN_EMAIL, password: ADMIN_PASSWORD };
const BRAND_COLOUR = '#0f766e';

describe('the provider console in Chromium', { timeout: SUITE_TIMEOUT_MS }, () => {
  let world: DashboardWorld;
  let page: Page & PageProblems;
  let provisioned: { id: string; token: string; claimCode: string } | undefined;
  let connected: CommandGateway | undefined;

  const logOut = async () => {
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/login');
  };
  const adminApi = async (method: string, url: string, body?: unknown) => {
    const reply = await world.app.request(method, url, body, world.app.adminToken);
    assert.ok(reply.status < 300, `${method} ${url}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  };

  before(async () => {
    world = await startDashboardWorld();
    page = await world.newPage();
  });

  after(async () => {
    assert.deepEqual(page?.problems ?? [], [], 'no uncaught errors or CSP violations in the page');
    await connected?.close();
    await world?.stop();
  });

  it('a tenant admin provisions a gateway and sees its token and claim code once', async () => {
    await logIn(page, ADMIN);
    await page.getByRole('link', { name: 'Console', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/console/gateways');
    const table = page.getByTestId('gateways-table');
    await table.waitFor();
    // The simulated gateway and the thermometer's, registered to the owner's home.
    assert.equal(await table.locator('tbody tr[data-registration="registered"]').count(), 2);

    const form = page.getByTestId('provision-form');
    await form.getByLabel('Name').fill('Hallway hub');
    await form.getByRole('button', { name: 'Provision gateway' }).click();
    const dialog = page.getByTestId('gateway-credentials');
    await dialog.waitFor();
    await dialog.getByText('shown only this once').waitFor();
    const id = (await dialog.getByTestId('gateway-id').textContent()) ?? '';
    const token = (await dialog.getByTestId('gateway-token').textContent()) ?? '';
    const claimCode = (await dialog.getByTestId('gateway-claim-code').textContent()) ?? '';
    assert.ok(id && token.length >= 16 && claimCode.length >= 8, `credentials shown: ${id} ${claimCode}`);
    provisioned = { id, token, claimCode };
    await screenshot(page, 'console-gateway-credentials');

    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByTestId(`gateway-${id}`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-registration'), 'pending');
    assert.equal(await row.getAttribute('data-status'), 'never_connected');
    // Once means once: the token is nowhere on the page, and not in a fresh load either.
    assert.equal(await page.getByText(token).count(), 0);
    await page.reload();
    await page.getByTestId(`gateway-${id}`).waitFor();
    assert.equal(await page.getByText(token).count(), 0);
    assert.equal(await page.getByText(claimCode).count(), 0);
    await screenshot(page, 'console-gateways');

    // The token shown is the gateway's real MQTT password.
    connected = await CommandGateway.connect(world.app.mqttUrl, { id, token });
    await eventually(
      'the provisioned gateway to be online',
      async () => ((await adminApi('GET', `/v1/gateways/${id}`)).status === 'online' ? true : undefined),
      UI_TIMEOUT_MS,
    );
  });

  it('a bulk CSV import shows the bad rows, then the created credentials once, downloadable', async () => {
    const form = page.getByTestId('import-form');
    const upload = (csv: string) =>
      form
        .getByLabel('CSV file')
        .setInputFiles({ name: 'gateways.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });

    await upload('serial,claim_code,name\nCSV-GW-1,short,Porch\n');
    await form.getByRole('button', { name: 'Import' }).click();
    const errors = page.getByTestId('csv-errors');
    await errors.waitFor();
    assert.match((await errors.textContent()) ?? '', /Line 2/);

    await upload('serial,claim_code,name\nCSV-GW-1,claim-code-0001,Porch\nCSV-GW-2,claim-code-0002,Garage\n');
    await form.getByRole('button', { name: 'Import' }).click();
    const dialog = page.getByTestId('gateway-credentials');
    await dialog.waitFor();
    await dialog.getByText('2 gateways imported').waitFor();
    assert.equal(await dialog.locator('tbody tr').count(), 2);
    const download = dialog.getByTestId('credentials-download');
    assert.equal(await download.getAttribute('download'), 'gateway-credentials.csv');
    await screenshot(page, 'console-gateways-import');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.getByTestId('gateway-CSV-GW-2').waitFor();
  });

  it('the home owner registers the gateway with its claim code, and the console shows it registered and online', async () => {
    assert.ok(provisioned, 'the first step provisioned a gateway');
    await logOut();
    await logIn(page, OWNER);
    await page.waitForURL((url) => url.pathname === `/homes/${world.app.homeId}`);
    const add = page.getByTestId('add-gateway');
    await add.getByRole('button', { name: 'Add gateway' }).click();
    await add.getByLabel('Serial (gateway id)').fill(provisioned.id);
    await add.getByLabel('Claim code').fill(provisioned.claimCode);
    await add.getByRole('button', { name: 'Register gateway' }).click();
    await add.getByTestId('add-gateway-done').waitFor();

    await logOut();
    await logIn(page, ADMIN);
    await page.goto('/console/gateways');
    const row = page.getByTestId(`gateway-${provisioned.id}`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-registration'), 'registered');
    assert.equal(await row.getAttribute('data-status'), 'online');
    assert.match(
      (await row.getByTestId('registration').textContent()) ?? '',
      new RegExp(`Registered to ${HOME_NAME}`),
    );
  });

  it('shows users, homes with their tariff, tariffs (editable), dead letters and the audit log', async () => {
    // A payload that is not JSON: the thermometer's gateway is told off in a dead letter.
    await world.thermometer.client.publishAsync(
      `hestia/v1/gw/${world.thermometer.gatewayId}/up`,
      'not json',
      {
        qos: 1,
      },
    );

    await page.getByRole('link', { name: 'Users', exact: true }).click();
    const users = page.getByTestId('users-table');
    await users.waitFor();
    await users.getByText(ADMIN_EMAIL).waitFor();
    await users.getByText(OWNER.email).waitFor();
    await screenshot(page, 'console-users');

    await page.getByRole('link', { name: 'Homes', exact: true }).last().click();
    const homesTable = page.getByTestId('homes-table');
    await homesTable.waitFor();
    await homesTable.getByTestId(`home-${world.app.homeId}`).getByText(HOME_NAME).waitFor();
    assert.match(
      (await homesTable.getByTestId(`home-${world.app.homeId}`).textContent()) ?? '',
      /\(default\)/,
    );
    await screenshot(page, 'console-homes');

    await page.getByRole('link', { name: 'Tariffs', exact: true }).click();
    const tariffs = page.getByTestId('tariffs-table');
    await tariffs.waitFor();
    const first = tariffs.locator('tbody tr').first();
    await first.getByRole('button', { name: 'Edit' }).click();
    await first.getByLabel('Video (days)').fill('21');
    await first.getByRole('button', { name: 'Save' }).click();
    await first.locator(':scope:not([data-editing])').waitFor();
    assert.match((await first.textContent()) ?? '', /21/);
    await screenshot(page, 'console-tariffs');

    await page.getByRole('link', { name: 'Dead letters', exact: true }).click();
    const letters = page.getByTestId('dead-letters-table');
    await letters.waitFor();
    await letters.getByText('not json').first().waitFor();
    await screenshot(page, 'console-dead-letters');

    await page.getByRole('link', { name: 'Audit log', exact: true }).click();
    const audit = page.getByTestId('audit-table');
    await audit.waitFor();
    assert.ok((await audit.locator('tbody tr').count()) > 0);
    await audit.locator('tr[data-action^="gateway"]').first().waitFor();
    await screenshot(page, 'console-audit');
  });

  it("applies the provider's branding to the dashboard of its people", async () => {
    await page.getByRole('link', { name: 'Branding', exact: true }).click();
    const form = page.getByTestId('branding-form');
    await form.waitFor();
    await form.getByLabel('Name shown in the dashboard').fill('Acme Home');
    await form.getByLabel('Primary colour').first().fill(BRAND_COLOUR);
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByText('Saved.').waitFor();
    // The variable as the page's styles resolve it (this file has no DOM types).
    const accent = () =>
      page.locator('html').evaluate((root) =>
        (
          globalThis as unknown as {
            getComputedStyle(element: unknown): { getPropertyValue(name: string): string };
          }
        )
          .getComputedStyle(root)
          .getPropertyValue('--accent')
          .trim(),
      );
    assert.equal(await accent(), BRAND_COLOUR);
    await page.getByTestId('brand').getByText('Acme Home').waitFor();
    await screenshot(page, 'console-branding');

    // The owner, a person of the same provider, gets the same look.
    await logOut();
    await logIn(page, OWNER);
    await page.getByTestId('brand').getByText('Acme Home').waitFor();
    assert.equal(await accent(), BRAND_COLOUR);
  });

  it('a home owner sees no console and cannot open it', async () => {
    // Still the owner from the step before.
    await page.getByTestId('brand').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Console', exact: true }).count(), 0);
    await page.goto('/console/gateways');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    assert.equal(await page.getByTestId('gateways-table').count(), 0);
    const reply = await world.app.request('GET', '/v1/gateways', undefined, world.app.ownerToken);
    assert.ok(reply.status === 403 || reply.status === 404, `the API refuses the owner: ${reply.status}`);
  });
});
