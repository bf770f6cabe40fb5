import { Type } from '@sinclair/typebox';
import { authenticated, principalOf } from '../auth.ts';
import { presentDeadLetter } from '../presenters/telemetry.ts';
import { decodeNumericCursor, pageOf } from '../paging.ts';
import { DeadLetterSchema, errorResponses, PageQuery, PlatformTenantId, pageResponse } from '../schemas.ts';
import type { ApiPlugin } from '../context.ts';

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
        querystring: Type.Object({ ...PageQuery, tenantId: PlatformTenantId }),
        response: {
          200: pageResponse(DeadLetterSchema),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const tenantId = services.authorize.tenantOf(principal, request.query.tenantId);
      services.authorize.assertTenantAdmin(principal, tenantId, 'gateways:read', 'tenant');
      const { limit, cursor } = request.query;
      const letters = await ctx.store.deadLetters.listDeadLetters(tenantId, {
        limit: limit + 1,
        beforeId: decodeNumericCursor(cursor),
      });
      return pageOf(letters, limit, (row) => row.id, presentDeadLetter);
    },
  );
};
