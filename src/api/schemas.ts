import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** Shared OpenAPI/JSON schemas of the REST API. */

export const ErrorBody = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }) },
  { $id: 'Error', description: 'Every error: a HESTIA_* code and a message' },
);

export const errorResponses = {
  400: Type.Ref('Error'),
  401: Type.Ref('Error'),
  403: Type.Ref('Error'),
  404: Type.Ref('Error'),
  429: Type.Ref('Error'),
};

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const IsoTime = Type.String({ format: 'date-time' });

export const GatewaySchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  status: Type.Union([Type.Literal('never_connected'), Type.Literal('online'), Type.Literal('offline')]),
  lastSeenAt: Nullable(IsoTime),
  statusChangedAt: Nullable(IsoTime),
  firmware: Nullable(Type.String()),
  vendor: Nullable(Type.String()),
  createdAt: IsoTime,
});

export const ChannelSchema = Type.Object({
  label: Type.String(),
  unit: Nullable(Type.String()),
  sensorType: Nullable(Type.String()),
  value: Nullable(Type.Number()),
  text: Nullable(Type.String()),
  ts: IsoTime,
  tsMs: Type.Number(),
});

export const DeviceSchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  gatewayId: Type.String(),
  type: Type.String(),
  protocol: Type.String(),
  name: Nullable(Type.String()),
  nodeId: Nullable(Type.String()),
  networkId: Nullable(Type.String()),
  attributes: Type.Record(Type.String(), Type.String()),
  settings: Type.Record(Type.String(), Type.String()),
  createdAt: IsoTime,
  lastSeenAt: Nullable(IsoTime),
  removedAt: Nullable(IsoTime),
  hasPreview: Type.Optional(Type.Boolean()),
  channels: Type.Array(ChannelSchema),
});

export const ReadingSchema = Type.Object({
  ts: IsoTime,
  tsMs: Type.Number(),
  value: Nullable(Type.Number()),
  text: Nullable(Type.String()),
});

export const DeadLetterSchema = Type.Object({
  id: Type.Number(),
  gatewayId: Nullable(Type.String()),
  receivedAt: IsoTime,
  reason: Type.String(),
  detail: Type.String(),
  payload: Type.String({
    description: 'The rejected input as received, cut to deadLetters.maxStoredPayloadBytes',
  }),
  payloadBytes: Type.Number(),
});

/** Accepts an ISO 8601 time or epoch milliseconds. */
export const TimeParam = Type.String({
  description: 'ISO 8601 time (2019-10-21T00:00:00Z) or epoch milliseconds',
});

export type GatewayBody = Static<typeof GatewaySchema>;
export type DeviceBody = Static<typeof DeviceSchema>;
