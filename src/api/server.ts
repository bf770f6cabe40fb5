import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyBaseLogger } from 'fastify';
import { ErrorCatalogue, HestiaError, isHestiaError, type ErrorCode } from '../core/errors.ts';
import { alarmRoutes } from './routes/alarms.ts';
import { authRoutes } from './routes/auth.ts';
import { automationRoutes } from './routes/automations.ts';
import { cameraRoutes } from './routes/cameras.ts';
import { mediaRoutes } from './routes/media.ts';
import { commandRoutes } from './routes/commands.ts';
import { liveRoutes } from './routes/live.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { deadLetterRoutes } from './routes/dead-letters.ts';
import { deviceRoutes } from './routes/devices.ts';
import { exportRoutes } from './routes/exports.ts';
import { gatewayRoutes } from './routes/gateways.ts';
import { homeRoutes } from './routes/homes.ts';
import { tariffRoutes } from './routes/tariffs.ts';
import { tenantRoutes } from './routes/tenants.ts';
import { opsRoutes } from './routes/ops.ts';
import { webRoutes } from './routes/web.ts';
import type { ApiContext, ApiInstance } from './context.ts';
import { ErrorBody } from './schemas.ts';

/**
 * Codes whose details are meant for the caller (per-row CSV errors, what a confirmation would
 * delete, when to retry). Other details (e.g. a database message) stay in the process.
 */
const PUBLIC_DETAILS = new Set<ErrorCode>([
  'HESTIA_CSV_INVALID',
  'HESTIA_CONFIRMATION_REQUIRED',
  'HESTIA_LOGIN_LOCKED',
  'HESTIA_RATE_LIMITED',
  'HESTIA_TARIFF_LIMIT',
  'HESTIA_AUTOMATION_INVALID',
]);

/**
 * The field a validation error is about, as a path clients can match to their inputs
 * (`reportIntervalSeconds`, `actions[0].params.level`): from the schema check's first error, or
 * from a service's message that starts with it (`name: must not be empty`).
 */
export function validationField(error: {
  validation?: ReadonlyArray<{ instancePath?: string; params?: Record<string, unknown> }>;
  message?: string;
}): string | undefined {
  const first = error.validation?.[0];
  if (first) {
    const parts = (first.instancePath ?? '').split('/').filter((part) => part.length > 0);
    const named = first.params?.missingProperty ?? first.params?.additionalProperty;
    if (typeof named === 'string') parts.push(named);
    const path = parts
      .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
      .join('')
      .replace(/^\./, '');
    return path || undefined;
  }
  return /^([A-Za-z_][\w]*(?:\[\d+\]|\.[A-Za-z_]\w*)*): /.exec(error.message ?? '')?.[1];
}

/** Builds the HTTP API (not listening): tests drive it with `app.inject()`. */
export async function buildApi(api: ApiContext): Promise<ApiInstance> {
  const { ctx } = api;
  const app = Fastify({
    // pino's Logger is wider than FastifyBaseLogger; without the cast the instance type widens too.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: ctx.logger.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: ctx.config.http.bodyLimitBytes,
    // Signed playback tokens are path parameters of about 150 characters (the default limit is 100).
    routerOptions: { maxParamLength: 500 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addSchema(ErrorBody);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isHestiaError(error)) {
      const field = error.code === 'HESTIA_VALIDATION_FAILED' ? validationField(error) : undefined;
      const details = PUBLIC_DETAILS.has(error.code)
        ? (error.details as Record<string, unknown>)
        : field
          ? { field }
          : undefined;
      const retryAfter = details?.retryAfterSeconds;
      if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
      return reply
        .code(error.status)
        .send({ error: { code: error.code, message: error.message, ...(details ? { details } : {}) } });
    }
    if (error.validation) {
      const field = validationField(error);
      return reply.code(400).send({
        error: {
          code: 'HESTIA_VALIDATION_FAILED',
          message: error.message,
          ...(field ? { details: { field } } : {}),
        },
      });
    }
    if (error.statusCode === 429) {
      return reply.code(429).send({ error: { code: 'HESTIA_RATE_LIMITED', message: error.message } });
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({
        error: {
          code: 'HESTIA_PAYLOAD_TOO_LARGE',
          message: ErrorCatalogue.HESTIA_PAYLOAD_TOO_LARGE.message,
        },
      });
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return reply
        .code(error.statusCode)
        .send({ error: { code: 'HESTIA_BAD_REQUEST', message: error.message } });
    }
    request.log.error({ err: error, url: request.url }, 'request failed');
    return reply
      .code(500)
      .send({ error: { code: 'HESTIA_INTERNAL', message: ErrorCatalogue.HESTIA_INTERNAL.message } });
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new HestiaError(
      'HESTIA_NOT_FOUND',
      `No route ${request.method} ${request.url.split('?')[0]}`,
    );
    return reply.code(404).send({ error: { code: error.code, message: error.message } });
  });

  // A change the API confirms must survive a power cut: control writes may have committed
  // without their own fsync (see Store.durable), so answers to writes wait for it.
  app.addHook('onSend', async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') await ctx.store.durable();
  });
  await app.register(fastifyRateLimit, { global: false });
  // Live feed: clients send only small control messages (auth, ping).
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Hestia API',
        version: 'v1',
        description:
          'Smart-home cloud: gateways, devices, current state, history and statistics. Errors are `{ "error": { "code": "HESTIA_…", "message": "…" } }`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  for (const plugin of [
    opsRoutes,
    authRoutes,
    tenantRoutes,
    tariffRoutes,
    homeRoutes,
    gatewayRoutes,
    deviceRoutes,
    exportRoutes,
    deadLetterRoutes,
    commandRoutes,
    alarmRoutes,
    notificationRoutes,
    automationRoutes,
    cameraRoutes,
    mediaRoutes,
    liveRoutes,
    // Last: its `GET /*` takes only what no API route matched, and answers API paths with JSON 404s.
    webRoutes,
  ]) {
    await app.register(plugin, api);
  }
  return app;
}
