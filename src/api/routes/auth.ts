import { Type } from '@sinclair/typebox';
import type { ApiPlugin } from '../context.ts';
import { authenticated, optionallyAuthenticated, originOf, principalOf, userOf } from '../auth.ts';
import {
  presentHome,
  presentInvitationPreview,
  presentSession,
  presentTenant,
  presentUser,
} from '../presenters/directory.ts';
import {
  HomeRoleSchema,
  HomeSchema,
  LanguageSchema,
  RoleSchema,
  SessionSchema,
  UserSchema,
  errorResponses,
  strictBody,
  TenantSchema,
} from '../schemas.ts';

const Email = Type.String({ minLength: 3, maxLength: 320 });
const Password = Type.String({ minLength: 1, maxLength: 1024 });
/** The answer of POST /v1/invitations/preview. */
const InvitationPreviewSchema = Type.Object({
  email: Type.String({ description: 'The invited address' }),
  kind: Type.Union([Type.Literal('home'), Type.Literal('tenant')], {
    description: "'home': to join a home; 'tenant': to become a person (or administrator) of the provider",
  }),
  tenantName: Type.String({ description: "The provider's branding display name, else its name" }),
  tenantSlug: Type.String({ description: "The provider's short name, which its people log in with" }),
  homeName: Type.Union([Type.String(), Type.Null()]),
  role: Type.Union([...HomeRoleSchema.anyOf, ...RoleSchema.anyOf], {
    description: "For a home 'member' or 'guest'; for the provider 'user' or 'tenant_admin'",
  }),
  invitedBy: Type.Union(
    [Type.Object({ name: Type.Union([Type.String(), Type.Null()]), email: Type.String() }), Type.Null()],
    { description: "Null when an API key or the system invited, or the inviter's account is gone" },
  ),
  expiresAt: Type.String({ format: 'date-time' }),
  accountExists: Type.Boolean({
    description: 'The invited address has an account with the provider: accept signed in as it',
  }),
  language: LanguageSchema,
});

const TenantRef = Type.String({
  minLength: 1,
  maxLength: 64,
  description: "The service provider's slug (or id) the app belongs to",
});

/**
 * People's sessions: sign-up, login (per-IP rate limit, and per-account lock with backoff in
 * the account service), refresh, logout, password change and reset, invitations. Every body
 * declares its properties and refuses others.
 */
export const authRoutes: ApiPlugin = async (app, { services }) => {
  const caller = authenticated(services.accounts);
  const security = [{ bearer: [] }];
  const noStore = { 'cache-control': 'no-store' };
  const perIp = { rateLimit: { max: 10, timeWindow: '1 minute' } };

  app.post(
    '/v1/auth/signup',
    {
      config: perIp,
      schema: {
        tags: ['auth'],
        summary: 'Create an account with a service provider whose sign-up is open; signs it in',
        body: Type.Object(
          {
            tenant: TenantRef,
            email: Email,
            password: Password,
            name: Type.Optional(Type.String({ maxLength: 100 })),
            language: Type.Optional(LanguageSchema),
          },
          strictBody,
        ),
        response: { 201: SessionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const session = await services.accounts.signUp(request.body, originOf(request));
      return reply.code(201).headers(noStore).send(presentSession(session));
    },
  );

  app.post(
    '/v1/auth/login',
    {
      config: perIp,
      schema: {
        tags: ['auth'],
        summary: 'Exchange email and password for an access token and a refresh token',
        description:
          'After repeated failures the account is locked for a while (429 HESTIA_LOGIN_LOCKED with Retry-After), doubling with each further failure.',
        body: Type.Object(
          {
            email: Email,
            password: Password,
            tenant: Type.Optional(TenantRef),
          },
          strictBody,
        ),
        response: { 200: SessionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const session = await services.accounts.login(request.body, originOf(request));
      return reply.headers(noStore).send(presentSession(session));
    },
  );

  app.post(
    '/v1/auth/refresh',
    {
      config: { rateLimit: { max: 60, timeWindow: '1 minute' } },
      schema: {
        tags: ['auth'],
        summary: 'Exchange a refresh token for a new access token and refresh token',
        description: 'The refresh token rotates; presenting a used one again revokes the whole session.',
        body: Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 200 }) }, strictBody),
        response: { 200: SessionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const session = await services.accounts.refresh(request.body.refreshToken, originOf(request));
      return reply.headers(noStore).send(presentSession(session));
    },
  );

  app.post(
    '/v1/auth/logout',
    {
      onRequest: caller,
      schema: {
        tags: ['auth'],
        summary: 'End this session: its access and refresh tokens stop working',
        security,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await services.accounts.logout(userOf(request), originOf(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/auth/password',
    {
      onRequest: caller,
      config: perIp,
      schema: {
        tags: ['auth'],
        summary: "Change one's password; every other session ends",
        security,
        body: Type.Object({ currentPassword: Password, newPassword: Password }, strictBody),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await services.accounts.changePassword(userOf(request), request.body, originOf(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/auth/password-reset',
    {
      config: { rateLimit: { max: 5, timeWindow: '1 minute' } },
      schema: {
        tags: ['auth'],
        summary:
          'Mail a one-time password reset link, if the account exists (the answer is the same either way)',
        body: Type.Object({ email: Email, tenant: Type.Optional(TenantRef) }, strictBody),
        response: { 202: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await services.accounts.requestPasswordReset(request.body, originOf(request));
      return reply.code(202).send(null);
    },
  );

  app.post(
    '/v1/auth/password-reset/confirm',
    {
      config: perIp,
      schema: {
        tags: ['auth'],
        summary: 'Set a new password with the mailed token (once); every session of the account ends',
        body: Type.Object(
          { token: Type.String({ minLength: 1, maxLength: 200 }), newPassword: Password },
          strictBody,
        ),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await services.accounts.resetPassword(request.body, originOf(request));
      return reply.code(204).send(null);
    },
  );

  // Preview and accept count in one per-IP budget: a token guessed at through one route must not
  // get a second allowance through the other. The limiter runs before authentication, so calls
  // with a bad bearer token count too.
  const invitationTokenLimit = app.rateLimit({ max: 10, timeWindow: '1 minute' });

  app.post(
    '/v1/invitations/preview',
    {
      onRequest: invitationTokenLimit,
      schema: {
        tags: ['auth', 'homes'],
        summary: 'What an invitation offers, for the invited person to decide before accepting',
        description:
          'The mailed token goes in the body, not the URL, so that it stays out of access logs. `accountExists`: the invited address has an account with the provider, so accept signed in as it; else accept with a password. An unknown, used, withdrawn or expired token answers 400 HESTIA_TOKEN_INVALID, as accept does; both routes share one per-address rate limit.',
        body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) }, strictBody),
        response: { 200: InvitationPreviewSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply
        .headers(noStore)
        .send(presentInvitationPreview(await services.invitations.preview(request.body.token))),
  );

  app.post(
    '/v1/invitations/accept',
    {
      onRequest: [invitationTokenLimit, optionallyAuthenticated(services.accounts)],
      schema: {
        tags: ['auth', 'homes'],
        summary: 'Accept an invitation to a provider or a home',
        description:
          'Without an account with the provider, give a password: the account is created and signed in, in `language` (else the language the invitation was mailed in). With one, call signed in as that account: without a session the answer is 401 HESTIA_UNAUTHENTICATED (sign in, then accept), signed in as anyone else it is 403 HESTIA_INVITATION_OTHER_ACCOUNT (renewing the token does not help: sign in as the invited person). Shares its per-address rate limit with POST /v1/invitations/preview.',
        body: Type.Object(
          {
            token: Type.String({ minLength: 1, maxLength: 200 }),
            password: Type.Optional(Password),
            name: Type.Optional(Type.String({ maxLength: 100 })),
            language: Type.Optional(LanguageSchema),
          },
          strictBody,
        ),
        response: {
          200: Type.Object({
            homeId: Type.Union([Type.String(), Type.Null()]),
            session: Type.Union([SessionSchema, Type.Null()]),
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const result = await services.invitations.accept(request.principal, request.body, originOf(request));
      return reply.headers(noStore).send({
        homeId: result.invitation.homeId,
        session: result.kind === 'new_account' ? presentSession(result.session) : null,
      });
    },
  );

  app.get(
    '/v1/me',
    {
      onRequest: caller,
      schema: {
        tags: ['auth'],
        summary: 'The signed-in person, their provider and their homes',
        description:
          "`user.language` is the language Hestia writes to the person in (notifications and mails); null: the provider's default, English. PATCH /v1/me changes it.",
        security,
        response: {
          200: Type.Object({
            user: UserSchema,
            tenant: Type.Union([TenantSchema, Type.Null()]),
            homes: Type.Array(HomeSchema),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const principal = userOf(request);
      const user = await services.accounts.me(principal);
      const tenant = principal.tenantId
        ? await services.tenants.getTenant(principalOf(request), principal.tenantId)
        : null;
      const homes =
        principal.role === 'user' ? await services.homes.listHomes(principal, { limit: 1000 }) : [];
      return {
        user: presentUser(user),
        tenant: tenant ? presentTenant(tenant) : null,
        homes: homes.map(presentHome),
      };
    },
  );

  app.patch(
    '/v1/me',
    {
      onRequest: caller,
      schema: {
        tags: ['auth'],
        summary: "Change one's own name or language; what is left out stays",
        description:
          "The language is the one of every notification (push, in-app, mail) and account mail Hestia sends the person from then on; null goes back to the default (English). Notifications a person wrote (an automation's notification action) stay as written; webhooks are in English. A blank name removes it.",
        security,
        body: Type.Object(
          {
            name: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 100 })])),
            language: Type.Optional(LanguageSchema),
          },
          strictBody,
        ),
        response: { 200: UserSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentUser(await services.accounts.updateMe(userOf(request), request.body, originOf(request))),
  );

  app.get(
    '/v1/public/tenants/:slug',
    {
      schema: {
        tags: ['auth'],
        summary: "A provider's public face for its sign-in page: name, branding, whether sign-up is open",
        params: Type.Object({ slug: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: {
          200: Type.Object({
            slug: Type.String(),
            name: Type.String(),
            branding: TenantSchema.properties.branding,
            signupOpen: Type.Boolean(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const tenant = await services.accounts.activeTenant(request.params.slug);
      return {
        slug: tenant.slug,
        name: tenant.name,
        branding: tenant.branding,
        signupOpen: tenant.signupOpen,
      };
    },
  );
};
