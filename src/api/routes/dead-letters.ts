import { Type } from '@sinclair/typebox';
import { authenticated, principalOf } from '../auth.ts';
import { decodeNumericCursor, pageOf, presentDeadLetter } from '../present.ts';
import { DeadLetterSchema, errorResponses } from '../schemas.ts';
import type { ApiPlugin } from '../server.ts';

/** Rejected uplink input of the caller's tenant, newest first, with the reason for each. */
export const deadLetterRoutes: ApiPlugin = async (app, { ctx, services }) => {
  app.get(
    '/v1/dead-letters',
    {
      onRequest: authenticated(services.accounts),
      schema: {
        tags: ['ingest'],
        summary: "Rejected uplink messages of the tenant's gateways",
        security: [{ bearer: [] }],
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          cursor: Type.Optional(Type.String({ maxLength: 100 })),
          tenantId: Type.Optional(
            Type.String({ maxLength: 64, description: 'Platform administrators only' }),
          ),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(DeadLetterSchema),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const tenantId = services.authorize.tenantOf(principal, request.query.tenantId);
      services.authorize.assertTenantAdmin(principal, tenantId, 'gateways:read', 'tenant');
      const { limit, cursor } = request.query;
      const letters = await ctx.store.listDeadLetters(tenantId, {
        limit: limit + 1,
        beforeId: decodeNumericCursor(cursor),
      });
      return pageOf(letters, limit, (row) => row.id, presentDeadLetter);
    },
  );
};
