import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ADMIN_PASSWORD, OWNER_EMAIL, TENANT_SLUG, eventually } from '../helpers/app.ts';
import { parseMail } from '../helpers/smtp-sink.ts';
import { SUITE_TIMEOUT_MS } from '../helpers/wait.ts';
import {
  HOME_NAME,
  OWNER,
  UI_TIMEOUT_MS,
  assertUsable,
  logIn,
  screenshot,
  startDashboardWorld,
  submitLogin,
  type DashboardWorld,
  type PageProblems,
} from './harness.ts';

/**
 * Members, invitations, password reset and notification settings in Debian's Chromium: the owner
 * invites a person by mail, the person accepts from the mailed link without an account and lands
 * in the home, the owner changes their role and removes them; a withdrawn invitation no longer
 * works; notification settings are saved and come back; a forgotten password is reset through
 * the mailed link. The steps share one world, in order (the password reset last: it ends the
 * owner's sessions).
 */

const INVITEE = 'new.person@example.com';
const INVITEE_PASSWORD = 'a long enough secret';
const NEW_OWNER_PASSWORD = 'a brand new passphrase';

/** The text part of the newest mail to `to` with a `/<page>?token=` link, and the token. */
function mailedToken(world: DashboardWorld, to: string, page: string): string {
  const dir = path.join(world.app.dataDir, 'mail');
  const pattern = new RegExp(`/${page}\\?token=([^\\s&#"'<>]+)`);
  for (const file of readdirSync(dir).sort().reverse()) {
    const raw = readFileSync(path.join(dir, file), 'utf8');
    if (!new RegExp(`^To: ${to.replace(/[.]/g, '\\.')}\\r?$`, 'm').test(raw)) continue;
    const match = pattern.exec(parseMail(raw).text);
    if (match?.[1]) return decodeURIComponent(match[1]);
  }
  throw new Error(`no ${page} mail to ${to} in ${dir}`);
}

async function waitForMail(world: DashboardWorld, to: string, page: string): Promise<string> {
  return eventually(
    `a ${page} mail to ${to}`,
    async () => {
      try {
        return mailedToken(world, to, page);
      } catch {
        return undefined;
      }
    },
    UI_TIMEOUT_MS,
  );
}

describe('members, invitations and notification settings in Chromium', { timeout: SUITE_TIMEOUT_MS }, () => {
  let world: DashboardWorld;
  let owner: Page & PageProblems;
  const pages: Array<Page & PageProblems> = [];
  let inviteeId = '';

  const ownerApi = async (method: string, url: string, body?: unknown) => {
    const reply = await world.app.request(method, url, body, world.app.ownerToken);
    assert.ok(reply.status < 300, `${method} ${url}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  };
  const membersUrl = () => `/homes/${world.app.homeId}/members`;
  const newPage = async (options?: { locale?: string; width?: number; height?: number }) => {
    const page = await world.newPage(options);
    pages.push(page);
    return page;
  };

  before(async () => {
    world = await startDashboardWorld();
    owner = await newPage();
    await logIn(owner, OWNER);
  });

  after(async () => {
    for (const page of pages)
      assert.deepEqual(page.problems, [], 'no uncaught errors or CSP violations in the pages');
    await world?.stop();
  });

  it('the owner invites a person by email from the Members tab; the invitation is pending', async () => {
    await owner.goto(`/homes/${world.app.homeId}`);
    await owner.getByTestId('home-tab-members').click();
    await owner.waitForURL((url) => url.pathname === membersUrl());
    await owner.getByRole('heading', { level: 1, name: HOME_NAME }).waitFor();
    const ownerRow = owner.getByTestId(`member-${OWNER_EMAIL}`);
    assert.equal(await ownerRow.getAttribute('data-role'), 'owner');

    // The invite form is reachable by its labels.
    const form = owner.getByTestId('invite-form');
    await form.getByLabel('Email').fill(INVITEE);
    await form.getByLabel('Role').selectOption('member');
    await form.getByLabel('Email').press('Enter');
    await owner.getByTestId('invite-sent').waitFor();
    const row = owner.getByTestId(`invitation-${INVITEE}`);
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /Member/);
    // Who invited: the owner has no name, so the address, marked as the viewer's own.
    assert.equal(
      (await row.getByTestId('invitation-invited-by').textContent())?.trim(),
      `${OWNER_EMAIL} (you)`,
    );

    const open = (await ownerApi('GET', `/v1/homes/${world.app.homeId}/invitations`)).items as Array<{
      email: string;
      role: string;
      invitedBy: { id: string; email: string } | null;
    }>;
    assert.deepEqual(
      open.map((i) => [i.email, i.role, i.invitedBy?.id, i.invitedBy?.email]),
      [[INVITEE, 'member', world.app.ownerId, OWNER_EMAIL]],
    );
    await assertUsable(owner, 'members');
    await screenshot(owner, 'members');
  });

  it('the invited person opens the mailed link without a session, creates an account and lands in the home', async () => {
    const token = await waitForMail(world, INVITEE, 'accept-invitation');
    const invitee = await newPage();
    await invitee.goto(`/accept-invitation?token=${encodeURIComponent(token)}`);
    const card = invitee.getByTestId('accept-invitation');
    await card.getByRole('heading', { name: 'Accept an invitation' }).waitFor();
    assert.equal(await invitee.locator('.topbar').count(), 0, 'no app frame around the page');
    // Before anything is accepted: who invited whom to what, until when.
    await card.getByTestId('invitation-preview').waitFor();
    assert.equal(
      await card.getByTestId('invitation-offer').textContent(),
      `${OWNER_EMAIL} invited you to ${HOME_NAME} (Acme) as Member.`,
    );
    assert.equal(await card.getByTestId('invitation-email').textContent(), INVITEE);
    const expires = await card.getByTestId('invitation-expires').getAttribute('datetime');
    assert.ok(expires && Date.parse(expires) > Date.now(), `a future expiry, not ${expires}`);
    // No account yet: the form is the only way on.
    assert.equal(await card.getByTestId('accept-login').count(), 0);
    await assertUsable(invitee, 'accept invitation');
    await screenshot(invitee, 'accept-invitation');

    // A mistyped repetition is caught before anything is sent.
    await card.getByLabel('Your name').fill('Nadia New');
    await card.getByLabel('New password').fill(INVITEE_PASSWORD);
    await card.getByLabel('Repeat the password').fill(`${INVITEE_PASSWORD}!`);
    await card.getByRole('button', { name: 'Create account and join' }).click();
    await card.getByText('The two passwords are not the same.').waitFor();

    await card.getByLabel('Repeat the password').fill(INVITEE_PASSWORD);
    await card.getByRole('button', { name: 'Create account and join' }).click();
    await invitee.waitForURL((url) => url.pathname === `/homes/${world.app.homeId}`);
    await invitee.getByRole('heading', { level: 1, name: HOME_NAME }).waitFor();

    const members = (await ownerApi('GET', `/v1/homes/${world.app.homeId}/members`)).items as Array<{
      userId: string;
      email: string;
      name: string | null;
      role: string;
      language: string | null;
    }>;
    const joined = members.find((m) => m.email === INVITEE);
    assert.ok(joined, 'the API lists the new member');
    assert.equal(joined.role, 'member');
    assert.equal(joined.name, 'Nadia New');
    assert.equal(joined.language, 'en', 'the account speaks the language of the page');
    inviteeId = joined.userId;
    const still = (await ownerApi('GET', `/v1/homes/${world.app.homeId}/invitations`)).items as unknown[];
    assert.equal(still.length, 0, 'the accepted invitation is no longer open');

    // A member sees the people, but no invite form and no management actions.
    await invitee.getByTestId('home-tab-members').click();
    await invitee.getByTestId(`member-${OWNER_EMAIL}`).waitFor();
    await invitee.getByTestId('leave-home').waitFor();
    assert.equal(await invitee.getByTestId('invite-form').count(), 0);
    assert.equal(await invitee.getByTestId('member-remove').count(), 0);
    assert.equal(await invitee.getByTestId('member-role').count(), 0);
  });

  it('the owner makes the member a guest, then removes them after confirming', async () => {
    await owner.goto(membersUrl());
    const row = owner.getByTestId(`member-${INVITEE}`);
    await row.waitFor();
    await row.getByLabel('Role of Nadia New').selectOption('guest');
    await eventually(
      'the API to report the guest role',
      async () => {
        const items = (await ownerApi('GET', `/v1/homes/${world.app.homeId}/members`)).items as Array<{
          userId: string;
          role: string;
        }>;
        return items.find((m) => m.userId === inviteeId)?.role === 'guest' ? true : undefined;
      },
      UI_TIMEOUT_MS,
    );
    await owner.reload();
    assert.equal(await owner.getByTestId(`member-${INVITEE}`).getAttribute('data-role'), 'guest');

    await owner.getByTestId(`member-${INVITEE}`).getByRole('button', { name: 'Remove Nadia New' }).click();
    const dialog = owner.getByTestId('confirm-remove');
    await dialog.waitFor();
    // Cancel first: nothing happens.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    const listed = (await ownerApi('GET', `/v1/homes/${world.app.homeId}/members`)).items as unknown[];
    assert.equal(listed.length, 2);

    await owner.getByTestId(`member-${INVITEE}`).getByRole('button', { name: 'Remove Nadia New' }).click();
    await owner.getByTestId('confirm-remove-confirm').click();
    await owner.getByTestId(`member-${INVITEE}`).waitFor({ state: 'detached' });
    const left = (await ownerApi('GET', `/v1/homes/${world.app.homeId}/members`)).items as Array<{
      email: string;
    }>;
    assert.deepEqual(
      left.map((m) => m.email),
      [OWNER_EMAIL],
    );
  });

  it('an invitation withdrawn in the UI can no longer be accepted', async () => {
    const email = 'withdrawn.person@example.com';
    await owner.goto(membersUrl());
    const form = owner.getByTestId('invite-form');
    await form.getByLabel('Email').fill(email);
    await form.getByLabel('Role').selectOption('guest');
    await form.getByRole('button', { name: 'Send invitation' }).click();
    const row = owner.getByTestId(`invitation-${email}`);
    await row.waitFor();
    const token = await waitForMail(world, email, 'accept-invitation');

    await row.getByRole('button', { name: `Withdraw the invitation for ${email}` }).click();
    await owner.getByTestId('confirm-revoke-confirm').click();
    await row.waitFor({ state: 'detached' });
    await owner.getByTestId('invitations-empty').waitFor();
    const open = (await ownerApi('GET', `/v1/homes/${world.app.homeId}/invitations`)).items as unknown[];
    assert.equal(open.length, 0);

    const stranger = await newPage();
    await stranger.goto(`/accept-invitation?token=${encodeURIComponent(token)}`);
    const card = stranger.getByTestId('accept-invitation');
    const error = card.getByTestId('invitation-invalid');
    await error.waitFor();
    assert.match((await error.textContent()) ?? '', /no longer works/);
    assert.equal(await card.locator('form, input').count(), 0, 'no form for a dead link');
    assert.equal(await card.getByTestId('invitation-preview').count(), 0);
    const login = await world.app.request(
      'POST',
      '/v1/auth/login',
      { tenant: TENANT_SLUG, email, password: INVITEE_PASSWORD },
      null,
    );
    assert.equal(login.status, 401, 'no account was created');
  });

  it('a person with an account logs in from the invitation and accepts it', async () => {
    const email = 'existing.person@example.com';
    const existing = await world.app.signUp(email);
    await ownerApi('POST', `/v1/homes/${world.app.homeId}/invitations`, { email, role: 'guest' });
    const token = await waitForMail(world, email, 'accept-invitation');

    const page = await newPage({ width: 390, height: 844 });
    const link = `/accept-invitation?token=${encodeURIComponent(token)}`;
    await page.goto(link);
    const step = page.getByTestId('accept-login-step');
    await step.waitFor();
    assert.equal(
      await page.getByTestId('invitation-offer').textContent(),
      `${OWNER_EMAIL} invited you to ${HOME_NAME} (Acme) as Guest.`,
    );
    const said = (await step.textContent()) ?? '';
    assert.ok(said.includes(`account for ${email}`), said);
    // The account exists: logging in is the way on; no password form to make another one.
    assert.equal(await page.locator('input[type=password]').count(), 0);
    assert.equal(await page.getByTestId('accept-invitation-form').count(), 0);
    await assertUsable(page, 'accept invitation, login step, on a phone');
    await screenshot(page, 'accept-invitation-login-phone');
    await step.getByRole('link', { name: 'Log in to accept' }).click();
    await page.waitForURL((url) => url.pathname === '/login');
    // The login page keeps where to go next (submitLogin would open a fresh one).
    const login = page.getByTestId('login-form');
    // The provider and the invited address come filled in from the invitation.
    assert.equal(await login.getByLabel('Provider').inputValue(), TENANT_SLUG);
    assert.equal(await login.getByLabel('Email').inputValue(), email);
    await login.getByLabel('Password').fill(ADMIN_PASSWORD);
    await login.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL((url) => url.pathname === '/accept-invitation');
    const card = page.getByTestId('accept-invitation');
    await card.getByText(`You are logged in as ${email}.`).waitFor();
    await card.getByRole('button', { name: 'Accept invitation' }).click();
    await page.waitForURL((url) => url.pathname === `/homes/${world.app.homeId}`);
    await page.getByRole('heading', { level: 1, name: HOME_NAME }).waitFor();
    const members = (await ownerApi('GET', `/v1/homes/${world.app.homeId}/members`)).items as Array<{
      userId: string;
      role: string;
    }>;
    assert.equal(members.find((m) => m.userId === existing.userId)?.role, 'guest');
    await ownerApi('DELETE', `/v1/homes/${world.app.homeId}/members/${existing.userId}`);
  });

  it('signed in as someone else, the page says so; logging out continues, and the account takes the page language', async () => {
    const email = 'li.hua@example.com';
    const bystander = 'bystander@example.com';
    await world.app.signUp(bystander);
    // The mail goes out in English: the new account must still take the language of the page.
    const invitation = (await ownerApi('POST', `/v1/homes/${world.app.homeId}/invitations`, {
      email,
      role: 'member',
      language: 'en',
    })) as { language: string | null };
    assert.equal(invitation.language, 'en');
    const token = await waitForMail(world, email, 'accept-invitation');

    const page = await newPage({ locale: 'zh-CN' });
    await page.goto('/login');
    const login = page.getByTestId('login-form');
    await login.getByLabel('服务商').fill(TENANT_SLUG);
    await login.getByLabel('邮箱').fill(bystander);
    await login.getByLabel('密码').fill(ADMIN_PASSWORD);
    await login.getByRole('button', { name: '登录' }).click();
    await page.waitForURL((url) => url.pathname !== '/login');

    await page.goto(`/accept-invitation?token=${encodeURIComponent(token)}`);
    const card = page.getByTestId('accept-invitation');
    const other = card.getByTestId('accept-other-account');
    await other.waitFor();
    assert.equal(
      await card.getByTestId('invitation-offer').textContent(),
      `${OWNER_EMAIL} 邀请你以成员身份加入「${HOME_NAME}」（Acme）。`,
    );
    const explanation = (await other.textContent()) ?? '';
    assert.ok(explanation.includes(email) && explanation.includes(bystander), explanation);
    assert.equal(await card.locator('input').count(), 0, 'nothing to accept as the wrong person');
    await assertUsable(page, 'accept invitation, other account');
    await screenshot(page, 'accept-invitation-other-account-zh');

    await other.getByRole('button', { name: '退出登录并继续' }).click();
    const form = card.getByTestId('accept-invitation-form');
    await form.waitFor();
    assert.equal(new URL(page.url()).pathname, '/accept-invitation', 'the page stays');
    assert.equal(await page.evaluate("localStorage.getItem('hestia.session')"), null, 'logged out');
    await form.getByLabel('你的姓名').fill('李华');
    await form.getByLabel('新密码').fill(INVITEE_PASSWORD);
    await form.getByLabel('再次输入密码').fill(INVITEE_PASSWORD);
    await form.getByRole('button', { name: '创建账户并加入' }).click();
    await page.waitForURL((url) => url.pathname === `/homes/${world.app.homeId}`);
    await page.getByRole('heading', { level: 1, name: HOME_NAME }).waitFor();

    const members = (await ownerApi('GET', `/v1/homes/${world.app.homeId}/members`)).items as Array<{
      userId: string;
      email: string;
      name: string | null;
      language: string | null;
    }>;
    const joined = members.find((m) => m.email === email);
    assert.ok(joined, 'the API lists the new member');
    assert.equal(joined.name, '李华');
    assert.equal(joined.language, 'zh', 'the account speaks the language of the page, not of the mail');
    assert.equal(
      members.find((m) => m.email === bystander),
      undefined,
      'the other account did not join',
    );
    await ownerApi('DELETE', `/v1/homes/${world.app.homeId}/members/${joined.userId}`);
  });

  it('members page fits a phone', async () => {
    const phone = await newPage({ width: 390, height: 844 });
    await logIn(phone, OWNER);
    await phone.goto(membersUrl());
    await phone.getByTestId(`member-${OWNER_EMAIL}`).waitFor();
    await phone.getByTestId('invite-form').getByLabel('Email').waitFor();
    await assertUsable(phone, 'members on a phone');
    await screenshot(phone, 'members-phone');
  });

  it('notification preferences are saved, shown again after a reload, and the API returns them', async () => {
    const device = (await ownerApi('POST', '/v1/me/push-devices', {
      provider: 'fcm',
      token: 'fcm-token-of-the-test-phone-0123456789',
      platform: 'android',
    })) as { id: string };

    await owner.goto('/settings/notifications');
    const form = owner.getByTestId('preferences-form');
    await form.waitFor();
    assert.equal(await form.getByTestId('channel-warning-email').isChecked(), false);
    await form.getByTestId('channel-warning-email').check();
    await form.getByTestId('channel-info-in_app').uncheck();
    await form.getByLabel('Hold back push and mail at night').check();
    await form.getByLabel('From', { exact: true }).fill('23:00');
    await form.getByLabel('To', { exact: true }).fill('06:30');
    await form.getByLabel('Time zone').selectOption('Europe/Berlin');
    await form.getByText('Critical alarms always come through').waitFor();
    await assertUsable(owner, 'notification settings');
    await form.getByRole('button', { name: 'Save' }).click();
    await owner.getByTestId('preferences-saved').waitFor();

    await owner.reload();
    await form.waitFor();
    assert.equal(await form.getByTestId('channel-warning-email').isChecked(), true);
    assert.equal(await form.getByTestId('channel-info-in_app').isChecked(), false);
    assert.equal(await form.getByLabel('From', { exact: true }).inputValue(), '23:00');
    assert.equal(await form.getByLabel('To', { exact: true }).inputValue(), '06:30');
    assert.equal(await form.getByLabel('Time zone').inputValue(), 'Europe/Berlin');

    const saved = await ownerApi('GET', '/v1/me/notification-preferences');
    assert.deepEqual([...saved.channels.warning].sort(), ['email', 'fcm', 'in_app', 'onesignal']);
    assert.deepEqual(saved.channels.info, []);
    assert.deepEqual(saved.quietHours, { start: '23:00', end: '06:30', timezone: 'Europe/Berlin' });
    assert.equal(saved.isDefault, false);

    // The registered phone is listed, and removed after confirming.
    const item = owner.getByTestId(`push-device-${device.id}`);
    await item.waitFor();
    await item.getByRole('button', { name: /Remove device/ }).click();
    await owner.getByTestId('confirm-remove-device-confirm').click();
    await owner.getByTestId('push-devices-empty').waitFor();
    const devices = (await ownerApi('GET', '/v1/me/push-devices')).items as unknown[];
    assert.equal(devices.length, 0);
  });

  it('an in-app notification is listed and marked as read', async () => {
    const sent = await world.app.request('POST', `/v1/tenants/${world.app.tenantId}/notifications/test`, {
      channel: 'in_app',
      userId: world.app.ownerId,
    });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const id = await eventually(
      'the in-app notification',
      async () => {
        const feed = await ownerApi('GET', '/v1/me/notifications');
        return (feed.items as Array<{ id: string }>)[0]?.id;
      },
      UI_TIMEOUT_MS,
    );
    await owner.goto('/settings/notifications');
    const item = owner.getByTestId(`notification-${id}`);
    await item.waitFor();
    assert.equal(await item.getAttribute('data-read'), 'false');
    await item.getByRole('button', { name: /as read/ }).click();
    await owner.locator(`[data-testid="notification-${id}"][data-read="true"]`).waitFor();
    const feed = await ownerApi('GET', '/v1/me/notifications');
    assert.equal(feed.unreadCount, 0);
    assert.ok((feed.items as Array<{ id: string; readAt: string | null }>).find((n) => n.id === id)?.readAt);
  });

  it('notification settings in Chinese', async () => {
    await owner.goto('/settings/notifications');
    await owner.getByTestId('preferences-form').waitFor();
    await owner.getByTestId('language').selectOption('zh');
    try {
      await owner.getByRole('heading', { level: 1, name: '通知' }).waitFor();
      await owner.getByTestId('preferences-form').getByText('严重警报始终会送达').waitFor();
      await owner.getByRole('button', { name: '保存' }).waitFor();
      assert.equal(await owner.getByTestId('channel-warning-email').isChecked(), true);
      await screenshot(owner, 'notification-settings-zh');
    } finally {
      await owner.getByTestId('language').selectOption('en');
    }
  });

  it('a forgotten password is reset through the mailed link; the new one works, the old one not', async () => {
    const page = await newPage();
    await page.goto('/login');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.waitForURL((url) => url.pathname === '/forgot-password');
    await assertUsable(page, 'forgot password');
    const form = page.getByTestId('forgot-password-form');
    await form.getByLabel('Provider').fill(TENANT_SLUG);
    await form.getByLabel('Email').fill(OWNER_EMAIL);
    await form.getByRole('button', { name: 'Mail me a link' }).click();
    await page.getByTestId('forgot-password-sent').waitFor();

    const token = await waitForMail(world, OWNER_EMAIL, 'reset-password');
    await page.goto(`/reset-password?token=${encodeURIComponent(token)}`);
    const reset = page.getByTestId('reset-password-form');
    await reset.getByLabel('New password').fill(NEW_OWNER_PASSWORD);
    await reset.getByLabel('Repeat the password').fill(NEW_OWNER_PASSWORD);
    await reset.getByRole('button', { name: 'Set password' }).click();
    await page.getByTestId('reset-password-done').waitFor();
    await page.getByTestId('reset-password-login').click();
    await page.waitForURL((url) => url.pathname === '/login');

    await submitLogin(page, { ...OWNER, password: NEW_OWNER_PASSWORD });
    await page.waitForURL((url) => url.pathname !== '/login');
    const old = await world.app.request(
      'POST',
      '/v1/auth/login',
      { tenant: TENANT_SLUG, email: OWNER_EMAIL, password: ADMIN_PASSWORD },
      null,
    );
    assert.equal(old.status, 401, 'the old password no longer works');

    // The link is spent: a second use is refused, in words.
    await page.goto(`/reset-password?token=${encodeURIComponent(token)}`);
    const again = page.getByTestId('reset-password-form');
    await again.getByLabel('New password').fill('yet another passphrase');
    await again.getByLabel('Repeat the password').fill('yet another passphrase');
    await again.getByRole('button', { name: 'Set password' }).click();
    assert.match((await page.getByTestId('form-error').textContent()) ?? '', /no longer works/);
  });
});
