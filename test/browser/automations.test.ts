import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { eventually } from '../helpers/app.ts';
import { SUITE_TIMEOUT_MS } from '../helpers/wait.ts';
import {
  UI_TIMEOUT_MS,
  joinedPerson,
  logIn,
  screenshot,
  startDashboardWorld,
  type DashboardWorld,
  type PageProblems,
} from './harness.ts';

/**
 * The automations pages in Chromium against the real app: the owner builds "Cool down" (the
 * living-room temperature rises above 25 °C → the plug goes on) in the editor, sees it run live
 * when the thermometer crosses 25 °C, disables it, meets a refused field, and deletes it; a
 * guest sees the rules without the editing actions. The owner's steps share one page, in order.
 */

/** Whether the element has the keyboard focus (evaluated in the page; no DOM types here). */
async function isFocused(locator: Locator): Promise<boolean> {
  return locator.evaluate(
    (element) =>
      element === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement,
  );
}

interface AutomationBody {
  id: string;
  name: string;
  enabled: boolean;
  triggers: Array<Record<string, unknown>>;
  actions: Array<Record<string, unknown>>;
}

describe('the automations pages in Chromium', { timeout: SUITE_TIMEOUT_MS }, () => {
  let world: DashboardWorld;
  let page: Page & PageProblems;
  let automationId = '';
  const pages: Array<Page & PageProblems> = [];

  const listUrl = () => `/homes/${world.app.homeId}/automations`;
  const ownerApi = async (method: string, url: string, body?: unknown) => {
    const reply = await world.app.request(method, url, body, world.app.ownerToken);
    assert.ok(reply.status < 300, `${method} ${url}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  };
  const automations = async () =>
    (await ownerApi('GET', `/v1/homes/${world.app.homeId}/automations`)).items as AutomationBody[];
  const item = (target: Page) => target.locator(`[data-testid="automation-${automationId}"]`);

  before(async () => {
    world = await startDashboardWorld();
    // The plug reports its state at registration; the editor offers devices by what they report.
    await eventually(
      'the plug to report its switch',
      async () => {
        const device = await ownerApi('GET', `/v1/devices/${world.plugId}`);
        return (device.channels as Array<{ label: string }>).some((c) => c.label === 'Switch')
          ? true
          : undefined;
      },
      UI_TIMEOUT_MS,
    );
    page = await world.newPage();
    pages.push(page);
    await logIn(page);
  });

  after(async () => {
    for (const each of pages) assert.deepEqual(each.problems, [], 'no uncaught errors or CSP violations');
    await world?.stop();
  });

  it('creates "Cool down" in the editor: above 25 °C in the living room turns the plug on', async () => {
    await page.goto(listUrl());
    await page.getByTestId('automations-empty').waitFor();
    await page.getByTestId('automation-new').click();
    await page.waitForURL((url) => url.pathname === `${listUrl()}/new`);

    await page.getByLabel('Name', { exact: true }).fill('Cool down');
    const trigger = page.getByTestId('trigger-0');
    assert.equal(await trigger.getByLabel('Kind', { exact: true }).inputValue(), 'device');
    await trigger.getByLabel('Device', { exact: true }).selectOption(world.thermometerId);
    assert.equal(await trigger.getByLabel('Value', { exact: true }).inputValue(), 'Temperature');
    await trigger.getByLabel('When it').selectOption('above');
    // The threshold is labelled with the channel's unit.
    await trigger.getByLabel('Threshold (°C)').fill('25');

    const action = page.getByTestId('action-0');
    assert.equal(await action.getByLabel('Kind', { exact: true }).inputValue(), 'command');
    await action.getByLabel('Device', { exact: true }).selectOption(world.plugId);
    await action.getByLabel('Command').selectOption('turnOn');
    await page.getByTestId('automation-save').click();

    await page.waitForURL((url) => url.pathname === listUrl());
    const saved = await automations();
    assert.equal(saved.length, 1);
    const rule = saved[0]!;
    automationId = rule.id;
    assert.equal(rule.name, 'Cool down');
    assert.equal(rule.enabled, true);
    assert.deepEqual(rule.triggers, [
      { type: 'device', deviceId: world.thermometerId, label: 'Temperature', op: 'above', value: 25 },
    ]);
    assert.deepEqual(rule.actions, [
      { type: 'command', deviceId: world.plugId, action: 'turnOn', params: {} },
    ]);

    const shown = item(page);
    await shown.waitFor();
    assert.equal(await shown.getAttribute('data-name'), 'Cool down');
    assert.match(
      await shown.getByTestId('automation-when').innerText(),
      /Living room thermometer.*rises above 25 °C/,
    );
    assert.match(await shown.getByTestId('automation-then').innerText(), /turn on/);
    assert.match(await shown.getByTestId('automation-last-run').innerText(), /Not run yet/);
  });

  it('runs when the temperature crosses 25 °C: the run history shows it live, and the plug is on', async () => {
    await item(page).getByTestId('automation-edit').click();
    await page.waitForURL((url) => url.pathname === `${listUrl()}/${automationId}`);
    await page.getByTestId('runs-empty').waitFor();
    await page.locator('[data-testid="live"][data-state="connected"]').waitFor();

    await world.publishTemperature(24);
    await world.publishTemperature(26);
    const run = page.locator('[data-testid="run"][data-outcome="succeeded"]');
    await run.waitFor();
    assert.equal(await page.getByTestId('run').count(), 1, 'one crossing, one run');
    assert.match(
      await run.getByTestId('run-trigger').innerText(),
      /Temperature of Living room thermometer went from 24 °C to 26 °C/,
    );
    assert.equal(await run.locator('[data-testid="run-action"][data-status="done"]').count(), 1);
    await screenshot(page, 'automation-editor');
    await page.getByTestId('automation-runs').scrollIntoViewIfNeeded();
    await screenshot(page, 'automation-runs');

    const runs = (await ownerApi('GET', `/v1/automations/${automationId}/runs`)).items as Array<{
      outcome: string;
      actions: Array<{ status: string; commandIds?: string[] }>;
    }>;
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.outcome, 'succeeded');
    const commandId = runs[0]!.actions[0]?.commandIds?.[0];
    assert.ok(commandId, 'the run names the command it sent');
    await eventually(
      'the plug to be on and the command to have succeeded',
      async () => {
        const command = await ownerApi('GET', `/v1/commands/${commandId}`);
        const plug = await ownerApi('GET', `/v1/devices/${world.plugId}`);
        const switchValue = (plug.channels as Array<{ label: string; value: number | null }>).find(
          (c) => c.label === 'Switch',
        )?.value;
        return command.status === 'succeeded' && switchValue === 1 ? true : undefined;
      },
      UI_TIMEOUT_MS,
    );

    // The list shows the last run too, from the listing itself: no request per rule.
    const list = await world.newPage();
    pages.push(list);
    await logIn(list);
    const runRequests: string[] = [];
    list.on('request', (request) => {
      if (/\/runs(\?|$)/.test(new URL(request.url()).pathname)) runRequests.push(request.url());
    });
    await list.goto(listUrl());
    const lastRun = item(list).getByTestId('automation-last-run');
    await lastRun.locator('[data-testid="run-outcome"][data-outcome="succeeded"]').waitFor();
    assert.match(await lastRun.innerText(), /Last run/);
    assert.deepEqual(runRequests, [], 'the list asks for no runs');
    const listed = (await automations()) as Array<AutomationBody & { lastRun: { outcome: string } | null }>;
    assert.equal(listed[0]!.lastRun?.outcome, 'succeeded');
    await list.close();
  });

  it('disables it in the editor; the change persists after a reload', async () => {
    await page.goto(`${listUrl()}/${automationId}`);
    const enabled = page.getByLabel('Enabled', { exact: true });
    assert.equal(await enabled.isChecked(), true);
    await enabled.uncheck();
    await page.getByTestId('automation-save').click();
    await page.waitForURL((url) => url.pathname === listUrl());
    await page.reload();
    await page.locator(`[data-testid="automation-${automationId}"][data-enabled="false"]`).waitFor();
    assert.equal(await item(page).getByRole('switch').isChecked(), false);
    assert.equal((await automations())[0]!.enabled, false);

    await page.goto(`${listUrl()}/${automationId}`);
    assert.equal(await page.getByLabel('Enabled', { exact: true }).isChecked(), false);
    // The list's switch turns it back on (PATCH).
    await page.goto(listUrl());
    await item(page).getByRole('switch').check();
    await page.locator(`[data-testid="automation-${automationId}"][data-enabled="true"]`).waitFor();
    await eventually(
      'the rule to be enabled',
      async () => ((await automations())[0]!.enabled ? true : undefined),
      UI_TIMEOUT_MS,
    );
    await screenshot(page, 'automations');
  });

  it('shows every refused field of a save next to it, lists them at the top, and saves nothing', async () => {
    await page.goto(`${listUrl()}/${automationId}`);
    const name = page.getByLabel('Name', { exact: true });
    await name.fill('   ');
    await name.press('Enter'); // the form submits on Enter
    const nameError = page.getByTestId('field-error-name');
    await nameError.waitFor();
    assert.match(await nameError.innerText(), /1 to 100 characters/);
    assert.equal(await name.getAttribute('aria-invalid'), 'true');
    const describedBy = (await name.getAttribute('aria-describedby')) ?? '';
    assert.ok(
      describedBy.includes((await nameError.getAttribute('id')) ?? '-'),
      'the error describes the input',
    );
    const summary = page.getByTestId('automation-errors');
    assert.match(await summary.innerText(), /Name: 1 to 100 characters/);

    // Two refused fields in one save: a threshold that is no number, a delay that is none.
    await name.fill('Cool down');
    const threshold = page.getByTestId('trigger-0').getByLabel('Threshold (°C)');
    await threshold.fill('warm');
    await page.getByRole('button', { name: 'Add an action' }).click();
    const delay = page.getByTestId('action-1');
    await delay.getByLabel('Kind', { exact: true }).selectOption('delay');
    const wait = delay.getByLabel('Wait for', { exact: true });
    await wait.fill('soon');
    await page.getByTestId('automation-save').click();
    const thresholdError = page.getByTestId('field-error-triggers[0].value');
    const waitError = page.getByTestId('field-error-actions[1].seconds');
    await thresholdError.waitFor();
    await waitError.waitFor();
    assert.match(await thresholdError.innerText(), /expected a number/);
    assert.equal(await threshold.getAttribute('aria-invalid'), 'true');
    assert.equal(await wait.getAttribute('aria-invalid'), 'true');
    const listed = summary.locator('li');
    assert.equal(await listed.count(), 2, 'the summary lists both');
    assert.match(await summary.innerText(), /Trigger 1 · Threshold \(°C\): expected a number/);
    assert.match(await summary.innerText(), /Action 2 · Wait for: /);
    // Focus is on the first field the API named (actions come first).
    const first = await listed.first().getAttribute('data-field');
    assert.equal(first, 'actions[1].seconds');
    assert.ok(await isFocused(wait), 'focus on the first refused field');
    // A link of the summary leads to its field.
    await listed.nth(1).getByRole('link').click();
    assert.ok(await isFocused(threshold), 'the link focuses its field');
    assert.equal(page.url().endsWith(`/automations/${automationId}`), true, 'still in the editor');

    // Two refused command parameters, each shown at its own input: set-points of 500 and 1 °C.
    await threshold.fill('25');
    await page.getByRole('button', { name: 'Remove Action 2' }).click();
    const setPoint = async (index: number, celsius: string) => {
      const action = page.getByTestId(`action-${index}`);
      await action.getByLabel('Kind', { exact: true }).selectOption('command');
      await action.getByLabel('Device', { exact: true }).selectOption(world.thermostatId);
      await action.getByLabel('Command', { exact: true }).selectOption('setTemperature');
      await action.getByLabel('Set-point (°C)').fill(celsius);
      return action.getByLabel('Set-point (°C)');
    };
    const high = await setPoint(0, '500');
    await page.getByRole('button', { name: 'Add an action' }).click();
    const low = await setPoint(1, '1');
    await page.getByTestId('automation-save').click();
    const highError = page.getByTestId('field-error-actions[0].params.temperature');
    const lowError = page.getByTestId('field-error-actions[1].params.temperature');
    await highError.waitFor();
    await lowError.waitFor();
    assert.match(await highError.innerText(), /500/);
    assert.match(await lowError.innerText(), /outside/);
    assert.equal(await high.getAttribute('aria-invalid'), 'true');
    assert.equal(await low.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByTestId('field-error-triggers[0].value').count(), 0, 'the fixed one is gone');
    assert.equal(await listed.count(), 2);
    assert.match(await summary.innerText(), /Action 1 · Set-point \(°C\): /);
    assert.ok(await isFocused(high), 'focus on the first refused parameter');
    await screenshot(page, 'automation-errors');

    const [rule] = await automations();
    assert.equal(rule!.name, 'Cool down');
    assert.equal(rule!.triggers[0]!.value, 25, 'nothing was saved');
    assert.deepEqual(rule!.actions, [
      { type: 'command', deviceId: world.plugId, action: 'turnOn', params: {} },
    ]);
    await page.getByTestId('automation-cancel').click();
    await page.waitForURL((url) => url.pathname === listUrl());
  });

  it('reaches and names the editor controls from the keyboard', async () => {
    await page.goto(`${listUrl()}/new`);
    const name = page.getByLabel('Name', { exact: true });
    await name.focus();
    // Every control has a label a person (and getByLabel) finds.
    for (const label of ['Kind', 'Device', 'Value', 'When it', 'Cooldown (seconds)', 'Enabled', 'Command']) {
      assert.ok((await page.getByLabel(label, { exact: true }).count()) > 0, `a control labelled ${label}`);
    }
    // A kind's own fields appear when it is chosen, labelled.
    await page.getByTestId('trigger-0').getByLabel('Kind', { exact: true }).selectOption('schedule');
    await page.getByLabel('Every day at').fill('07:30');
    assert.equal(await page.getByLabel('Schedule (cron)').inputValue(), '30 7 * * *');
    await page.getByRole('button', { name: 'Add a condition' }).click();
    await page.getByTestId('condition-0').getByLabel('From').waitFor();
    await page.getByRole('button', { name: 'Add an action' }).click();
    await page.getByTestId('action-1').getByLabel('Kind', { exact: true }).selectOption('delay');
    await page.getByTestId('action-1').getByLabel('Wait for').waitFor();
    await page.getByRole('button', { name: 'Move Action 2 up' }).click();
    assert.equal(
      await page.getByTestId('action-0').getByLabel('Kind', { exact: true }).inputValue(),
      'delay',
    );

    // Tab order reaches Save from the name field.
    let reached = false;
    for (let step = 0; step < 80 && !reached; step += 1) {
      await page.keyboard.press('Tab');
      reached = await isFocused(page.getByTestId('automation-save'));
    }
    assert.ok(reached, 'Save is reachable with Tab');
    await page.getByTestId('automation-cancel').click();
    await page.waitForURL((url) => url.pathname === listUrl());
    assert.equal((await automations()).length, 1, 'leaving the editor saved nothing');
  });

  it('shows the editor on a phone and the list in Chinese', async () => {
    const phone = await world.newPage({ width: 390, height: 844 });
    pages.push(phone);
    await logIn(phone);
    await phone.goto(`${listUrl()}/${automationId}`);
    await phone.getByTestId('run').first().waitFor();
    // A string: the tests are compiled without the DOM's types.
    const overflow = Number(await phone.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    assert.ok(overflow <= 0, `no horizontal scrolling on a phone (${overflow}px)`);
    await screenshot(phone, 'automation-editor-phone');
    await phone.goto(listUrl());
    await item(phone).waitFor();
    const listOverflow = Number(
      await phone.evaluate('document.documentElement.scrollWidth - window.innerWidth'),
    );
    assert.ok(listOverflow <= 0, `no horizontal scrolling of the list on a phone (${listOverflow}px)`);

    const chinese = await world.newPage();
    pages.push(chinese);
    await logIn(chinese);
    await chinese.goto(listUrl());
    await chinese.getByTestId('language').selectOption('zh');
    await item(chinese).waitFor();
    assert.match(await item(chinese).getByTestId('automation-run').innerText(), /立即运行/);
    await chinese.getByRole('heading', { name: '场景' }).waitFor();
    await screenshot(chinese, 'automations-zh');
  });

  it('hides the editing actions from a guest', async () => {
    const guest = await joinedPerson(world, 'guest@automations.example', 'guest');
    const guestPage = guest.page;
    pages.push(guestPage);
    await guestPage.goto(listUrl());
    const shown = item(guestPage);
    await shown.waitFor();
    assert.equal(await guestPage.getByTestId('automation-new').count(), 0);
    assert.equal(await shown.getByTestId('automation-run').count(), 0);
    assert.equal(await shown.getByTestId('automation-delete').count(), 0);
    assert.equal(await shown.getByRole('switch').isDisabled(), true);
    await shown.getByTestId('automation-edit').click();
    await guestPage.getByTestId('automation-form').waitFor();
    assert.equal(await guestPage.getByTestId('automation-save').count(), 0);
    assert.equal(await guestPage.getByLabel('Name', { exact: true }).isDisabled(), true);
    // The API agrees: a guest may not run it.
    const refused = await world.app.request('POST', `/v1/automations/${automationId}/run`, {}, guest.token);
    assert.equal(refused.status, 403);
  });

  it('adds a scene, activates it (the plug goes off), and deletes it', async () => {
    await page.goto(listUrl());
    await page.getByTestId('scenes-empty').waitFor();
    await page.getByTestId('scene-new').click();
    const form = page.getByTestId('scene-form');
    await form.getByLabel('Scene name').fill('Good night');
    const step = form.getByTestId('scene-step-0');
    await step.getByLabel('Device', { exact: true }).selectOption(world.plugId);
    await step.getByLabel('Command', { exact: true }).selectOption('turnOff');
    await form.getByTestId('scene-save').click();
    await form.waitFor({ state: 'detached' });
    const scenes = (await ownerApi('GET', `/v1/homes/${world.app.homeId}/scenes`)).items as Array<{
      id: string;
      name: string;
      actions: unknown[];
    }>;
    assert.equal(scenes.length, 1);
    assert.equal(scenes[0]!.name, 'Good night');
    assert.deepEqual(scenes[0]!.actions, [
      { type: 'command', deviceId: world.plugId, action: 'turnOff', params: {} },
    ]);

    const scene = page.getByTestId(`scene-${scenes[0]!.id}`);
    await scene.getByTestId('scene-activate').click();
    assert.match(await scene.getByTestId('scene-result').innerText(), /1 of 1 commands sent/);
    await eventually(
      'the plug to be off',
      async () => {
        const plug = await ownerApi('GET', `/v1/devices/${world.plugId}`);
        const channels = plug.channels as Array<{ label: string; value: number | null }>;
        return channels.find((c) => c.label === 'Switch')?.value === 0 ? true : undefined;
      },
      UI_TIMEOUT_MS,
    );

    await scene.getByTestId('scene-delete').click();
    await scene.getByTestId('scene-delete-confirm').getByRole('button', { name: 'Delete' }).click();
    await scene.waitFor({ state: 'detached' });
    assert.deepEqual((await ownerApi('GET', `/v1/homes/${world.app.homeId}/scenes`)).items, []);
  });

  it('deletes it after a confirmation', async () => {
    await page.goto(listUrl());
    await item(page).getByTestId('automation-delete').click();
    const confirm = item(page).getByTestId('automation-delete-confirm');
    await confirm.waitFor();
    // Nothing is deleted before the answer; focus waits on "Cancel".
    assert.equal((await automations()).length, 1);
    assert.equal(await isFocused(confirm.getByRole('button', { name: 'Cancel' })), true);
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await item(page).waitFor({ state: 'detached' });
    await page.getByTestId('automations-empty').waitFor();
    assert.deepEqual(await automations(), []);
  });
});
