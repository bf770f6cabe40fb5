import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { hookToken, sameCredential } from '../../core/media-signing.ts';
import type { MediaServerWithSecret } from '../../core/ports/media.ts';
import { HestiaError } from '../../core/errors.ts';
import { authenticated, originOf, principalOf } from '../auth.ts';
import { presentMediaServer } from '../presenters/media.ts';
import { Id, IsoTime, Nullable, errorResponses, strictBody } from '../schemas.ts';
import type { ApiPlugin } from '../context.ts';

const Engine = Type.Union([Type.Literal('nginx-rtmp'), Type.Literal('wowza')]);
const ServerState = Type.Union([Type.Literal('active'), Type.Literal('draining')]);

const MediaServerSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  engine: Engine,
  controlUrl: Type.String(),
  agentUrl: Nullable(Type.String()),
  ingestUrl: Type.String(),
  playbackUrl: Type.String(),
  application: Type.String(),
  region: Nullable(Type.String()),
  state: ServerState,
  maxStreams: Type.Integer(),
  maxBitsPerSec: Type.Integer(),
  health: Type.Object({
    healthy: Type.Boolean(),
    failures: Type.Integer(),
    reason: Nullable(Type.String()),
    checkedAt: Nullable(IsoTime),
  }),
  load: Nullable(
    Type.Object({
      publishing: Type.Integer(),
      playing: Type.Integer(),
      bwInBitsPerSec: Type.Number(),
      bwOutBitsPerSec: Type.Number(),
    }),
  ),
  disks: Type.Array(
    Type.Object({
      id: Type.String(),
      totalBytes: Type.Number(),
      freeBytes: Type.Number(),
      full: Type.Boolean({ description: 'Above media.diskFillThreshold: receives no new recordings' }),
    }),
  ),
  createdAt: IsoTime,
});

const ServerFields = {
  name: Type.String({ minLength: 1, maxLength: 64 }),
  controlUrl: Type.String({
    description:
      "The engine's control API (nginx: rtmp_control and rtmp_stat; Wowza REST, credentials in the URL)",
  }),
  agentUrl: Type.Optional(Nullable(Type.String({ description: 'The Hestia media agent on the media host' }))),
  ingestUrl: Type.String({ description: 'rtmp://host:port/<application>: where cameras publish' }),
  playbackUrl: Type.String({ description: 'Base URL players fetch HLS from' }),
  application: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  region: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
  maxStreams: Type.Optional(Type.Integer({ minimum: 1, description: 'Default 400 (the seed’s server)' })),
  maxBitsPerSec: Type.Optional(Type.Integer({ minimum: 1, description: 'Default 400,000,000' })),
};

const SegmentReportSchema = Type.Object(
  {
    stream: Type.String({ minLength: 1, maxLength: 128 }),
    diskId: Type.String({ minLength: 1, maxLength: 64 }),
    path: Type.String({ minLength: 1, maxLength: 1000 }),
    startMs: Type.Integer({ minimum: 0 }),
    endMs: Type.Integer({ minimum: 0 }),
    sizeBytes: Type.Integer({ minimum: 0 }),
    init: Type.Object({ offset: Type.Integer({ minimum: 0 }), length: Type.Integer({ minimum: 1 }) }),
    fragments: Type.Array(
      Type.Tuple([Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 1 })]),
      { minItems: 1, maxItems: 20_000, description: '[durationMs, offset, length] of each fMP4 fragment' },
    ),
  },
  strictBody,
);

const HookQuery = Type.Object({ server: Id, token: Type.String({ maxLength: 200 }) });

/** `Authorization: Basic base64(id:secret)`, or undefined. */
function basicCredentials(request: FastifyRequest): { id: string; secret: string } | undefined {
  const header = request.headers.authorization;
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString();
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/**
 * The media-server cluster over HTTP: the platform administrator's registry of servers; the
 * balancer a gateway asks (with its own credentials) where a camera should stream; the
 * callbacks nginx-rtmp makes (on_publish checks the camera's key); the media agent's reports
 * of finished recordings.
 */
export const mediaRoutes: ApiPlugin = async (app, { services, ctx }) => {
  const caller = authenticated(services.accounts);
  const security = [{ bearer: [] }];
  const { media } = services;

  // nginx-rtmp's callbacks are form posts.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );

  const serverByHook = async (serverId: string, token: string): Promise<MediaServerWithSecret> => {
    const server = await ctx.store.media.servers.find(serverId);
    if (!server || !sameCredential(token, hookToken(server.secret)))
      throw new HestiaError('HESTIA_UNAUTHENTICATED', 'Unknown media server or wrong hook token');
    return server;
  };
  const serverByBasic = async (request: FastifyRequest): Promise<MediaServerWithSecret> => {
    const credentials = basicCredentials(request);
    const server = credentials ? await ctx.store.media.servers.find(credentials.id) : undefined;
    if (!server || !credentials || !sameCredential(credentials.secret, server.secret))
      throw new HestiaError(
        'HESTIA_UNAUTHENTICATED',
        'Media server credentials are required (Basic <serverId>:<secret>)',
      );
    return server;
  };

  app.get(
    '/v1/media-servers',
    {
      onRequest: caller,
      schema: {
        tags: ['media'],
        summary:
          'The media servers of the cluster with their health, load and disks (platform administrators)',
        security,
        response: { 200: Type.Object({ items: Type.Array(MediaServerSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ items: (await media.servers.list(principalOf(request))).map(presentMediaServer) }),
  );

  app.post(
    '/v1/media-servers',
    {
      onRequest: caller,
      schema: {
        tags: ['media'],
        summary: 'Registers a media server; its secret is in this answer only',
        security,
        body: Type.Object({ ...ServerFields, engine: Engine }, strictBody),
        response: {
          201: Type.Object({
            server: MediaServerSchema,
            secret: Type.String({
              description: "For the media agent's and nginx's configuration; shown once",
            }),
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { server, secret } = await media.servers.register(
        principalOf(request),
        request.body,
        originOf(request),
      );
      return reply.code(201).send({ server: presentMediaServer(server), secret });
    },
  );

  app.get(
    '/v1/media-servers/:serverId',
    {
      onRequest: caller,
      schema: {
        tags: ['media'],
        summary: 'One media server',
        security,
        params: Type.Object({ serverId: Id }),
        response: { 200: MediaServerSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentMediaServer(await media.servers.get(principalOf(request), request.params.serverId)),
  );

  app.patch(
    '/v1/media-servers/:serverId',
    {
      onRequest: caller,
      schema: {
        tags: ['media'],
        summary: 'Changes a media server; state "draining" sends its cameras elsewhere',
        security,
        params: Type.Object({ serverId: Id }),
        body: Type.Partial(Type.Object({ ...ServerFields, state: ServerState }), strictBody),
        response: { 200: MediaServerSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentMediaServer(
        await media.servers.update(
          principalOf(request),
          request.params.serverId,
          request.body,
          originOf(request),
        ),
      ),
  );

  app.delete(
    '/v1/media-servers/:serverId',
    {
      onRequest: caller,
      schema: {
        tags: ['media'],
        summary: 'Removes a media server that holds no archive files any more',
        security,
        params: Type.Object({ serverId: Id }),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await media.servers.delete(principalOf(request), request.params.serverId, originOf(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/gateway/cameras/:deviceId/stream',
    {
      // Per gateway (its id from the Basic credentials), else per address.
      config: {
        rateLimit: {
          max: 120,
          timeWindow: 60_000,
          keyGenerator: (request: FastifyRequest) => basicCredentials(request)?.id ?? request.ip,
        },
      },
      schema: {
        tags: ['media'],
        summary:
          "A gateway asks where its camera should stream (Basic <gatewayId>:<token>, the gateway's MQTT credentials)",
        params: Type.Object({ deviceId: Id }),
        querystring: Type.Object({
          region: Type.Optional(
            Type.String({
              maxLength: 64,
              description: 'Preferred when a server of this region can take the stream',
            }),
          ),
        }),
        response: {
          200: Type.Object({
            serverId: Type.String(),
            serverName: Type.String(),
            rtmpUrl: Type.String({
              description: 'Publish here: rtmp://host:port/<application>/<stream>?key=<publishKey>',
            }),
            ingestUrl: Type.String(),
            application: Type.String(),
            stream: Type.String(),
            publishKey: Type.String(),
            region: Nullable(Type.String()),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const credentials = basicCredentials(request);
      const check = credentials
        ? await services.gateways.verifyCredentials(credentials.id, credentials.secret)
        : ({ ok: false, reason: 'bad_token' } as const);
      if (!check.ok || !credentials)
        throw new HestiaError(
          'HESTIA_UNAUTHENTICATED',
          'Gateway credentials are required (Basic <gatewayId>:<token>)',
        );
      return media.cameras.assignStream(
        credentials.id,
        request.params.deviceId,
        request.query.region ?? null,
      );
    },
  );

  const hookBody = Type.Object({
    name: Type.String({ minLength: 1, maxLength: 200 }),
    key: Type.Optional(Type.String({ maxLength: 200 })),
  });

  app.post(
    '/v1/media/hooks/publish',
    {
      schema: {
        tags: ['media'],
        summary: "nginx-rtmp's on_publish: 2xx lets the camera publish, anything else refuses it",
        querystring: HookQuery,
        body: hookBody,
        response: { 200: Type.Object({ ok: Type.Boolean() }), ...errorResponses },
      },
    },
    async (request) => {
      const server = await serverByHook(request.query.server, request.query.token);
      await media.cameras.checkPublish(server, request.body.name, request.body.key ?? '');
      return { ok: true };
    },
  );

  app.post(
    '/v1/media/hooks/publish-done',
    {
      schema: {
        tags: ['media'],
        summary: "nginx-rtmp's on_publish_done: the camera stopped publishing",
        querystring: HookQuery,
        body: hookBody,
        response: { 200: Type.Object({ ok: Type.Boolean() }), ...errorResponses },
      },
    },
    async (request) => {
      const server = await serverByHook(request.query.server, request.query.token);
      await media.cameras.publishDone(server, request.body.name);
      return { ok: true };
    },
  );

  app.post(
    '/v1/media/agent/segments',
    {
      bodyLimit: 2 * 1024 * 1024,
      schema: {
        tags: ['media'],
        summary:
          "A media agent reports a finished recording (Basic <serverId>:<secret>); idempotent on the file's path",
        body: SegmentReportSchema,
        response: { 200: Type.Object({ id: Type.String(), created: Type.Boolean() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const server = await serverByBasic(request);
      const { segment, created } = await media.archive.indexSegment(server, request.body);
      return reply.code(created ? 201 : 200).send({ id: segment.id, created });
    },
  );
};
