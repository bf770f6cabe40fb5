import { Type } from '@sinclair/typebox';
import { MIN_RAW_RETENTION_DAYS } from '../../core/domain/tariff.ts';
import { MAX_DEVICES_PER_HOME, MAX_RETENTION_DAYS } from '../../services/tariffs.ts';
import { authenticated, originOf, principalOf } from '../auth.ts';
import { presentHomeDetail, presentTariff } from '../presenters/directory.ts';
import {
  HomeDetailSchema,
  Id,
  PlatformTenantId,
  RecordingModeSchema,
  TariffSchema,
  errorResponses,
  strictBody,
} from '../schemas.ts';
import type { ApiPlugin } from '../context.ts';

const TariffParams = Type.Object({ tariffId: Id });

/** A tariff's terms; the service checks the rules that span fields (sensor ≥ raw retention). */
const TariffTerms = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  rawRetentionDays: Type.Integer({
    minimum: MIN_RAW_RETENTION_DAYS,
    maximum: MAX_RETENTION_DAYS,
    description: `Raw readings are kept this long; at least ${MIN_RAW_RETENTION_DAYS} days (what the home panel shows)`,
  }),
  sensorRetentionDays: Type.Integer({
    minimum: 1,
    maximum: MAX_RETENTION_DAYS,
    description: 'Hourly and daily rollups are kept this long; at least rawRetentionDays',
  }),
  videoRetentionDays: Type.Integer({
    minimum: 1,
    maximum: MAX_RETENTION_DAYS,
    description: 'Recordings and previews are kept this long',
  }),
  recordingModes: Type.Array(RecordingModeSchema, {
    minItems: 1,
    maxItems: 3,
    uniqueItems: true,
    description: 'The recording modes cameras of the home may use',
  }),
  maxGatewaysPerHome: Type.Integer({ minimum: 1, maximum: MAX_DEVICES_PER_HOME }),
  maxCamerasPerHome: Type.Integer({ minimum: 1, maximum: MAX_DEVICES_PER_HOME }),
};

/**
 * Tariffs: a service provider's offers (retention of raw readings, rollups and video,
 * recording modes, gateways and cameras per home), managed by its admins, and the tariff of
 * each home — chosen by the provider, never by the home's people, who read it with the home.
 */
export const tariffRoutes: ApiPlugin = async (app, { services }) => {
  const caller = authenticated(services.accounts);
  const security = [{ bearer: [] }];

  app.get(
    '/v1/tariffs',
    {
      onRequest: caller,
      schema: {
        tags: ['tariffs'],
        summary: "The tenant's tariffs, one of them its default (tenant admins)",
        security,
        querystring: Type.Object({ tenantId: PlatformTenantId }),
        response: { 200: Type.Object({ items: Type.Array(TariffSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const tenantId = services.authorize.tenantOf(principal, request.query.tenantId);
      return { items: (await services.tariffs.list(principal, tenantId)).map(presentTariff) };
    },
  );

  app.post(
    '/v1/tariffs',
    {
      onRequest: caller,
      schema: {
        tags: ['tariffs'],
        summary: 'Add a tariff (tenant admins); it is not the default until made so',
        security,
        body: Type.Object({ ...TariffTerms, tenantId: PlatformTenantId }, strictBody),
        response: { 201: TariffSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { tenantId: explicitTenant, ...terms } = request.body;
      const tenantId = services.authorize.tenantOf(principal, explicitTenant);
      const tariff = await services.tariffs.create(principal, tenantId, terms, originOf(request));
      return reply.code(201).send(presentTariff(tariff));
    },
  );

  app.get(
    '/v1/tariffs/:tariffId',
    {
      onRequest: caller,
      schema: {
        tags: ['tariffs'],
        summary: 'One tariff (tenant admins)',
        security,
        params: TariffParams,
        response: { 200: TariffSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentTariff(await services.tariffs.get(principalOf(request), request.params.tariffId)),
  );

  app.patch(
    '/v1/tariffs/:tariffId',
    {
      onRequest: caller,
      schema: {
        tags: ['tariffs'],
        summary: "Change a tariff's terms (tenant admins); its homes follow at once",
        description:
          'Shorter retention applies to data already stored at the next retention run. The merged tariff must hold: rawRetentionDays ≥ 45, sensorRetentionDays ≥ rawRetentionDays.',
        security,
        params: TariffParams,
        body: Type.Partial(Type.Object(TariffTerms), strictBody),
        response: { 200: TariffSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentTariff(
        await services.tariffs.update(
          principalOf(request),
          request.params.tariffId,
          request.body,
          originOf(request),
        ),
      ),
  );

  app.delete(
    '/v1/tariffs/:tariffId',
    {
      onRequest: caller,
      schema: {
        tags: ['tariffs'],
        summary: 'Delete a tariff (tenant admins); refused (409) for the default or one a home has',
        security,
        params: TariffParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await services.tariffs.delete(principalOf(request), request.params.tariffId, originOf(request));
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/v1/tariffs/:tariffId/default',
    {
      onRequest: caller,
      schema: {
        tags: ['tariffs'],
        summary: "Make the tariff the tenant's default (tenant admins); homes without their own follow it",
        security,
        params: TariffParams,
        response: { 200: TariffSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentTariff(
        await services.tariffs.setDefault(principalOf(request), request.params.tariffId, originOf(request)),
      ),
  );

  app.put(
    '/v1/homes/:homeId/tariff',
    {
      onRequest: caller,
      schema: {
        tags: ['tariffs', 'homes'],
        summary: "Set a home's tariff (tenant admins; not the home's people)",
        description: "tariffId null returns the home to its tenant's default tariff.",
        security,
        params: Type.Object({ homeId: Id }),
        body: Type.Object({ tariffId: Type.Union([Id, Type.Null()]) }, strictBody),
        response: { 200: HomeDetailSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { home, tariff } = await services.tariffs.setHomeTariff(
        principalOf(request),
        request.params.homeId,
        request.body.tariffId,
        originOf(request),
      );
      return presentHomeDetail({ ...home, role: null, tariff });
    },
  );
};
