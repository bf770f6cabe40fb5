import { Type, type TSchema } from '@sinclair/typebox';
import { ALARM_CAUSES, ALARM_SEVERITIES } from '../../core/domain/alarm.ts';
import { HOME_MODES } from '../../core/domain/home.ts';
import { HestiaError } from '../../core/errors.ts';
import { THRESHOLD_RANGE_C } from '../../services/alarms.ts';
import { authenticated, originOf, principalOf } from '../auth.ts';
import { decodeCursor, encodeCursor } from '../paging.ts';
import { Id, errorResponses, strictBody } from '../schemas.ts';
import type { ApiPlugin } from '../context.ts';
import { presentSecurity, presentAlarm } from '../presenters/control.ts';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const IsoTime = Type.String({ format: 'date-time' });
const literalUnion = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));

export const AlarmSchema = Type.Object({
  id: Type.String(),
  homeId: Type.String(),
  gatewayId: Type.String(),
  deviceId: Type.String(),
  cause: literalUnion(ALARM_CAUSES),
  severity: literalUnion(ALARM_SEVERITIES),
  state: literalUnion(['active', 'cleared']),
  label: Type.String({ description: 'The channel whose reading raised it' }),
  value: Nullable(Type.Number({ description: 'The reading that raised it (°C for heat and freeze)' })),
  raisedAt: IsoTime,
  occurrences: Type.Integer({
    description: 'Readings of this cause while it was active (the first included)',
  }),
  lastOccurrenceAt: IsoTime,
  acknowledgedAt: Nullable(IsoTime),
  acknowledgedBy: Nullable(Type.String()),
  clearedAt: Nullable(IsoTime),
  clearedBy: Nullable(
    Type.String({ description: "A user id, or 'device' when the sensor reported normal again" }),
  ),
});

/**
 * A threshold or null, as one schema with a type list rather than a union: with type coercion
 * on, a union's number branch would turn null into 0 °C, and a null branch 0 °C into null.
 */
const NullableThreshold = (description: string) =>
  Type.Unsafe<number | null>({
    type: ['number', 'null'],
    minimum: THRESHOLD_RANGE_C.min,
    maximum: THRESHOLD_RANGE_C.max,
    description,
  });

export const SecuritySchema = Type.Object({
  homeId: Type.String(),
  mode: literalUnion(HOME_MODES),
  changedAt: Nullable(IsoTime),
  changedBy: Nullable(Type.String()),
  heatThresholdC: Type.Number({ description: 'In force: a heat alarm is raised at or above it' }),
  freezeThresholdC: Type.Number({ description: 'In force: a freeze alarm is raised at or below it' }),
  own: Type.Object(
    { heatThresholdC: Nullable(Type.Number()), freezeThresholdC: Nullable(Type.Number()) },
    { description: "The home's own thresholds; null where the installation's default applies" },
  ),
});

/** The keyset position of a history page: "<raisedAtMs>:<id>" of its last alarm. */
function decodeBefore(cursor: string | undefined): { raisedAtMs: number; id: string } | undefined {
  const text = decodeCursor(cursor);
  if (text === undefined) return undefined;
  const colon = text.indexOf(':');
  const raisedAtMs = Number(text.slice(0, colon));
  if (colon <= 0 || !Number.isSafeInteger(raisedAtMs) || colon === text.length - 1)
    throw new HestiaError('HESTIA_VALIDATION_FAILED', 'before: not a cursor from this API');
  return { raisedAtMs, id: text.slice(colon + 1) };
}

const AlarmParams = Type.Object({ alarmId: Id });
const HomeParams = Type.Object({ homeId: Id });

/**
 * Alarms and home security: a home's active alarms and history, acknowledging and clearing
 * (members and owners), the security mode (arm, disarm, home: members and owners) and the
 * heat and freeze thresholds (owners). Guests and API keys with homes:read read.
 */
export const alarmRoutes: ApiPlugin = async (app, { services }) => {
  const caller = authenticated(services.accounts);
  const security = [{ bearer: [] }];

  app.get(
    '/v1/homes/:homeId/alarms',
    {
      onRequest: caller,
      schema: {
        tags: ['alarms'],
        summary: "A home's alarms, newest first (anyone who may read the home)",
        description:
          'state=active (default) lists what needs attention; cleared or all page through the history with `before` (the previous page’s nextCursor).',
        security,
        params: HomeParams,
        querystring: Type.Object({
          state: Type.Optional(literalUnion(['active', 'cleared', 'all'])),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
          before: Type.Optional(
            Type.String({ maxLength: 400, description: 'nextCursor of the previous page' }),
          ),
        }),
        response: {
          200: Type.Object({ items: Type.Array(AlarmSchema), nextCursor: Nullable(Type.String()) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { state = 'active', limit, before } = request.query;
      const alarms = await services.alarms.list(principalOf(request), request.params.homeId, {
        state,
        limit: limit + 1,
        before: decodeBefore(before),
      });
      const items = alarms.slice(0, limit);
      const last = items[items.length - 1];
      return {
        items: items.map(presentAlarm),
        nextCursor: alarms.length > limit && last ? encodeCursor(`${last.raisedAtMs}:${last.id}`) : null,
      };
    },
  );

  app.get(
    '/v1/alarms/:alarmId',
    {
      onRequest: caller,
      schema: {
        tags: ['alarms'],
        summary: 'One alarm (anyone who may read its home)',
        security,
        params: AlarmParams,
        response: { 200: AlarmSchema, ...errorResponses },
      },
    },
    async (request) => presentAlarm(await services.alarms.get(principalOf(request), request.params.alarmId)),
  );

  app.post(
    '/v1/alarms/:alarmId/acknowledge',
    {
      onRequest: caller,
      schema: {
        tags: ['alarms'],
        summary: 'Acknowledge an alarm: seen, still active (members and owners)',
        description: 'A second acknowledgement keeps the first one’s time and person.',
        security,
        params: AlarmParams,
        response: { 200: AlarmSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentAlarm(
        await services.alarms.acknowledge(principalOf(request), request.params.alarmId, originOf(request)),
      ),
  );

  app.post(
    '/v1/alarms/:alarmId/clear',
    {
      onRequest: caller,
      schema: {
        tags: ['alarms'],
        summary: 'Clear an active alarm (members and owners); 409 HESTIA_ALARM_CLEARED when already cleared',
        security,
        params: AlarmParams,
        response: { 200: AlarmSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentAlarm(
        await services.alarms.clear(principalOf(request), request.params.alarmId, originOf(request)),
      ),
  );

  app.get(
    '/v1/homes/:homeId/security',
    {
      onRequest: caller,
      schema: {
        tags: ['alarms', 'homes'],
        summary: "A home's security mode and heat/freeze thresholds (anyone who may read the home)",
        security,
        params: HomeParams,
        response: { 200: SecuritySchema, ...errorResponses },
      },
    },
    async (request) =>
      presentSecurity(await services.alarms.security(principalOf(request), request.params.homeId)),
  );

  app.put(
    '/v1/homes/:homeId/security/mode',
    {
      onRequest: caller,
      schema: {
        tags: ['alarms', 'homes'],
        summary: 'Arm, disarm or set the home mode (members and owners)',
        description:
          'armed: motion and doors raise intrusion alarms; home: doors only (the perimeter); disarmed: none, and the active intrusion alarms are cleared. Hazards (smoke, CO, gas, leak, glass break) alarm in every mode.',
        security,
        params: HomeParams,
        body: Type.Object({ mode: literalUnion(HOME_MODES) }, strictBody),
        response: { 200: SecuritySchema, ...errorResponses },
      },
    },
    async (request) =>
      presentSecurity(
        await services.alarms.setHomeMode(
          principalOf(request),
          request.params.homeId,
          request.body.mode as (typeof HOME_MODES)[number],
          originOf(request),
        ),
      ),
  );

  app.patch(
    '/v1/homes/:homeId/security',
    {
      onRequest: caller,
      schema: {
        tags: ['alarms', 'homes'],
        summary:
          "Set the home's own heat and freeze thresholds in °C (owners); null returns one to the default",
        description:
          'A heat alarm is raised at or above heatThresholdC and a freeze alarm at or below freezeThresholdC; each clears 1 °C back inside. Heat must be at least 3 °C above freeze.',
        security,
        params: HomeParams,
        body: Type.Object(
          {
            heatThresholdC: Type.Optional(NullableThreshold('Heat alarm at or above, °C; null: the default')),
            freezeThresholdC: Type.Optional(
              NullableThreshold('Freeze alarm at or below, °C; null: the default'),
            ),
          },
          strictBody,
        ),
        response: { 200: SecuritySchema, ...errorResponses },
      },
    },
    async (request) =>
      presentSecurity(
        await services.alarms.setThresholds(
          principalOf(request),
          request.params.homeId,
          // The schema (a type list TypeBox does not infer) admits only these.
          request.body as { heatThresholdC?: number | null; freezeThresholdC?: number | null },
          originOf(request),
        ),
      ),
  );
};
