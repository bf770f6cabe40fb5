import { randomBytes } from 'node:crypto';
import type { ConfigInput } from '../../src/core/config.ts';
import { API_KEY_SCOPES } from '../../src/core/domain/tenant.ts';
import type { MailMessage, MailPort } from '../../src/core/ports/mail.ts';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  OWNER_EMAIL,
  TENANT_SLUG,
  eventually,
  seedMessages,
  startTestApp,
  type TestApp,
} from './app.ts';

/**
 * The cast of the authorization matrix: who calls, and a world in which every kind of caller
 * has a clear relation to the objects under test.
 *
 * Tenant A ("acme"): owner O of home H (gateway G in H, with a sensor D and a camera C that
 * sent telemetry), member M and guest Gu of H (both joined by mailed invitation), X who owns
 * home H2 (gateway G2, a room) and is no member of H, A's admin, a limited API key of A.
 * Tenant B ("beta", created by a platform admin over the API): its admin, a user Y with a home
 * HB, a pending gateway GB. Plus a revoked API key, a revoked access token, an unknown token
 * and no token at all.
 */

export const CALLERS = [
  'owner',
  'member',
  'guest',
  'outsider',
  'tenantAdmin',
  'otherTenantAdmin',
  'otherTenantUser',
  'platformAdmin',
  'apiKey',
  'revokedApiKey',
  'revokedToken',
  'unknownToken',
  'anonymous',
] as const;
export type Caller = (typeof CALLERS)[number];

/** Callers who are people with a password (and so can sign in again, or hold a session). */
export const PEOPLE = [
  'owner',
  'member',
  'guest',
  'outsider',
  'tenantAdmin',
  'otherTenantAdmin',
  'otherTenantUser',
  'platformAdmin',
] as const satisfies readonly Caller[];
export type Person = (typeof PEOPLE)[number];

export function isPerson(caller: Caller): caller is Person {
  return (PEOPLE as readonly Caller[]).includes(caller);
}

/** Every person of the fixture signs in with this password. */
export const PASSWORD = ADMIN_PASSWORD;
export const OTHER_TENANT_SLUG = 'beta';

/** The scopes of the matrix's API key: it may read homes and telemetry, nothing else. */
export const API_KEY_MATRIX_SCOPES = ['homes:read', 'telemetry:read'] as const;

const ORIGIN = { ip: '127.0.0.1', userAgent: 'authorization-test' };

const ACCOUNTS: Record<Person, { email: string; tenant: string | undefined }> = {
  owner: { email: OWNER_EMAIL, tenant: TENANT_SLUG },
  member: { email: 'member@acme.example', tenant: TENANT_SLUG },
  guest: { email: 'guest@acme.example', tenant: TENANT_SLUG },
  outsider: { email: 'outsider@acme.example', tenant: TENANT_SLUG },
  tenantAdmin: { email: ADMIN_EMAIL, tenant: TENANT_SLUG },
  otherTenantAdmin: { email: 'admin@beta.example', tenant: OTHER_TENANT_SLUG },
  otherTenantUser: { email: 'user@beta.example', tenant: OTHER_TENANT_SLUG },
  platformAdmin: { email: 'platform@hestia.example', tenant: undefined },
};

/** Keeps every mail, so a test can read the one-time token an invitation carries. */
export class CapturingMailer implements MailPort {
  readonly sent: MailMessage[] = [];

  async send(message: MailMessage): Promise<{ messageId: string }> {
    this.sent.push(message);
    return { messageId: `<${this.sent.length}@authorization.test>` };
  }

  async close(): Promise<void> {}

  /** The token of the newest mail to `to` (links carry it as `?token=`, URL-encoded). */
  tokenFor(to: string): string {
    const mail = this.sent.findLast((message) => message.to === to);
    const match = mail ? /[?&]token=([^\s&"<>]+)/.exec(mail.text) : null;
    if (!match?.[1]) throw new Error(`no mail with a token was sent to ${to}`);
    return decodeURIComponent(match[1]);
  }
}

export interface HttpCall {
  method: string;
  url: string;
  body?: unknown;
  /** A string body is sent as is, with this content type. */
  contentType?: string;
  token: string | null;
}

export interface HttpResult {
  status: number;
  body: any;
}

export interface AuthorizationFixture {
  app: TestApp;
  mailer: CapturingMailer;
  tenantA: string;
  tenantB: string;
  /** H: owned by O, with M as member and Gu as guest. */
  home: string;
  /** H2: owned by X. */
  outsiderHome: string;
  outsiderRoom: string;
  /** HB: owned by Y in tenant B. */
  otherTenantHome: string;
  /** G, registered in H. */
  gateway: string;
  /** G2, registered in H2. */
  outsiderGateway: string;
  /** GB, pending in tenant B, with its claim code. */
  otherTenantGateway: { id: string; claimCode: string };
  /** A's default tariff ("Basic"), and another tariff of A that no home has. */
  defaultTariff: string;
  tariff: string;
  /** The sensor D and the camera C (with a preview) of G. */
  device: string;
  camera: string;
  users: Record<Person, string>;
  /** Current bearer of each caller; a password change replaces a person's token. */
  tokens: Record<Caller, string | null>;
  /** `app.inject` from a fresh client address each time, so per-IP rate limits do not interfere. */
  call(request: HttpCall): Promise<HttpResult>;
  as(caller: Caller, method: string, url: string, body?: unknown): Promise<HttpResult>;
  /** A second session of the person, for routes that end or disturb the one they call with. */
  freshSession(person: Person): Promise<string>;
  /** Signs the person in again and makes that the caller's token. */
  signInAgain(person: Person): Promise<void>;
  unique(prefix: string): string;
  /** A home owned by O with M as member and Gu as guest, like H but free to delete or hand over. */
  newHomeLikeH(): Promise<string>;
  /** A person who just joined H as guest (by invitation); returns the user id. */
  newMemberOfH(): Promise<string>;
  newRoomInH(): Promise<string>;
  newInvitationInH(): Promise<string>;
  /** A gateway of tenant A, provisioned and not registered, with its MQTT token and claim code. */
  newPendingGateway(): Promise<{ id: string; claimCode: string; token: string }>;
  newGatewayInH(): Promise<string>;
  newApiKey(scopes?: readonly string[]): Promise<{ id: string; key: string }>;
  newTenant(): Promise<string>;
  /** A tariff of tenant A that is not the default and no home has, free to delete. */
  newTariff(): Promise<string>;
  stop(): Promise<void>;
}

/** Fails setup loudly with the answer when a step does not get the status it needs. */
export function expectStatus(result: HttpResult, status: number, what: string): any {
  if (result.status !== status)
    throw new Error(`${what}: expected ${status}, got ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}

export async function startAuthorizationFixture(
  storage?: ConfigInput['storage'],
): Promise<AuthorizationFixture> {
  const mailer = new CapturingMailer();
  const app = await startTestApp(
    {
      ...(storage ? { storage } : {}),
      // The matrix registers a fresh gateway for every destructive call; the per-person claim
      // limit (meant against guessing codes) would otherwise refuse the later ones.
      auth: { claimAttemptsPerHour: 10_000 },
    },
    { mailer },
  );
  try {
    return await populate(app, mailer);
  } catch (error) {
    await app.stop();
    throw error;
  }
}

async function populate(app: TestApp, mailer: CapturingMailer): Promise<AuthorizationFixture> {
  let counter = 0;
  const unique = (prefix: string) => `${prefix}-${++counter}-${randomBytes(3).toString('hex')}`;

  let addresses = 0;
  const nextAddress = () => {
    addresses += 1;
    return `10.${(addresses >> 16) & 255}.${(addresses >> 8) & 255}.${addresses & 255}`;
  };

  const call = async (request: HttpCall): Promise<HttpResult> => {
    const headers: Record<string, string> = {};
    if (request.token !== null) headers.authorization = `Bearer ${request.token}`;
    let payload: string | undefined;
    if (typeof request.body === 'string') {
      payload = request.body;
      headers['content-type'] = request.contentType ?? 'text/plain';
    } else if (request.body !== undefined) {
      payload = JSON.stringify(request.body);
      headers['content-type'] = 'application/json';
    }
    const response = await app.hestia.api.inject({
      method: request.method as 'GET',
      url: request.url,
      headers,
      remoteAddress: nextAddress(),
      ...(payload === undefined ? {} : { payload }),
    });
    let body: unknown = response.body;
    try {
      body = response.body ? JSON.parse(response.body) : null;
    } catch {
      body = response.body; // an image or CSV: the text is all there is to see
    }
    return { status: response.statusCode, body };
  };

  const tokens: Record<Caller, string | null> = {
    owner: app.ownerToken,
    member: null,
    guest: null,
    outsider: null,
    tenantAdmin: app.adminToken,
    otherTenantAdmin: null,
    otherTenantUser: null,
    platformAdmin: null,
    apiKey: null,
    revokedApiKey: null,
    revokedToken: null,
    unknownToken: `hat_${randomBytes(32).toString('base64url')}`,
    anonymous: null,
  };
  const as = (caller: Caller, method: string, url: string, body?: unknown) =>
    call({ method, url, body, token: tokens[caller] });

  const login = async (person: Person): Promise<string> => {
    const { email, tenant } = ACCOUNTS[person];
    const session = await app.hestia.services.accounts.login({ email, password: PASSWORD, tenant }, ORIGIN);
    return session.accessToken;
  };

  const tenantA = app.tenantId;
  const home = app.homeId;
  const users = { owner: app.ownerId } as Record<Person, string>;
  users.tenantAdmin = (
    expectStatus(await as('tenantAdmin', 'GET', '/v1/me'), 200, 'admin me').user as { id: string }
  ).id;

  // Platform admin: made directly (there is no route for that), signed in over the API.
  const platform = await app.hestia.services.accounts.createUser({
    tenantId: null,
    email: ACCOUNTS.platformAdmin.email,
    password: PASSWORD,
    name: null,
    role: 'platform_admin',
  });
  users.platformAdmin = platform.id;
  tokens.platformAdmin = expectStatus(
    await call({
      method: 'POST',
      url: '/v1/auth/login',
      body: { email: ACCOUNTS.platformAdmin.email, password: PASSWORD },
      token: null,
    }),
    200,
    'platform admin login',
  ).accessToken;

  // Tenant B, its admin and a user with a home and a pending gateway.
  const createdB = expectStatus(
    await as('platformAdmin', 'POST', '/v1/tenants', {
      name: 'Beta',
      slug: OTHER_TENANT_SLUG,
      adminEmail: ACCOUNTS.otherTenantAdmin.email,
      adminPassword: PASSWORD,
    }),
    201,
    'creating tenant B',
  );
  const tenantB = createdB.tenant.id as string;
  users.otherTenantAdmin = createdB.admin.id;
  tokens.otherTenantAdmin = expectStatus(
    await call({
      method: 'POST',
      url: '/v1/auth/login',
      body: { email: ACCOUNTS.otherTenantAdmin.email, password: PASSWORD, tenant: OTHER_TENANT_SLUG },
      token: null,
    }),
    200,
    'tenant B admin login',
  ).accessToken;
  const signUp = async (person: Person) => {
    const { email, tenant } = ACCOUNTS[person];
    const session = expectStatus(
      await call({
        method: 'POST',
        url: '/v1/auth/signup',
        body: { tenant, email, password: PASSWORD },
        token: null,
      }),
      201,
      `sign-up of ${person}`,
    );
    users[person] = session.user.id;
    tokens[person] = session.accessToken;
  };
  await signUp('otherTenantUser');
  const otherTenantHome = expectStatus(
    await as('otherTenantUser', 'POST', '/v1/homes', { name: 'Beta home', timezone: 'UTC' }),
    201,
    'home of Y',
  ).id as string;
  const gb = expectStatus(
    await as('otherTenantAdmin', 'POST', '/v1/gateways', { name: 'beta gateway', id: 'gw-beta' }),
    201,
    'gateway of tenant B',
  );
  const otherTenantGateway = { id: gb.gateway.id as string, claimCode: gb.claimCode as string };

  // M joins H by invitation as a new account; Gu signs up first and accepts signed in.
  const invite = async (homeId: string, email: string, role: 'member' | 'guest') =>
    expectStatus(
      await as('owner', 'POST', `/v1/homes/${homeId}/invitations`, { email, role }),
      201,
      `inviting ${email}`,
    ).id as string;
  await invite(home, ACCOUNTS.member.email, 'member');
  const joined = expectStatus(
    await call({
      method: 'POST',
      url: '/v1/invitations/accept',
      body: { token: mailer.tokenFor(ACCOUNTS.member.email), password: PASSWORD },
      token: null,
    }),
    200,
    'member accepts',
  );
  if (joined.homeId !== home) throw new Error(`the member joined ${joined.homeId}, not ${home}`);
  users.member = joined.session.user.id;
  tokens.member = joined.session.accessToken;
  await signUp('guest');
  const acceptSignedIn = async (homeId: string, person: Person, role: 'member' | 'guest') => {
    await invite(homeId, ACCOUNTS[person].email, role);
    expectStatus(
      await as(person, 'POST', '/v1/invitations/accept', { token: mailer.tokenFor(ACCOUNTS[person].email) }),
      200,
      `${person} accepts`,
    );
  };
  await acceptSignedIn(home, 'guest', 'guest');

  // X: same tenant, her own home with a room and a gateway, no member of H.
  await signUp('outsider');
  const outsiderHome = expectStatus(
    await as('outsider', 'POST', '/v1/homes', { name: 'Outsider home', timezone: 'Europe/Berlin' }),
    201,
    'home of X',
  ).id as string;
  const outsiderRoom = expectStatus(
    await as('outsider', 'POST', `/v1/homes/${outsiderHome}/rooms`, { name: 'Study' }),
    201,
    'room of X',
  ).id as string;

  const newPendingGateway = async () => {
    const provisioned = expectStatus(
      await as('tenantAdmin', 'POST', '/v1/gateways', { name: 'matrix gateway', id: unique('gw') }),
      201,
      'provisioning a gateway',
    );
    return {
      id: provisioned.gateway.id as string,
      claimCode: provisioned.claimCode as string,
      token: provisioned.token as string,
    };
  };
  const registerGateway = async (claimer: Person, homeId: string) => {
    const gateway = await newPendingGateway();
    expectStatus(
      await as(claimer, 'POST', `/v1/homes/${homeId}/gateways`, {
        gatewayId: gateway.id,
        claimCode: gateway.claimCode,
      }),
      200,
      `registering ${gateway.id} to ${homeId}`,
    );
    return gateway.id;
  };
  const outsiderGateway = await registerGateway('outsider', outsiderHome);

  // A's tariffs: the default, and one to read and change.
  const tariffs = expectStatus(await as('tenantAdmin', 'GET', '/v1/tariffs'), 200, "A's tariffs")
    .items as Array<{
    id: string;
    isDefault: boolean;
  }>;
  const defaultTariff = tariffs.find((t) => t.isDefault)!.id;
  const newTariff = async () =>
    expectStatus(
      await as('tenantAdmin', 'POST', '/v1/tariffs', {
        name: unique('tariff'),
        rawRetentionDays: 45,
        sensorRetentionDays: 365,
        videoRetentionDays: 7,
        recordingModes: ['off', 'motion'],
        maxGatewaysPerHome: 2,
        maxCamerasPerHome: 4,
      }),
      201,
      'a tariff of A',
    ).id as string;
  const tariff = await newTariff();

  // API keys: the matrix's limited key, and a revoked one that could do everything.
  const newApiKey = async (scopes: readonly string[] = API_KEY_MATRIX_SCOPES) => {
    const created = expectStatus(
      await as('tenantAdmin', 'POST', `/v1/tenants/${tenantA}/api-keys`, { name: unique('key'), scopes }),
      201,
      'creating an API key',
    );
    return { id: created.apiKey.id as string, key: created.key as string };
  };
  tokens.apiKey = (await newApiKey()).key;
  const revokedKey = await newApiKey(API_KEY_SCOPES);
  expectStatus(
    await as('tenantAdmin', 'DELETE', `/v1/tenants/${tenantA}/api-keys/${revokedKey.id}`),
    204,
    'revoking an API key',
  );
  tokens.revokedApiKey = revokedKey.key;

  // A session of O that was ended by logging out.
  const ownerSession = expectStatus(
    await call({
      method: 'POST',
      url: '/v1/auth/login',
      body: { email: OWNER_EMAIL, password: PASSWORD, tenant: TENANT_SLUG },
      token: null,
    }),
    200,
    'owner login',
  );
  expectStatus(
    await call({ method: 'POST', url: '/v1/auth/logout', token: ownerSession.accessToken }),
    204,
    'owner logout',
  );
  tokens.revokedToken = ownerSession.accessToken;

  // G in H, with a sensor, a camera with a preview, and one dead letter, all stored.
  const gatewayCredentials = await newPendingGateway();
  expectStatus(
    await as('owner', 'POST', `/v1/homes/${home}/gateways`, {
      gatewayId: gatewayCredentials.id,
      claimCode: gatewayCredentials.claimCode,
    }),
    200,
    'registering G',
  );
  const gateway = gatewayCredentials.id;
  const seed = await seedMessages();
  const device = seed.sensorData.deviceId!;
  const camera = seed.cameraDeviceState.deviceId!;
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0xff, 0xd9]);
  const client = await app.connectGateway({ id: gateway, token: gatewayCredentials.token });
  const up = `hestia/v1/gw/${gateway}/up`;
  await client.publishAsync(
    up,
    JSON.stringify([
      { ...seed.sensorData, gatewayId: gateway },
      { ...seed.cameraDeviceState, gatewayId: gateway },
      {
        ...seed.cameraDeviceState,
        gatewayId: gateway,
        messageType: 'preview',
        preview: jpeg.toString('base64'),
        timestampMs: String(Number(seed.cameraDeviceState.timestampMs) + 1),
      },
    ]),
    { qos: 1 },
  );
  await client.publishAsync(up, 'this is not JSON', { qos: 1 });
  await client.endAsync();
  await eventually('the sensor, the camera preview and the dead letter', async () => {
    const [sensor, preview, letters] = await Promise.all([
      as('tenantAdmin', 'GET', `/v1/devices/${device}`),
      as('tenantAdmin', 'GET', `/v1/devices/${camera}/preview`),
      as('tenantAdmin', 'GET', '/v1/dead-letters'),
    ]);
    return sensor.status === 200 && preview.status === 200 && letters.body.items.length > 0
      ? true
      : undefined;
  });

  const fixture: AuthorizationFixture = {
    app,
    mailer,
    tenantA,
    tenantB,
    home,
    outsiderHome,
    outsiderRoom,
    otherTenantHome,
    gateway,
    outsiderGateway,
    otherTenantGateway,
    defaultTariff,
    tariff,
    device,
    camera,
    users,
    tokens,
    call,
    as,
    freshSession: login,
    async signInAgain(person) {
      tokens[person] = await login(person);
    },
    unique,
    async newHomeLikeH() {
      const created = expectStatus(
        await as('owner', 'POST', '/v1/homes', { name: unique('home'), timezone: 'UTC' }),
        201,
        'a home like H',
      );
      await acceptSignedIn(created.id, 'member', 'member');
      await acceptSignedIn(created.id, 'guest', 'guest');
      return created.id as string;
    },
    async newMemberOfH() {
      const email = `${unique('joiner')}@acme.example`;
      await invite(home, email, 'guest');
      const accepted = expectStatus(
        await call({
          method: 'POST',
          url: '/v1/invitations/accept',
          body: { token: mailer.tokenFor(email), password: PASSWORD },
          token: null,
        }),
        200,
        'a new guest of H accepts',
      );
      return accepted.session.user.id as string;
    },
    async newRoomInH() {
      return expectStatus(
        await as('owner', 'POST', `/v1/homes/${home}/rooms`, { name: unique('room') }),
        201,
        'a room in H',
      ).id as string;
    },
    async newInvitationInH() {
      return invite(home, `${unique('invitee')}@acme.example`, 'guest');
    },
    newPendingGateway,
    newGatewayInH: () => registerGateway('owner', home),
    newApiKey,
    async newTenant() {
      const slug = unique('tenant');
      return expectStatus(
        await as('platformAdmin', 'POST', '/v1/tenants', {
          name: slug,
          slug,
          adminEmail: `admin@${slug}.example`,
          adminPassword: PASSWORD,
        }),
        201,
        'a throwaway tenant',
      ).tenant.id as string;
    },
    newTariff,
    stop: () => app.stop(),
  };
  return fixture;
}
