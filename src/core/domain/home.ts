/** Homes, their rooms, members and security mode. Times are epoch milliseconds. */

import type { Language } from '../messages.ts';

/** A person's role in one home: guests read, members also control, owners also administer. */
export type HomeRole = 'owner' | 'member' | 'guest';

export const HOME_ROLES: readonly HomeRole[] = ['owner', 'member', 'guest'];

export interface Home {
  id: string;
  tenantId: string;
  name: string;
  /** IANA zone, e.g. Europe/Berlin: statistics buckets and schedules follow it. */
  timezone: string;
  latitude: number | null;
  longitude: number | null;
  /** The tariff the provider chose for this home; null: the tenant's default tariff applies. */
  tariffId: string | null;
  createdAtMs: number;
}

export interface Room {
  id: string;
  homeId: string;
  name: string;
  createdAtMs: number;
}

export interface HomeMember {
  homeId: string;
  userId: string;
  email: string;
  name: string | null;
  role: HomeRole;
  /** The person's language (null: unset, English). */
  language: Language | null;
  joinedAtMs: number;
}

/** How a home's security system treats motion and doors: intrusion alarms only while `armed`. */
export type HomeMode = 'disarmed' | 'home' | 'armed';

export const HOME_MODES: readonly HomeMode[] = ['disarmed', 'home', 'armed'];
