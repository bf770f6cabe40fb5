import { Type } from '@sinclair/typebox';
import type { ApiPlugin } from '../server.ts';
import { errorResponses } from '../schemas.ts';
import { requireRole } from '../auth.ts';

/** Login and logout of administrators (the bootstrap accounts; people come with the accounts issue). */
export const authRoutes: ApiPlugin = async (app, { services }) => {
  app.post(
    '/v1/auth/login',
    {
      config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        tags: ['auth'],
        summary: 'Exchange email and password for a bearer access token',
        body: Type.Object(
          {
            email: Type.String({ minLength: 3, maxLength: 320 }),
            password: Type.String({ minLength: 1, maxLength: 1024 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            accessToken: Type.String(),
            expiresAt: Type.String({ format: 'date-time' }),
            user: Type.Object({
              id: Type.String(),
              email: Type.String(),
              role: Type.String(),
              tenantId: Type.Union([Type.String(), Type.Null()]),
            }),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { accessToken, expiresAtMs, user } = await services.accounts.login(
        request.body.email,
        request.body.password,
      );
      return { accessToken, expiresAt: new Date(expiresAtMs).toISOString(), user };
    },
  );

  app.post(
    '/v1/auth/logout',
    {
      preHandler: requireRole(services.accounts, ['platform_admin', 'tenant_admin']),
      schema: {
        tags: ['auth'],
        summary: 'Revoke the bearer token used for this call',
        security: [{ bearer: [] }],
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (token) await services.accounts.logout(token);
      return reply.code(204).send(null);
    },
  );
};
