import { Type } from '@sinclair/typebox';
import type { Device } from '../../core/domain/device.ts';
import { HestiaError } from '../../core/errors.ts';
import {
  AGGREGATE_FUNCTIONS,
  FILL_POLICIES,
  type AggregatePoint,
  type FillPolicy,
} from '../../services/statistics.ts';
import { authenticated, principalOf } from '../auth.ts';
import type { Principal } from '../../services/principal.ts';
import { presentDeviceWithPresence, presentReading, valueInUnits } from '../presenters/telemetry.ts';
import { decodeNumericCursor, encodeCursor, parseTime } from '../paging.ts';
import { REPORT_INTERVAL_RANGE } from '../../services/presence.ts';
import {
  DeviceSchema,
  ReadingSchema,
  TimeParam,
  UnitsQuery,
  errorResponses,
  strictBody,
} from '../schemas.ts';
import type { ApiContext, ApiPlugin } from '../context.ts';
import { iso } from '../presenters/time.ts';

const DeviceParams = Type.Object({ deviceId: Type.String({ minLength: 1, maxLength: 64 }) });
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
const AggregatePointSchema = Type.Object({
  ts: Type.String({ format: 'date-time' }),
  tsMs: Type.Number(),
  value: NullableNumber,
  count: Type.Integer({ description: 'Readings in the bucket' }),
});
const SourcesSchema = Type.Object(
  { raw: Type.Integer(), hourly: Type.Integer(), daily: Type.Integer() },
  {
    description:
      'How many contiguous time ranges (one read each) came from raw readings, hourly rollups and daily rollups',
  },
);
const presentPoint = (p: AggregatePoint) => ({
  ts: iso(p.tsMs),
  tsMs: p.tsMs,
  value: p.value,
  count: p.count,
});
const TimezoneParam = Type.Optional(
  Type.String({
    maxLength: 64,
    description: "IANA timezone, e.g. Europe/Moscow; default the home's timezone (UTC without a home)",
  }),
);
const DAY_MS = 86_400_000;
const literalUnion = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));

/** The timezone of the home the device's gateway is registered to: the home's calendar. */
async function homeTimezone({ ctx }: ApiContext, device: Device): Promise<string | undefined> {
  const gateway = await ctx.store.directory.gateways.findGateway(device.gatewayId);
  return gateway?.homeId ? (await ctx.store.directory.homes.findHome(gateway.homeId))?.timezone : undefined;
}

/** A device the caller may read: its home's members and guests, its provider's staff. */
function loadDevice({ services }: ApiContext, principal: Principal, deviceId: string): Promise<Device> {
  return services.authorize.device(principal, deviceId, 'read');
}

/** A device, its raw history and its aggregated series. */
export const deviceRoutes: ApiPlugin = async (app, api) => {
  const { ctx, services } = api;
  const caller = authenticated(services.accounts);
  const security = [{ bearer: [] }];

  app.get(
    '/v1/devices/:deviceId',
    {
      onRequest: caller,
      schema: {
        tags: ['devices'],
        summary: 'One device with the current state of every channel and its availability',
        description:
          'availability: unavailable while its gateway is not connected, stale once it missed its expected reports (channels then say current: false), else online.',
        security,
        params: DeviceParams,
        querystring: Type.Object({ units: UnitsQuery }),
        response: { 200: DeviceSchema, ...errorResponses },
      },
    },
    async (request) => {
      await loadDevice(api, principalOf(request), request.params.deviceId);
      const device = await ctx.store.devices.findDeviceWithChannels(request.params.deviceId);
      if (!device) throw new HestiaError('HESTIA_NOT_FOUND', 'No such device');
      const preview = device.type === 'camera' ? await ctx.store.devices.findPreview(device.id) : undefined;
      const presence = await services.presence.describe(device);
      return {
        ...presentDeviceWithPresence(device, presence, request.query.units ?? 'metric'),
        hasPreview: preview !== undefined,
      };
    },
  );

  app.get(
    '/v1/devices/:deviceId/preview',
    {
      onRequest: caller,
      schema: {
        tags: ['devices'],
        summary: "A camera's latest preview image",
        security,
        params: DeviceParams,
      },
    },
    async (request, reply) => {
      const device = await loadDevice(api, principalOf(request), request.params.deviceId);
      const preview = await ctx.store.devices.findPreview(device.id);
      if (!preview) throw new HestiaError('HESTIA_NOT_FOUND', 'This device has no preview');
      return reply
        .header('content-type', preview.contentType)
        .header('last-modified', new Date(preview.tsMs).toUTCString())
        .send(preview.image);
    },
  );

  app.get(
    '/v1/devices/:deviceId/history',
    {
      onRequest: caller,
      schema: {
        tags: ['devices', 'statistics'],
        summary: 'Raw readings of one channel in [from, to), paged',
        security,
        params: DeviceParams,
        querystring: Type.Object({
          label: Type.String({ minLength: 1, maxLength: 64, description: 'Channel label, e.g. Temperature' }),
          from: Type.Optional({ ...TimeParam, description: 'Inclusive; default: 24 hours before `to`' }),
          to: Type.Optional({ ...TimeParam, description: 'Exclusive; default: now' }),
          limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
          order: Type.Optional(literalUnion(['asc', 'desc'])),
          cursor: Type.Optional(
            Type.String({ maxLength: 100, description: 'nextCursor of the previous page' }),
          ),
          units: UnitsQuery,
        }),
        response: {
          200: Type.Object({
            deviceId: Type.String(),
            label: Type.String(),
            unit: Type.Optional(
              Type.Union([Type.String(), Type.Null()], {
                description: 'With units=imperial: the unit shown',
              }),
            ),
            items: Type.Array(ReadingSchema),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const device = await loadDevice(api, principalOf(request), request.params.deviceId);
      const q = request.query;
      const toMs = parseTime(q.to, 'to', ctx.clock.now() + 1);
      const fromMs = parseTime(q.from, 'from', toMs - DAY_MS);
      if (fromMs >= toMs) throw new HestiaError('HESTIA_VALIDATION_FAILED', 'from: must be before to');
      const page = await services.telemetry.history(device, {
        label: q.label,
        fromMs,
        toMs,
        limit: q.limit,
        order: q.order === 'desc' ? 'desc' : 'asc',
        afterMs: decodeNumericCursor(q.cursor),
      });
      // The series' unit is the channel's (one unit per capability); only °C changes with units.
      const units = q.units ?? 'metric';
      const storedUnit =
        units === 'imperial'
          ? ((await ctx.store.devices.findDeviceWithChannels(device.id))?.channels.find(
              (c) => c.label === q.label,
            )?.unit ?? null)
          : null;
      return {
        deviceId: device.id,
        label: q.label,
        ...(units === 'imperial' ? { unit: valueInUnits(0, storedUnit, units).unit } : {}),
        items: page.items.map((reading) => ({
          ...presentReading(reading),
          value: valueInUnits(reading.value, storedUnit, units).value,
        })),
        nextCursor: page.nextAfterMs === null ? null : encodeCursor(page.nextAfterMs),
      };
    },
  );

  app.get(
    '/v1/devices/:deviceId/aggregate',
    {
      onRequest: caller,
      schema: {
        tags: ['devices', 'statistics'],
        summary: 'One channel aggregated per calendar bucket (e.g. the mean temperature per day of a week)',
        description:
          'Buckets follow `timezone`: days run from local midnight to local midnight (23 or 25 hours across DST), weeks are ISO weeks, months are calendar months. The first bucket starts aligned, as with InfluxDB GROUP BY time().',
        security,
        params: DeviceParams,
        querystring: Type.Object({
          label: Type.String({ minLength: 1, maxLength: 64 }),
          from: TimeParam,
          to: { ...TimeParam, description: 'Exclusive' },
          agg: literalUnion(AGGREGATE_FUNCTIONS),
          interval: Type.String({
            pattern: '^\\d{1,4}(m|h|d|w|mo|y)$',
            description: 'e.g. 15m, 1h, 1d, 1w, 1mo',
          }),
          timezone: Type.Optional(
            Type.String({
              maxLength: 64,
              description:
                "IANA timezone, e.g. Europe/Moscow; default the home's timezone (UTC without a home)",
            }),
          ),
          fill: Type.Optional(literalUnion(FILL_POLICIES)),
        }),
        response: {
          200: Type.Object({
            deviceId: Type.String(),
            label: Type.String(),
            agg: Type.String(),
            interval: Type.String(),
            timezone: Type.String(),
            fill: Type.String(),
            points: Type.Array(AggregatePointSchema),
            sources: SourcesSchema,
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const device = await loadDevice(api, principalOf(request), request.params.deviceId);
      const q = request.query;
      const fill = (q.fill ?? 'null') as FillPolicy;
      const timezone = q.timezone ?? (await homeTimezone(api, device)) ?? 'UTC';
      const { points, sources } = await services.telemetry.aggregate(device, {
        label: q.label,
        fromMs: parseTime(q.from, 'from', 0),
        toMs: parseTime(q.to, 'to', 0),
        agg: q.agg,
        interval: q.interval,
        timezone,
        fill,
      });
      return {
        deviceId: device.id,
        label: q.label,
        agg: q.agg,
        interval: q.interval,
        timezone,
        fill,
        points: points.map(presentPoint),
        sources,
      };
    },
  );

  app.get(
    '/v1/devices/:deviceId/chart',
    {
      onRequest: caller,
      schema: {
        tags: ['devices', 'statistics'],
        summary: 'A channel downsampled for a chart: mean, min and max per bucket, about `points` buckets',
        description:
          'The interval is the one of 1m, 2m, 5m, 10m, 15m, 30m, 1h, 2h, 3h, 6h, 12h, 1d, 1w, 1mo whose bucket count is nearest to `points` (45 days at 1,000 points: 1h, 1,081 buckets).',
        security,
        params: DeviceParams,
        querystring: Type.Object({
          label: Type.String({ minLength: 1, maxLength: 64 }),
          from: TimeParam,
          to: { ...TimeParam, description: 'Exclusive' },
          points: Type.Optional(Type.Integer({ minimum: 10, maximum: 5000, default: 1000 })),
          timezone: TimezoneParam,
        }),
        response: {
          200: Type.Object({
            deviceId: Type.String(),
            label: Type.String(),
            interval: Type.String(),
            timezone: Type.String(),
            points: Type.Array(
              Type.Object({
                ts: Type.String({ format: 'date-time' }),
                tsMs: Type.Number(),
                mean: NullableNumber,
                min: NullableNumber,
                max: NullableNumber,
                count: Type.Integer(),
              }),
            ),
            sources: SourcesSchema,
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const device = await loadDevice(api, principalOf(request), request.params.deviceId);
      const q = request.query;
      const timezone = q.timezone ?? (await homeTimezone(api, device)) ?? 'UTC';
      const chart = await services.telemetry.chart(device, {
        label: q.label,
        fromMs: parseTime(q.from, 'from', 0),
        toMs: parseTime(q.to, 'to', 0),
        points: q.points ?? 1000,
        timezone,
      });
      return {
        deviceId: device.id,
        label: q.label,
        interval: chart.interval,
        timezone,
        points: chart.points.map((p) => ({ ts: iso(p.tsMs), ...p })),
        sources: chart.sources,
      };
    },
  );

  app.get(
    '/v1/devices/:deviceId/energy',
    {
      onRequest: caller,
      schema: {
        tags: ['devices', 'statistics'],
        summary: "A cumulative meter's consumption this day, week, month or year, per hour, day or month",
        description:
          "Consumption is the rise between consecutive readings, attributed to the bucket of the later one; a fall counts as a meter reset (the new value is what was used since). `period=month` gives energy per day this month, `period=year` per month this year, in the home's timezone. `at` picks another period (any time inside it).",
        security,
        params: DeviceParams,
        querystring: Type.Object({
          label: Type.Optional(Type.String({ minLength: 1, maxLength: 64, default: 'Energy' })),
          period: literalUnion(['day', 'week', 'month', 'year']),
          at: Type.Optional(TimeParam),
          timezone: TimezoneParam,
        }),
        response: {
          200: Type.Object({
            deviceId: Type.String(),
            label: Type.String(),
            period: Type.String(),
            interval: Type.String(),
            timezone: Type.String(),
            from: Type.String({ format: 'date-time' }),
            to: Type.String({ format: 'date-time' }),
            unit: Type.Union([Type.String(), Type.Null()]),
            total: Type.Number(),
            points: Type.Array(AggregatePointSchema),
            sources: SourcesSchema,
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const device = await loadDevice(api, principal, request.params.deviceId);
      const q = request.query;
      const label = q.label ?? 'Energy';
      const timezone = q.timezone ?? (await homeTimezone(api, device)) ?? 'UTC';
      const energy = await services.telemetry.energy(device, {
        label,
        period: q.period,
        timezone,
        atMs: q.at === undefined ? ctx.clock.now() : parseTime(q.at, 'at', 0),
      });
      const channel = (await ctx.store.devices.findDeviceWithChannels(device.id))?.channels.find(
        (c) => c.label === label,
      );
      return {
        deviceId: device.id,
        label,
        period: q.period,
        interval: energy.interval,
        timezone,
        from: iso(energy.fromMs),
        to: iso(energy.toMs),
        unit: channel?.unit ?? null,
        total: energy.total,
        points: energy.points.map(presentPoint),
        sources: energy.sources,
      };
    },
  );

  app.patch(
    '/v1/devices/:deviceId',
    {
      onRequest: caller,
      schema: {
        tags: ['devices'],
        summary:
          'Name a device, put it in a room of its home, or set how often it reports (members and owners)',
        description:
          'reportIntervalSeconds: how often the device is expected to report; it is stale after missing presence.missedReportsBeforeStale reports. null returns it to presence.defaultReportIntervalSeconds.',
        security,
        params: DeviceParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            roomId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
            // One schema with a type list, not a union: with type coercion on, a union's integer
            // branch turns null into 0, and a null branch turns 0 into null.
            reportIntervalSeconds: Type.Optional(
              Type.Unsafe<number | null>({
                type: ['integer', 'null'],
                minimum: REPORT_INTERVAL_RANGE.min,
                maximum: REPORT_INTERVAL_RANGE.max,
                description: 'Seconds; null: the default',
              }),
            ),
          },
          strictBody,
        ),
        response: { 200: DeviceSchema, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { reportIntervalSeconds, ...naming } = request.body;
      // Even an empty body needs the right to change the device (the same as naming it).
      await services.authorize.device(principal, request.params.deviceId, 'control');
      // Naming first: it validates the room, so a refused request changes nothing.
      if (naming.name !== undefined || naming.roomId !== undefined)
        await services.homes.updateDevice(principal, request.params.deviceId, naming);
      if (reportIntervalSeconds !== undefined)
        await services.presence.setReportInterval(
          principal,
          request.params.deviceId,
          // The schema (a type list TypeBox does not infer) admits only an integer or null.
          reportIntervalSeconds as number | null,
        );
      const device = await ctx.store.devices.findDeviceWithChannels(request.params.deviceId);
      if (!device) throw new HestiaError('HESTIA_NOT_FOUND', 'No such device');
      return presentDeviceWithPresence(device, await services.presence.describe(device));
    },
  );
};
