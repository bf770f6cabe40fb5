import { ApiError, type Branding, type Home } from '../api.ts';
import { errorText } from '../format.ts';
import type { MessageKey, Translate } from '../i18n.ts';

// ---- the API's objects for sign-up and a home's settings ----

/** A home with its location (`GET /v1/homes/{id}`; the dashboard's `Home` leaves it out). */
export interface HomeWithLocation extends Home {
  latitude: number | null;
  longitude: number | null;
}

/** A provider's public face (`GET /v1/public/tenants/{slug}`), read before signing up. */
export interface PublicTenant {
  slug: string;
  name: string;
  branding: Branding;
  signupOpen: boolean;
}

/** What `DELETE /v1/homes/{id}/gateways/{gatewayId}` without `confirm` says it would delete. */
export interface GatewayDeletion {
  devices: number;
  readings: number;
}

/** The body of `POST /v1/homes` and `PATCH /v1/homes/{id}`. */
export interface HomeInput {
  name: string;
  timezone: string;
  /** Null: no location (sunrise and sunset triggers need one). */
  latitude: number | null;
  longitude: number | null;
}

/** The provider's name as its people know it: the branding's display name, else its name. */
export function providerName(tenant: PublicTenant): string {
  return tenant.branding.displayName || tenant.name;
}

/** Whether the owners' rights apply: owners, and the provider's staff (no role in the home). */
export function canManage(home: Pick<Home, 'role'>): boolean {
  return home.role === 'owner' || home.role === null;
}

// ---- time zones ----

/** The browser's own time zone, the default of a new home. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

let zones: readonly string[] | undefined;

/** Every IANA time zone the browser knows, for the time zone field's list. */
export function timeZones(): readonly string[] {
  if (!zones) {
    const known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    zones = [...new Set([...known, 'UTC', browserTimeZone()])].sort();
  }
  return zones;
}

/** The browser accepts `zone` as a time zone (as the API does with its own list). */
export function isTimeZone(zone: string): boolean {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

// ---- errors ----

/** A check done before sending, shown like the API's errors. */
export class FormProblem extends Error {}

/** API errors these pages explain in their own words. */
const PAGE_ERRORS: Readonly<Record<string, MessageKey>> = {
  HESTIA_SIGNUP_CLOSED: 'signup.closed',
};

export function onboardingErrorText(error: unknown, t: Translate): string {
  if (error instanceof FormProblem) return error.message;
  if (error instanceof ApiError) {
    const key = PAGE_ERRORS[error.code];
    if (key) return t(key);
  }
  return errorText(error, t);
}
