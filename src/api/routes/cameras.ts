import { Type } from '@sinclair/typebox';
import { authenticated, originOf, principalOf } from '../auth.ts';
import { parseTime } from '../paging.ts';
import { presentCamera, presentPlayback, presentPreviewEntry, presentTimeline } from '../presenters/media.ts';
import {
  Id,
  IsoTime,
  Nullable,
  RecordingModeSchema,
  TimeParam,
  errorResponses,
  strictBody,
} from '../schemas.ts';
import type { ApiPlugin } from '../context.ts';
import { HestiaError } from '../../core/errors.ts';

const DAY_MS = 86_400_000;

const CameraSchema = Type.Object({
  deviceId: Type.String(),
  homeId: Type.String(),
  gatewayId: Type.String(),
  name: Nullable(Type.String()),
  number: Type.Integer({
    description: 'Stable per-installation number (archive paths group cameras by number div 200)',
  }),
  mode: RecordingModeSchema,
  streaming: Type.Boolean(),
  serverName: Nullable(Type.String()),
  recording: Type.Object({
    state: Type.Union([Type.Literal('idle'), Type.Literal('recording'), Type.Literal('failed')]),
    reason: Nullable(Type.String()),
    since: IsoTime,
  }),
  lastMotionAt: Nullable(IsoTime),
  latestPreviewAt: Nullable(IsoTime),
});

const EventSchema = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('motion'), Type.Literal('doorbell')]),
  at: IsoTime,
});
const PreviewEntrySchema = Type.Object({
  at: IsoTime,
  contentType: Type.String(),
  sizeBytes: Type.Integer(),
});

const TimelineSchema = Type.Object({
  from: IsoTime,
  to: IsoTime,
  spans: Type.Array(Type.Object({ start: IsoTime, end: IsoTime, files: Type.Integer() })),
  gaps: Type.Array(Type.Object({ start: IsoTime, end: IsoTime })),
  events: Type.Array(EventSchema),
  previews: Type.Array(PreviewEntrySchema),
  nextFrom: Nullable(IsoTime),
});

const PlaybackSchema = Type.Object({
  kind: Type.Union([Type.Literal('live'), Type.Literal('archive')]),
  url: Type.String({
    description:
      "Live: the media server's signed HLS URL. Archive: a path of this API, to be resolved against its base URL",
  }),
  expiresAt: IsoTime,
  from: Nullable(IsoTime),
  durationMs: Nullable(Type.Integer()),
});

const CameraParams = Type.Object({ deviceId: Id });

/**
 * Cameras for a home's people: their list, recording mode and state, the timeline of what was
 * recorded and seen, previews, and playback URLs (owners and members only: see PlaybackService).
 */
export const cameraRoutes: ApiPlugin = async (app, { services, ctx }) => {
  const caller = authenticated(services.accounts);
  const security = [{ bearer: [] }];
  const { media } = services;

  app.get(
    '/v1/homes/:homeId/cameras',
    {
      onRequest: caller,
      schema: {
        tags: ['cameras'],
        summary: "The home's cameras with their recording state",
        security,
        params: Type.Object({ homeId: Id }),
        response: { 200: Type.Object({ items: Type.Array(CameraSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await media.cameras.listForHome(principalOf(request), request.params.homeId)).map(
        presentCamera,
      ),
    }),
  );

  app.get(
    '/v1/cameras/:deviceId',
    {
      onRequest: caller,
      schema: {
        tags: ['cameras'],
        summary: 'One camera',
        security,
        params: CameraParams,
        response: { 200: CameraSchema, ...errorResponses },
      },
    },
    async (request) => presentCamera(await media.cameras.get(principalOf(request), request.params.deviceId)),
  );

  app.patch(
    '/v1/cameras/:deviceId',
    {
      onRequest: caller,
      schema: {
        tags: ['cameras'],
        summary: "Sets the camera's recording mode (home members and owners; within the home's tariff)",
        security,
        params: CameraParams,
        body: Type.Object({ mode: RecordingModeSchema }, strictBody),
        response: { 200: CameraSchema, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      await media.cameras.setMode(principal, request.params.deviceId, request.body.mode, originOf(request));
      return presentCamera(await media.cameras.get(principal, request.params.deviceId));
    },
  );

  app.get(
    '/v1/cameras/:deviceId/timeline',
    {
      onRequest: caller,
      schema: {
        tags: ['cameras'],
        summary:
          'Recorded spans, gaps, motion and doorbell events and previews in a time range, paged by time',
        security,
        params: CameraParams,
        querystring: Type.Object({
          from: Type.Optional({ ...TimeParam, description: 'Inclusive; default: 24 hours before `to`' }),
          to: Type.Optional({ ...TimeParam, description: 'Exclusive; default: now' }),
          limit: Type.Integer({
            minimum: 1,
            maximum: 2000,
            default: 500,
            description: 'Most files, events and previews each per page',
          }),
        }),
        response: { 200: TimelineSchema, ...errorResponses },
      },
    },
    async (request) => {
      const toMs = parseTime(request.query.to, 'to', ctx.clock.now());
      const fromMs = parseTime(request.query.from, 'from', toMs - DAY_MS);
      if (toMs - fromMs > 31 * DAY_MS)
        throw new HestiaError('HESTIA_VALIDATION_FAILED', 'to: at most 31 days after from');
      return presentTimeline(
        await media.archive.timeline(
          principalOf(request),
          request.params.deviceId,
          fromMs,
          toMs,
          request.query.limit,
        ),
      );
    },
  );

  app.get(
    '/v1/cameras/:deviceId/previews',
    {
      onRequest: caller,
      schema: {
        tags: ['cameras'],
        summary: "The camera's preview history in a time range",
        security,
        params: CameraParams,
        querystring: Type.Object({
          from: Type.Optional(TimeParam),
          to: Type.Optional(TimeParam),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(PreviewEntrySchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const device = await services.authorize.device(principalOf(request), request.params.deviceId, 'read');
      const toMs = parseTime(request.query.to, 'to', ctx.clock.now() + 1);
      const fromMs = parseTime(request.query.from, 'from', toMs - DAY_MS);
      const items = await ctx.store.media.previews.list(device.id, fromMs, toMs, request.query.limit);
      return { items: items.map(presentPreviewEntry) };
    },
  );

  app.get(
    '/v1/cameras/:deviceId/previews/:at',
    {
      onRequest: caller,
      schema: {
        tags: ['cameras'],
        summary: 'One preview image of the history (the time as listed)',
        security,
        params: Type.Object({ deviceId: Id, at: TimeParam }),
      },
    },
    async (request, reply) => {
      const device = await services.authorize.device(principalOf(request), request.params.deviceId, 'read');
      const atMs = parseTime(request.params.at, 'at', 0);
      const preview = await ctx.store.media.previews.find(device.id, atMs);
      if (!preview) throw new HestiaError('HESTIA_NOT_FOUND', 'No preview at this time');
      return reply
        .header('content-type', preview.contentType)
        .header('cache-control', 'private, max-age=86400')
        .send(preview.image);
    },
  );

  app.delete(
    '/v1/cameras/:deviceId/recordings',
    {
      onRequest: caller,
      schema: {
        tags: ['cameras'],
        summary:
          "Deletes the camera's recordings, events and previews (home owners, the provider's staff); repeat the camera's id as confirm",
        security,
        params: CameraParams,
        querystring: Type.Object({ confirm: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: {
          200: Type.Object({ files: Type.Integer(), events: Type.Integer(), previews: Type.Integer() }),
          ...errorResponses,
        },
      },
    },
    async (request) =>
      media.archive.deleteVideo(
        principalOf(request),
        request.params.deviceId,
        request.query.confirm,
        originOf(request),
      ),
  );

  app.post(
    '/v1/cameras/:deviceId/playback',
    {
      onRequest: caller,
      schema: {
        tags: ['cameras'],
        summary:
          'A signed, expiring HLS URL: live, or the archive from an instant for a duration (owners and members)',
        security,
        params: CameraParams,
        body: Type.Object(
          {
            kind: Type.Union([Type.Literal('live'), Type.Literal('archive')]),
            from: Type.Optional({ ...TimeParam, description: 'Archive: where playback starts' }),
            durationMs: Type.Optional(
              Type.Integer({ minimum: 1000, description: 'Archive: how long it plays' }),
            ),
          },
          strictBody,
        ),
        response: { 200: PlaybackSchema, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { deviceId } = request.params;
      if (request.body.kind === 'live')
        return presentPlayback(await media.playback.grantLive(principal, deviceId));
      if (request.body.from === undefined || request.body.durationMs === undefined)
        throw new HestiaError(
          'HESTIA_VALIDATION_FAILED',
          'from and durationMs: required for archive playback',
        );
      const fromMs = parseTime(request.body.from, 'from', 0);
      return presentPlayback(
        await media.playback.grantArchive(principal, deviceId, fromMs, request.body.durationMs),
      );
    },
  );

  app.get(
    '/v1/playback/:token/index.m3u8',
    {
      schema: {
        tags: ['cameras'],
        summary: 'The HLS playlist behind a signed archive URL (no bearer token: the URL is the permission)',
        params: Type.Object({ token: Type.String({ maxLength: 400 }) }),
      },
    },
    async (request, reply) => {
      const playlist = await media.playback.archivePlaylist(request.params.token);
      return reply
        .header('content-type', 'application/vnd.apple.mpegurl')
        .header('cache-control', 'private, no-store')
        .header('access-control-allow-origin', '*')
        .send(playlist);
    },
  );

  app.get(
    '/v1/preview-images/:token',
    {
      schema: {
        tags: ['cameras'],
        summary: "A preview behind a signed URL (a push notification's picture; the URL is the permission)",
        params: Type.Object({ token: Type.String({ maxLength: 400 }) }),
      },
    },
    async (request, reply) => {
      const token = request.params.token.replace(/\.jpg$/, '');
      const preview = await media.playback.previewImage(token);
      return reply
        .header('content-type', preview.contentType)
        .header('cache-control', 'private, max-age=3600')
        .send(preview.image);
    },
  );
};
