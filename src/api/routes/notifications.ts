import { Type, type TSchema } from '@sinclair/typebox';
import {
  positionOf,
  DELIVERY_STATUSES,
  NOTIFICATION_CHANNELS,
  PERSONAL_CHANNELS,
} from '../../core/domain/notification.ts';
import { authenticated, principalOf, originOf, userOf } from '../auth.ts';
import { decodeCursor, pageOf } from '../paging.ts';
import { Id, errorResponses, strictBody } from '../schemas.ts';
import type { ApiPlugin } from '../context.ts';
import {
  presentPreferences,
  presentPushDevice,
  presentInApp,
  presentDelivery,
} from '../presenters/notifications.ts';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const IsoTime = Type.String({ format: 'date-time' });
const Severity = Type.Union([Type.Literal('critical'), Type.Literal('warning'), Type.Literal('info')]);
const PersonalChannel = Type.Union(PERSONAL_CHANNELS.map((channel) => Type.Literal(channel)));
const Channel = Type.Union(NOTIFICATION_CHANNELS.map((channel) => Type.Literal(channel)));
const DeliveryStatus = Type.Union(DELIVERY_STATUSES.map((status) => Type.Literal(status)));
const ChannelList = Type.Array(PersonalChannel, { maxItems: PERSONAL_CHANNELS.length, uniqueItems: true });
const ClockTime = Type.String({
  pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
  description: 'Local time, HH:MM',
});

const PreferencesSchema = Type.Object({
  channels: Type.Object(
    { critical: ChannelList, warning: ChannelList, info: ChannelList },
    { description: 'Channels per severity; webhooks are the provider’s, not a person’s' },
  ),
  quietHours: Nullable(
    Type.Object({
      start: ClockTime,
      end: ClockTime,
      timezone: Nullable(Type.String({ description: "IANA zone; null: the home's zone" })),
    }),
  ),
  isDefault: Type.Boolean({ description: 'True until the person saves preferences of their own' }),
  updatedAt: Nullable(IsoTime),
});

const PushDeviceSchema = Type.Object({
  id: Type.String(),
  provider: Type.Union([Type.Literal('onesignal'), Type.Literal('fcm')]),
  platform: Nullable(Type.String()),
  tokenHint: Type.String({
    description: 'The first characters of the token; the token itself is not shown again',
  }),
  createdAt: IsoTime,
  lastSeenAt: IsoTime,
});

const InAppSchema = Type.Object({
  id: Type.String(),
  homeId: Nullable(Type.String()),
  requestId: Type.String(),
  severity: Severity,
  title: Type.String(),
  body: Type.String(),
  data: Type.Record(Type.String(), Type.String()),
  createdAt: IsoTime,
  readAt: Nullable(IsoTime),
});

const DeliverySchema = Type.Object({
  id: Type.String(),
  requestId: Type.String(),
  homeId: Nullable(Type.String()),
  userId: Nullable(Type.String({ description: 'null for the tenant’s webhooks' })),
  channel: Channel,
  target: Type.String({
    description:
      'Who or where, without secrets: the person for OneSignal and in-app, the start of an FCM token, the mail address, the webhook URL without its query',
  }),
  language: Type.Union([Type.Null(), Type.Literal('en'), Type.Literal('zh')], {
    description:
      "The person's language when the request was decided, which the notification is written in (null: the default, English; webhooks are always English)",
  }),
  status: DeliveryStatus,
  attempts: Type.Integer(),
  nextAttemptAt: Nullable(IsoTime),
  lastError: Nullable(
    Type.String({ description: 'The last attempt’s error, or why the delivery was skipped' }),
  ),
  providerResponse: Nullable(Type.String()),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  sentAt: Nullable(IsoTime),
  request: Type.Object({
    kind: Type.String(),
    severity: Severity,
    title: Type.String(),
    sourceKey: Type.String(),
    createdAt: IsoTime,
  }),
});

const Page = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    nextCursor: Nullable(Type.String({ description: 'Pass as `before` for the next (older) page' })),
  });

const LogQuery = Type.Object({
  status: Type.Optional(DeliveryStatus),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  before: Type.Optional(Type.String({ maxLength: 400 })),
});

/**
 * Notifications: a person's preferences, push devices and in-app feed (people only, not API
 * keys: these are about the caller), the provider's delivery log and test sends (tenant
 * admins), and a home's delivery log (its owner).
 */
export const notificationRoutes: ApiPlugin = async (app, { services }) => {
  const caller = authenticated(services.accounts);
  const security = [{ bearer: [] }];
  const notifications = services.notifications;

  app.get(
    '/v1/me/notification-preferences',
    {
      onRequest: caller,
      schema: {
        tags: ['notifications'],
        summary: 'Which channels notify me per severity, and my quiet hours',
        security,
        response: { 200: PreferencesSchema, ...errorResponses },
      },
    },
    async (request) => presentPreferences(await notifications.getPreferences(userOf(request))),
  );

  app.put(
    '/v1/me/notification-preferences',
    {
      onRequest: caller,
      schema: {
        tags: ['notifications'],
        summary: 'Set my channels per severity and quiet hours',
        description:
          'Severities left out keep their defaults. In quiet hours (local time; over midnight when end < start) push and mail are held back, except for critical notifications; the in-app feed still gets everything.',
        security,
        body: Type.Object(
          {
            channels: Type.Optional(
              Type.Object(
                {
                  critical: Type.Optional(ChannelList),
                  warning: Type.Optional(ChannelList),
                  info: Type.Optional(ChannelList),
                },
                strictBody,
              ),
            ),
            quietHours: Type.Optional(
              Nullable(
                Type.Object(
                  {
                    start: ClockTime,
                    end: ClockTime,
                    timezone: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
                  },
                  strictBody,
                ),
              ),
            ),
          },
          strictBody,
        ),
        response: { 200: PreferencesSchema, ...errorResponses },
      },
    },
    async (request) => presentPreferences(await notifications.setPreferences(userOf(request), request.body)),
  );

  app.get(
    '/v1/me/push-devices',
    {
      onRequest: caller,
      schema: {
        tags: ['notifications'],
        summary: 'My registered push devices',
        security,
        response: { 200: Type.Object({ items: Type.Array(PushDeviceSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await notifications.listPushDevices(userOf(request))).map(presentPushDevice),
    }),
  );

  app.post(
    '/v1/me/push-devices',
    {
      onRequest: caller,
      schema: {
        tags: ['notifications'],
        summary: 'Register this phone or browser for push notifications',
        description:
          'token: the OneSignal player (subscription) id, or the FCM registration token. Registering a token again refreshes it; a token registered by someone else moves to the caller.',
        security,
        body: Type.Object(
          {
            provider: Type.Union([Type.Literal('onesignal'), Type.Literal('fcm')]),
            token: Type.String({ minLength: 1, maxLength: 4096 }),
            platform: Type.Optional(
              Type.String({ minLength: 1, maxLength: 32, description: 'ios, android, web…' }),
            ),
          },
          strictBody,
        ),
        response: { 201: PushDeviceSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(presentPushDevice(await notifications.registerPushDevice(userOf(request), request.body))),
  );

  app.delete(
    '/v1/me/push-devices/:id',
    {
      onRequest: caller,
      schema: {
        tags: ['notifications'],
        summary: 'Stop push notifications to one of my devices (e.g. at logout)',
        security,
        params: Type.Object({ id: Id }),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await notifications.deletePushDevice(userOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/me/notifications',
    {
      onRequest: caller,
      schema: {
        tags: ['notifications'],
        summary: 'My in-app notifications, newest first',
        security,
        querystring: Type.Object({
          unread: Type.Optional(Type.Boolean({ description: 'Only the unread ones' })),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          before: Type.Optional(
            Type.String({ maxLength: 400, description: 'nextCursor of the previous page' }),
          ),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(InAppSchema),
            nextCursor: Nullable(Type.String()),
            unreadCount: Type.Integer(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { unread, limit, before } = request.query;
      const { items, unreadCount } = await notifications.listInApp(userOf(request), {
        unreadOnly: unread === true,
        limit: limit + 1,
        before: decodeCursor(before),
      });
      return { ...pageOf(items, limit, positionOf, presentInApp), unreadCount };
    },
  );

  app.post(
    '/v1/me/notifications/:id/read',
    {
      onRequest: caller,
      schema: {
        tags: ['notifications'],
        summary: 'Mark one of my in-app notifications read',
        security,
        params: Type.Object({ id: Id }),
        response: { 200: InAppSchema, ...errorResponses },
      },
    },
    async (request) => presentInApp(await notifications.markRead(userOf(request), request.params.id)),
  );

  app.get(
    '/v1/tenants/:tenantId/notification-deliveries',
    {
      onRequest: caller,
      schema: {
        tags: ['notifications', 'tenants'],
        summary: "The provider's notification delivery log, newest first (tenant admins, or audit:read)",
        description:
          'Each delivery with its status, attempts, last error or skip reason and the provider’s answer; never a credential or a whole push token.',
        security,
        params: Type.Object({ tenantId: Id }),
        querystring: LogQuery,
        response: { 200: Page(DeliverySchema), ...errorResponses },
      },
    },
    async (request) => {
      const { status, limit, before } = request.query;
      const rows = await notifications.listDeliveries(principalOf(request), request.params.tenantId, {
        status,
        limit: limit + 1,
        before: decodeCursor(before),
      });
      return pageOf(rows, limit, positionOf, presentDelivery);
    },
  );

  app.get(
    '/v1/homes/:homeId/notifications',
    {
      onRequest: caller,
      schema: {
        tags: ['notifications', 'homes'],
        summary: "Deliveries of the home's notifications, newest first (its owner, or tenant admins)",
        security,
        params: Type.Object({ homeId: Id }),
        querystring: LogQuery,
        response: { 200: Page(DeliverySchema), ...errorResponses },
      },
    },
    async (request) => {
      const { status, limit, before } = request.query;
      const rows = await notifications.listHomeDeliveries(principalOf(request), request.params.homeId, {
        status,
        limit: limit + 1,
        before: decodeCursor(before),
      });
      return pageOf(rows, limit, positionOf, presentDelivery);
    },
  );

  app.post(
    '/v1/tenants/:tenantId/notifications/test',
    {
      onRequest: caller,
      schema: {
        tags: ['notifications', 'tenants'],
        summary: 'Send a test notification through one channel (tenant admins)',
        description:
          'To a person of the tenant (the caller by default), or for webhook to every webhook. 409 HESTIA_PROVIDER_NOT_CONFIGURED when the channel has no credentials. Follow it in the delivery log.',
        security,
        params: Type.Object({ tenantId: Id }),
        body: Type.Object({ channel: Channel, userId: Type.Optional(Id) }, strictBody),
        response: { 202: Type.Object({ requestId: Type.String() }), ...errorResponses },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(
          await notifications.sendTest(
            principalOf(request),
            request.params.tenantId,
            request.body,
            originOf(request),
          ),
        ),
  );
};
