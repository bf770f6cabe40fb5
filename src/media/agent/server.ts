/**
 * The media agent's HTTP API. Hestia's adapters call it with `Authorization: Bearer <secret>`;
 * nginx calls its hook with `?token=<hookToken>` (nginx-rtmp cannot send headers).
 *
 *   GET  /healthz                      → 200 { ok: true }                      (no credentials)
 *   GET  /v1/status                    → 200 { disks: [{ id, totalBytes, freeBytes }],
 *                                               recording: [stream], backlog: { placements, reports } }
 *   PUT  /v1/streams/:stream           { cameraNumber, segmentMs? } → 200 { stream, cameraNumber, segmentMs? }
 *   POST /v1/files/delete              { paths: [relative path] } → 200 { deleted, missing };
 *                                       400 when any path is not an .mp4 on one of the disks
 *   POST /v1/hooks/record-done?token=  nginx's form post (path, name, app, recorder)
 *                                       → 200 { queued }, at once; the remux runs in a queue
 *
 * Errors answer `{ error: { code, message } }` with Hestia's codes: 401 without the bearer
 * token, 403 for a wrong hook token, 400 for a malformed request.
 */
import path from 'node:path';
import Fastify, { LogController, type FastifyError } from 'fastify';
import type { Logger } from 'pino';
import { HestiaError, isHestiaError } from '../../core/errors.ts';
import { STREAM_NAME_PATTERN, hookToken, sameCredential } from '../../core/media-signing.ts';
import type { MediaAgentStatus } from './client.ts';
import { deleteArchiveFiles } from './deletion.ts';
import type { DiskSet } from './disks.ts';
import type { PlacementQueue } from './queue.ts';
import { parseSpoolName } from './recordings.ts';
import type { Outbox } from './reporter.ts';
import type { StreamRegistry, StreamSettings } from './streams.ts';

export interface AgentApiContext {
  secret: string;
  contentRoot: string;
  spoolDir: string;
  disks: DiskSet;
  streams: StreamRegistry;
  queue: PlacementQueue;
  outbox: Outbox;
  /** Streams being recorded now. */
  recording(): Promise<string[]>;
  logger: Logger;
}

/** The shortest recorded file Hestia may ask for: one cut costs a request and a key frame wait. */
const MIN_SEGMENT_MS = 1000;
/** Paths in one deletion request: Hestia's retention deletes in batches of at most this many. */
const MAX_DELETE_PATHS = 10_000;

/** The agent's Fastify app, routes registered, not listening yet. */
export function buildAgentApi(ctx: AgentApiContext) {
  const app = Fastify({
    loggerInstance: ctx.logger,
    // Fastify's request log would write the hook's URL, token included.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 4 * 1024 * 1024, // 4 MiB: a deletion batch of long paths
  });
  const token = hookToken(ctx.secret);

  // nginx-rtmp posts its callbacks form-encoded: its own fields first, then the publisher's
  // URL arguments. The first value of a name wins, so a camera cannot override `path`.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      const fields: Record<string, string> = {};
      for (const [name, value] of new URLSearchParams(body.toString())) fields[name] ??= value;
      done(null, fields);
    },
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isHestiaError(error))
      return reply.code(error.status).send({ error: { code: error.code, message: error.message } });
    if (error.validation)
      return reply.code(400).send({ error: { code: 'HESTIA_VALIDATION_FAILED', message: error.message } });
    if (error.statusCode !== undefined && error.statusCode < 500)
      return reply
        .code(error.statusCode)
        .send({ error: { code: 'HESTIA_BAD_REQUEST', message: error.message } });
    request.log.error(
      { err: error, method: request.method, route: request.routeOptions.url },
      'request failed',
    );
    return reply.code(500).send({ error: { code: 'HESTIA_INTERNAL', message: 'The media agent failed' } });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: { code: 'HESTIA_NOT_FOUND', message: 'No such endpoint' } }),
  );

  app.get('/healthz', async () => ({ ok: true }));

  // Hestia's calls, with the server's secret as bearer token.
  void app.register(async (api) => {
    api.addHook('onRequest', async (request) => {
      const header = request.headers.authorization ?? '';
      const presented = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
      if (!presented || !sameCredential(presented, ctx.secret))
        throw new HestiaError(
          'HESTIA_UNAUTHENTICATED',
          'The media server secret is required as bearer token',
        );
    });

    api.get('/v1/status', async (): Promise<MediaAgentStatus> => {
      const [disks, recording, reports] = await Promise.all([
        ctx.disks.status(),
        ctx.recording(),
        ctx.outbox.list(),
      ]);
      return { disks, recording, backlog: { placements: ctx.queue.size, reports: reports.length } };
    });

    api.put<{ Params: { stream: string }; Body: StreamSettings }>(
      '/v1/streams/:stream',
      {
        schema: {
          params: {
            type: 'object',
            properties: { stream: { type: 'string', pattern: `^${STREAM_NAME_PATTERN}$` } },
            required: ['stream'],
          },
          body: {
            type: 'object',
            properties: {
              cameraNumber: { type: 'integer', minimum: 0 },
              segmentMs: { type: 'integer', minimum: MIN_SEGMENT_MS },
            },
            required: ['cameraNumber'],
            additionalProperties: false,
          },
        },
      },
      async (request) => {
        const { stream } = request.params;
        await ctx.streams.register(stream, request.body);
        return { stream, ...request.body };
      },
    );

    api.post<{ Body: { paths: string[] } }>(
      '/v1/files/delete',
      {
        schema: {
          body: {
            type: 'object',
            properties: { paths: { type: 'array', items: { type: 'string' }, maxItems: MAX_DELETE_PATHS } },
            required: ['paths'],
            additionalProperties: false,
          },
        },
      },
      async (request) => {
        const result = await deleteArchiveFiles(ctx.disks, ctx.contentRoot, request.body.paths);
        ctx.logger.info({ ...result, requested: request.body.paths.length }, 'archive files deleted');
        return result;
      },
    );
  });

  // nginx's callback when it has closed a recording (stopped, cut by record_interval, or the
  // publisher left). It is answered at once: nginx waits for nothing, the remux is queued.
  app.post<{ Querystring: { token?: string }; Body: Record<string, string> | undefined }>(
    '/v1/hooks/record-done',
    async (request) => {
      if (!sameCredential(request.query.token ?? '', token))
        throw new HestiaError('HESTIA_FORBIDDEN', 'The hook token is wrong');
      const file = typeof request.body?.path === 'string' ? request.body.path : '';
      const resolved = path.resolve(ctx.spoolDir, file);
      if (
        !file ||
        path.dirname(resolved) !== path.resolve(ctx.spoolDir) ||
        !parseSpoolName(path.basename(resolved))
      ) {
        ctx.logger.warn(
          { path: file, recorder: request.body?.recorder },
          'record-done for a file outside the spool',
        );
        throw new HestiaError('HESTIA_BAD_REQUEST', `not a recording in the spool: ${JSON.stringify(file)}`);
      }
      const queued = ctx.queue.add(resolved);
      ctx.logger.info({ file: resolved, stream: request.body?.name, queued }, 'recording finished');
      return { queued };
    },
  );

  return app;
}
