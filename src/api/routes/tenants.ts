import { Type, type TUnsafe } from '@sinclair/typebox';
import { API_KEY_SCOPES, type Branding } from '../../core/domain/tenant.ts';
import { MAX_WEBHOOKS } from '../../services/tenants.ts';
import { HestiaError } from '../../core/errors.ts';
import type { ApiPlugin } from '../context.ts';
import { authenticated, originOf, principalOf } from '../auth.ts';
import {
  presentApiKey,
  presentAudit,
  presentInvitation,
  presentTenant,
  presentUser,
} from '../presenters/directory.ts';
import { decodeCursor, decodeNumericCursor, pageOf } from '../paging.ts';
import {
  ApiKeySchema,
  AuditEntrySchema,
  Id,
  InvitationSchema,
  LanguageSchema,
  TenantSchema,
  UserSchema,
  errorResponses,
  strictBody,
  PageQuery,
  pageResponse,
} from '../schemas.ts';

const TenantParams = Type.Object({ tenantId: Id });
/**
 * One JSON type `["string", "null"]` per field, not a union: with the API's type coercion a
 * union's string branch would turn `null` into "" before the null branch is tried, and a
 * colour or logo could never be cleared.
 */
const nullableText = (maxLength: number): TUnsafe<string | null> =>
  Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength });
/** The branding fields of a validated body, typed for the service (strings, or null to clear). */
function brandingOf(body?: { [K in keyof Branding]?: unknown }): Partial<Branding> | undefined {
  if (!body) return undefined;
  const branding: Partial<Branding> = {};
  for (const key of ['displayName', 'logoUrl', 'primaryColor', 'accentColor'] as const) {
    const value = body[key];
    if (value === null || typeof value === 'string') branding[key] = value;
  }
  return branding;
}
const BrandingPatch = Type.Object(
  {
    displayName: Type.Optional(nullableText(100)),
    logoUrl: Type.Optional(nullableText(2000)),
    primaryColor: Type.Optional(nullableText(7)),
    accentColor: Type.Optional(nullableText(7)),
  },
  strictBody,
);

/**
 * Service providers: created, suspended and listed by platform admins; their name, branding,
 * sign-up policy, people, API keys, push credentials and audit log managed by their admins.
 */
export const tenantRoutes: ApiPlugin = async (app, { services }) => {
  const caller = authenticated(services.accounts);
  const security = [{ bearer: [] }];

  app.post(
    '/v1/tenants',
    {
      onRequest: caller,
      schema: {
        tags: ['tenants'],
        summary: 'Create a service provider with its first admin (platform admins)',
        description:
          'Without adminPassword the admin is invited by mail (the usual way); with it, the account is created at once.',
        security,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            slug: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
            adminEmail: Type.String({ minLength: 3, maxLength: 320 }),
            adminPassword: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
            signupOpen: Type.Optional(Type.Boolean()),
            branding: Type.Optional(BrandingPatch),
          },
          strictBody,
        ),
        response: {
          201: Type.Object({
            tenant: TenantSchema,
            admin: Type.Union([UserSchema, Type.Null()]),
            invitationId: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const result = await services.tenants.createTenant(
        principalOf(request),
        { ...request.body, branding: brandingOf(request.body.branding) },
        originOf(request),
      );
      return reply.code(201).send({
        tenant: presentTenant(result.tenant),
        admin: result.admin ? presentUser(result.admin) : null,
        invitationId: result.invitationId,
      });
    },
  );

  app.get(
    '/v1/tenants',
    {
      onRequest: caller,
      schema: {
        tags: ['tenants'],
        summary: 'Every service provider (platform admins)',
        security,
        response: { 200: Type.Object({ items: Type.Array(TenantSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await services.tenants.listTenants(principalOf(request))).map(presentTenant),
    }),
  );

  app.get(
    '/v1/tenants/:tenantId',
    {
      onRequest: caller,
      schema: {
        tags: ['tenants'],
        summary: 'One service provider',
        security,
        params: TenantParams,
        response: { 200: TenantSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentTenant(await services.tenants.getTenant(principalOf(request), request.params.tenantId)),
  );

  app.patch(
    '/v1/tenants/:tenantId',
    {
      onRequest: caller,
      schema: {
        tags: ['tenants'],
        summary: 'Change name, branding or sign-up policy (tenant admins)',
        security,
        params: TenantParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            branding: Type.Optional(BrandingPatch),
            signupOpen: Type.Optional(Type.Boolean()),
          },
          strictBody,
        ),
        response: { 200: TenantSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentTenant(
        await services.tenants.updateTenant(
          principalOf(request),
          request.params.tenantId,
          { ...request.body, branding: brandingOf(request.body.branding) },
          originOf(request),
        ),
      ),
  );

  for (const [path, suspended] of [
    ['suspend', true],
    ['resume', false],
  ] as const) {
    app.post(
      `/v1/tenants/:tenantId/${path}`,
      {
        onRequest: caller,
        schema: {
          tags: ['tenants'],
          summary: suspended
            ? 'Suspend a provider: its people cannot sign in and its gateways are disconnected (platform admins)'
            : 'Resume a suspended provider (platform admins)',
          security,
          params: TenantParams,
          response: { 200: TenantSchema, ...errorResponses },
        },
      },
      async (request) =>
        presentTenant(
          await services.tenants.setSuspended(
            principalOf(request),
            request.params.tenantId,
            suspended,
            originOf(request),
          ),
        ),
    );
  }

  const MinSeverity = Type.Union([Type.Literal('critical'), Type.Literal('warning'), Type.Literal('info')], {
    description: 'The lowest severity POSTed to this webhook (default info: every notification)',
  });
  const PushStatus = Type.Object({
    configured: Type.Boolean(),
    appId: Type.Optional(Type.String()),
    projectId: Type.Optional(Type.String()),
    url: Type.Optional(Type.String()),
    minSeverity: Type.Optional(MinSeverity),
  });
  const PushStatusBody = Type.Object({
    oneSignal: PushStatus,
    fcm: PushStatus,
    webhook: PushStatus,
    webhooks: Type.Array(Type.Object({ url: Type.String(), minSeverity: MinSeverity }), {
      description: 'Every webhook (webhook first), without secrets',
    }),
  });
  const WebhookBody = Type.Object(
    {
      url: Type.String({ minLength: 1, maxLength: 2000 }),
      secret: Type.Optional(
        Type.String({
          minLength: 16,
          maxLength: 500,
          description:
            'Key of the X-Hestia-Signature HMAC (see docs/notifications.md); left out: the stored secret of this URL is kept',
        }),
      ),
      minSeverity: Type.Optional(MinSeverity),
    },
    strictBody,
  );

  app.put(
    '/v1/tenants/:tenantId/push-credentials',
    {
      onRequest: caller,
      schema: {
        tags: ['tenants'],
        summary: "Set the provider's push credentials (OneSignal, FCM, webhooks); secrets are never returned",
        description:
          'Replaces every credential at once: a provider left out is removed. A secret left out (restApiKey, serviceAccountJson, a webhook secret) keeps the stored one of the same app id, project id or webhook URL; without one the answer is 400 naming the field. The FCM service account JSON is checked (client_email, a PEM private_key); webhooks get notifications of minSeverity and above.',
        security,
        params: TenantParams,
        body: Type.Object(
          {
            oneSignal: Type.Optional(
              Type.Object(
                {
                  appId: Type.String({ minLength: 1, maxLength: 100 }),
                  restApiKey: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
                },
                strictBody,
              ),
            ),
            fcm: Type.Optional(
              Type.Object(
                {
                  projectId: Type.String({ minLength: 1, maxLength: 100 }),
                  serviceAccountJson: Type.Optional(Type.String({ minLength: 1, maxLength: 20_000 })),
                },
                strictBody,
              ),
            ),
            webhook: Type.Optional(WebhookBody),
            webhooks: Type.Optional(Type.Array(WebhookBody, { maxItems: MAX_WEBHOOKS })),
          },
          strictBody,
        ),
        response: { 200: PushStatusBody, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      await services.tenants.setPushCredentials(
        principal,
        request.params.tenantId,
        request.body,
        originOf(request),
      );
      return services.tenants.pushCredentialStatus(principal, request.params.tenantId);
    },
  );

  app.get(
    '/v1/tenants/:tenantId/push-credentials',
    {
      onRequest: caller,
      schema: {
        tags: ['tenants'],
        summary: 'Which push providers are configured',
        security,
        params: TenantParams,
        response: { 200: PushStatusBody, ...errorResponses },
      },
    },
    async (request) => services.tenants.pushCredentialStatus(principalOf(request), request.params.tenantId),
  );

  app.get(
    '/v1/tenants/:tenantId/users',
    {
      onRequest: caller,
      schema: {
        tags: ['tenants'],
        summary: "The provider's people (tenant admins, or an API key with users:read)",
        security,
        params: TenantParams,
        querystring: Type.Object(PageQuery),
        response: {
          200: pageResponse(UserSchema),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const users = await services.tenants.listUsers(principalOf(request), request.params.tenantId, {
        limit: limit + 1,
        after: decodeCursor(cursor),
      });
      return pageOf(users, limit, (row) => row.id, presentUser);
    },
  );

  app.patch(
    '/v1/tenants/:tenantId/users/:userId',
    {
      onRequest: caller,
      schema: {
        tags: ['tenants'],
        summary: "Change a person's role or disable the account (tenant admins); disabling ends its sessions",
        security,
        params: Type.Object({ tenantId: Id, userId: Id }),
        body: Type.Object(
          {
            role: Type.Optional(Type.Union([Type.Literal('tenant_admin'), Type.Literal('user')])),
            disabled: Type.Optional(Type.Boolean()),
          },
          strictBody,
        ),
        response: { 200: UserSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentUser(
        await services.tenants.updateUser(
          principalOf(request),
          request.params.tenantId,
          request.params.userId,
          request.body,
          originOf(request),
        ),
      ),
  );

  app.post(
    '/v1/tenants/:tenantId/invitations',
    {
      onRequest: caller,
      schema: {
        tags: ['tenants'],
        summary: 'Invite a person to the provider by mail (tenant admins)',
        description:
          "The mail is in `language`, else in the inviter's language (English when an API key invites); an account the invitation creates takes that language.",
        security,
        params: TenantParams,
        body: Type.Object(
          {
            email: Type.String({ minLength: 3, maxLength: 320 }),
            role: Type.Union([Type.Literal('tenant_admin'), Type.Literal('user')], { default: 'user' }),
            language: Type.Optional(LanguageSchema),
          },
          strictBody,
        ),
        response: { 201: InvitationSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { tenantId } = request.params;
      services.authorize.assertTenantAdmin(principal, tenantId, 'users:write', 'tenant');
      // A key may invite people, never administrators: a leaked key must not mint an admin.
      if (principal.kind === 'api_key' && request.body.role !== 'user')
        throw new HestiaError('HESTIA_FORBIDDEN', 'API keys invite people with the role user only');
      const invitation = await services.invitations.inviteToTenant(
        principal,
        tenantId,
        request.body,
        originOf(request),
      );
      const inviters = await services.invitations.invitersOf([invitation]);
      return reply.code(201).send(presentInvitation(invitation, inviters));
    },
  );

  app.get(
    '/v1/tenants/:tenantId/api-keys',
    {
      onRequest: caller,
      schema: {
        tags: ['tenants'],
        summary: "The provider's API keys (tenant admins); the keys themselves are never shown again",
        security,
        params: TenantParams,
        response: { 200: Type.Object({ items: Type.Array(ApiKeySchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await services.tenants.listApiKeys(principalOf(request), request.params.tenantId)).map(
        presentApiKey,
      ),
    }),
  );

  app.post(
    '/v1/tenants/:tenantId/api-keys',
    {
      onRequest: caller,
      schema: {
        tags: ['tenants'],
        summary: "Create an API key for the provider's own backend; the key is returned once, here",
        security,
        params: TenantParams,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            scopes: Type.Array(Type.Union(API_KEY_SCOPES.map((scope) => Type.Literal(scope))), {
              minItems: 1,
              maxItems: API_KEY_SCOPES.length,
            }),
          },
          strictBody,
        ),
        response: { 201: Type.Object({ apiKey: ApiKeySchema, key: Type.String() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { apiKey, key } = await services.tenants.createApiKey(
        principalOf(request),
        request.params.tenantId,
        request.body,
        originOf(request),
      );
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ apiKey: presentApiKey(apiKey), key });
    },
  );

  app.delete(
    '/v1/tenants/:tenantId/api-keys/:keyId',
    {
      onRequest: caller,
      schema: {
        tags: ['tenants'],
        summary: 'Revoke an API key; it stops working at once',
        security,
        params: Type.Object({ tenantId: Id, keyId: Id }),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await services.tenants.revokeApiKey(
        principalOf(request),
        request.params.tenantId,
        request.params.keyId,
        originOf(request),
      );
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/tenants/:tenantId/audit',
    {
      onRequest: caller,
      schema: {
        tags: ['tenants'],
        summary: 'Security-relevant actions in the provider, newest first (tenant admins, or audit:read)',
        security,
        params: TenantParams,
        querystring: Type.Object({ ...PageQuery, action: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: {
          200: pageResponse(AuditEntrySchema),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { limit, cursor, action } = request.query;
      const entries = await services.tenants.listAudit(principalOf(request), request.params.tenantId, {
        limit: limit + 1,
        beforeId: decodeNumericCursor(cursor),
        action,
      });
      return pageOf(entries, limit, (row) => row.id, presentAudit);
    },
  );
};
