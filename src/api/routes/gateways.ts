import { Type } from '@sinclair/typebox';
import { HestiaError } from '../../core/errors.ts';
import { assertTenantAccess, principalOf, requireRole, tenantOf } from '../auth.ts';
import { decodeCursor, encodeCursor, presentDevice, presentGateway } from '../present.ts';
import { DeviceSchema, GatewaySchema, errorResponses } from '../schemas.ts';
import type { ApiPlugin } from '../server.ts';

const GatewayParams = Type.Object({ gatewayId: Type.String({ minLength: 1, maxLength: 64 }) });

/** Gateways of the caller's tenant: provisioning, listing, and each gateway's devices with current state. */
export const gatewayRoutes: ApiPlugin = async (app, { ctx, services }) => {
  const admin = requireRole(services.accounts, ['tenant_admin', 'platform_admin']);
  const security = [{ bearer: [] }];

  app.post(
    '/v1/gateways',
    {
      preHandler: admin,
      schema: {
        tags: ['gateways'],
        summary: 'Provision a gateway; its MQTT token is returned once, here',
        security,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            id: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 64,
                description: 'The id printed on the device; a UUID is made if absent',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            gateway: GatewaySchema,
            token: Type.String({
              description: 'MQTT password of the gateway. Shown only in this response; stored hashed.',
            }),
            mqtt: Type.Object({
              username: Type.String(),
              clientId: Type.String(),
              up: Type.String(),
              down: Type.String(),
              status: Type.String(),
            }),
          }),
          409: Type.Ref('Error'),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const tenantId = tenantOf(principalOf(request));
      const { gateway, token } = await services.gateways.createGateway(tenantId, request.body);
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({
        gateway: presentGateway(gateway),
        token,
        mqtt: {
          username: gateway.id,
          clientId: gateway.id,
          up: `hestia/v1/gw/${gateway.id}/up`,
          down: `hestia/v1/gw/${gateway.id}/down`,
          status: `hestia/v1/gw/${gateway.id}/status`,
        },
      });
    },
  );

  app.get(
    '/v1/gateways',
    {
      preHandler: admin,
      schema: {
        tags: ['gateways'],
        summary: "List the tenant's gateways",
        security,
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          cursor: Type.Optional(Type.String({ maxLength: 400 })),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(GatewaySchema),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const tenantId = tenantOf(principalOf(request));
      const { limit, cursor } = request.query;
      const gateways = await ctx.store.listGateways(tenantId, {
        limit: limit + 1,
        after: decodeCursor(cursor),
      });
      const items = gateways.slice(0, limit);
      return {
        items: items.map(presentGateway),
        nextCursor: gateways.length > limit ? encodeCursor(items[items.length - 1]!.id) : null,
      };
    },
  );

  app.get(
    '/v1/gateways/:gatewayId',
    {
      preHandler: admin,
      schema: {
        tags: ['gateways'],
        summary: 'One gateway',
        security,
        params: GatewayParams,
        response: { 200: GatewaySchema, ...errorResponses },
      },
    },
    async (request) => {
      const gateway = await ctx.store.findGateway(request.params.gatewayId);
      if (!gateway) throw new HestiaError('HESTIA_NOT_FOUND', 'No such gateway');
      assertTenantAccess(principalOf(request), gateway.tenantId, 'gateway');
      return presentGateway(gateway);
    },
  );

  app.get(
    '/v1/gateways/:gatewayId/devices',
    {
      preHandler: admin,
      schema: {
        tags: ['gateways', 'devices'],
        summary: "A gateway's devices with the current state of every channel",
        security,
        params: GatewayParams,
        response: { 200: Type.Object({ items: Type.Array(DeviceSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const gateway = await ctx.store.findGateway(request.params.gatewayId);
      if (!gateway) throw new HestiaError('HESTIA_NOT_FOUND', 'No such gateway');
      assertTenantAccess(principalOf(request), gateway.tenantId, 'gateway');
      const devices = await ctx.store.listGatewayDevices(gateway.id);
      return { items: devices.map(presentDevice) };
    },
  );
};
