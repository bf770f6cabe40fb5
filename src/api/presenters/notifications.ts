/** How notification preferences, push devices, in-app notifications and deliveries look in API answers. */

import { iso } from './time.ts';
import type { PushDevice, InAppNotification, DeliveryWithRequest } from '../../core/domain/notification.ts';
import type { EffectivePreferences } from '../../services/notifications/notifications.ts';

export function presentPreferences(preferences: EffectivePreferences) {
  return {
    channels: preferences.channels,
    quietHours:
      preferences.quietStart && preferences.quietEnd
        ? { start: preferences.quietStart, end: preferences.quietEnd, timezone: preferences.quietTimezone }
        : null,
    isDefault: preferences.isDefault,
    updatedAt: preferences.updatedAtMs === null ? null : iso(preferences.updatedAtMs),
  };
}

/** Enough of a token to tell two apart in a list, not enough to send to it. */
export function tokenHint(token: string): string {
  return token.length <= 8 ? '…' : `${token.slice(0, 8)}…`;
}

export function presentPushDevice(device: PushDevice) {
  return {
    id: device.id,
    provider: device.provider,
    platform: device.platform,
    tokenHint: tokenHint(device.token),
    createdAt: iso(device.createdAtMs),
    lastSeenAt: iso(device.lastSeenAtMs),
  };
}

export function presentInApp(notification: InAppNotification) {
  return {
    id: notification.id,
    homeId: notification.homeId,
    requestId: notification.requestId,
    severity: notification.severity,
    title: notification.title,
    body: notification.body,
    data: notification.data,
    createdAt: iso(notification.createdAtMs),
    readAt: notification.readAtMs === null ? null : iso(notification.readAtMs),
  };
}

/** A webhook URL may carry a secret in its query (…?token=): the log shows scheme, host and path. */
export function safeTarget(delivery: DeliveryWithRequest): string {
  switch (delivery.channel) {
    case 'fcm':
      return tokenHint(delivery.target);
    case 'webhook':
      try {
        const url = new URL(delivery.target);
        return `${url.origin}${url.pathname}`;
      } catch {
        return 'webhook';
      }
    default:
      return delivery.target;
  }
}

export function presentDelivery(delivery: DeliveryWithRequest) {
  const open = delivery.status === 'pending' || delivery.status === 'sending';
  return {
    id: delivery.id,
    requestId: delivery.requestId,
    homeId: delivery.homeId,
    userId: delivery.userId,
    channel: delivery.channel,
    target: safeTarget(delivery),
    language: delivery.language,
    status: delivery.status,
    attempts: delivery.attempts,
    nextAttemptAt: open ? iso(delivery.nextAttemptAtMs) : null,
    lastError: delivery.lastError,
    providerResponse: delivery.providerResponse,
    createdAt: iso(delivery.createdAtMs),
    updatedAt: iso(delivery.updatedAtMs),
    sentAt: delivery.sentAtMs === null ? null : iso(delivery.sentAtMs),
    request: {
      kind: delivery.request.kind,
      severity: delivery.request.severity,
      title: delivery.request.title,
      sourceKey: delivery.request.sourceKey,
      createdAt: iso(delivery.request.createdAtMs),
    },
  };
}
