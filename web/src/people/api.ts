import { ApiError, type HomeRole, type Session, type User } from '../api.ts';
import { errorText } from '../format.ts';
import type { Language, MessageKey, Translate } from '../i18n.ts';
import { storage } from '../store.ts';

// ---- the API's objects for members, invitations and a person's notifications ----

/** A person of a home (`GET /v1/homes/{id}/members`). */
export interface Member {
  userId: string;
  email: string;
  name: string | null;
  role: HomeRole;
  /** The language Hestia writes to the person in; null: not chosen. */
  language: Language | null;
  joinedAt: string;
}

/** An open invitation to a home (`GET /v1/homes/{id}/invitations`, owners). */
export interface Invitation {
  id: string;
  homeId: string | null;
  email: string;
  role: HomeRole | User['role'];
  /** Null when an API key or the system invited, or the inviter's account is gone. */
  invitedBy: { id: string; name: string | null; email: string } | null;
  language: Language | null;
  createdAt: string;
  expiresAt: string;
}

/** What a mailed invitation offers (`POST /v1/invitations/preview`, public). */
export interface InvitationPreview {
  /** The invited address. */
  email: string;
  /** `home`: to join a home; `tenant`: to become a person of the provider. */
  kind: 'home' | 'tenant';
  tenantName: string;
  /** The provider's short name, which its people log in with. */
  tenantSlug: string;
  homeName: string | null;
  role: HomeRole | User['role'];
  invitedBy: { name: string | null; email: string } | null;
  expiresAt: string;
  /** The invited address has an account with the provider: it accepts signed in. */
  accountExists: boolean;
  language: Language | null;
}

/** The answer of `POST /v1/invitations/accept`: a session when the account was created. */
export interface AcceptAnswer {
  homeId: string | null;
  session: Session | null;
}

export type Severity = 'critical' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];

/** The channels a person chooses (webhooks are the provider's, not a person's). */
export type PersonalChannel = 'onesignal' | 'fcm' | 'email' | 'in_app';
export const PERSONAL_CHANNELS: readonly PersonalChannel[] = ['in_app', 'email', 'onesignal', 'fcm'];

export interface QuietHours {
  /** Local time, HH:MM. */
  start: string;
  end: string;
  /** IANA zone; null: the zone of the notification's home. */
  timezone: string | null;
}

export interface Preferences {
  channels: Record<Severity, PersonalChannel[]>;
  quietHours: QuietHours | null;
  /** True until the person saves preferences of their own. */
  isDefault: boolean;
  updatedAt: string | null;
}

export interface PushDevice {
  id: string;
  provider: 'onesignal' | 'fcm';
  platform: string | null;
  tokenHint: string;
  createdAt: string;
  lastSeenAt: string;
}

export interface InAppNotification {
  id: string;
  homeId: string | null;
  requestId: string;
  severity: Severity;
  title: string;
  body: string;
  data: Record<string, string>;
  createdAt: string;
  readAt: string | null;
}

export interface InAppPage {
  items: InAppNotification[];
  nextCursor: string | null;
  unreadCount: number;
}

/** The shortest password the API accepts (src/services/accounts.ts). */
export const MIN_PASSWORD_LENGTH = 10;

/** The provider the login page last used; these pages start from it too. */
export function rememberedTenant(fromQuery: string | undefined): string {
  return fromQuery ?? storage.read('hestia.tenant') ?? '';
}

/** API errors whose general text would mislead on these pages (a "token" is a mailed link here). */
const PAGE_ERRORS: Readonly<Record<string, MessageKey>> = {
  HESTIA_TOKEN_INVALID: 'people.error.linkInvalid',
  HESTIA_CONFLICT: 'people.error.conflict',
};

export function peopleErrorText(error: unknown, t: Translate): string {
  if (error instanceof ApiError) {
    const key = PAGE_ERRORS[error.code];
    if (key) return t(key, { message: error.message });
  }
  return errorText(error, t);
}

/** A check done before sending, shown like the API's errors. */
export class FormProblem extends Error {}

export function formProblemText(error: unknown, t: Translate): string {
  return error instanceof FormProblem ? error.message : peopleErrorText(error, t);
}
