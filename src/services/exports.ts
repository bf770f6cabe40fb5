import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { AppContext } from '../core/context.ts';
import type { Device } from '../core/domain/device.ts';
import type { Gateway } from '../core/domain/gateway.ts';
import { HestiaError } from '../core/errors.ts';
import { splitByMonth, usageMonth } from '../core/domain/telemetry.ts';
import type { Authorizer } from './authorization.ts';
import { neutraliseFormula } from './gateway-csv.ts';
import type { Principal } from './principal.ts';

/**
 * History export (CSV or JSON, streamed page by page, so any range is served in constant
 * memory) and the providers' per-gateway monthly report.
 */

export type ExportFormat = 'csv' | 'json';

export interface ExportDeps {
  authorize: Authorizer;
}

/** Readings per page read from the store while streaming. */
const EXPORT_PAGE = 5000;
const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;
const MAX_REPORT_MONTHS = 24;
const CSV_COLUMNS = ['device_id', 'device_name', 'label', 'unit', 'time', 'ts_ms', 'value', 'text'];

interface SeriesRef {
  device: Device;
  label: string;
  unit: string | null;
}

export interface GatewayReportRow {
  month: string;
  gatewayId: string;
  name: string | null;
  homeId: string | null;
  messages: number;
  hoursOnline: number;
  alarms: number;
}

export class ExportService {
  constructor(
    private readonly ctx: AppContext,
    private readonly deps: ExportDeps,
  ) {}

  /** A device's history (one channel, or all) in [fromMs, toMs). Authorization happens before streaming. */
  async deviceHistory(
    principal: Principal,
    deviceId: string,
    query: { fromMs: number; toMs: number; label?: string | undefined; format: ExportFormat },
  ): Promise<Readable> {
    checkRange(query.fromMs, query.toMs);
    const device = await this.deps.authorize.device(principal, deviceId, 'read');
    const series = await this.seriesOf([device], query.label);
    return this.stream(series, query);
  }

  /** Every device of a home's gateways. */
  async homeHistory(
    principal: Principal,
    homeId: string,
    query: { fromMs: number; toMs: number; format: ExportFormat },
  ): Promise<Readable> {
    checkRange(query.fromMs, query.toMs);
    await this.deps.authorize.home(principal, homeId, 'read');
    const devices: Device[] = [];
    for (const gateway of await this.ctx.store.directory.gateways.listHomeGateways(homeId)) {
      devices.push(...(await this.ctx.store.devices.listGatewayDevices(gateway.id)));
    }
    return this.stream(await this.seriesOf(devices), query);
  }

  private async seriesOf(devices: Device[], label?: string): Promise<SeriesRef[]> {
    const series: SeriesRef[] = [];
    for (const device of devices) {
      const channels = (await this.ctx.store.devices.findDeviceWithChannels(device.id))?.channels ?? [];
      for (const channel of channels) {
        if (label === undefined || channel.label === label) {
          series.push({ device, label: channel.label, unit: channel.unit });
        }
      }
    }
    return series;
  }

  private stream(
    series: SeriesRef[],
    query: { fromMs: number; toMs: number; format: ExportFormat },
  ): Readable {
    const { store } = this.ctx;
    async function* chunks(): AsyncGenerator<string> {
      const json = query.format === 'json';
      if (json) {
        yield `{"from":${JSON.stringify(new Date(query.fromMs).toISOString())},"to":${JSON.stringify(new Date(query.toMs).toISOString())},"readings":[`;
      } else {
        yield stringify([CSV_COLUMNS], { record_delimiter: '\n' });
      }
      let first = true;
      for (const { device, label, unit } of series) {
        let afterMs: number | undefined;
        for (;;) {
          const page = await store.telemetry.readHistory({
            deviceId: device.id,
            label,
            fromMs: query.fromMs,
            toMs: query.toMs,
            limit: EXPORT_PAGE,
            afterMs,
            order: 'asc',
          });
          if (page.length === 0) break;
          if (json) {
            const items = page.map((r) =>
              JSON.stringify({
                deviceId: device.id,
                label,
                unit,
                ts: new Date(r.tsMs).toISOString(),
                tsMs: r.tsMs,
                value: r.value,
                text: r.text,
              }),
            );
            yield (first ? '' : ',') + items.join(',');
          } else {
            yield stringify(
              page.map((r) => [
                device.id,
                neutraliseFormula(device.name ?? ''),
                neutraliseFormula(label),
                neutraliseFormula(unit ?? ''),
                new Date(r.tsMs).toISOString(),
                r.tsMs,
                r.value ?? '',
                neutraliseFormula(r.text ?? ''),
              ]),
              { record_delimiter: '\n', quote_record_delimiter: true },
            );
          }
          first = false;
          if (page.length < EXPORT_PAGE) break;
          afterMs = page[page.length - 1]!.tsMs;
        }
      }
      if (json) yield ']}\n';
    }
    return Readable.from(chunks());
  }

  /**
   * Per gateway and UTC month in [fromMonth, toMonth]: messages accepted, hours online and
   * alarms raised. Every gateway of the tenant appears for every month it existed in; removed
   * gateways appear where they have figures. The current online period counts up to now.
   */
  async gatewayReport(
    principal: Principal,
    tenantId: string,
    fromMonth: string,
    toMonth: string,
  ): Promise<GatewayReportRow[]> {
    this.deps.authorize.assertTenantAdmin(principal, tenantId, 'gateways:read', 'tenant');
    const months = monthsBetween(fromMonth, toMonth);
    const { store, clock } = this.ctx;
    const gateways: Gateway[] = [];
    for (let page = await store.directory.gateways.listGateways(tenantId, { limit: 500 }); page.length > 0;) {
      gateways.push(...page);
      page =
        page.length < 500
          ? []
          : await store.directory.gateways.listGateways(tenantId, { limit: 500, after: page.at(-1)!.id });
    }
    const byId = new Map(gateways.map((g) => [g.id, g]));
    const rows = new Map<string, GatewayReportRow>();
    const row = (month: string, gatewayId: string): GatewayReportRow => {
      const key = `${month}\u0000${gatewayId}`;
      let entry = rows.get(key);
      if (!entry) {
        const gateway = byId.get(gatewayId);
        entry = {
          month,
          gatewayId,
          name: gateway?.name ?? null,
          homeId: gateway?.homeId ?? null,
          messages: 0,
          hoursOnline: 0,
          alarms: 0,
        };
        rows.set(key, entry);
      }
      return entry;
    };
    for (const month of months) {
      const monthEnd = Date.parse(`${nextMonth(month)}-01T00:00:00Z`);
      for (const gateway of gateways) if (gateway.createdAtMs < monthEnd) row(month, gateway.id);
    }
    for (const usage of await store.telemetry.listGatewayUsage(
      tenantId,
      months[0]!,
      months[months.length - 1]!,
    )) {
      const entry = row(usage.month, usage.gatewayId);
      entry.messages = usage.messages;
      entry.hoursOnline += usage.onlineMs / 3_600_000;
      entry.alarms = usage.alarms;
    }
    const nowMs = clock.now();
    const wanted = new Set(months);
    for (const gateway of gateways) {
      if (gateway.status !== 'online' || gateway.statusChangedAtMs === null) continue;
      for (const part of splitByMonth(gateway.statusChangedAtMs, nowMs)) {
        if (wanted.has(part.month)) row(part.month, gateway.id).hoursOnline += part.ms / 3_600_000;
      }
    }
    return [...rows.values()]
      .map((r) => ({ ...r, hoursOnline: Math.round(r.hoursOnline * 100) / 100 }))
      .sort((a, b) => a.month.localeCompare(b.month) || (a.gatewayId < b.gatewayId ? -1 : 1));
  }

  /** The report as CSV, for spreadsheets. */
  static reportCsv(rows: GatewayReportRow[]): string {
    return stringify(
      rows.map((r) => [
        r.month,
        r.gatewayId,
        neutraliseFormula(r.name ?? ''),
        r.homeId ?? '',
        r.messages,
        r.hoursOnline,
        r.alarms,
      ]),
      {
        header: true,
        columns: ['month', 'gateway_id', 'name', 'home_id', 'messages', 'hours_online', 'alarms'],
        record_delimiter: '\n',
        quote_record_delimiter: true,
      },
    );
  }

  /** The current UTC month. */
  currentMonth(): string {
    return usageMonth(this.ctx.clock.now());
  }
}

function checkRange(fromMs: number, toMs: number): void {
  if (!(toMs > fromMs)) throw new HestiaError('HESTIA_VALIDATION_FAILED', 'to: must be after from');
}

function nextMonth(month: string): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, '0')}`;
}

function monthsBetween(fromMonth: string, toMonth: string): string[] {
  for (const [name, value] of [
    ['from', fromMonth],
    ['to', toMonth],
  ] as const) {
    if (!MONTH_PATTERN.test(value)) {
      throw new HestiaError(
        'HESTIA_VALIDATION_FAILED',
        `${name}: expected a month as YYYY-MM, got ${JSON.stringify(value)}`,
      );
    }
  }
  if (toMonth < fromMonth) throw new HestiaError('HESTIA_VALIDATION_FAILED', 'to: must not be before from');
  const months = [fromMonth];
  while (months[months.length - 1] !== toMonth) {
    months.push(nextMonth(months[months.length - 1]!));
    if (months.length > MAX_REPORT_MONTHS) {
      throw new HestiaError(
        'HESTIA_VALIDATION_FAILED',
        `a report covers at most ${MAX_REPORT_MONTHS} months`,
      );
    }
  }
  return months;
}
