import type { ApiPlugin } from '../context.ts';

/** Liveness, readiness and Prometheus metrics (unauthenticated, as scrapers and probes expect). */
export const opsRoutes: ApiPlugin = async (app, { ctx, isReady }) => {
  app.get('/healthz', { schema: { tags: ['operations'], summary: 'The process is alive' } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    { schema: { tags: ['operations'], summary: 'Storage answers and the broker accepts connections' } },
    async (_request, reply) => {
      try {
        await ctx.store.ping();
      } catch (error) {
        ctx.logger.warn({ err: error }, 'readiness: storage does not answer');
        return reply
          .code(503)
          .send({ error: { code: 'HESTIA_UNAVAILABLE', message: 'Storage does not answer' } });
      }
      if (!isReady())
        return reply
          .code(503)
          .send({ error: { code: 'HESTIA_UNAVAILABLE', message: 'Starting or shutting down' } });
      return { status: 'ready', storage: ctx.store.kind };
    },
  );

  app.get(
    '/metrics',
    { schema: { tags: ['operations'], summary: 'Prometheus metrics', hide: true } },
    async (_request, reply) => {
      return reply
        .header('content-type', ctx.metrics.registry.contentType)
        .send(await ctx.metrics.registry.metrics());
    },
  );
};
