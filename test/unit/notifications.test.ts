import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  decideDeliveries,
  inQuietHours,
  type RecipientFacts,
} from '../../src/services/notifications/decide.ts';
import { retryDelayMs } from '../../src/services/notifications/dispatcher.ts';
import { parsePushCredentials } from '../../src/core/domain/push-credentials.ts';
import { notificationMail } from '../../src/services/notifications/channels/email.ts';
import { serviceAccountAssertion } from '../../src/push/fcm.ts';
import { outcomeOfStatus } from '../../src/push/http.ts';
import { verifyWebhookSignature, webhookEventType, webhookSignature } from '../../src/push/webhook.ts';
import type { PushCredentials } from '../../src/core/domain/push-credentials.ts';
import type { NotificationRequest } from '../../src/core/domain/notification.ts';

const NIGHT_UTC = Date.parse('2024-01-15T23:30:00Z');
const NOON_UTC = Date.parse('2024-01-15T12:00:00Z');

function request(overrides: Partial<NotificationRequest> = {}): NotificationRequest {
  return {
    id: 'r1',
    tenantId: 't1',
    homeId: 'h1',
    sourceKey: 'alarm:a1:raised',
    kind: 'alarm',
    severity: 'warning',
    title: 'Door open',
    body: 'The front door opened',
    message: null,
    data: {},
    userIds: null,
    channels: null,
    createdAtMs: NIGHT_UTC,
    decidedAtMs: null,
    ...overrides,
  };
}

function person(overrides: Partial<RecipientFacts> = {}): RecipientFacts {
  return {
    userId: 'u1',
    tenantId: 't1',
    email: 'ada@example.com',
    language: null,
    preferences: undefined,
    oneSignalDevices: 1,
    fcmTokens: ['tok-1', 'tok-2'],
    ...overrides,
  };
}

const CONFIGURED: PushCredentials = {
  oneSignal: { appId: 'a', restApiKey: 'k' },
  fcm: { projectId: 'p', serviceAccountJson: '{}' },
  webhook: { url: 'https://hooks.example/all', secret: 's'.repeat(16) },
  webhooks: [{ url: 'https://hooks.example/critical', secret: 's'.repeat(16), minSeverity: 'critical' }],
};

const quietNights = {
  userId: 'u1',
  channels: {
    critical: ['onesignal', 'email', 'in_app'] as const,
    warning: ['onesignal', 'fcm', 'email', 'in_app'] as const,
    info: ['in_app'] as const,
  },
  quietStart: '22:00',
  quietEnd: '07:00',
  quietTimezone: null,
  updatedAtMs: 1,
} as unknown as NonNullable<RecipientFacts['preferences']>;

describe('quiet hours', () => {
  test('a span over midnight holds the night, not the day', () => {
    assert.equal(inQuietHours('22:00', '07:00', 'UTC', NIGHT_UTC), true);
    assert.equal(inQuietHours('22:00', '07:00', 'UTC', Date.parse('2024-01-16T06:59:00Z')), true);
    assert.equal(
      inQuietHours('22:00', '07:00', 'UTC', Date.parse('2024-01-16T07:00:00Z')),
      false,
      'end excluded',
    );
    assert.equal(inQuietHours('22:00', '07:00', 'UTC', NOON_UTC), false);
  });

  test("they follow the zone's local clock, across daylight saving time", () => {
    // 23:30 UTC is 00:30 in Berlin in winter (UTC+1) …
    assert.equal(inQuietHours('00:00', '01:00', 'Europe/Berlin', NIGHT_UTC), true);
    assert.equal(inQuietHours('00:00', '01:00', 'UTC', NIGHT_UTC), false);
    // … and 22:30 UTC is 00:30 in Berlin in summer (UTC+2)
    assert.equal(inQuietHours('00:00', '01:00', 'Europe/Berlin', Date.parse('2024-07-15T22:30:00Z')), true);
  });

  test('no quiet hours when unset or empty', () => {
    assert.equal(inQuietHours(null, null, 'UTC', NIGHT_UTC), false);
    assert.equal(inQuietHours('08:00', '08:00', 'UTC', Date.parse('2024-01-15T08:00:00Z')), false);
  });
});

describe('decideDeliveries', () => {
  test('defaults: warning goes to every push device and in-app, webhooks by minimum severity', () => {
    const decisions = decideDeliveries({
      request: request(),
      recipients: [person()],
      credentials: CONFIGURED,
      homeTimezone: 'UTC',
    });
    assert.deepEqual(
      decisions.map((d) => [d.channel, d.target, d.skippedBecause]),
      [
        ['onesignal', 'u1', undefined],
        ['fcm', 'tok-1', undefined],
        ['fcm', 'tok-2', undefined],
        ['in_app', 'u1', undefined],
        ['webhook', 'https://hooks.example/all', undefined],
      ],
    );
  });

  test('quiet hours skip interrupting channels of non-critical requests with the reason; critical passes', () => {
    const warning = decideDeliveries({
      request: request(),
      recipients: [person({ preferences: quietNights })],
      credentials: CONFIGURED,
      homeTimezone: 'UTC',
    });
    const skipped = warning.filter((d) => d.skippedBecause !== undefined).map((d) => d.channel);
    assert.deepEqual(skipped, ['onesignal', 'fcm', 'fcm', 'email']);
    assert.match(warning[0]!.skippedBecause!, /quiet hours 22:00–07:00 \(UTC\)/);
    assert.equal(warning.find((d) => d.channel === 'in_app')?.skippedBecause, undefined);

    const critical = decideDeliveries({
      request: request({ severity: 'critical' }),
      recipients: [person({ preferences: quietNights })],
      credentials: CONFIGURED,
      homeTimezone: 'UTC',
    });
    assert.ok(critical.every((d) => d.skippedBecause === undefined));
    assert.deepEqual(
      critical.map((d) => d.channel),
      ['onesignal', 'email', 'in_app', 'webhook', 'webhook'],
      "the person's critical channels, and both webhooks",
    );
  });

  test("the home's zone applies when the person names none", () => {
    // 23:30 UTC is 08:30 in Tokyo: outside 22:00–07:00 there
    const decisions = decideDeliveries({
      request: request(),
      recipients: [person({ preferences: quietNights })],
      credentials: CONFIGURED,
      homeTimezone: 'Asia/Tokyo',
    });
    assert.ok(decisions.every((d) => d.skippedBecause === undefined));
  });

  test('providers the tenant has not configured, or without a device, get no delivery', () => {
    const decisions = decideDeliveries({
      request: request({ severity: 'critical' }),
      recipients: [person({ oneSignalDevices: 0, fcmTokens: ['tok'] })],
      credentials: {},
      homeTimezone: null,
    });
    assert.deepEqual(
      decisions.map((d) => d.channel),
      ['email', 'in_app'],
    );
  });

  test("a request's own channel list overrides preferences (test notifications)", () => {
    const decisions = decideDeliveries({
      request: request({ channels: ['webhook'] }),
      recipients: [],
      credentials: CONFIGURED,
      homeTimezone: null,
    });
    assert.deepEqual(
      decisions.map((d) => d.target),
      ['https://hooks.example/all'],
    );
    const onlyMail = decideDeliveries({
      request: request({ channels: ['email'] }),
      recipients: [person()],
      credentials: CONFIGURED,
      homeTimezone: null,
    });
    assert.deepEqual(
      onlyMail.map((d) => d.channel),
      ['email'],
    );
  });
});

describe('webhook signatures', () => {
  const secret = 'whsec-0123456789abcdef';
  const body = JSON.stringify({ id: 'r1', type: 'alarm.raised' });
  const nowMs = 1_700_000_000_000;
  const timestamp = String(nowMs / 1000);
  const signature = webhookSignature(secret, timestamp, body);

  test('a receiver verifies what Hestia signed', () => {
    assert.match(signature, /^sha256=[0-9a-f]{64}$/);
    assert.equal(verifyWebhookSignature({ secret, timestamp, rawBody: body, signature, nowMs }), true);
  });

  test('a changed body, another secret, a replayed old call or a bad header fail', () => {
    assert.equal(verifyWebhookSignature({ secret, timestamp, rawBody: body + ' ', signature, nowMs }), false);
    assert.equal(
      verifyWebhookSignature({ secret: secret + 'x', timestamp, rawBody: body, signature, nowMs }),
      false,
    );
    assert.equal(
      verifyWebhookSignature({ secret, timestamp, rawBody: body, signature, nowMs: nowMs + 301_000 }),
      false,
    );
    assert.equal(
      verifyWebhookSignature({ secret, timestamp: 'soon', rawBody: body, signature, nowMs }),
      false,
    );
    assert.equal(
      verifyWebhookSignature({ secret, timestamp, rawBody: body, signature: 'sha256=00', nowMs }),
      false,
    );
  });

  test('event types come from the source key', () => {
    assert.equal(webhookEventType('alarm:0b1c:raised', 'alarm'), 'alarm.raised');
    assert.equal(webhookEventType('automation:r1:run:42:notified', 'automation'), 'automation.notified');
    assert.equal(webhookEventType('test:0b1c', 'system'), 'system');
  });
});

describe('retries and provider answers', () => {
  test('backoff doubles from the base, is capped at an hour, and honours a longer Retry-After', () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((attempts) => retryDelayMs(attempts, 2000)),
      [2000, 4000, 8000, 16000],
    );
    assert.equal(retryDelayMs(30, 2000), 60 * 60_000);
    assert.equal(retryDelayMs(1, 2000, 30_000), 30_000);
    assert.equal(retryDelayMs(3, 2000, 10), 8000);
  });

  test('2xx sent, 429 and 5xx retried, other 4xx failed for good', () => {
    const answer = (status: number, headers: Record<string, string> = {}) => ({
      status,
      text: '{}',
      headers: new Headers(headers),
    });
    assert.equal(outcomeOfStatus(answer(200), 'X').status, 'sent');
    assert.equal(outcomeOfStatus(answer(503), 'X').status, 'retry');
    const limited = outcomeOfStatus(answer(429, { 'retry-after': '7' }), 'X');
    assert.equal(limited.status, 'retry');
    assert.equal(limited.status === 'retry' ? limited.retryAfterMs : null, 7000);
    assert.equal(outcomeOfStatus(answer(400), 'X').status, 'failed');
    assert.equal(outcomeOfStatus(answer(403), 'X').status, 'failed');
  });

  test('unreadable stored credentials count as none configured', () => {
    assert.deepEqual(parsePushCredentials(null), {});
    assert.deepEqual(parsePushCredentials('not json'), {});
    assert.equal(parsePushCredentials('{"oneSignal":{"appId":"a","restApiKey":"k"}}').oneSignal?.appId, 'a');
  });
});

describe('FCM service account assertion', () => {
  test('an RS256 JWT for the messaging scope that verifies with the public key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwt = serviceAccountAssertion({
      clientEmail: 'push@p.iam.gserviceaccount.com',
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      audience: 'https://oauth2.googleapis.com/token',
      nowMs: 1_700_000_000_000,
    });
    const [header, claims, signature] = jwt.split('.');
    assert.deepEqual(JSON.parse(Buffer.from(header!, 'base64url').toString()), { alg: 'RS256', typ: 'JWT' });
    assert.deepEqual(JSON.parse(Buffer.from(claims!, 'base64url').toString()), {
      iss: 'push@p.iam.gserviceaccount.com',
      scope: 'https://www.googleapis.com/auth/firebase.messaging',
      aud: 'https://oauth2.googleapis.com/token',
      iat: 1_700_000_000,
      exp: 1_700_003_600,
    });
    assert.equal(
      verify(
        'RSA-SHA256',
        Buffer.from(`${header}.${claims}`),
        publicKey,
        Buffer.from(signature!, 'base64url'),
      ),
      true,
    );
  });
});

describe('notification mail', () => {
  test("carries the brand and escapes people's text in HTML", () => {
    const mail = notificationMail({
      brandName: 'Acme <Home>',
      primaryColor: '#123456',
      request: {
        severity: 'critical',
        title: 'Smoke in <kitchen>',
        body: 'Leave & call',
        createdAtMs: NOON_UTC,
      },
    });
    assert.equal(mail.subject, '[Acme <Home>] Alert: Smoke in <kitchen>');
    assert.match(mail.text, /Leave & call/);
    assert.match(mail.html, /Smoke in &lt;kitchen&gt;/);
    assert.match(mail.html, /Leave &amp; call/);
    assert.equal(mail.html.includes('<kitchen>'), false);
    assert.match(mail.html, /#123456/);
  });
});
