/** Notifications: the outbox contract, deliveries per channel, people's preferences, push devices, the in-app feed. */

import {
  type NotificationMessage,
  type Language,
  DEFAULT_LANGUAGE,
  renderNotification,
} from '../messages.ts';

// ---- types ----

export type NotificationKind = 'alarm' | 'automation' | 'camera' | 'system';

export type NotificationSeverity = 'critical' | 'warning' | 'info';

export const NOTIFICATION_SEVERITIES: readonly NotificationSeverity[] = ['critical', 'warning', 'info'];

/** Where a notification goes: push providers, the tenant's webhooks, mail, the in-app feed. */
export type NotificationChannel = 'onesignal' | 'fcm' | 'webhook' | 'email' | 'in_app';

export const NOTIFICATION_CHANNELS: readonly NotificationChannel[] = [
  'onesignal',
  'fcm',
  'webhook',
  'email',
  'in_app',
];

/** Channels a person chooses per severity (webhooks are the tenant's, not a person's). */
export type PersonalChannel = Exclude<NotificationChannel, 'webhook'>;

export const PERSONAL_CHANNELS: readonly PersonalChannel[] = ['onesignal', 'fcm', 'email', 'in_app'];

export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = [
  'pending',
  'sending',
  'sent',
  'failed',
  'skipped',
];

export type PushProvider = 'onesignal' | 'fcm';

/** What an event source asks for (the outbox contract shared with alarms and automations). */
export interface NotificationInput {
  tenantId: string;
  homeId: string | null;
  /** Unique per event, e.g. "alarm:<id>:raised": enqueueing the same key twice creates nothing. */
  sourceKey: string;
  kind: NotificationKind;
  severity: NotificationSeverity;
  /**
   * The texts in English: what webhooks carry, the delivery log shows, and people get when
   * `message` is absent (texts a person wrote, such as an automation's notification).
   */
  title: string;
  body: string;
  /**
   * The same notification as a catalogue key and parameters: each person gets it rendered in
   * their own language. Absent on requests written before languages existed.
   */
  message?: NotificationMessage | null | undefined;
  data: Record<string, string>;
  /** null: every member of the home (or the tenant's admins when there is no home). */
  userIds: string[] | null;
  /** Only these channels, whatever the preferences say (test notifications); omitted: preferences. */
  channels?: NotificationChannel[] | null | undefined;
  createdAtMs: number;
}

export interface NotificationRequest extends Omit<NotificationInput, 'channels' | 'message'> {
  id: string;
  channels: NotificationChannel[] | null;
  /** As stored: a key this version does not know renders as the English `title` and `body`. */
  message: { key: string; params: Record<string, string> } | null;
  decidedAtMs: number | null;
}

export interface NotificationDelivery {
  id: string;
  requestId: string;
  tenantId: string;
  homeId: string | null;
  userId: string | null;
  channel: NotificationChannel;
  /** Player-id owner (user id) for OneSignal, FCM token, webhook URL, e-mail address, user id in-app. */
  target: string;
  /** The person's language when the request was decided; null: the default (and for webhooks). */
  language: Language | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAtMs: number;
  leaseUntilMs: number | null;
  /** The error of the last attempt, or why the delivery was skipped. */
  lastError: string | null;
  providerResponse: string | null;
  createdAtMs: number;
  updatedAtMs: number;
  sentAtMs: number | null;
}

/** A delivery with what its request says, for the sender and the delivery log. */
export interface DeliveryWithRequest extends NotificationDelivery {
  request: NotificationRequest;
}

export type ChannelsBySeverity = Record<NotificationSeverity, PersonalChannel[]>;

export interface NotificationPreferences {
  userId: string;
  channels: ChannelsBySeverity;
  /** "HH:MM" local time; both null: no quiet hours. */
  quietStart: string | null;
  quietEnd: string | null;
  /** IANA zone of the quiet hours; null: the home's zone (UTC without a home). */
  quietTimezone: string | null;
  updatedAtMs: number | null;
}

/** What a person gets without having chosen: every push for critical, mail for critical only. */
export const DEFAULT_CHANNELS: ChannelsBySeverity = {
  critical: ['onesignal', 'fcm', 'email', 'in_app'],
  warning: ['onesignal', 'fcm', 'in_app'],
  info: ['in_app'],
};

export interface PushDevice {
  id: string;
  userId: string;
  tenantId: string | null;
  provider: PushProvider;
  token: string;
  platform: string | null;
  createdAtMs: number;
  lastSeenAtMs: number;
}

export interface InAppNotification {
  id: string;
  tenantId: string | null;
  userId: string;
  homeId: string | null;
  requestId: string;
  severity: NotificationSeverity;
  title: string;
  body: string;
  data: Record<string, string>;
  createdAtMs: number;
  readAtMs: number | null;
}

/** A person a request may reach, as the directory knows them when the request is decided. */
export interface Recipient {
  userId: string;
  tenantId: string | null;
  email: string;
  /** null: they never chose, the default language. */
  language: Language | null;
}

/** A delivery as the decision writes it. */
export interface DeliveryDecision {
  userId: string | null;
  channel: NotificationChannel;
  target: string;
  /** The language the person gets it in (null: the default); webhooks have none. */
  language?: Language | null | undefined;
  /** A reason makes it 'skipped' (quiet hours…); the delivery log shows it. */
  skippedBecause?: string | undefined;
}

/** Keyset position of the listings ordered by (created_at_ms, id) descending: "<ms>:<id>". */
export function positionOf(row: { createdAtMs: number; id: string }): string {
  return `${row.createdAtMs}:${row.id}`;
}

export function parsePosition(position: string | undefined): { ms: number; id: string } | undefined {
  if (position === undefined) return undefined;
  const colon = position.indexOf(':');
  const ms = Number(position.slice(0, colon));
  if (colon <= 0 || !Number.isSafeInteger(ms)) return undefined;
  return { ms, id: position.slice(colon + 1) };
}

/**
 * What the person of a delivery reads: the request's catalogue message in the language decided
 * for them, or the request's own title and body when it has no message (a text a person wrote,
 * a request stored before languages existed) or one this version does not know.
 */
export function deliveryTexts(delivery: Pick<DeliveryWithRequest, 'language' | 'request'>): {
  title: string;
  body: string;
  language: Language;
} {
  const language = delivery.language ?? DEFAULT_LANGUAGE;
  const { request } = delivery;
  const rendered = request.message ? renderNotification(request.message, language) : undefined;
  return { ...(rendered ?? { title: request.title, body: request.body }), language };
}
