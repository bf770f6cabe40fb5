/**
 * Storage ports of the directory: who is who and who may touch what. One store per aggregate;
 * `Directory` gathers them. The SQL implementations (store/directory/) serve both engines.
 * All times are epoch milliseconds.
 */

import type { AuditEntry } from '../domain/audit.ts';
import type { Gateway, GatewayStatus, GatewayWithSecret } from '../domain/gateway.ts';
import type { Home, HomeMember, HomeRole, Room } from '../domain/home.ts';
import type { AccessTokenRecord, Invitation, Role, Session, User, UserWithSecret } from '../domain/person.ts';
import type { GatewayRetentionPolicy, Tariff, TariffPatch, TariffRegistration } from '../domain/tariff.ts';
import type { ApiKey, Branding, Tenant, TenantStatus } from '../domain/tenant.ts';
import type { Language } from '../messages.ts';

/**
 * Service providers (tenants): their settings, branding and push-provider credentials.
 */
export interface TenantStore {
  createTenant(input: {
    id: string;
    slug: string;
    name: string;
    createdAtMs: number;
    signupOpen?: boolean;
    branding?: Partial<Branding>;
  }): Promise<Tenant>;
  findTenant(id: string): Promise<Tenant | undefined>;
  findTenantBySlug(slug: string): Promise<Tenant | undefined>;
  listTenants(): Promise<Tenant[]>;
  updateTenant(
    id: string,
    patch: {
      name?: string | undefined;
      branding?: Branding | undefined;
      signupOpen?: boolean | undefined;
    },
  ): Promise<Tenant | undefined>;
  setTenantStatus(id: string, status: TenantStatus, atMs: number): Promise<void>;
  /** Push-provider credentials as a JSON text, or null to remove them. */
  setTenantPushCredentials(id: string, credentialsJson: string | null): Promise<void>;
  findTenantPushCredentials(id: string): Promise<string | null>;
}

/**
 * People's accounts: email (unique per tenant), password hash, role, name, language, disabled.
 */
export interface PersonStore {
  createUser(input: {
    id: string;
    tenantId: string | null;
    email: string;
    name?: string | null;
    passwordHash: string;
    role: Role;
    language?: Language | null;
    createdAtMs: number;
  }): Promise<User>;
  findUser(id: string): Promise<UserWithSecret | undefined>;
  /** Emails are unique per tenant (null: platform accounts) and compared case-insensitively. */
  findUserByEmail(tenantId: string | null, email: string): Promise<UserWithSecret | undefined>;
  /** Every account with this email, across tenants (login without a tenant). */
  findUsersByEmail(email: string): Promise<UserWithSecret[]>;
  listUsers(
    tenantId: string,
    page: {
      limit: number;
      after?: string | undefined;
    },
  ): Promise<User[]>;
  countUsers(): Promise<number>;
  setUserPassword(userId: string, passwordHash: string, atMs: number): Promise<void>;
  setUserRole(userId: string, role: Role): Promise<void>;
  setUserDisabled(userId: string, disabledAtMs: number | null): Promise<void>;
  setUserName(userId: string, name: string | null): Promise<void>;
  setUserLanguage(userId: string, language: Language | null): Promise<void>;
}

/**
 * Logins: sessions with rotating refresh tokens, access tokens, mailed one-time tokens, and the failed-login throttle.
 */
export interface SessionStore {
  createSession(input: {
    id: string;
    userId: string;
    tenantId: string | null;
    refreshHash: string;
    client: string | null;
    createdAtMs: number;
    expiresAtMs: number;
  }): Promise<void>;
  findSession(id: string): Promise<Session | undefined>;
  /** The session whose current refresh token has this digest, or which rotated it out earlier. */
  findSessionByRefresh(refreshHash: string): Promise<
    | {
        session: Session;
        current: boolean;
      }
    | undefined
  >;
  /**
   * Replaces the refresh token if it is still `fromHash` (compare-and-set: of two concurrent
   * refreshes with one token, one wins) and retires the old one. Returns whether this call
   * rotated it.
   */
  rotateRefreshToken(input: {
    sessionId: string;
    fromHash: string;
    toHash: string;
    atMs: number;
    expiresAtMs: number;
  }): Promise<boolean>;
  /** Ends a session: its refresh token stops working and its access tokens are deleted. */
  revokeSession(sessionId: string, atMs: number): Promise<void>;
  /** Ends every session of a user but `keepSessionId` (password change, disabling, removal). */
  revokeUserSessions(userId: string, atMs: number, keepSessionId?: string | null): Promise<number>;
  listUserSessions(userId: string, nowMs: number): Promise<Session[]>;
  createAccessToken(input: {
    tokenHash: string;
    sessionId: string;
    userId: string;
    expiresAtMs: number;
  }): Promise<void>;
  /**
   * The principal behind an access token, checked in one query: the token and its session are
   * live, the account is not disabled and its tenant is not suspended. The role is the account's
   * current one, so a role change takes effect at the next request.
   */
  findAccessToken(tokenHash: string, nowMs: number): Promise<AccessTokenRecord | undefined>;
  deleteAccessToken(tokenHash: string): Promise<void>;
  /** Sweeps what can no longer be used: expired tokens, sessions and one-time tokens. */
  deleteExpiredTokens(nowMs: number): Promise<number>;
  createOneTimeToken(input: {
    tokenHash: string;
    purpose: 'password_reset';
    userId: string;
    createdAtMs: number;
    expiresAtMs: number;
  }): Promise<void>;
  /** Marks a live one-time token used and returns its user; a second use finds nothing. */
  consumeOneTimeToken(
    tokenHash: string,
    purpose: 'password_reset',
    nowMs: number,
  ): Promise<string | undefined>;
  findLoginThrottle(key: string): Promise<
    | {
        failures: number;
        lockedUntilMs: number | null;
      }
    | undefined
  >;
  setLoginThrottle(key: string, failures: number, lockedUntilMs: number | null, atMs: number): Promise<void>;
  clearLoginThrottle(key: string): Promise<void>;
}

/**
 * Tenants' API keys (hashed) with their scopes.
 */
export interface ApiKeyStore {
  createApiKey(
    input: Omit<ApiKey, 'lastUsedAtMs' | 'revokedAtMs'> & {
      keyHash: string;
    },
  ): Promise<ApiKey>;
  findApiKey(tenantId: string, id: string): Promise<ApiKey | undefined>;
  /** A live key of an active tenant, by digest. */
  findLiveApiKeyByHash(keyHash: string): Promise<ApiKey | undefined>;
  listApiKeys(tenantId: string): Promise<ApiKey[]>;
  revokeApiKey(tenantId: string, id: string, atMs: number): Promise<boolean>;
  /** Records a use; written at most once a minute per key so busy backends do not write per call. */
  touchApiKey(id: string, atMs: number): Promise<void>;
}

/**
 * Homes, their rooms and members with their roles.
 */
export interface HomeStore {
  /** Creates a home with its creator as owner, in one transaction; it follows its tenant's default tariff. */
  createHome(home: Omit<Home, 'tariffId'>, ownerUserId: string): Promise<Home>;
  findHome(id: string): Promise<Home | undefined>;
  /** Homes a person belongs to, with their role in each. */
  listUserHomes(userId: string): Promise<
    Array<
      Home & {
        role: HomeRole;
      }
    >
  >;
  listTenantHomes(
    tenantId: string,
    page: {
      limit: number;
      after?: string | undefined;
    },
  ): Promise<Home[]>;
  updateHome(
    id: string,
    patch: {
      name?: string | undefined;
      timezone?: string | undefined;
      latitude?: number | null | undefined;
      longitude?: number | null | undefined;
    },
  ): Promise<Home | undefined>;
  deleteHome(id: string): Promise<boolean>;
  findMemberRole(homeId: string, userId: string): Promise<HomeRole | undefined>;
  /** A home's people, with the language each is written to in (null: unset). */
  listMembers(homeId: string): Promise<HomeMember[]>;
  addMember(input: {
    homeId: string;
    userId: string;
    tenantId: string;
    role: HomeRole;
    atMs: number;
  }): Promise<void>;
  setMemberRole(homeId: string, userId: string, role: HomeRole): Promise<boolean>;
  removeMember(homeId: string, userId: string): Promise<boolean>;
  /** The owner hands the home to a member and stays on as a member; atomic, so there is always one owner. */
  transferOwnership(homeId: string, fromUserId: string, toUserId: string): Promise<boolean>;
  createRoom(
    room: Room & {
      tenantId: string;
    },
  ): Promise<Room>;
  listRooms(homeId: string): Promise<Room[]>;
  findRoom(homeId: string, roomId: string): Promise<Room | undefined>;
  renameRoom(homeId: string, roomId: string, name: string): Promise<boolean>;
  deleteRoom(homeId: string, roomId: string): Promise<boolean>;
}

/**
 * Invitations to a tenant or a home, accepted by a mailed token.
 */
export interface InvitationStore {
  createInvitation(
    input: Omit<Invitation, 'acceptedAtMs' | 'revokedAtMs'> & {
      tokenHash: string;
    },
  ): Promise<void>;
  findInvitationByToken(tokenHash: string): Promise<Invitation | undefined>;
  findInvitation(tenantId: string, id: string): Promise<Invitation | undefined>;
  /** Open invitations of a tenant (homeId null) or of one home. */
  listOpenInvitations(tenantId: string, homeId: string | null, nowMs: number): Promise<Invitation[]>;
  /** Compare-and-set: only one acceptance of an invitation succeeds. */
  markInvitationAccepted(id: string, atMs: number): Promise<boolean>;
  revokeInvitation(id: string, atMs: number): Promise<boolean>;
}

/**
 * Gateways: provisioning, registration to a home (within its tariff), credentials.
 */
/** A page of a listing ordered by id. */
export interface Page {
  limit: number;
  /** Opaque position from the previous page's last item; absent for the first page. */
  after?: string | undefined;
}

export interface GatewayStore {
  findGateway(id: string): Promise<GatewayWithSecret | undefined>;
  /** Gateways of a tenant ordered by id, `after` being the last id of the previous page. */
  listGateways(tenantId: string, page: Page): Promise<Gateway[]>;
  /**
   * Records a connection state change (and the online time it ends in the gateway's monthly
   * usage); a change older than the stored one is ignored.
   */
  setGatewayStatus(input: { gatewayId: string; status: GatewayStatus; atMs: number }): Promise<void>;
  /** Marks every gateway offline (after an unclean stop, nobody is connected any more). */
  markAllGatewaysOffline(atMs: number): Promise<number>;
  /** Creates gateways all or none (bulk import); a duplicate id fails the whole call with HESTIA_CONFLICT. */
  createGateways(
    gateways: Array<{
      id: string;
      tenantId: string;
      name: string;
      tokenHash: string;
      claimCodeHash: string | null;
      createdAtMs: number;
    }>,
  ): Promise<Gateway[]>;
  /** Which of these ids already exist (any tenant): bulk import reports them per row. */
  existingGatewayIds(ids: readonly string[]): Promise<Set<string>>;
  listHomeGateways(homeId: string): Promise<Gateway[]>;
  /** Gateways registered to the home (what a tariff's `maxGatewaysPerHome` limits). */
  countHomeGateways(homeId: string): Promise<number>;
  /** Cameras (devices of type camera, not removed) of the home's gateways: what `maxCamerasPerHome` limits. */
  countHomeCameras(homeId: string): Promise<number>;
  listTenantGatewayIds(tenantId: string): Promise<string[]>;
  /** Registers a pending gateway to a home; false if it is registered already (first claim wins). */
  registerGateway(gatewayId: string, homeId: string, atMs: number): Promise<boolean>;
  /**
   * Registers a pending gateway to a home if the home's tariff allows one more gateway. The
   * home's row is locked first (PostgreSQL; SQLite's transaction is exclusive anyway), so two
   * claims into one home cannot both take its last place.
   */
  registerGatewayWithinTariff(gatewayId: string, homeId: string, atMs: number): Promise<TariffRegistration>;
  /** Returns the gateway to pending (its data is deleted separately, by the telemetry store). */
  unregisterGateway(gatewayId: string): Promise<void>;
  /** New credentials: the old token stops working; a revoked gateway is usable again. */
  setGatewayToken(gatewayId: string, tokenHash: string, atMs: number): Promise<void>;
  revokeGatewayCredentials(gatewayId: string, atMs: number): Promise<void>;
  setGatewayClaimCode(gatewayId: string, claimCodeHash: string): Promise<void>;
}

/**
 * Tariffs of a tenant, the default one, a home's tariff, and the retention each gateway's data follows.
 */
export interface TariffStore {
  /** A new tariff of a tenant; never the default at first (see `setDefaultTariff`). A taken name is HESTIA_CONFLICT. */
  createTariff(input: Omit<Tariff, 'isDefault' | 'updatedAtMs'>): Promise<Tariff>;
  listTariffs(tenantId: string): Promise<Tariff[]>;
  findTariff(id: string): Promise<Tariff | undefined>;
  /** Changes the fields given; undefined when there is no such tariff. A taken name is HESTIA_CONFLICT. */
  updateTariff(id: string, patch: TariffPatch, atMs: number): Promise<Tariff | undefined>;
  /**
   * Deletes a tariff that is neither its tenant's default nor set on any home; false otherwise
   * (or when there is no such tariff).
   */
  deleteTariff(id: string): Promise<boolean>;
  /**
   * Makes the tariff its tenant's default and every other one not, in one transaction; false
   * if the tenant has no such tariff. Every row of the tenant is written, so that on PostgreSQL
   * two concurrent calls queue on the same row locks and one default remains.
   */
  setDefaultTariff(tenantId: string, tariffId: string, atMs: number): Promise<boolean>;
  /** Sets the home's tariff; null: the home follows its tenant's default. False if there is no such home. */
  setHomeTariff(homeId: string, tariffId: string | null): Promise<boolean>;
  /** Homes whose own tariff this is (homes that follow the default are not counted). */
  countTariffHomes(tariffId: string): Promise<number>;
  /** The tariff in force for a home: its own, else its tenant's default; undefined if there is no such home. */
  tariffForHome(homeId: string): Promise<Tariff | undefined>;
  /** The retention horizons of every gateway registered to a home, from the home's tariff in force. */
  retentionPolicies(): Promise<GatewayRetentionPolicy[]>;
}

/**
 * The audit log, append-only, paged newest first, trimmed by age.
 */
export interface AuditStore {
  appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<number>;
  /** Newest first. `tenantId` undefined lists every tenant's entries (platform admins). */
  listAudit(query: {
    tenantId: string | null | undefined;
    limit: number;
    beforeId?: number | undefined;
    action?: string | undefined;
  }): Promise<AuditEntry[]>;
  /** Retention: deletes up to `maxRows` of the oldest audit records before `beforeMs`. */
  trimAuditLog(beforeMs: number, maxRows: number): Promise<number>;
}

/** The directory's stores, one per aggregate. */
export interface Directory {
  readonly tenants: TenantStore;
  readonly people: PersonStore;
  readonly sessions: SessionStore;
  readonly apiKeys: ApiKeyStore;
  readonly homes: HomeStore;
  readonly invitations: InvitationStore;
  readonly gateways: GatewayStore;
  readonly tariffs: TariffStore;
  readonly audit: AuditStore;
}
