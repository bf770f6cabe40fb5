import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { ExportService } from '../../services/exports.ts';
import { authenticated, principalOf } from '../auth.ts';
import { parseTime } from '../paging.ts';
import { TimeParam, errorResponses } from '../schemas.ts';
import type { ApiPlugin } from '../context.ts';

const FormatParam = Type.Optional(
  Type.Union([Type.Literal('csv'), Type.Literal('json')], {
    default: 'csv',
    description: 'csv (default) or json',
  }),
);
const RangeQuery = {
  from: TimeParam,
  to: { ...TimeParam, description: 'Exclusive' },
  format: FormatParam,
};
const StreamedBody = {
  description: 'Streamed: CSV with a header row, or JSON {from, to, readings: [...]}',
  content: {
    'text/csv': { schema: Type.String() },
    'application/json': {
      schema: Type.Object({ from: Type.String(), to: Type.String(), readings: Type.Array(Type.Unknown()) }),
    },
  },
};
/** Exports read much data: a handful per minute per caller is plenty for people and scripts. */
const exportRateLimit = { rateLimit: { max: 20, timeWindow: '1 minute' } };

/** History export for people and providers, and providers' monthly gateway report. */
export const exportRoutes: ApiPlugin = async (app, { services }) => {
  const caller = authenticated(services.accounts);
  const security = [{ bearer: [] }];

  app.get(
    '/v1/devices/:deviceId/export',
    {
      onRequest: caller,
      config: exportRateLimit,
      schema: {
        tags: ['devices', 'export'],
        summary: "A device's raw history for a range, streamed as CSV or JSON (one channel or all)",
        security,
        params: Type.Object({ deviceId: Type.String({ minLength: 1, maxLength: 64 }) }),
        querystring: Type.Object({
          ...RangeQuery,
          label: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        }),
        response: { 200: StreamedBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const format = q.format ?? 'csv';
      const stream = await services.exports.deviceHistory(principalOf(request), request.params.deviceId, {
        fromMs: parseTime(q.from, 'from', 0),
        toMs: parseTime(q.to, 'to', 0),
        label: q.label,
        format,
      });
      return sendExport(reply, stream, format, `device-${request.params.deviceId}`);
    },
  );

  app.get(
    '/v1/homes/:homeId/export',
    {
      onRequest: caller,
      config: exportRateLimit,
      schema: {
        tags: ['homes', 'export'],
        summary: 'The raw history of every device of a home for a range, streamed as CSV or JSON',
        security,
        params: Type.Object({ homeId: Type.String({ minLength: 1, maxLength: 64 }) }),
        querystring: Type.Object(RangeQuery),
        response: { 200: StreamedBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const format = q.format ?? 'csv';
      const stream = await services.exports.homeHistory(principalOf(request), request.params.homeId, {
        fromMs: parseTime(q.from, 'from', 0),
        toMs: parseTime(q.to, 'to', 0),
        format,
      });
      return sendExport(reply, stream, format, `home-${request.params.homeId}`);
    },
  );

  const ReportRow = Type.Object({
    month: Type.String({ description: 'UTC month, YYYY-MM' }),
    gatewayId: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
    homeId: Type.Union([Type.String(), Type.Null()]),
    messages: Type.Integer({ description: 'Uplink messages accepted' }),
    hoursOnline: Type.Number(),
    alarms: Type.Integer(),
  });

  app.get(
    '/v1/tenants/:tenantId/reports/gateways',
    {
      onRequest: caller,
      schema: {
        tags: ['tenants', 'export'],
        summary:
          'Per-gateway monthly figures: messages, hours online, alarms (tenant admins, or gateways:read)',
        description: 'Months are UTC calendar months. `format=csv` returns the same rows as CSV.',
        security,
        params: Type.Object({ tenantId: Type.String({ minLength: 1, maxLength: 64 }) }),
        querystring: Type.Object({
          from: Type.Optional(Type.String({ description: 'First month, YYYY-MM (default: this month)' })),
          to: Type.Optional(Type.String({ description: 'Last month, YYYY-MM (default: from)' })),
          format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' })),
        }),
        response: {
          200: {
            description: 'JSON {items} or CSV',
            content: {
              'application/json': { schema: Type.Object({ items: Type.Array(ReportRow) }) },
              'text/csv': { schema: Type.String() },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const from = q.from ?? services.exports.currentMonth();
      const rows = await services.exports.gatewayReport(
        principalOf(request),
        request.params.tenantId,
        from,
        q.to ?? from,
      );
      if (q.format === 'csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="gateways-${from}.csv"`)
          .send(ExportService.reportCsv(rows));
      }
      return reply.type('application/json').send({ items: rows });
    },
  );
};

function sendExport(
  reply: FastifyReply,
  stream: Readable,
  format: 'csv' | 'json',
  name: string,
): FastifyReply {
  return reply
    .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.${format}"`)
    .send(stream);
}
