import { DateTime } from 'luxon';
import { webhookEndpoints, type PushCredentials } from '../../core/domain/push-credentials.ts';
import {
  DEFAULT_CHANNELS,
  type DeliveryDecision,
  type NotificationPreferences,
  type NotificationRequest,
  type NotificationSeverity,
  type PersonalChannel,
  type Recipient,
} from '../../core/domain/notification.ts';

const SEVERITY_RANK: Record<NotificationSeverity, number> = { info: 0, warning: 1, critical: 2 };

/** Channels that interrupt a person: quiet hours hold them back for anything but critical. */
const INTERRUPTING: ReadonlySet<PersonalChannel> = new Set(['onesignal', 'fcm', 'email']);

/** "HH:MM", 00:00 to 23:59. */
export const CLOCK_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

/**
 * Whether `atMs` falls in the quiet hours `start`–`end` (local clock times in `zone`); a span
 * whose end is before its start runs over midnight (22:00–07:00). Equal ends: no quiet hours.
 */
export function inQuietHours(start: string | null, end: string | null, zone: string, atMs: number): boolean {
  if (!start || !end || start === end) return false;
  const local = DateTime.fromMillis(atMs, { zone });
  const now = local.isValid
    ? local.toFormat('HH:mm')
    : DateTime.fromMillis(atMs, { zone: 'UTC' }).toFormat('HH:mm');
  return start < end ? now >= start && now < end : now >= start || now < end;
}

/** A person the request reaches, with what the decision needs to know about them. */
export interface RecipientFacts extends Recipient {
  preferences: NotificationPreferences | undefined;
  /** OneSignal player ids and FCM registration tokens they registered. */
  oneSignalDevices: number;
  fcmTokens: string[];
}

/**
 * Who gets what, on which channel: each person's channels for the severity (or the request's
 * own channel list), minus providers the tenant has not configured or the person has no device
 * for; interrupting channels inside quiet hours are written as skipped, with the reason, unless
 * the request is critical; plus one delivery per tenant webhook whose minimum severity it reaches.
 * A person's deliveries carry their language, which the providers render the request in.
 * Pure, so a re-run after a crash decides the same.
 */
export function decideDeliveries(input: {
  request: NotificationRequest;
  recipients: readonly RecipientFacts[];
  credentials: PushCredentials;
  /** The home's zone, for quiet hours of people who did not name one. */
  homeTimezone: string | null;
}): DeliveryDecision[] {
  const { request, credentials } = input;
  const decisions: DeliveryDecision[] = [];
  for (const person of input.recipients) {
    const preferences = person.preferences;
    const channels: readonly PersonalChannel[] = request.channels
      ? request.channels.filter((channel): channel is PersonalChannel => channel !== 'webhook')
      : (preferences?.channels ?? DEFAULT_CHANNELS)[request.severity];
    const zone = preferences?.quietTimezone ?? input.homeTimezone ?? 'UTC';
    const quiet =
      request.severity !== 'critical' &&
      inQuietHours(preferences?.quietStart ?? null, preferences?.quietEnd ?? null, zone, request.createdAtMs);
    const quietReason = quiet
      ? `quiet hours ${preferences?.quietStart}–${preferences?.quietEnd} (${zone}); only critical notifications interrupt them`
      : undefined;
    const add = (channel: PersonalChannel, target: string) =>
      decisions.push({
        userId: person.userId,
        channel,
        target,
        language: person.language,
        skippedBecause: INTERRUPTING.has(channel) ? quietReason : undefined,
      });
    for (const channel of new Set(channels)) {
      switch (channel) {
        case 'onesignal':
          if (credentials.oneSignal && person.oneSignalDevices > 0) add(channel, person.userId);
          break;
        case 'fcm':
          if (credentials.fcm) for (const token of person.fcmTokens) add(channel, token);
          break;
        case 'email':
          add(channel, person.email);
          break;
        case 'in_app':
          add(channel, person.userId);
          break;
        default: {
          const unhandled: never = channel;
          throw new Error(`unknown channel ${String(unhandled)}`);
        }
      }
    }
  }
  if (!request.channels || request.channels.includes('webhook')) {
    for (const endpoint of webhookEndpoints(credentials)) {
      if (SEVERITY_RANK[request.severity] >= SEVERITY_RANK[endpoint.minSeverity ?? 'info'])
        decisions.push({ userId: null, channel: 'webhook', target: endpoint.url });
    }
  }
  return decisions;
}
