import { Type } from '@sinclair/typebox';
import { HestiaError } from '../../core/errors.ts';
import { authenticated, originOf, principalOf } from '../auth.ts';
import { presentDeviceWithPresence, presentGateway } from '../presenters/telemetry.ts';
import { decodeCursor, pageOf } from '../paging.ts';
import {
  DeviceSchema,
  GatewaySchema,
  Id,
  PageQuery,
  PlatformTenantId,
  UnitsQuery,
  errorResponses,
  pageResponse,
  strictBody,
} from '../schemas.ts';
import type { ApiPlugin } from '../context.ts';

const GatewayParams = Type.Object({ gatewayId: Id });

/**
 * Gateways: provisioning by a provider (one by one or by CSV), listing, each gateway's devices
 * with current state, and credential rotation and revocation. Registration to a home is under
 * /v1/homes/{homeId}/gateways.
 */
export const gatewayRoutes: ApiPlugin = async (app, { ctx, services }) => {
  const admin = authenticated(services.accounts);
  // CSV bodies arrive as text; the import parses them itself, with per-row errors.
  app.addContentTypeParser(
    'text/csv',
    { parseAs: 'string', bodyLimit: 5 * 1024 * 1024 },
    (_request, body, done) => done(null, body),
  );
  const security = [{ bearer: [] }];

  app.post(
    '/v1/gateways',
    {
      onRequest: admin,
      schema: {
        tags: ['gateways'],
        summary: 'Provision a gateway; its MQTT token and claim code are returned once, here',
        description:
          'The gateway may connect at once; it stays pending (telemetry counted, not stored) until a home owner registers it with the claim code.',
        security,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            claimCode: Type.Optional(
              Type.String({
                minLength: 8,
                maxLength: 64,
                description: 'The code printed on the device; made if absent',
              }),
            ),
            tenantId: PlatformTenantId,
            id: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 64,
                description: 'The id printed on the device; a UUID is made if absent',
              }),
            ),
          },
          strictBody,
        ),
        response: {
          201: Type.Object({
            gateway: GatewaySchema,
            token: Type.String({
              description: 'MQTT password of the gateway. Shown only in this response; stored hashed.',
            }),
            claimCode: Type.String({ description: 'Printed on the device for its owner. Shown only here.' }),
            mqtt: Type.Object({
              username: Type.String(),
              clientId: Type.String(),
              up: Type.String(),
              down: Type.String(),
              status: Type.String(),
            }),
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { tenantId: explicitTenant, ...input } = request.body;
      const tenantId = services.authorize.tenantOf(principal, explicitTenant);
      const { gateway, token, claimCode } = await services.gateways.provision(
        principal,
        tenantId,
        input,
        originOf(request),
      );
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({
        gateway: presentGateway(gateway),
        token,
        claimCode,
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
      onRequest: admin,
      schema: {
        tags: ['gateways'],
        summary: "List the tenant's gateways",
        security,
        querystring: Type.Object({ ...PageQuery, tenantId: PlatformTenantId }),
        response: {
          200: pageResponse(GatewaySchema),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { limit, cursor, tenantId: explicitTenant } = request.query;
      const tenantId = services.authorize.tenantOf(principal, explicitTenant);
      const gateways = await services.gateways.listTenantGateways(principal, tenantId, {
        limit: limit + 1,
        after: decodeCursor(cursor),
      });
      return pageOf(gateways, limit, (row) => row.id, presentGateway);
    },
  );

  app.get(
    '/v1/gateways/:gatewayId',
    {
      onRequest: admin,
      schema: {
        tags: ['gateways'],
        summary: 'One gateway',
        security,
        params: GatewayParams,
        response: { 200: GatewaySchema, ...errorResponses },
      },
    },
    async (request) => {
      return presentGateway(
        await services.authorize.gateway(principalOf(request), request.params.gatewayId, 'read'),
      );
    },
  );

  app.get(
    '/v1/gateways/:gatewayId/devices',
    {
      onRequest: admin,
      schema: {
        tags: ['gateways', 'devices'],
        summary: "A gateway's devices with the current state of every channel",
        security,
        params: GatewayParams,
        querystring: Type.Object({ units: UnitsQuery }),
        response: { 200: Type.Object({ items: Type.Array(DeviceSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const gateway = await services.authorize.gateway(
        principalOf(request),
        request.params.gatewayId,
        'read',
      );
      const devices = await ctx.store.devices.listGatewayDevices(gateway.id);
      const presence = await services.presence.describeMany(devices);
      const units = request.query.units ?? 'metric';
      return {
        items: devices.map((device) => presentDeviceWithPresence(device, presence.get(device.id), units)),
      };
    },
  );

  app.post(
    '/v1/gateways/import',
    {
      onRequest: admin,
      schema: {
        tags: ['gateways'],
        summary:
          'Provision gateways in bulk from a CSV (serial, claim_code, name); returns the credentials as CSV',
        description:
          'Send the file as text/csv. Every row is checked first; with any error nothing is imported and the answer (400 HESTIA_CSV_INVALID) lists each bad row with its line.',
        security,
        querystring: Type.Object({ tenantId: PlatformTenantId }),
        consumes: ['text/csv'],
        produces: ['text/csv'],
        response: {
          200: Type.String({ description: 'serial,name,mqtt_username,mqtt_password,claim_code' }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      if (typeof request.body !== 'string')
        throw new HestiaError('HESTIA_BAD_REQUEST', 'Send the gateways as a text/csv body');
      const principal = principalOf(request);
      const tenantId = services.authorize.tenantOf(principal, request.query.tenantId);
      const { count, credentialsCsv } = await services.gateways.importCsv(
        principal,
        tenantId,
        request.body,
        originOf(request),
      );
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="gateway-credentials.csv"')
        .header('cache-control', 'no-store')
        .header('x-hestia-imported', String(count))
        .send(credentialsCsv);
    },
  );

  app.post(
    '/v1/gateways/:gatewayId/credentials/rotate',
    {
      onRequest: admin,
      schema: {
        tags: ['gateways'],
        summary: 'Issue a new MQTT token; the old one stops working and the live session is closed at once',
        security,
        params: GatewayParams,
        response: { 200: Type.Object({ token: Type.String() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const token = await services.gateways.rotateCredentials(
        principalOf(request),
        request.params.gatewayId,
        originOf(request),
      );
      return reply.header('cache-control', 'no-store').send({ token });
    },
  );

  app.delete(
    '/v1/gateways/:gatewayId/credentials',
    {
      onRequest: admin,
      schema: {
        tags: ['gateways'],
        summary: 'Revoke the MQTT credentials (lost or stolen device); the live session is closed at once',
        security,
        params: GatewayParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await services.gateways.revokeCredentials(
        principalOf(request),
        request.params.gatewayId,
        originOf(request),
      );
      return reply.code(204).send(null);
    },
  );
};
