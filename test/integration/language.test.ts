import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import {
  ADMIN_PASSWORD,
  OWNER_EMAIL,
  TENANT_SLUG,
  eventually,
  startTestApp,
  type TestApp,
} from '../helpers/app.ts';
import { onEveryBackend, type Backend } from '../helpers/backends.ts';
import { oneSignalServer, type ProviderServer } from '../helpers/push-providers.ts';
import { extractToken, startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { SUITE_TIMEOUT_MS } from '../helpers/wait.ts';

/**
 * A person's language on a real Hestia: chosen at sign-up, shown and changed at /v1/me; one
 * alarm reaches a Chinese-speaking member in Chinese (OneSignal push, in-app feed) and the
 * English owner in English; a request without a catalogue message (as stored before languages
 * existed, or written by a person) goes out as written; account mails and invitations follow the
 * recipient's language. Run once per backend.
 */

const TIMEOUT = { timeout: SUITE_TIMEOUT_MS };
const ONESIGNAL = { appId: 'app-lang', restApiKey: 'os-rest-key-lang' };
const MEMBER_EMAIL = 'mei@language.example';

function languageSuite(backend: Backend): void {
  describe(`languages (${backend.name})`, TIMEOUT, () => {
    let app: TestApp;
    let drop: () => Promise<void> = async () => undefined;
    let sink: SmtpSink;
    let oneSignal: ProviderServer;
    let gateway: { id: string; token: string };
    let client: MqttClient;
    let member: { token: string; userId: string };
    let clockMs = Date.now() - 60_000;

    const deliveriesOf = (requestId: string) =>
      app.hestia.ctx.store.control.notifications.listDeliveries({
        tenantId: app.tenantId,
        requestId,
        limit: 100,
      });
    const settled = (requestId: string, expectedCount: number) =>
      eventually(`deliveries of ${requestId} to finish`, async () => {
        const rows = await deliveriesOf(requestId);
        if (rows.length < expectedCount) return undefined;
        if (rows.some((row) => row.status === 'pending' || row.status === 'sending')) return undefined;
        return rows;
      });
    const pushTo = (player: string, requestId: string) =>
      oneSignal
        .accepted()
        .find(
          (call) =>
            call.body.include_player_ids.includes(player) && call.body.data.notificationId === requestId,
        );
    const feedOf = async (token: string) => {
      const reply = await app.request('GET', '/v1/me/notifications', undefined, token);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      return reply.body.items as Array<{ title: string; body: string; data: Record<string, string> }>;
    };

    before(async () => {
      const opened = await backend.open();
      drop = opened.drop;
      sink = await startSmtpSink();
      oneSignal = await oneSignalServer(ONESIGNAL).start();
      app = await startTestApp({
        ...(opened.storage ? { storage: opened.storage } : {}),
        mail: { transport: 'smtp', smtpUrl: sink.url },
        notifications: { oneSignalUrl: oneSignal.url, retryBaseMs: 50, sweepIntervalSeconds: 1 },
      });
      const credentials = await app.request('PUT', `/v1/tenants/${app.tenantId}/push-credentials`, {
        oneSignal: ONESIGNAL,
      });
      assert.equal(credentials.status, 200, JSON.stringify(credentials.body));

      const signUp = await app.request(
        'POST',
        '/v1/auth/signup',
        { tenant: TENANT_SLUG, email: MEMBER_EMAIL, password: ADMIN_PASSWORD, language: 'zh' },
        null,
      );
      assert.equal(signUp.status, 201, JSON.stringify(signUp.body));
      assert.equal(signUp.body.user.language, 'zh', 'sign-up takes the language');
      member = { token: signUp.body.accessToken, userId: signUp.body.user.id };
      await app.hestia.ctx.store.directory.homes.addMember({
        homeId: app.homeId,
        userId: member.userId,
        tenantId: app.tenantId,
        role: 'member',
        atMs: Date.now(),
      });
      for (const [token, player] of [
        [app.ownerToken, 'player-owner'],
        [member.token, 'player-member'],
      ] as const) {
        const reply = await app.request(
          'POST',
          '/v1/me/push-devices',
          { provider: 'onesignal', token: player, platform: 'ios' },
          token,
        );
        assert.equal(reply.status, 201, JSON.stringify(reply.body));
      }
      gateway = await app.createGateway(`gw-lang-${randomUUID()}`);
      client = await app.connectGateway(gateway);
    });

    after(async () => {
      await app?.stop();
      await Promise.all([sink?.stop(), oneSignal?.stop()]);
      await drop();
    });

    test('GET /v1/me shows the language; PATCH /v1/me changes it, validates it and audits it', async () => {
      const me = await app.request('GET', '/v1/me', undefined, app.ownerToken);
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.equal(me.body.user.language, null, 'no choice: the default');

      const bad = await app.request('PATCH', '/v1/me', { language: 'fr' }, app.ownerToken);
      assert.equal(bad.status, 400, JSON.stringify(bad.body));
      assert.equal(bad.body.error.code, 'HESTIA_VALIDATION_FAILED');
      assert.match(bad.body.error.message, /language/);
      const unknown = await app.request('PATCH', '/v1/me', { locale: 'zh' }, app.ownerToken);
      assert.equal(unknown.status, 400, 'a property the body does not declare is refused');
      const anonymous = await app.request('PATCH', '/v1/me', { language: 'zh' }, null);
      assert.equal(anonymous.status, 401);

      const chinese = await app.request('PATCH', '/v1/me', { language: 'zh', name: ' Ada ' }, app.ownerToken);
      assert.equal(chinese.status, 200, JSON.stringify(chinese.body));
      assert.equal(chinese.body.language, 'zh');
      assert.equal(chinese.body.name, 'Ada');
      const nameOnly = await app.request('PATCH', '/v1/me', { name: 'Ada L.' }, app.ownerToken);
      assert.equal(nameOnly.body.language, 'zh', 'what is left out stays');
      const back = await app.request('PATCH', '/v1/me', { language: null }, app.ownerToken);
      assert.equal(back.status, 200, JSON.stringify(back.body));
      assert.equal(back.body.language, null);
      assert.equal(back.body.name, 'Ada L.');
      assert.equal((await app.request('GET', '/v1/me', undefined, app.ownerToken)).body.user.language, null);

      const audit = await app.request('GET', `/v1/tenants/${app.tenantId}/audit?action=user.updated`);
      assert.equal(audit.status, 200, JSON.stringify(audit.body));
      const changes = (audit.body.items as Array<{ detail: { language?: { to: string | null } } }>)
        .map((entry) => entry.detail.language?.to)
        .filter((to) => to !== undefined);
      assert.deepEqual(changes.sort(), [null, 'zh'].sort());

      const users = await app.request('GET', `/v1/tenants/${app.tenantId}/users?limit=100`);
      assert.equal(users.status, 200, JSON.stringify(users.body));
      const listed = (users.body.items as Array<{ id: string; language: string | null }>).find(
        (user) => user.id === member.userId,
      );
      assert.equal(listed?.language, 'zh', 'tenant listings show the language');
    });

    test('one leak alarm: the Chinese member gets Chinese push and in-app, the English owner English', async () => {
      const deviceId = `dev-${randomUUID()}`;
      clockMs += 1000;
      const reading = {
        vendor: 'acme',
        version: '3.0.0',
        timestampMs: String(clockMs),
        clientType: 'gateway',
        gatewayId: gateway.id,
        deviceId,
        deviceType: 'sensor',
        protocol: 'zwave',
        messageType: 'sensorData',
        nodeId: '7',
        sensorType: 'SENSOR BINARY',
        label: 'Water Leak',
        sensorData: '1',
        units: '',
      };
      await client.publishAsync(`hestia/v1/gw/${gateway.id}/up`, JSON.stringify(reading), { qos: 1 });
      await app.hestia.services.alarms.settled();
      const alarms = await app.request(
        'GET',
        `/v1/homes/${app.homeId}/alarms?state=all&limit=500`,
        undefined,
        app.ownerToken,
      );
      const alarm = (alarms.body.items as Array<{ id: string; deviceId: string }>).find(
        (a) => a.deviceId === deviceId,
      );
      assert.ok(alarm, 'the leak raised an alarm');
      const request = await app.hestia.ctx.store.control.notifications.findRequestBySourceKey(
        `alarm:${alarm.id}:raised`,
      );
      assert.ok(request);
      assert.equal(request.message?.key, 'alarm.water_leak', 'the request keeps the key to render');
      assert.match(request.title, /^Water leak — /, 'and the English texts');

      // critical: OneSignal, mail and in-app for both people
      const rows = await settled(request.id, 6);
      for (const row of rows) assert.equal(row.status, 'sent', `${row.channel}: ${row.lastError}`);
      const memberRows = rows.filter((row) => row.userId === member.userId);
      assert.deepEqual(new Set(memberRows.map((row) => row.language)), new Set(['zh']));
      assert.deepEqual(
        new Set(rows.filter((row) => row.userId === app.ownerId).map((row) => row.language)),
        new Set([null]),
      );

      const toMember = pushTo('player-member', request.id);
      assert.ok(toMember, 'the member was pushed');
      assert.deepEqual(toMember.body.include_player_ids, ['player-member']);
      assert.match(toMember.body.headings['zh-Hans'], /^漏水 — /);
      assert.equal(
        toMember.body.headings.en,
        toMember.body.headings['zh-Hans'],
        'her choice, whatever the phone says',
      );
      assert.match(toMember.body.contents['zh-Hans'], /Home的.*检测到漏水。$/);
      const toOwner = pushTo('player-owner', request.id);
      assert.ok(toOwner, 'the owner was pushed');
      assert.equal(toOwner.body.headings.en, request.title);
      assert.equal(toOwner.body.contents.en, request.body);
      assert.equal(toOwner.body.headings['zh-Hans'], undefined);

      const memberFeed = (await feedOf(member.token)).find((item) => item.data.alarmId === alarm.id);
      assert.ok(memberFeed);
      assert.match(memberFeed.title, /^漏水 — /);
      assert.match(memberFeed.body, /检测到漏水/);
      const ownerFeed = (await feedOf(app.ownerToken)).find((item) => item.data.alarmId === alarm.id);
      assert.ok(ownerFeed);
      assert.equal(ownerFeed.title, request.title);

      const mail = await sink.waitForMail((m) => m.to.includes(MEMBER_EMAIL) && m.subject.includes('漏水'));
      assert.match(mail.subject, /^\[Acme\] 警报：漏水 — /);
      const ownerMail = await sink.waitForMail(
        (m) => m.to.includes(OWNER_EMAIL) && m.subject.includes('Water leak'),
      );
      assert.match(ownerMail.subject, /^\[Acme\] Alert: Water leak — /);
    });

    test('a request without a catalogue message goes out as written, to everyone', async () => {
      const { id } = await app.hestia.services.notifications.notify({
        tenantId: app.tenantId,
        homeId: app.homeId,
        sourceKey: `automation:${randomUUID()}:notify`,
        kind: 'automation',
        severity: 'warning',
        title: 'Garage left open',
        body: 'Close it before the night, please.',
        data: {},
        userIds: null,
        createdAtMs: Date.now(),
      });
      await settled(id, 4);
      const toMember = pushTo('player-member', id);
      assert.ok(toMember);
      assert.equal(toMember.body.headings.en, 'Garage left open');
      assert.equal(toMember.body.contents['zh-Hans'], 'Close it before the night, please.');
      const feed = (await feedOf(member.token)).find((item) => item.title === 'Garage left open');
      assert.ok(feed, 'the in-app feed shows the text as written');
    });

    test('a password-reset mail in Chinese for a Chinese account; English for the rest', async () => {
      const reply = await app.request(
        'POST',
        '/v1/auth/password-reset',
        { email: MEMBER_EMAIL, tenant: TENANT_SLUG },
        null,
      );
      assert.equal(reply.status, 202);
      const mail = await sink.waitForMail((m) => m.to.includes(MEMBER_EMAIL) && m.subject.includes('密码'));
      assert.equal(mail.subject, '重置您的 Acme 密码');
      assert.match(mail.text, /请在 \d+ 分钟内打开此链接/);
      assert.ok(extractToken(mail).startsWith('hpr_'), 'the link still carries the token');

      const owner = await app.request(
        'POST',
        '/v1/auth/password-reset',
        { email: OWNER_EMAIL, tenant: TENANT_SLUG },
        null,
      );
      assert.equal(owner.status, 202);
      const english = await sink.waitForMail(
        (m) => m.to.includes(OWNER_EMAIL) && m.subject.startsWith('Reset'),
      );
      assert.equal(english.subject, 'Reset your Acme password');
    });

    test("invitations: in the language given, else the inviter's; the new account takes it", async () => {
      const given = await app.request(
        'POST',
        `/v1/homes/${app.homeId}/invitations`,
        { email: 'lin@language.example', role: 'guest', language: 'zh' },
        app.ownerToken,
      );
      assert.equal(given.status, 201, JSON.stringify(given.body));
      assert.equal(given.body.language, 'zh');
      const mail = await sink.waitForMail((m) => m.to.includes('lin@language.example'));
      assert.equal(mail.subject, '您受邀加入 Acme 上的家庭“Home”');
      assert.match(mail.text, /以访客身份加入/);

      const accepted = await app.request(
        'POST',
        '/v1/invitations/accept',
        { token: extractToken(mail), password: ADMIN_PASSWORD },
        null,
      );
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      assert.equal(accepted.body.session.user.language, 'zh', "the account takes the invitation's language");

      // the admin reads Chinese: an invitation without a language is mailed in Chinese
      assert.equal((await app.request('PATCH', '/v1/me', { language: 'zh' })).status, 200);
      const inherited = await app.request('POST', `/v1/tenants/${app.tenantId}/invitations`, {
        email: 'wang@language.example',
      });
      assert.equal(inherited.status, 201, JSON.stringify(inherited.body));
      assert.equal(inherited.body.language, 'zh');
      const second = await sink.waitForMail((m) => m.to.includes('wang@language.example'));
      assert.equal(second.subject, '您受邀加入 Acme');
      const chosen = await app.request(
        'POST',
        '/v1/invitations/accept',
        { token: extractToken(second), password: ADMIN_PASSWORD, language: 'en' },
        null,
      );
      assert.equal(chosen.status, 200, JSON.stringify(chosen.body));
      assert.equal(chosen.body.session.user.language, 'en', 'a language given at acceptance wins');
      await app.request('PATCH', '/v1/me', { language: null });
    });
  });
}

await onEveryBackend('languages', languageSuite);
