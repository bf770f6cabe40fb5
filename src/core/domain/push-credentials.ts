/**
 * A tenant's push-provider credentials: OneSignal, Firebase Cloud Messaging and signed webhooks.
 * Stored as JSON on the tenant; the API says which are configured but never returns a secret.
 */

import { createPrivateKey } from 'node:crypto';
import { HestiaError } from '../errors.ts';

/** A tenant's webhook: notifications of `minSeverity` and above are POSTed to `url`, signed with `secret`. */
export interface WebhookCredentials {
  url: string;
  secret: string;
  /** The lowest severity sent; absent: every notification. */
  minSeverity?: 'critical' | 'warning' | 'info' | undefined;
}

/**
 * Push-provider credentials a tenant may set (src/services/notifications uses them). Stored as
 * JSON on the tenant; the API says which are configured but never returns a secret.
 */
export interface PushCredentials {
  /** OneSignal's app id and REST API key (sent as `Authorization: Basic <key>`). */
  oneSignal?: { appId: string; restApiKey: string } | undefined;
  /** Firebase Cloud Messaging HTTP v1: the project and a service account's JSON key file. */
  fcm?: { projectId: string; serviceAccountJson: string } | undefined;
  /** The first webhook (the API's original shape); `webhooks` adds more. */
  webhook?: WebhookCredentials | undefined;
  webhooks?: WebhookCredentials[] | undefined;
}

/** Every webhook of the credentials, `webhook` first, each URL once. */
export function webhookEndpoints(credentials: PushCredentials): WebhookCredentials[] {
  const all = [...(credentials.webhook ? [credentials.webhook] : []), ...(credentials.webhooks ?? [])];
  const seen = new Set<string>();
  return all.filter((endpoint) => !seen.has(endpoint.url) && seen.add(endpoint.url));
}

/** The service account fields FCM's OAuth2 grant needs, or a validation error naming what is missing. */
export function parseServiceAccount(json: string): {
  clientEmail: string;
  privateKey: string;
  tokenUri: string | null;
} {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new HestiaError(
      'HESTIA_VALIDATION_FAILED',
      'fcm.serviceAccountJson: not JSON (use the key file as downloaded)',
    );
  }
  const account = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const clientEmail = account.client_email;
  const privateKey = account.private_key;
  if (typeof clientEmail !== 'string' || typeof privateKey !== 'string')
    throw new HestiaError(
      'HESTIA_VALIDATION_FAILED',
      'fcm.serviceAccountJson: needs client_email and private_key',
    );
  try {
    createPrivateKey(privateKey);
  } catch {
    throw new HestiaError(
      'HESTIA_VALIDATION_FAILED',
      'fcm.serviceAccountJson: private_key is not a PEM private key',
    );
  }
  return {
    clientEmail,
    privateKey,
    tokenUri: typeof account.token_uri === 'string' ? account.token_uri : null,
  };
}

// 2 seconds

export function parsePushCredentials(json: string | null): PushCredentials {
  if (!json) return {};
  try {
    const parsed: unknown = JSON.parse(json);
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {}; // written by the tenant service as JSON; unreadable means nothing is configured
  }
}
