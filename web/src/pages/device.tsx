import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, type Aggregate, type Chart, type Energy, type Gateway, type Home } from '../api.ts';
import { BarChart, type Bar } from '../components/bars.tsx';
import { Chart45 } from '../components/chart45.tsx';
import { CommandControls } from '../components/commands.tsx';
import { ChannelList } from '../components/device-card.tsx';
import {
  DEVICE_SETTINGS_ANCHOR,
  DeviceSettings,
  canEditDevice,
  type DeviceDetails,
} from '../components/device-settings.tsx';
import { AvailabilityBadge, ErrorMessage, Loading, PageError, Section } from '../components/status.tsx';
import { channelName, formatDateTime, formatMeasure } from '../format.ts';
import { useResource, useTitle } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import {
  applyToDevice,
  canControl,
  chartableChannels,
  deviceName,
  mergeDevice,
  startOfLocalDay,
} from '../model.ts';
import { deviceHomes, showHome, useLive } from '../state.ts';
import { arrival } from './homes.tsx';

const DAY_MS = 86_400_000;
const CHART_DAYS = 45;
const CHART_POINTS = 1000;

interface DeviceView {
  device: DeviceDetails;
  /** Null for a device whose gateway is in no home (the provider's staff may see those). */
  home: Home | null;
}

async function loadDevice(deviceId: string, signal: AbortSignal): Promise<DeviceView> {
  const id = encodeURIComponent(deviceId);
  const known = deviceHomes.get(deviceId);
  const [device, knownHome] = await Promise.all([
    api.get<DeviceDetails>(`/v1/devices/${id}`, { signal }),
    known ? api.get<Home>(`/v1/homes/${encodeURIComponent(known)}`, { signal }) : Promise.resolve(null),
  ]);
  if (knownHome) return { device, home: knownHome };
  const gateway = await api.get<Gateway>(`/v1/gateways/${encodeURIComponent(device.gatewayId)}`, { signal });
  if (!gateway.homeId) return { device, home: null };
  const home = await api.get<Home>(`/v1/homes/${encodeURIComponent(gateway.homeId)}`, { signal });
  deviceHomes.set(deviceId, home.id);
  return { device, home };
}

/**
 * A device: its current values, what can be done with it (commands and their status), its
 * 45-day chart with zoom, the daily mean of the last week, for meters the energy per day of
 * this month and per month of this year, and its settings (name, room, reporting interval)
 * with its facts.
 */
export function DevicePage({ deviceId }: { deviceId: string }) {
  const { t, locale } = useI18n();
  const { query, path, route } = useLocation();
  const view = useResource(
    (signal) => loadDevice(deviceId, signal),
    [deviceId],
    (shown, fresh) => ({
      ...fresh,
      device: { ...fresh.device, ...mergeDevice(shown.device, fresh.device) },
    }),
  );
  const homeId = view.state.data?.home?.id;
  useTitle(view.state.data ? deviceName(view.state.data.device) : undefined);

  useEffect(() => {
    arrival.pending = false;
  }, []);
  useEffect(() => {
    if (homeId) showHome(homeId);
  }, [homeId]);

  useLive(
    (message) => {
      if ('homeId' in message && message.homeId !== homeId) return;
      view.update((data) => ({
        ...data,
        device: { ...data.device, ...applyToDevice(data.device, message) },
      }));
    },
    () => view.reload(true),
  );

  const { state } = view;
  if (state.data === undefined)
    return state.status === 'error' ? (
      <PageError error={state.error} onRetry={() => view.reload()} />
    ) : (
      <div class="page">
        <Loading />
      </div>
    );

  const { device, home } = state.data;
  const timezone = home?.timezone ?? 'UTC';
  const chartable = chartableChannels(device);
  const label = chartable.find((c) => c.label === query.label)?.label ?? chartable[0]?.label;
  const channel = chartable.find((c) => c.label === label);
  const energy = device.channels.find((c) => c.capability === 'energy');
  const format = (value: number) =>
    formatMeasure(value, channel?.capability ?? null, channel?.unit ?? null, locale);

  return (
    <div class="page device-page">
      <div class="page-head">
        <div>
          {home && (
            <a class="back-link" href={`/homes/${encodeURIComponent(home.id)}`}>
              ← {t('device.back', { home: home.name })}
            </a>
          )}
          <h1>{deviceName(device)}</h1>
          <p class="muted">
            {device.lastHeardAt !== undefined &&
              t('device.lastHeard', {
                time: device.lastHeardAt
                  ? formatDateTime(device.lastHeardAt, locale, timezone)
                  : t('common.never'),
              })}
            {device.lastHeardAt !== undefined && ' · '}
            <a href={`#${DEVICE_SETTINGS_ANCHOR}`} data-testid="device-settings-link">
              {canEditDevice(home) ? t('deviceSettings.jump') : t('deviceSettings.facts')}
            </a>
          </p>
        </div>
        <AvailabilityBadge availability={device.availability ?? 'online'} />
      </div>
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={() => view.reload()} />}

      <div class="device-columns">
        <Section id="device-now" title={t('device.current')} class="card">
          <ChannelList device={device} />
        </Section>
        <Section id="device-controls" title={t('device.controls')} class="card">
          <CommandControls device={device} guest={home !== null && !canControl(home)} />
        </Section>
      </div>

      <Section id="device-history" title={t('device.history')}>
        {chartable.length === 0 || !label ? (
          <p class="muted">{t('device.noChannels')}</p>
        ) : (
          <>
            {chartable.length > 1 && (
              <div class="field-inline">
                <label class="field-label" for="chart-channel">
                  {t('device.channel')}
                </label>
                <select
                  id="chart-channel"
                  value={label}
                  onChange={(event) =>
                    route(`${path}?label=${encodeURIComponent(event.currentTarget.value)}`, true)
                  }
                >
                  {chartable.map((c) => (
                    <option key={c.label} value={c.label}>
                      {channelName(c, t)}
                    </option>
                  ))}
                </select>
              </div>
            )}
            <div class="card">
              <h3>
                {t('device.chart45')} · {channel ? channelName(channel, t) : label}
              </h3>
              <HistoryChart deviceId={device.id} label={label} format={format} />
            </div>
            {/* The mean of a cumulative meter says nothing: its energy bars below do. */}
            {channel?.capability !== 'energy' && (
              <div class="card">
                <WeekBars deviceId={device.id} label={label} timezone={timezone} format={format} />
              </div>
            )}
          </>
        )}
        {energy && (
          <div class="device-columns">
            <div class="card">
              <EnergyBars deviceId={device.id} label={energy.label} period="month" />
            </div>
            <div class="card">
              <EnergyBars deviceId={device.id} label={energy.label} period="year" />
            </div>
          </div>
        )}
      </Section>

      <DeviceSettings
        device={device}
        home={home}
        onSaved={(change) => view.update((data) => ({ ...data, device: change(data.device) }))}
      />
    </div>
  );
}

function HistoryChart(props: { deviceId: string; label: string; format: (value: number) => string }) {
  const [requestedAt, setRequestedAt] = useState(0);
  const chart = useResource(
    (signal) => {
      setRequestedAt(performance.now());
      const toMs = Date.now() + 60_000;
      return api.get<Chart>(`/v1/devices/${encodeURIComponent(props.deviceId)}/chart`, {
        query: {
          label: props.label,
          from: new Date(toMs - CHART_DAYS * DAY_MS).toISOString(),
          to: new Date(toMs).toISOString(),
          points: CHART_POINTS,
        },
        signal,
      });
    },
    [props.deviceId, props.label],
  );
  const { state } = chart;
  if (state.status === 'error') return <ErrorMessage error={state.error} onRetry={() => chart.reload()} />;
  if (state.data === undefined) return <Loading />;
  return <Chart45 chart={state.data} format={props.format} requestedAt={requestedAt} />;
}

function WeekBars(props: {
  deviceId: string;
  label: string;
  timezone: string;
  format: (value: number) => string;
}) {
  const { t, locale } = useI18n();
  const week = useResource(
    (signal) => {
      const now = Date.now();
      return api.get<Aggregate>(`/v1/devices/${encodeURIComponent(props.deviceId)}/aggregate`, {
        query: {
          label: props.label,
          from: new Date(startOfLocalDay(now - 6 * DAY_MS, props.timezone)).toISOString(),
          to: new Date(now + 60_000).toISOString(),
          agg: 'mean',
          interval: '1d',
          fill: 'null',
        },
        signal,
      });
    },
    [props.deviceId, props.label, props.timezone],
  );
  const { state } = week;
  const title = t('device.week');
  if (state.status === 'error')
    return (
      <>
        <h3>{title}</h3>
        <ErrorMessage error={state.error} onRetry={() => week.reload()} />
      </>
    );
  if (state.data === undefined) return <Loading />;
  const { timezone } = state.data;
  const short = new Intl.DateTimeFormat(locale, { weekday: 'short', day: 'numeric', timeZone: timezone });
  const long = new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeZone: timezone });
  const bars: Bar[] = state.data.points.map((p) => ({
    key: p.tsMs,
    label: short.format(p.tsMs),
    title: long.format(p.tsMs),
    value: p.value,
  }));
  return <BarChart testId="chart-week" title={title} bars={bars} format={props.format} />;
}

function EnergyBars(props: { deviceId: string; label: string; period: 'month' | 'year' }) {
  const { t, locale } = useI18n();
  const energy = useResource(
    (signal) =>
      api.get<Energy>(`/v1/devices/${encodeURIComponent(props.deviceId)}/energy`, {
        query: { label: props.label, period: props.period },
        signal,
      }),
    [props.deviceId, props.label, props.period],
  );
  const title = t(props.period === 'month' ? 'device.energyMonth' : 'device.energyYear');
  const testId = `energy-${props.period}`;
  const { state } = energy;
  if (state.status === 'error')
    return (
      <div data-testid={testId} data-ready="false">
        <h3>{title}</h3>
        <ErrorMessage error={state.error} onRetry={() => energy.reload()} />
      </div>
    );
  if (state.data === undefined) return <Loading />;
  const { timezone, unit } = state.data;
  const format = (value: number) => formatMeasure(value, 'energy', unit, locale);
  const short = new Intl.DateTimeFormat(
    locale,
    props.period === 'month'
      ? { day: 'numeric', timeZone: timezone }
      : { month: 'short', timeZone: timezone },
  );
  const long = new Intl.DateTimeFormat(
    locale,
    props.period === 'month'
      ? { dateStyle: 'full', timeZone: timezone }
      : { month: 'long', year: 'numeric', timeZone: timezone },
  );
  const bars: Bar[] = state.data.points.map((p) => ({
    key: p.tsMs,
    label: short.format(p.tsMs),
    title: long.format(p.tsMs),
    value: p.value,
  }));
  return (
    <BarChart
      testId={testId}
      title={title}
      bars={bars}
      format={format}
      footer={t('device.total', { value: format(state.data.total) })}
    />
  );
}
