import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { Hestia } from '../../src/app.ts';
import type { BusEvents } from '../../src/core/bus.ts';
import type { NotificationInput } from '../../src/core/domain/notification.ts';
import { ADMIN_PASSWORD, OWNER_EMAIL, eventually, startTestApp, type TestApp } from '../helpers/app.ts';
import { onEveryBackend, type Backend } from '../helpers/backends.ts';
import { FcmServer, ProviderServer, WebhookServer, oneSignalServer } from '../helpers/push-providers.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { SUITE_TIMEOUT_MS } from '../helpers/wait.ts';

/**
 * Notifications end to end on a real Hestia: requests enqueued as alarms will enqueue them
 * reach OneSignal, FCM, a webhook, a real SMTP server and the in-app feed (local servers that
 * check each provider's documented request shape); preferences and quiet hours decide who gets
 * what; retries, permanent failures, unregistered tokens; the same source key twice sends
 * nothing twice; a stop in the middle of a delivery and a restart on the same data deliver
 * exactly once per target; the delivery log and the routes' roles. Run once per backend.
 */

const TIMEOUT = { timeout: SUITE_TIMEOUT_MS };
const WEBHOOK_SECRET = 'whsec-0123456789abcdef';
const ONESIGNAL = { appId: 'app-1b2c3d', restApiKey: 'os-rest-key-secret-123' };
const FCM_PROJECT = 'hestia-test';
const FCM_CLIENT = 'push@hestia-test.iam.gserviceaccount.com';

interface Reply {
  status: number;
  body: any;
}

function assertError(reply: Reply, status: number, code: string): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.equal(reply.body?.error?.code, code, JSON.stringify(reply.body));
}

function notificationsSuite(backend: Backend): void {
  describe(`notifications (${backend.name})`, TIMEOUT, () => {
    let app: TestApp;
    let drop: () => Promise<void> = async () => undefined;
    let sink: SmtpSink;
    let oneSignal: ProviderServer;
    let fcm: FcmServer;
    let webhook: WebhookServer;
    const inAppEvents: Array<BusEvents['notification.in_app']> = [];
    let counter = 0;

    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const serviceAccountJson = JSON.stringify({
      type: 'service_account',
      project_id: FCM_PROJECT,
      client_email: FCM_CLIENT,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      token_uri: 'https://oauth2.googleapis.com/token',
    });

    const service = () => app.hestia.services.notifications;
    const request = (overrides: Partial<NotificationInput> = {}): NotificationInput => ({
      tenantId: app.tenantId,
      homeId: app.homeId,
      sourceKey: `alarm:${randomUUID()}:raised`,
      kind: 'alarm',
      severity: 'critical',
      title: `Water leak ${++counter}`,
      body: 'Water leak sensor in the kitchen reports water',
      data: { alarmId: `a-${counter}`, cause: 'water_leak' },
      userIds: null,
      createdAtMs: Date.now(),
      ...overrides,
    });
    const deliveriesOf = async (requestId: string) =>
      app.hestia.ctx.store.control.notifications.listDeliveries({
        tenantId: app.tenantId,
        requestId,
        limit: 100,
      });
    /** Waits until no delivery of the request is pending or being sent, and returns them. */
    const settled = (requestId: string, expectedCount?: number) =>
      eventually(`deliveries of ${requestId} to finish`, async () => {
        const rows = await deliveriesOf(requestId);
        if (expectedCount !== undefined && rows.length < expectedCount) return undefined;
        if (rows.length === 0 || rows.some((row) => row.status === 'pending' || row.status === 'sending'))
          return undefined;
        return rows;
      });
    const byChannel = (rows: Awaited<ReturnType<typeof deliveriesOf>>) =>
      Object.fromEntries(rows.map((row) => [row.channel, row]));
    const setCredentials = async (body: Record<string, unknown>) => {
      const reply = await app.request('PUT', `/v1/tenants/${app.tenantId}/push-credentials`, body);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      return reply;
    };
    const allCredentials = {
      oneSignal: ONESIGNAL,
      fcm: { projectId: FCM_PROJECT, serviceAccountJson },
      webhook: { url: '', secret: WEBHOOK_SECRET },
    };

    before(async () => {
      const opened = await backend.open();
      drop = opened.drop;
      sink = await startSmtpSink();
      oneSignal = await oneSignalServer(ONESIGNAL).start();
      fcm = await new FcmServer({
        projectId: FCM_PROJECT,
        clientEmail: FCM_CLIENT,
        publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      }).start();
      webhook = await new WebhookServer(WEBHOOK_SECRET).start();
      allCredentials.webhook.url = `${webhook.url}/hooks/hestia?token=not-for-the-log`;
      app = await startTestApp({
        ...(opened.storage ? { storage: opened.storage } : {}),
        mail: { transport: 'smtp', smtpUrl: sink.url },
        notifications: {
          oneSignalUrl: oneSignal.url,
          fcmUrl: fcm.url,
          fcmTokenUrl: fcm.tokenUrl,
          retryBaseMs: 50,
          maxAttempts: 3,
          httpTimeoutMs: 3000,
          sweepIntervalSeconds: 1,
        },
      });
      app.hestia.ctx.bus.on('notification.in_app', (event) => inAppEvents.push(event));
      await setCredentials(allCredentials);
      for (const [provider, token] of [
        ['onesignal', 'player-phone'],
        ['onesignal', 'player-tablet'],
        ['fcm', 'fcm-token-a'],
      ] as const) {
        const reply = await app.request(
          'POST',
          '/v1/me/push-devices',
          { provider, token, platform: 'android' },
          app.ownerToken,
        );
        assert.equal(reply.status, 201, JSON.stringify(reply.body));
        assert.equal(reply.body.tokenHint.includes(token), false, 'the token is not shown back whole');
      }
    });

    after(async () => {
      await app?.stop();
      await Promise.all([sink?.stop(), oneSignal?.stop(), fcm?.stop(), webhook?.stop()]);
      await drop();
    });

    test('push credentials: status without secrets, a bad service account refused', async () => {
      const status = await app.request('GET', `/v1/tenants/${app.tenantId}/push-credentials`);
      assert.equal(status.status, 200);
      assert.equal(status.body.oneSignal.appId, ONESIGNAL.appId);
      assert.equal(status.body.webhooks.length, 1);
      const text = JSON.stringify(status.body);
      for (const secret of [ONESIGNAL.restApiKey, WEBHOOK_SECRET, 'PRIVATE KEY'])
        assert.equal(text.includes(secret), false, `${secret} must not be returned`);
      const bad = await app.request('PUT', `/v1/tenants/${app.tenantId}/push-credentials`, {
        fcm: { projectId: 'p', serviceAccountJson: '{"client_email":"x@y"}' },
      });
      assertError(bad, 400, 'HESTIA_VALIDATION_FAILED');
      assert.match(bad.body.error.message, /private_key/);
      const badUrl = await app.request('PUT', `/v1/tenants/${app.tenantId}/push-credentials`, {
        webhook: { url: 'not a url', secret: WEBHOOK_SECRET },
      });
      assertError(badUrl, 400, 'HESTIA_VALIDATION_FAILED');
      // the refused updates changed nothing
      const again = await app.request('GET', `/v1/tenants/${app.tenantId}/push-credentials`);
      assert.deepEqual(again.body, status.body);
    });

    test('push credentials: a secret left out keeps the stored one of the same app, project or URL', async () => {
      const storedJson = () => app.hestia.ctx.store.directory.tenants.findTenantPushCredentials(app.tenantId);
      const before = await storedJson();
      await setCredentials({
        oneSignal: { appId: ONESIGNAL.appId },
        fcm: { projectId: FCM_PROJECT },
        webhook: { url: allCredentials.webhook.url, minSeverity: 'info' },
      });
      assert.deepEqual(
        JSON.parse((await storedJson())!),
        { ...JSON.parse(before!), webhook: { ...allCredentials.webhook, minSeverity: 'info' } },
        'every secret kept',
      );
      for (const [body, field] of [
        [{ oneSignal: { appId: 'another-app' } }, 'oneSignal.restApiKey'],
        [{ fcm: { projectId: 'another-project' } }, 'fcm.serviceAccountJson'],
        [{ webhooks: [{ url: 'https://elsewhere.example/hook' }] }, 'webhooks[0].secret'],
      ] as const) {
        const refused = await app.request('PUT', `/v1/tenants/${app.tenantId}/push-credentials`, body);
        assertError(refused, 400, 'HESTIA_VALIDATION_FAILED');
        assert.match(refused.body.error.message, new RegExp(field.replace(/[[\]]/g, '\\$&')));
      }
      await setCredentials(allCredentials);
    });

    test('a critical request reaches OneSignal, FCM, the webhook, mail and the in-app feed', async () => {
      const input = request();
      const { id, created } = await service().notify(input);
      assert.equal(created, true);
      const rows = await settled(id, 5);
      const channels = byChannel(rows);
      assert.deepEqual(Object.keys(channels).sort(), ['email', 'fcm', 'in_app', 'onesignal', 'webhook']);
      for (const row of rows) assert.equal(row.status, 'sent', `${row.channel}: ${row.lastError}`);

      const push = oneSignal.accepted().find((call) => call.body.headings.en === input.title);
      assert.ok(push, 'OneSignal was called');
      assert.deepEqual([...push.body.include_player_ids].sort(), ['player-phone', 'player-tablet']);
      assert.equal(push.body.contents.en, input.body);
      assert.equal(push.body.priority, 10, 'critical goes out with high priority');
      assert.equal(push.body.data.alarmId, input.data.alarmId);

      const message = fcm
        .sentTo('fcm-token-a')
        .find((call) => call.body.message.notification.title === input.title);
      assert.ok(message, 'FCM was called for the registered token');
      assert.equal(message.body.message.android.priority, 'high');
      assert.equal(message.body.message.data.cause, 'water_leak');

      const hook = webhook.accepted().find((call) => call.body.id === id);
      assert.ok(hook, 'the webhook was called');
      assert.equal(hook.body.type, 'alarm.raised');
      assert.equal(hook.headers['x-hestia-delivery'], channels.webhook!.id);
      assert.equal(hook.body.homeId, app.homeId);

      const mail = await sink.waitForMail((m) => m.subject.includes(input.title));
      assert.deepEqual(mail.to, [OWNER_EMAIL]);
      assert.match(mail.subject, /Alert/);
      assert.match(mail.text, /reports water/);

      const feed = await app.request('GET', '/v1/me/notifications?unread=true', undefined, app.ownerToken);
      assert.equal(feed.status, 200);
      const item = feed.body.items.find((n: any) => n.requestId === id);
      assert.ok(item, 'the in-app feed has it');
      assert.equal(item.severity, 'critical');
      assert.ok(
        inAppEvents.some((event) => event.notificationId === item.id && event.userId === app.ownerId),
      );
      assert.deepEqual([oneSignal.problems(), fcm.problems(), webhook.problems()], [[], [], []]);

      const read = await app.request(
        'POST',
        `/v1/me/notifications/${item.id}/read`,
        undefined,
        app.ownerToken,
      );
      assert.equal(read.status, 200);
      assert.notEqual(read.body.readAt, null);
      const unread = await app.request('GET', '/v1/me/notifications?unread=true', undefined, app.ownerToken);
      assert.equal(
        unread.body.items.some((n: any) => n.id === item.id),
        false,
      );
      const foreign = await app.request(
        'POST',
        `/v1/me/notifications/${item.id}/read`,
        undefined,
        app.adminToken,
      );
      assertError(foreign, 404, 'HESTIA_NOT_FOUND');
    });

    test('the same source key twice creates and sends nothing twice', async () => {
      const input = request({ severity: 'warning' });
      const first = await service().notify(input);
      await settled(first.id);
      const hooksBefore = webhook.calls.length;
      const pushesBefore = oneSignal.calls.length;
      const second = await service().notify({ ...input, title: 'changed' });
      assert.deepEqual(second, { id: first.id, created: false });
      // a later request is delivered: had the duplicate made deliveries, they would be out by then
      const marker = await service().notify(request({ severity: 'warning' }));
      await settled(marker.id);
      assert.equal(webhook.calls.length, hooksBefore + 1);
      assert.equal(oneSignal.calls.length, pushesBefore + 1);
      assert.equal((await deliveriesOf(first.id)).length, 4, 'onesignal, fcm, in_app, webhook');
    });

    test('quiet hours hold back non-critical push and mail, with the reason; critical passes', async () => {
      const hour = new Date().getUTCHours();
      const pad = (h: number) => `${String((h + 24) % 24).padStart(2, '0')}:00`;
      const saved = await app.request(
        'PUT',
        '/v1/me/notification-preferences',
        {
          channels: { warning: ['onesignal', 'fcm', 'email', 'in_app'] },
          quietHours: { start: pad(hour - 1), end: pad(hour + 1), timezone: 'UTC' },
        },
        app.ownerToken,
      );
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      assert.equal(saved.body.isDefault, false);
      assert.deepEqual(
        saved.body.channels.critical,
        ['onesignal', 'fcm', 'email', 'in_app'],
        'defaults kept',
      );
      try {
        const warning = await service().notify(request({ severity: 'warning' }));
        const rows = byChannel(await settled(warning.id, 5));
        for (const channel of ['onesignal', 'fcm', 'email']) {
          assert.equal(rows[channel]!.status, 'skipped', channel);
          assert.match(rows[channel]!.lastError!, /quiet hours .* \(UTC\)/);
        }
        assert.equal(rows.in_app!.status, 'sent', 'the in-app feed still gets it');
        assert.equal(rows.webhook!.status, 'sent', "the tenant's webhook has no quiet hours");

        const critical = await service().notify(request({ severity: 'critical' }));
        const criticalRows = await settled(critical.id, 5);
        for (const row of criticalRows) assert.equal(row.status, 'sent', `${row.channel}: ${row.lastError}`);
      } finally {
        const reset = await app.request(
          'PUT',
          '/v1/me/notification-preferences',
          { quietHours: null },
          app.ownerToken,
        );
        assert.equal(reset.status, 200);
      }
      const bad = await app.request(
        'PUT',
        '/v1/me/notification-preferences',
        { quietHours: { start: '22:00', end: '07:00', timezone: 'Mars/Olympus' } },
        app.ownerToken,
      );
      assertError(bad, 400, 'HESTIA_VALIDATION_FAILED');
      assert.match(bad.body.error.message, /timezone/);
    });

    test('retryable failures are retried with the same delivery id until sent; give-up after maxAttempts', async () => {
      webhook.answerNext({ status: 500 }, { status: 429, headers: { 'retry-after': '0' } });
      const retried = await service().notify(request({ severity: 'info' }));
      const rows = byChannel(await settled(retried.id));
      assert.equal(rows.webhook!.status, 'sent', String(rows.webhook!.lastError));
      assert.equal(rows.webhook!.attempts, 3);
      const calls = webhook.calls.filter((call) => call.body?.id === retried.id);
      assert.deepEqual(
        calls.map((call) => call.answeredWith),
        [500, 429, 200],
      );
      assert.equal(new Set(calls.map((call) => call.headers['x-hestia-delivery'])).size, 1);

      webhook.answerNext({ status: 503 }, { status: 503 }, { status: 503 });
      const abandoned = await service().notify(request({ severity: 'info' }));
      const failed = byChannel(await settled(abandoned.id)).webhook!;
      assert.equal(failed.status, 'failed');
      assert.equal(failed.attempts, 3);
      assert.match(failed.lastError!, /gave up after 3 attempts/);
    });

    test('a refusal (4xx) fails at once; an unregistered FCM token is forgotten', async () => {
      oneSignal.answerNext({ status: 400, body: { errors: ['app_id not found'] } });
      const refused = await service().notify(request());
      const rows = byChannel(await settled(refused.id, 5));
      assert.equal(rows.onesignal!.status, 'failed');
      assert.equal(rows.onesignal!.attempts, 1);
      assert.match(rows.onesignal!.lastError!, /400/);
      assert.match(rows.onesignal!.providerResponse!, /app_id not found/);

      const added = await app.request(
        'POST',
        '/v1/me/push-devices',
        { provider: 'fcm', token: 'fcm-token-gone' },
        app.ownerToken,
      );
      assert.equal(added.status, 201);
      fcm.unregistered.add('fcm-token-gone');
      const gone = await service().notify(request());
      const goneRows = (await settled(gone.id, 6)).filter((row) => row.channel === 'fcm');
      const stale = goneRows.find((row) => row.target === 'fcm-token-gone')!;
      assert.equal(stale.status, 'failed');
      assert.match(stale.lastError!, /UNREGISTERED/);
      assert.equal(goneRows.find((row) => row.target === 'fcm-token-a')!.status, 'sent');
      const devices = await app.request('GET', '/v1/me/push-devices', undefined, app.ownerToken);
      assert.equal(
        devices.body.items.some((d: any) => d.id === added.body.id),
        false,
        'the token was removed',
      );
    });

    test('delivery log: tenant admins see status, attempts and errors without secrets; roles', async () => {
      const log = await app.request('GET', `/v1/tenants/${app.tenantId}/notification-deliveries?limit=5`);
      assert.equal(log.status, 200, JSON.stringify(log.body));
      assert.equal(log.body.items.length, 5);
      assert.ok(log.body.nextCursor);
      const next = await app.request(
        'GET',
        `/v1/tenants/${app.tenantId}/notification-deliveries?limit=5&before=${log.body.nextCursor}`,
      );
      assert.equal(next.status, 200);
      const firstIds = new Set(log.body.items.map((d: any) => d.id));
      assert.equal(
        next.body.items.some((d: any) => firstIds.has(d.id)),
        false,
        'pages do not overlap',
      );

      const failed = await app.request(
        'GET',
        `/v1/tenants/${app.tenantId}/notification-deliveries?status=failed`,
      );
      assert.ok(failed.body.items.length >= 2);
      assert.ok(failed.body.items.every((d: any) => d.status === 'failed' && d.lastError));
      const everything = JSON.stringify(
        (await app.request('GET', `/v1/tenants/${app.tenantId}/notification-deliveries?limit=500`)).body,
      );
      for (const secret of ['not-for-the-log', 'fcm-token-a', ONESIGNAL.restApiKey, WEBHOOK_SECRET])
        assert.equal(everything.includes(secret), false, `${secret} must not appear in the log`);

      assertError(
        await app.request(
          'GET',
          `/v1/tenants/${app.tenantId}/notification-deliveries`,
          undefined,
          app.ownerToken,
        ),
        403,
        'HESTIA_FORBIDDEN',
      );
      const home = await app.request(
        'GET',
        `/v1/homes/${app.homeId}/notifications?limit=3`,
        undefined,
        app.ownerToken,
      );
      assert.equal(home.status, 200);
      assert.ok(home.body.items.every((d: any) => d.homeId === app.homeId));
      const stranger = await app.signUp(`stranger-${randomUUID()}@example.com`);
      assertError(
        await app.request('GET', `/v1/homes/${app.homeId}/notifications`, undefined, stranger.token),
        404,
        'HESTIA_NOT_FOUND',
      );

      const key = await app.request('POST', `/v1/tenants/${app.tenantId}/api-keys`, {
        name: 'backend',
        scopes: ['audit:read'],
      });
      assert.equal(key.status, 201);
      const keyToken = key.body.key as string;
      assert.equal(
        (await app.request('GET', `/v1/tenants/${app.tenantId}/notification-deliveries`, undefined, keyToken))
          .status,
        200,
      );
      assertError(
        await app.request('GET', '/v1/me/notification-preferences', undefined, keyToken),
        403,
        'HESTIA_FORBIDDEN',
      );
      assertError(
        await app.request(
          'POST',
          `/v1/tenants/${app.tenantId}/notifications/test`,
          { channel: 'webhook' },
          keyToken,
        ),
        403,
        'HESTIA_FORBIDDEN',
      );

      // another provider's admin cannot see this one's log, and has no channel configured
      const origin = { ip: '127.0.0.1', userAgent: 'test' };
      const slug = `other-${counter}`;
      await app.hestia.services.tenants.createTenant(
        null,
        { name: 'Other', slug, adminEmail: `admin@${slug}.example`, adminPassword: ADMIN_PASSWORD },
        origin,
      );
      const other = await app.hestia.services.accounts.login(
        { email: `admin@${slug}.example`, password: ADMIN_PASSWORD, tenant: slug },
        origin,
      );
      assertError(
        await app.request(
          'GET',
          `/v1/tenants/${app.tenantId}/notification-deliveries`,
          undefined,
          other.accessToken,
        ),
        404,
        'HESTIA_NOT_FOUND',
      );
      const otherTenantId = (await app.hestia.ctx.store.directory.tenants.findTenantBySlug(slug))!.id;
      assertError(
        await app.request(
          'POST',
          `/v1/tenants/${otherTenantId}/notifications/test`,
          { channel: 'onesignal' },
          other.accessToken,
        ),
        409,
        'HESTIA_PROVIDER_NOT_CONFIGURED',
      );
    });

    test('tenant admins send test notifications through one channel', async () => {
      const sent = await app.request('POST', `/v1/tenants/${app.tenantId}/notifications/test`, {
        channel: 'webhook',
      });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      const rows = await settled(sent.body.requestId as string);
      assert.deepEqual(
        rows.map((row) => [row.channel, row.status]),
        [['webhook', 'sent']],
      );
      assert.ok(
        webhook
          .accepted()
          .some((call) => call.body.id === sent.body.requestId && call.body.type === 'system'),
      );

      const inApp = await app.request('POST', `/v1/tenants/${app.tenantId}/notifications/test`, {
        channel: 'in_app',
        userId: app.ownerId,
      });
      assert.equal(inApp.status, 202);
      await settled(inApp.body.requestId as string, 1);
      const feed = await app.request('GET', '/v1/me/notifications', undefined, app.ownerToken);
      assert.ok(feed.body.items.some((n: any) => n.requestId === inApp.body.requestId));
      assertError(
        await app.request(
          'POST',
          `/v1/tenants/${app.tenantId}/notifications/test`,
          { channel: 'webhook' },
          app.ownerToken,
        ),
        403,
        'HESTIA_FORBIDDEN',
      );
      const audit = await app.request(
        'GET',
        `/v1/tenants/${app.tenantId}/audit?action=notification.test_sent`,
      );
      assert.ok(audit.body.items.some((entry: any) => entry.targetId === sent.body.requestId));
    });

    test('a claimed delivery is leased: no second claim until the lease ends, a stale attempt cannot overwrite', async () => {
      const store = app.hestia.ctx.store.control.notifications;
      // due in a day: the running dispatcher leaves it alone, this test plays two workers
      const due = Date.now() + 24 * 60 * 60_000;
      const decision = { userId: null, channel: 'webhook' as const, target: 'https://hooks.example/lease' };
      const deliveryId = await app.hestia.ctx.store.control.transaction(async (tx) => {
        const { id } = await store.enqueue(request({ severity: 'info' }), tx);
        assert.equal(await store.markDecided(id, due, tx), true);
        assert.equal(await store.markDecided(id, due, tx), false, 'decided once only');
        const created = await store.findRequest(id, tx);
        assert.equal(await store.insertDeliveries(created!, [decision], due, tx), 1);
        assert.equal(await store.insertDeliveries(created!, [decision], due, tx), 0, 'unique per target');
        return (await store.listDeliveries({ tenantId: app.tenantId, requestId: id, limit: 10 }, tx))[0]!.id;
      });
      const first = await store.claim(deliveryId, due, due + 1000);
      assert.equal(first?.attempts, 1);
      assert.equal(
        await store.claim(deliveryId, due + 500, due + 2000),
        undefined,
        'leased to the first worker',
      );
      const second = await store.claim(deliveryId, due + 1001, due + 5000);
      assert.equal(second?.attempts, 2, 'claimable again once the lease ran out');
      const stale = { leaseUntilMs: due + 1000, attempts: 1 };
      assert.equal(
        await store.finishAttempt(deliveryId, stale, { status: 'sent', atMs: due, providerResponse: null }),
        false,
      );
      const current = { leaseUntilMs: due + 5000, attempts: 2 };
      assert.equal(
        await store.finishAttempt(deliveryId, current, { status: 'sent', atMs: due, providerResponse: 'ok' }),
        true,
      );
      assert.equal((await store.findDelivery(deliveryId))?.status, 'sent');
      assert.equal(await store.claim(deliveryId, due + 10_000, due + 20_000), undefined, 'sent is final');
    });

    test('stopped while a provider hangs, restarted on the same data: delivered exactly once per target', async () => {
      webhook.answerNext('hang');
      const input = request({ severity: 'info' });
      const { id } = await service().notify(input);
      await eventually('the webhook call to hang', async () =>
        webhook.calls.some((call) => call.body?.id === id && call.answeredWith === null) ? true : undefined,
      );
      // a request enqueued by another process while this one stops (no kick reaches it)
      const late = await app.hestia.ctx.store.control.notifications.enqueue(request({ severity: 'info' }));
      const config = app.hestia.ctx.config;
      await app.hestia.stop();
      const restarted = await Hestia.start(config, { logger: pino({ level: 'silent' }) });
      try {
        const store = restarted.ctx.store.control.notifications;
        for (const requestId of [id, late.id]) {
          const rows = await eventually('delivery after the restart', async () => {
            const list = await store.listDeliveries({ tenantId: app.tenantId, requestId, limit: 10 });
            return list.length > 0 && list.every((row) => row.status === 'sent') ? list : undefined;
          });
          const hook = rows.find((row) => row.channel === 'webhook')!;
          assert.equal(
            webhook.acceptedByDelivery().get(hook.id),
            1,
            'one accepted webhook call per delivery',
          );
          assert.equal(
            webhook.accepted().filter((call) => call.body.id === requestId).length,
            1,
            'the request reached the webhook once',
          );
          const inApp = rows.find((row) => row.channel === 'in_app')!;
          assert.equal(inApp.status, 'sent');
        }
        const abandoned = (
          await store.listDeliveries({ tenantId: app.tenantId, requestId: id, limit: 10 })
        ).find((row) => row.channel === 'webhook')!;
        assert.equal(abandoned.attempts, 1, 'the attempt given back at shutdown does not count');
      } finally {
        await restarted.stop();
        rmSync(config.dataDir, { recursive: true, force: true });
        // app.stop() would stop the first instance again; it is stopped already
        app.stop = async () => undefined;
      }
    });
  });
}

await onEveryBackend('notifications', notificationsSuite);
