import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** Shared OpenAPI/JSON schemas of the REST API. */

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(
        Type.Unknown({ description: 'Per-row errors, counts or retry time, for some codes' }),
      ),
    }),
  },
  { $id: 'Error', description: 'Every error: a HESTIA_* code and a message' },
);

export const errorResponses = {
  400: Type.Ref('Error'),
  401: Type.Ref('Error'),
  403: Type.Ref('Error'),
  404: Type.Ref('Error'),
  409: Type.Ref('Error'),
  429: Type.Ref('Error'),
};

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
export const IsoTime = Type.String({ format: 'date-time' });

export const GatewaySchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  homeId: Nullable(Type.String()),
  registration: Type.Union([Type.Literal('pending'), Type.Literal('registered')]),
  registeredAt: Nullable(IsoTime),
  unregisteredMessages: Type.Number({
    description: 'Uplink messages dropped while registration was pending',
  }),
  credentialsRotatedAt: Nullable(IsoTime),
  credentialsRevokedAt: Nullable(IsoTime),
  status: Type.Union([Type.Literal('never_connected'), Type.Literal('online'), Type.Literal('offline')]),
  lastSeenAt: Nullable(IsoTime),
  statusChangedAt: Nullable(IsoTime),
  firmware: Nullable(Type.String()),
  vendor: Nullable(Type.String()),
  createdAt: IsoTime,
});

export const ChannelSchema = Type.Object({
  label: Type.String(),
  capability: Nullable(
    Type.String({
      description: 'What the channel is (temperature, motion, lock, …), from its label and sensor type',
    }),
  ),
  unit: Nullable(Type.String()),
  sensorType: Nullable(Type.String()),
  value: Nullable(Type.Number()),
  text: Nullable(Type.String()),
  ts: IsoTime,
  tsMs: Type.Number(),
  current: Type.Optional(
    Type.Boolean({
      description:
        'False while the device is stale or unavailable: the value is its last known state, not necessarily the present one',
    }),
  ),
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
  roomId: Nullable(Type.String()),
  createdAt: IsoTime,
  lastSeenAt: Nullable(IsoTime),
  removedAt: Nullable(IsoTime),
  hasPreview: Type.Optional(Type.Boolean()),
  availability: Type.Optional(
    Type.Union([Type.Literal('online'), Type.Literal('stale'), Type.Literal('unavailable')], {
      description:
        'unavailable: its gateway is not connected; stale: it missed presence.missedReportsBeforeStale expected reports; else online',
    }),
  ),
  reportIntervalSeconds: Type.Optional(
    Type.Integer({
      description: "Expected seconds between the device's reports (its own, else the default)",
    }),
  ),
  ownReportInterval: Type.Optional(
    Type.Boolean({
      description: 'Whether reportIntervalSeconds was set for this device (else the default applies)',
    }),
  ),
  lastHeardAt: Type.Optional(Nullable(IsoTime)),
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

export const BrandingSchema = Type.Object({
  displayName: Nullable(Type.String({ maxLength: 100 })),
  logoUrl: Nullable(Type.String({ maxLength: 2000 })),
  primaryColor: Nullable(Type.String({ maxLength: 7 })),
  accentColor: Nullable(Type.String({ maxLength: 7 })),
});

export const TenantSchema = Type.Object({
  id: Type.String(),
  slug: Type.String(),
  name: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('suspended')]),
  branding: BrandingSchema,
  signupOpen: Type.Boolean(),
  createdAt: IsoTime,
  suspendedAt: Nullable(IsoTime),
});

export const RoleSchema = Type.Union([
  Type.Literal('platform_admin'),
  Type.Literal('tenant_admin'),
  Type.Literal('user'),
]);
export const HomeRoleSchema = Type.Union([
  Type.Literal('owner'),
  Type.Literal('member'),
  Type.Literal('guest'),
]);

/**
 * A language Hestia writes to people in, or null: the provider's default (English). Null comes
 * first: the API coerces types, and a string branch tried before it would turn null into "".
 */
export const LanguageSchema = Type.Union([Type.Null(), Type.Literal('en'), Type.Literal('zh')], {
  description:
    "The language of the notifications and mails Hestia sends the person: 'en' (English) or 'zh' (Simplified Chinese); null: the provider's default, English",
});

export const UserSchema = Type.Object({
  id: Type.String(),
  tenantId: Nullable(Type.String()),
  email: Type.String(),
  name: Nullable(Type.String()),
  role: RoleSchema,
  language: LanguageSchema,
  createdAt: IsoTime,
  disabledAt: Nullable(IsoTime),
});

export const SessionSchema = Type.Object({
  accessToken: Type.String({ description: 'Bearer token for the API; short-lived' }),
  expiresAt: IsoTime,
  refreshToken: Type.String({
    description: 'Exchanged at /v1/auth/refresh for a new pair; rotates at each use',
  }),
  refreshExpiresAt: IsoTime,
  user: UserSchema,
});

export const HomeSchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  timezone: Type.String(),
  latitude: Nullable(Type.Number()),
  longitude: Nullable(Type.Number()),
  role: Nullable(HomeRoleSchema),
  tariffId: Nullable(
    Type.String({ description: "The home's own tariff; null: it follows its tenant's default tariff" }),
  ),
  createdAt: IsoTime,
});

export const RecordingModeSchema = Type.Union([
  Type.Literal('off'),
  Type.Literal('motion'),
  Type.Literal('continuous'),
]);

/** A tariff's terms as a home's people see them (GET /v1/homes/{homeId}). */
export const HomeTariffSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  rawRetentionDays: Type.Integer({ description: 'Raw readings are kept this long' }),
  sensorRetentionDays: Type.Integer({ description: 'Hourly and daily rollups are kept this long' }),
  videoRetentionDays: Type.Integer({ description: 'Recordings and previews are kept this long' }),
  recordingModes: Type.Array(RecordingModeSchema),
  maxGatewaysPerHome: Type.Integer(),
  maxCamerasPerHome: Type.Integer(),
});

export const TariffSchema = Type.Object({
  ...HomeTariffSchema.properties,
  tenantId: Type.String(),
  isDefault: Type.Boolean({
    description: "The tenant's default: homes without a tariff of their own follow it",
  }),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});

/** One home in detail: with the tariff in force (its own, or its tenant's default). */
export const HomeDetailSchema = Type.Object({
  ...HomeSchema.properties,
  tariff: Nullable(HomeTariffSchema),
});

export const RoomSchema = Type.Object({
  id: Type.String(),
  homeId: Type.String(),
  name: Type.String(),
  createdAt: IsoTime,
});

export const MemberSchema = Type.Object({
  userId: Type.String(),
  email: Type.String(),
  name: Nullable(Type.String()),
  role: HomeRoleSchema,
  language: LanguageSchema,
  joinedAt: IsoTime,
});

export const InvitationSchema = Type.Object({
  id: Type.String(),
  homeId: Nullable(Type.String()),
  email: Type.String(),
  role: Type.Union([...HomeRoleSchema.anyOf, ...RoleSchema.anyOf], {
    description:
      "For a home (homeId set) 'member' or 'guest'; for the provider (homeId null) 'user' or 'tenant_admin'. Owners and platform administrators are never invited.",
  }),
  invitedBy: Type.Union(
    [Type.Object({ id: Type.String(), name: Nullable(Type.String()), email: Type.String() }), Type.Null()],
    { description: "Null when an API key or the system invited, or the inviter's account is gone" },
  ),
  language: LanguageSchema,
  createdAt: IsoTime,
  expiresAt: IsoTime,
});

export const ApiKeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  createdBy: Nullable(Type.String()),
  createdAt: IsoTime,
  lastUsedAt: Nullable(IsoTime),
  revokedAt: Nullable(IsoTime),
});

export const AuditEntrySchema = Type.Object({
  id: Type.Number(),
  tenantId: Nullable(Type.String()),
  at: IsoTime,
  actorType: Type.String(),
  actorId: Nullable(Type.String()),
  action: Type.String(),
  targetType: Nullable(Type.String()),
  targetId: Nullable(Type.String()),
  homeId: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  outcome: Type.String(),
  detail: Type.Record(Type.String(), Type.Unknown()),
});

/** The tenant a platform administrator acts in; anyone else acts in their own tenant. */
export const PlatformTenantId = Type.Optional(
  Type.String({ maxLength: 64, description: 'Platform administrators only' }),
);

/** Query of a keyset-paged listing: `limit` and the previous page's opaque `cursor`. */
export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  cursor: Type.Optional(Type.String({ maxLength: 400 })),
};

/** A page of `item`s and the cursor of the next page (null on the last). */
export function pageResponse<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });
}

/** Bodies refuse properties they do not declare, so ids, owners and roles cannot be slipped in. */
export const strictBody = { additionalProperties: false } as const;

export const Id = Type.String({ minLength: 1, maxLength: 64 });

/** Accepts an ISO 8601 time or epoch milliseconds. */
export const TimeParam = Type.String({
  description: 'ISO 8601 time (2019-10-21T00:00:00Z) or epoch milliseconds',
});

export type GatewayBody = Static<typeof GatewaySchema>;
export type DeviceBody = Static<typeof DeviceSchema>;

/** `units=imperial` shows temperatures in °F; values are stored and otherwise shown in °C, kWh, W. */
export const UnitsQuery = Type.Optional(
  Type.Union([Type.Literal('metric'), Type.Literal('imperial')], {
    description: 'metric (default: °C, kWh, W) or imperial (temperatures in °F)',
  }),
);
