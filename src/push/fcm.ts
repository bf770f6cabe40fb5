import { createSign } from 'node:crypto';
import { parseServiceAccount } from '../core/domain/push-credentials.ts';
import type { RecipientStore } from '../core/ports/control.ts';
import { deliveryTexts } from '../core/domain/notification.ts';
import { clip, httpRequest, isAnswer, outcomeOfStatus } from './http.ts';
import type { NotificationProvider, SendContext, SendOutcome } from '../core/ports/notification-provider.ts';

const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
/** Google grants at most one hour; asked for in full, renewed a minute before it ends. */
const ASSERTION_LIFETIME_SECONDS = 3600;
const RENEW_BEFORE_EXPIRY_MS = 60_000;

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * The OAuth 2.0 JWT bearer assertion of a service account (RFC 7523): RS256 over
 * `header.claims`, with the scope FCM needs and the token endpoint as audience.
 */
export function serviceAccountAssertion(input: {
  clientEmail: string;
  privateKey: string;
  audience: string;
  nowMs: number;
}): string {
  const issuedAt = Math.floor(input.nowMs / 1000);
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(
    JSON.stringify({
      iss: input.clientEmail,
      scope: FCM_SCOPE,
      aud: input.audience,
      iat: issuedAt,
      exp: issuedAt + ASSERTION_LIFETIME_SECONDS,
    }),
  );
  const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(input.privateKey);
  return `${header}.${claims}.${base64url(signature)}`;
}

interface CachedToken {
  accessToken: string;
  expiresAtMs: number;
}

/**
 * Firebase Cloud Messaging, HTTP v1 API: one message per registration token. The access token
 * comes from the service account (JWT bearer grant) and is cached until shortly before it
 * expires. A token FCM no longer knows (UNREGISTERED, 404) is removed from the person's devices.
 */
export class FcmProvider implements NotificationProvider {
  readonly channel = 'fcm' as const;
  /** Access tokens by service account and the key that signed for them. */
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly options: {
      baseUrl: string;
      tokenUrl: string;
      store: RecipientStore;
      now: () => number;
    },
  ) {}

  async send({ delivery, credentials, signal }: SendContext): Promise<SendOutcome> {
    const fcm = credentials.fcm;
    if (!fcm) return { status: 'skipped', reason: 'FCM is no longer configured for the tenant' };
    const devices = delivery.userId ? await this.options.store.listPushDevices(delivery.userId, 'fcm') : [];
    if (!devices.some((device) => device.token === delivery.target))
      return { status: 'skipped', reason: 'the FCM token is no longer registered' };
    let account: ReturnType<typeof parseServiceAccount>;
    try {
      account = parseServiceAccount(fcm.serviceAccountJson);
    } catch (error) {
      return { status: 'failed', error: (error as Error).message };
    }
    const cacheKey = `${account.clientEmail}\n${account.privateKey}`;
    const token = await this.accessToken(cacheKey, account, signal);
    if (typeof token !== 'string') return token;

    const { request } = delivery;
    const { title, body } = deliveryTexts(delivery);
    const message = {
      message: {
        token: delivery.target,
        // A picture (a doorbell's preview) shows in the notification on Android and iOS.
        notification: { title, body, ...(request.data.imageUrl ? { image: request.data.imageUrl } : {}) },
        // FCM data values must be strings
        data: { ...request.data, notificationId: request.id, severity: request.severity, kind: request.kind },
        android: { priority: request.severity === 'info' ? 'normal' : 'high' },
      },
    };
    const answer = await httpRequest(
      `${this.options.baseUrl.replace(/\/+$/, '')}/v1/projects/${encodeURIComponent(fcm.projectId)}/messages:send`,
      {
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(message),
      },
      signal,
    );
    if (!isAnswer(answer)) return answer;
    if (answer.status === 401) {
      // revoked or expired early: the next attempt fetches a new one
      this.tokens.delete(cacheKey);
      return {
        status: 'retry',
        error: 'FCM refused the access token (401)',
        providerResponse: clip(answer.text),
      };
    }
    if (answer.status === 404 || /UNREGISTERED/.test(answer.text)) {
      await this.options.store.deletePushTokens('fcm', [delivery.target]);
      return {
        status: 'failed',
        error: "FCM no longer knows this token (UNREGISTERED); it was removed from the person's devices",
        providerResponse: clip(`${answer.status} ${answer.text}`),
      };
    }
    return outcomeOfStatus(answer, 'FCM');
  }

  private async accessToken(
    cacheKey: string,
    account: { clientEmail: string; privateKey: string },
    signal: AbortSignal,
  ): Promise<string | SendOutcome> {
    const now = this.options.now();
    const cached = this.tokens.get(cacheKey);
    if (cached && cached.expiresAtMs - RENEW_BEFORE_EXPIRY_MS > now) return cached.accessToken;
    const assertion = serviceAccountAssertion({
      clientEmail: account.clientEmail,
      privateKey: account.privateKey,
      audience: this.options.tokenUrl,
      nowMs: now,
    });
    const answer = await httpRequest(
      this.options.tokenUrl,
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          assertion,
        }).toString(),
      },
      signal,
    );
    if (!isAnswer(answer)) return answer;
    if (answer.status < 200 || answer.status >= 300) {
      const outcome = outcomeOfStatus(answer, "Google's token endpoint");
      return outcome.status === 'failed'
        ? { ...outcome, error: `the service account was refused by the token endpoint (${answer.status})` }
        : outcome;
    }
    let grant: { access_token?: unknown; expires_in?: unknown };
    try {
      grant = JSON.parse(answer.text) as typeof grant;
    } catch {
      return { status: 'retry', error: 'the token endpoint answered without JSON' };
    }
    if (typeof grant.access_token !== 'string')
      return { status: 'retry', error: 'the token endpoint answered without an access_token' };
    const lifetimeSeconds =
      typeof grant.expires_in === 'number' ? grant.expires_in : ASSERTION_LIFETIME_SECONDS;
    this.tokens.set(cacheKey, { accessToken: grant.access_token, expiresAtMs: now + lifetimeSeconds * 1000 });
    return grant.access_token;
  }
}
