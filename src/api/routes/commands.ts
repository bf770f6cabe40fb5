import { Type } from '@sinclair/typebox';
import type { Command, CommandPosition } from '../../core/domain/command.ts';
import { HestiaError } from '../../core/errors.ts';
import { authenticated, originOf, principalOf } from '../auth.ts';
import { decodeCursor, pageOf } from '../paging.ts';
import { Id, PageQuery, errorResponses, pageResponse, strictBody } from '../schemas.ts';
import type { ApiPlugin } from '../context.ts';
import { presentCommand } from '../presenters/control.ts';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);
const IsoTime = Type.String({ format: 'date-time' });
const Params = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'Parameters of the action in canonical units (setTemperature: {"temperature": 21.5}; setLevel: {"level": 0..100}; …)',
});
const WhenOfflineSchema = Type.Union([Type.Literal('queue'), Type.Literal('refuse')], {
  description:
    'When the gateway is offline: "refuse" (default) answers 409 HESTIA_GATEWAY_OFFLINE and stores nothing; "queue" keeps the command until the gateway is back, within ttlSeconds',
});
const IdempotencyKey = Type.String({
  minLength: 1,
  maxLength: 128,
  description:
    'A retry with the same key and the same action and params returns the first command (200) instead of sending again; with different ones, 409 HESTIA_IDEMPOTENCY_MISMATCH',
});

export const CommandSchema = Type.Object(
  {
    id: Type.String(),
    tenantId: Type.String(),
    homeId: Type.String(),
    gatewayId: Type.String(),
    deviceId: Type.String(),
    action: Type.String(),
    params: Params,
    idempotencyKey: Nullable(Type.String()),
    whenOffline: WhenOfflineSchema,
    status: Type.Union(
      [
        Type.Literal('pending'),
        Type.Literal('sent'),
        Type.Literal('succeeded'),
        Type.Literal('failed'),
        Type.Literal('timed_out'),
      ],
      { description: 'pending → sent → succeeded | failed | timed_out' },
    ),
    detail: Nullable(
      Type.String({ description: "Why it failed or timed out: the gateway's error, no answer, expired" }),
    ),
    requestedBy: Type.String({ description: 'User id, API key id or automation id' }),
    requestedByType: Type.Union([
      Type.Literal('user'),
      Type.Literal('api_key'),
      Type.Literal('automation'),
      Type.Literal('system'),
    ]),
    createdAt: IsoTime,
    sentAt: Type.Union([IsoTime, Type.Null()]),
    completedAt: Type.Union([IsoTime, Type.Null()]),
    expiresAt: Type.String({
      format: 'date-time',
      description: 'A command still queued (pending) then times out',
    }),
  },
  { description: 'A command: pending → sent → succeeded | failed | timed_out' },
);

/** Cursor of a device's command history: the last item's creation time and id. */
function positionOf(command: Command): string {
  return `${command.createdAtMs}:${command.id}`;
}

function decodePosition(cursor: string | undefined): CommandPosition | undefined {
  const text = decodeCursor(cursor);
  if (text === undefined) return undefined;
  const match = /^(\d{1,16}):(.{1,64})$/.exec(text);
  if (!match) throw new HestiaError('HESTIA_VALIDATION_FAILED', 'cursor: not a cursor from this API');
  return { createdAtMs: Number(match[1]), id: match[2]! };
}

const DeviceParams = Type.Object({ deviceId: Id });
/** Routes of this file answer 422 when a device does not support the action. */
const responses = { ...errorResponses, 422: Type.Ref('Error') };

/**
 * Commands to devices: send one (members and owners of the device's home, tenant staff, API
 * keys with gateways:write), follow it, and list a device's commands (anyone who may read the
 * device). The gateway side of the contract is in docs/commands.md.
 */
export const commandRoutes: ApiPlugin = async (app, { services }) => {
  const caller = authenticated(services.accounts);
  const security = [{ bearer: [] }];

  app.post(
    '/v1/devices/:deviceId/commands',
    {
      onRequest: caller,
      schema: {
        tags: ['commands', 'devices'],
        summary: 'Send a command to a device (members and owners of its home)',
        description:
          'Checked against what the device supports (its channels\' capabilities: switch turnOn/turnOff/toggle, dimmer setLevel, lock lock/unlock, thermostat setTemperature/setMode, curtain open/close/stop/setPosition, camera startRecording/stopRecording); 422 HESTIA_COMMAND_UNSUPPORTED otherwise, 400 for bad params. 201 with the new command (status "sent" when the gateway was online, "pending" when queued); 200 with the earlier command for a repeated idempotency key (body field or Idempotency-Key header). Follow it with GET /v1/commands/{commandId} or the live feed. Per home at most commands.perHomePerMinute a minute (429 with retryAfterSeconds).',
        security,
        params: DeviceParams,
        headers: Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKey) }),
        body: Type.Object(
          {
            action: Type.String({ minLength: 1, maxLength: 64 }),
            params: Type.Optional(Params),
            idempotencyKey: Type.Optional(IdempotencyKey),
            whenOffline: Type.Optional(WhenOfflineSchema),
            ttlSeconds: Type.Optional(
              Type.Integer({
                minimum: 1,
                description:
                  'How long a queued command waits for its gateway (default commands.defaultTtlSeconds, at most commands.maxTtlSeconds)',
              }),
            ),
          },
          strictBody,
        ),
        response: { 200: CommandSchema, 201: CommandSchema, ...responses },
      },
    },
    async (request, reply) => {
      const { idempotencyKey: bodyKey, ...rest } = request.body;
      const headerKey = request.headers['idempotency-key'];
      if (bodyKey !== undefined && headerKey !== undefined && bodyKey !== headerKey) {
        throw new HestiaError(
          'HESTIA_VALIDATION_FAILED',
          'idempotencyKey: the body and the Idempotency-Key header differ',
        );
      }
      const { command, created } = await services.commands.create(
        principalOf(request),
        { ...rest, deviceId: request.params.deviceId, idempotencyKey: bodyKey ?? headerKey },
        originOf(request),
      );
      return reply.code(created ? 201 : 200).send(presentCommand(command));
    },
  );

  app.get(
    '/v1/commands/:commandId',
    {
      onRequest: caller,
      schema: {
        tags: ['commands'],
        summary: "One command and its status (whoever may read its device's home)",
        security,
        params: Type.Object({ commandId: Id }),
        response: { 200: CommandSchema, ...responses },
      },
    },
    async (request) =>
      presentCommand(await services.commands.get(principalOf(request), request.params.commandId)),
  );

  app.get(
    '/v1/devices/:deviceId/commands',
    {
      onRequest: caller,
      schema: {
        tags: ['commands', 'devices'],
        summary: "A device's commands, newest first (whoever may read its home)",
        security,
        params: DeviceParams,
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
          cursor: PageQuery.cursor,
        }),
        response: { 200: pageResponse(CommandSchema), ...responses },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const rows = await services.commands.listForDevice(principalOf(request), request.params.deviceId, {
        limit: limit + 1,
        after: decodePosition(cursor),
      });
      return pageOf(rows, limit, positionOf, presentCommand);
    },
  );
};
