import { createStore, storage, type Store } from './store.ts';

// ---- the API's objects, as the dashboard reads them (the full schemas are at /openapi.json) ----

export type Availability = 'online' | 'stale' | 'unavailable';
export type HomeRole = 'owner' | 'member' | 'guest';
export type HomeMode = 'disarmed' | 'home' | 'armed';
export type CommandStatus = 'pending' | 'sent' | 'succeeded' | 'failed' | 'timed_out';
export const FINAL_COMMAND_STATUSES: ReadonlySet<CommandStatus> = new Set([
  'succeeded',
  'failed',
  'timed_out',
]);

export interface User {
  id: string;
  tenantId: string | null;
  email: string;
  name: string | null;
  role: 'platform_admin' | 'tenant_admin' | 'user';
  /** The language Hestia writes to this person in (notifications, mails); null: not chosen. */
  language?: 'en' | 'zh' | null;
}

export interface Session {
  accessToken: string;
  expiresAt: string;
  refreshToken: string;
  refreshExpiresAt: string;
  user: User;
}

export interface Home {
  id: string;
  tenantId: string;
  name: string;
  timezone: string;
  /** The caller's role; null for the provider's staff. */
  role: HomeRole | null;
  /** The home's own tariff; null: it follows the provider's default. */
  tariffId?: string | null;
  createdAt?: string;
}

export interface Room {
  id: string;
  homeId: string;
  name: string;
}

export interface Channel {
  label: string;
  capability: string | null;
  unit: string | null;
  sensorType: string | null;
  value: number | null;
  text: string | null;
  ts: string;
  tsMs: number;
  /** False while the device is stale or unavailable: the last known value. */
  current?: boolean;
}

export interface Device {
  id: string;
  gatewayId: string;
  type: string;
  protocol: string;
  name: string | null;
  roomId: string | null;
  availability?: Availability;
  lastHeardAt?: string | null;
  channels: Channel[];
}

export interface Gateway {
  id: string;
  tenantId: string;
  name: string;
  homeId: string | null;
  registration: 'pending' | 'registered';
  registeredAt: string | null;
  unregisteredMessages: number;
  credentialsRotatedAt: string | null;
  credentialsRevokedAt: string | null;
  status: 'never_connected' | 'online' | 'offline';
  lastSeenAt: string | null;
  statusChangedAt: string | null;
  firmware: string | null;
  vendor: string | null;
  createdAt: string;
}

/** A provider's look (PATCH /v1/tenants/{id}), applied to the dashboard of its people. */
export interface Branding {
  displayName: string | null;
  logoUrl: string | null;
  primaryColor: string | null;
  accentColor: string | null;
}

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  status: 'active' | 'suspended';
  branding: Branding;
  signupOpen: boolean;
  createdAt: string;
  suspendedAt: string | null;
}

/** A person of the provider as its admins see them. */
export interface TenantUser extends User {
  createdAt: string;
  disabledAt: string | null;
}

export interface Tariff {
  id: string;
  tenantId: string;
  name: string;
  rawRetentionDays: number;
  sensorRetentionDays: number;
  videoRetentionDays: number;
  recordingModes: Array<'off' | 'motion' | 'continuous'>;
  maxGatewaysPerHome: number;
  maxCamerasPerHome: number;
  isDefault: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface DeadLetter {
  id: number;
  gatewayId: string | null;
  receivedAt: string;
  reason: string;
  detail: string;
  payload: string;
  payloadBytes: number;
}

export interface AuditEntry {
  id: number;
  tenantId: string | null;
  at: string;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  homeId: string | null;
  ip: string | null;
  outcome: string;
  detail: Record<string, unknown>;
}

/** A keyset page (`GET` listings): the cursor of the next page, null on the last. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Security {
  homeId: string;
  mode: HomeMode;
  changedAt: string | null;
  heatThresholdC: number;
  freezeThresholdC: number;
}

export interface Alarm {
  id: string;
  homeId: string;
  deviceId: string;
  cause: string;
  severity: 'critical' | 'warning' | 'info';
  state: 'active' | 'cleared';
  label: string;
  value: number | null;
  raisedAt: string;
  occurrences: number;
  lastOccurrenceAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

export interface Command {
  id: string;
  homeId: string;
  deviceId: string;
  action: string;
  params: Record<string, unknown>;
  status: CommandStatus;
  detail: string | null;
  createdAt: string;
  completedAt: string | null;
}

export interface ChartPoint {
  tsMs: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  count: number;
}

export interface Chart {
  interval: string;
  timezone: string;
  points: ChartPoint[];
}

export interface AggregatePoint {
  tsMs: number;
  value: number | null;
  count: number;
}

export interface Aggregate {
  interval: string;
  timezone: string;
  points: AggregatePoint[];
}

export interface Energy {
  period: string;
  interval: string;
  timezone: string;
  unit: string | null;
  total: number;
  points: AggregatePoint[];
}

// ---- cameras (GET /v1/homes/{id}/cameras, /v1/cameras/{deviceId}…) ----

export type RecordingMode = 'off' | 'motion' | 'continuous';
export const RECORDING_MODES: readonly RecordingMode[] = ['off', 'motion', 'continuous'];
export type RecordingState = 'idle' | 'recording' | 'failed';
export type CameraEventKind = 'motion' | 'doorbell';

export interface Camera {
  deviceId: string;
  homeId: string;
  gatewayId: string;
  name: string | null;
  mode: RecordingMode;
  /** Whether the camera pushes its stream to a media server now (live playback needs it). */
  streaming: boolean;
  serverName: string | null;
  recording: {
    state: RecordingState;
    /** Why it failed (the media server's answer); null otherwise. */
    reason: string | null;
    since: string;
  };
  lastMotionAt: string | null;
  latestPreviewAt: string | null;
}

export interface CameraEvent {
  id: string;
  kind: CameraEventKind;
  at: string;
}

export interface PreviewEntry {
  /** The preview's time: `GET /v1/cameras/{deviceId}/previews/{at}` with it as listed. */
  at: string;
  contentType: string;
  sizeBytes: number;
}

/** `GET /v1/cameras/{deviceId}/timeline`: what was recorded and seen in [from, to). */
export interface CameraTimeline {
  from: string;
  /** Where this page ends: before the asked `to` when the page was cut (see `nextFrom`). */
  to: string;
  spans: Array<{ start: string; end: string; files: number }>;
  gaps: Array<{ start: string; end: string }>;
  events: CameraEvent[];
  previews: PreviewEntry[];
  /** Where the next page starts; null on the last. */
  nextFrom: string | null;
}

/**
 * `POST /v1/cameras/{deviceId}/playback`: an expiring HLS URL. Live: the media server's
 * absolute URL; archive: a path of this API, resolved against its origin (no bearer needed).
 */
export interface Playback {
  kind: 'live' | 'archive';
  url: string;
  expiresAt: string;
  from: string | null;
  durationMs: number | null;
}

// ---- errors ----

/** An API error (`{error: {code, message}}`), or NETWORK when no answer came. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as {
      error?: { code?: unknown; message?: unknown; details?: unknown };
    };
    if (typeof body.error?.code === 'string')
      return new ApiError(
        response.status,
        body.error.code,
        typeof body.error.message === 'string' ? body.error.message : body.error.code,
        body.error.details,
      );
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  return new ApiError(response.status, `HTTP_${response.status}`, response.statusText || 'Request failed');
}

// ---- the session ----

const SESSION_KEY = 'hestia.session';
/** Renew this long before the access token expires (they last 15 minutes). */
const RENEW_BEFORE_EXPIRY_MS = 60_000;

function readStoredSession(): Session | null {
  const text = storage.read(SESSION_KEY);
  if (!text) return null;
  try {
    const session = JSON.parse(text) as Partial<Session>;
    return typeof session.accessToken === 'string' && typeof session.refreshToken === 'string'
      ? (session as Session)
      : null;
  } catch {
    return null;
  }
}

/** The signed-in person's tokens, in localStorage (`hestia.session`), shared with other tabs. */
export const session: Store<Session | null> = createStore(readStoredSession());
session.subscribe((value) => storage.write(SESSION_KEY, value ? JSON.stringify(value) : null));
// Another tab logged in, renewed or logged out.
globalThis.addEventListener?.('storage', (event: StorageEvent) => {
  if (event.key === SESSION_KEY || event.key === null) session.set(readStoredSession());
});

// ---- the client ----

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

type SendOptions = RequestOptions & { text?: { body: string; contentType: string }; cache?: RequestCache };

/**
 * A fetch wrapper for /v1: adds the bearer token, renews it before it expires and once on a
 * 401, and turns error bodies into `ApiError`s. A refused renewal ends the session.
 */
export class ApiClient {
  private renewing: Promise<Session | null> | null = null;
  private renewTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly sessions: Store<Session | null>) {
    sessions.subscribe(() => this.scheduleRenewal());
    this.scheduleRenewal();
  }

  get<T>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  post<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    return this.request<T>('POST', path, { ...options, body: body ?? {} });
  }

  put<T>(path: string, body: unknown, options?: RequestOptions): Promise<T> {
    return this.request<T>('PUT', path, { ...options, body });
  }

  patch<T>(path: string, body: unknown, options?: RequestOptions): Promise<T> {
    return this.request<T>('PATCH', path, { ...options, body });
  }

  delete<T = void>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>('DELETE', path, options);
  }

  /** Sends a text body (a CSV file) and returns the answer as text with its headers. */
  async postText(
    path: string,
    text: string,
    contentType: string,
    options: RequestOptions = {},
  ): Promise<{ text: string; headers: Headers }> {
    const withText = { ...options, text: { body: text, contentType } };
    const response = await this.sendAuthorized('POST', path, withText);
    return { text: await response.text(), headers: response.headers };
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.sendAuthorized(method, path, options);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /** A binary answer (a camera's preview image). */
  async blob(path: string, options: RequestOptions & { cache?: RequestCache } = {}): Promise<Blob> {
    const binary = { ...options, headers: { accept: '*/*', ...options.headers } };
    return (await this.sendAuthorized('GET', path, binary)).blob();
  }

  /** An access token valid for at least a minute, renewed if needed; null when logged out. */
  async accessToken(): Promise<string | null> {
    return (await this.freshSession())?.accessToken ?? null;
  }

  /** Renew now, e.g. after the live feed was closed as unauthenticated. */
  async renewNow(): Promise<string | null> {
    const current = this.sessions.get();
    return current ? ((await this.renew(current))?.accessToken ?? null) : null;
  }

  async login(credentials: { tenant?: string; email: string; password: string }): Promise<Session> {
    const response = await this.send('POST', '/v1/auth/login', { body: credentials });
    if (!response.ok) throw await errorOf(response);
    const started = (await response.json()) as Session;
    this.sessions.set(started);
    return started;
  }

  /** Ends the session on the server (when it answers) and here (always). */
  async logout(): Promise<void> {
    const current = this.sessions.get();
    this.sessions.set(null);
    if (!current) return;
    await this.send('POST', '/v1/auth/logout', { body: {} }, current.accessToken).catch(
      // The server ends unused sessions by itself; the tokens are gone from this browser.
      () => undefined,
    );
  }

  /**
   * Sends with the bearer token, renewed first when about to expire and once more on a 401;
   * an error answer becomes an `ApiError`.
   */
  private async sendAuthorized(method: string, path: string, options: SendOptions): Promise<Response> {
    const used = await this.freshSession();
    let response = await this.send(method, path, options, used?.accessToken);
    if (response.status === 401 && used) {
      const renewed = await this.renew(used);
      if (!renewed) throw await errorOf(response);
      response = await this.send(method, path, options, renewed.accessToken);
    }
    if (!response.ok) throw await errorOf(response);
    return response;
  }

  private async send(method: string, path: string, options: SendOptions, token?: string) {
    const url = new URL(path, globalThis.location?.origin ?? 'http://localhost');
    for (const [name, value] of Object.entries(options.query ?? {}))
      if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.text) headers['content-type'] = options.text.contentType;
    try {
      return await fetch(url.pathname + url.search, {
        method,
        headers,
        body: options.text
          ? options.text.body
          : options.body === undefined
            ? undefined
            : JSON.stringify(options.body),
        signal: options.signal,
        ...(options.cache ? { cache: options.cache } : {}),
      });
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new ApiError(0, 'NETWORK', error instanceof Error ? error.message : 'Network error');
    }
  }

  private async freshSession(): Promise<Session | null> {
    const current = this.sessions.get();
    if (!current) return null;
    if (Date.parse(current.expiresAt) - Date.now() > RENEW_BEFORE_EXPIRY_MS) return current;
    return this.renew(current);
  }

  /**
   * One renewal at a time, in this tab and across tabs (Web Locks): refresh tokens rotate and
   * presenting a used one again revokes the session, so two concurrent renewals would log out.
   */
  private renew(stale: Session): Promise<Session | null> {
    this.renewing ??= (async () => {
      try {
        const locks = globalThis.navigator?.locks;
        return locks
          ? await locks.request('hestia.session.renew', () => this.renewOnce(stale))
          : await this.renewOnce(stale);
      } finally {
        this.renewing = null;
      }
    })();
    return this.renewing;
  }

  private async renewOnce(stale: Session): Promise<Session | null> {
    // Another tab (or an earlier call) may have renewed already: use its tokens.
    const stored = readStoredSession() ?? this.sessions.get();
    if (!stored) {
      this.sessions.set(null);
      return null;
    }
    if (stored.refreshToken !== stale.refreshToken) {
      this.sessions.set(stored);
      return stored;
    }
    const response = await this.send('POST', '/v1/auth/refresh', {
      body: { refreshToken: stale.refreshToken },
    });
    if (response.ok) {
      const renewed = (await response.json()) as Session;
      this.sessions.set(renewed);
      return renewed;
    }
    // Refused (expired, revoked, reused): the session is over. A 5xx or 429 is not a refusal.
    if (response.status >= 400 && response.status < 500 && response.status !== 429) {
      this.sessions.set(null);
      return null;
    }
    throw await errorOf(response);
  }

  private scheduleRenewal(): void {
    clearTimeout(this.renewTimer);
    const current = this.sessions.get();
    if (!current) return;
    // Keeps the token fresh while the app sits open (a wall panel), so the live feed's
    // reconnects and the next click need no round trip first.
    const inMs = Math.max(5_000, Date.parse(current.expiresAt) - Date.now() - RENEW_BEFORE_EXPIRY_MS - 5_000);
    this.renewTimer = setTimeout(() => {
      this.freshSession().catch(() => this.scheduleRenewal());
    }, inMs);
  }
}

export const api = new ApiClient(session);

/** A new idempotency key per click: a retried request is not sent twice. */
export function idempotencyKey(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

// ---- the live feed (its messages and the WebSocket client are in live-feed.ts) ----
