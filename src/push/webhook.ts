import { createHmac, timingSafeEqual } from 'node:crypto';
import { webhookEndpoints } from '../core/domain/push-credentials.ts';
import { httpRequest, isAnswer, outcomeOfStatus } from './http.ts';
import type { NotificationProvider, SendContext, SendOutcome } from '../core/ports/notification-provider.ts';

/** The signed content: `<timestamp>.<raw body>`, so a captured body cannot be replayed with a new time. */
export function webhookSignature(secret: string, timestamp: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

/**
 * What a receiver runs on each webhook call: true when `X-Hestia-Signature` is the HMAC of
 * `X-Hestia-Timestamp` and the raw body under the shared secret, and the timestamp (Unix
 * seconds) is within `toleranceSeconds` of now (a replayed old call is refused).
 */
export function verifyWebhookSignature(input: {
  secret: string;
  /** The X-Hestia-Timestamp header. */
  timestamp: string;
  /** The body exactly as received, before any JSON parsing. */
  rawBody: string;
  /** The X-Hestia-Signature header, `sha256=<hex>`. */
  signature: string;
  toleranceSeconds?: number;
  nowMs?: number;
}): boolean {
  const seconds = Number(input.timestamp);
  if (!/^\d{1,12}$/.test(input.timestamp) || !Number.isSafeInteger(seconds)) return false;
  const now = (input.nowMs ?? Date.now()) / 1000;
  if (Math.abs(now - seconds) > (input.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(webhookSignature(input.secret, input.timestamp, input.rawBody));
  const given = Buffer.from(input.signature);
  // constant time, so the signature cannot be found byte by byte from response times
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The event name of a request: "alarm:<id>:raised" → "alarm.raised"; else the request's kind. */
export function webhookEventType(sourceKey: string, kind: string): string {
  const parts = sourceKey.split(':');
  const last = parts[parts.length - 1];
  return parts.length >= 3 && parts[0] && last && /^[a-z_]+$/.test(last) && /^[a-z_]+$/.test(parts[0])
    ? `${parts[0]}.${last}`
    : kind;
}

/**
 * The tenant's own backend, told of every notification as a signed JSON POST. The delivery id
 * goes in X-Hestia-Delivery: a retried (or, after a crash, repeated) call carries the same id,
 * so the receiver can drop what it already has.
 */
export class WebhookProvider implements NotificationProvider {
  readonly channel = 'webhook' as const;

  constructor(private readonly options: { now: () => number }) {}

  async send({ delivery, credentials, signal }: SendContext): Promise<SendOutcome> {
    const endpoint = webhookEndpoints(credentials).find((candidate) => candidate.url === delivery.target);
    if (!endpoint) return { status: 'skipped', reason: 'the webhook was removed from the tenant' };
    const { request } = delivery;
    const type = webhookEventType(request.sourceKey, request.kind);
    const rawBody = JSON.stringify({
      id: request.id,
      type,
      tenantId: request.tenantId,
      homeId: request.homeId,
      severity: request.severity,
      // The provider's backend gets the English texts, and the catalogue key and parameters
      // (when the text is Hestia's own) to render its own way.
      title: request.title,
      body: request.body,
      ...(request.message ? { message: request.message } : {}),
      data: request.data,
      createdAt: new Date(request.createdAtMs).toISOString(),
    });
    const timestamp = String(Math.floor(this.options.now() / 1000));
    const answer = await httpRequest(
      endpoint.url,
      {
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Hestia-Webhook/1',
          'x-hestia-event': type,
          'x-hestia-delivery': delivery.id,
          'x-hestia-timestamp': timestamp,
          'x-hestia-signature': webhookSignature(endpoint.secret, timestamp, rawBody),
        },
        body: rawBody,
      },
      signal,
    );
    return isAnswer(answer) ? outcomeOfStatus(answer, 'The webhook') : answer;
  }
}
