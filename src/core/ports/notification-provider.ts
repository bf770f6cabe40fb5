/**
 * The port every way out for notifications implements: the push providers and webhooks
 * (src/push/), mail and the in-app feed (services/notifications/channels/). The outbox dispatcher
 * hands each one delivery at a time and records what the attempt came to.
 */

import type { PushCredentials } from '../domain/push-credentials.ts';
import type { DeliveryWithRequest, NotificationChannel } from '../domain/notification.ts';

/**
 * What one attempt of a delivery came to. `retry` is for what may pass (network, timeout, 5xx,
 * 429); `failed` is permanent (the provider refused the request as it is); `skipped` means
 * there was nothing to send (no device any more, channel no longer configured).
 */
export type SendOutcome =
  | { status: 'sent'; providerResponse?: string | undefined }
  | {
      status: 'retry';
      error: string;
      providerResponse?: string | undefined;
      retryAfterMs?: number | undefined;
    }
  | { status: 'failed'; error: string; providerResponse?: string | undefined }
  | { status: 'skipped'; reason: string };

export interface SendContext {
  delivery: DeliveryWithRequest;
  /** The tenant's credentials as they are now (they may have changed since the decision). */
  credentials: PushCredentials;
  /** Aborted at the attempt's timeout or when the process stops. */
  signal: AbortSignal;
}

/** One way out for notifications: a push provider, the tenant's webhooks, mail, the in-app feed. */
export interface NotificationProvider {
  readonly channel: NotificationChannel;
  send(context: SendContext): Promise<SendOutcome>;
}
