import { useRef, useState } from 'preact/hooks';
import { api, ApiError, type Channel, type Device, type Home, type Room } from '../api.ts';
import { errorText, formatDateTime, unitOf } from '../format.ts';
import { useResource } from '../hooks.ts';
import { hasMessage, useI18n, type Translate } from '../i18n.ts';
import { canControl } from '../model.ts';
import { useSubmission } from './form.tsx';
import { ErrorMessage, Loading, Section } from './status.tsx';
import './device-settings.css';

/** What `GET` and `PATCH /v1/devices/{id}` tell beyond the dashboard's `Device`. */
export interface DeviceDetails extends Device {
  nodeId?: string | null;
  networkId?: string | null;
  createdAt?: string;
  /** Expected seconds between reports: the device's own, else the default. */
  reportIntervalSeconds?: number;
  /** Whether `reportIntervalSeconds` is the device's own (else it is the default). */
  ownReportInterval?: boolean;
}

/** The API's bounds of a device's reporting interval (1 second to 7 days). */
const INTERVAL_SECONDS = { min: 1, max: 7 * 24 * 60 * 60 } as const;

type IntervalUnit = 'seconds' | 'minutes' | 'hours';
const UNIT_SECONDS: Record<IntervalUnit, number> = { seconds: 1, minutes: 60, hours: 3600 };
const UNITS: readonly IntervalUnit[] = ['seconds', 'minutes', 'hours'];
/** Intl's unit identifiers, for a duration read out in the person's language. */
const INTL_UNIT: Record<IntervalUnit, string> = { seconds: 'second', minutes: 'minute', hours: 'hour' };

type Field = 'name' | 'roomId' | 'reportIntervalSeconds';
type FieldErrors = Partial<Record<Field, string>>;

interface Draft {
  name: string;
  roomId: string;
  /** What is typed; empty: the default interval. */
  interval: string;
  unit: IntervalUnit;
}

/** The largest unit that expresses `seconds` as a whole number. */
function unitFor(seconds: number): IntervalUnit {
  if (seconds % UNIT_SECONDS.hours === 0) return 'hours';
  if (seconds % UNIT_SECONDS.minutes === 0) return 'minutes';
  return 'seconds';
}

/** A duration in words, e.g. "1 hour", "90 seconds", "5 分钟". */
export function formatInterval(seconds: number, locale: string): string {
  const unit = unitFor(seconds);
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: INTL_UNIT[unit],
    unitDisplay: 'long',
  }).format(seconds / UNIT_SECONDS[unit]);
}

function draftOf(device: DeviceDetails): Draft {
  const own = device.ownReportInterval === true ? device.reportIntervalSeconds : undefined;
  const unit = own === undefined ? 'minutes' : unitFor(own);
  return {
    name: device.name ?? '',
    roomId: device.roomId ?? '',
    interval: own === undefined ? '' : String(own / UNIT_SECONDS[unit]),
    unit,
  };
}

/** The interval a draft asks for (null: the default), or the text of why it cannot be sent. */
function intervalOf(draft: Draft, t: Translate): { seconds: number | null } | { error: string } {
  const typed = draft.interval.trim();
  if (typed === '') return { seconds: null };
  if (!/^\d+$/.test(typed)) return { error: t('deviceSettings.intervalWhole') };
  const perUnit = UNIT_SECONDS[draft.unit];
  const seconds = Number(typed) * perUnit;
  if (seconds < INTERVAL_SECONDS.min || seconds > INTERVAL_SECONDS.max)
    return {
      error: t('deviceSettings.intervalRange', {
        min: Math.max(1, Math.ceil(INTERVAL_SECONDS.min / perUnit)),
        max: Math.floor(INTERVAL_SECONDS.max / perUnit),
        unit: t(`deviceSettings.unit.${draft.unit}`),
      }),
    };
  return { seconds };
}

/**
 * The field a refused request names: the service's "reportIntervalSeconds: …" or the schema's
 * "body/reportIntervalSeconds must be …"; null when it names none of the form's fields.
 */
function fieldOfError(error: unknown): Field | null {
  if (!(error instanceof ApiError) || error.code !== 'HESTIA_VALIDATION_FAILED') return null;
  const named = /^(?:body\/)?(name|roomId|reportIntervalSeconds)\b/.exec(error.message);
  return (named?.[1] as Field | undefined) ?? null;
}

/** The device with the settings of a saved answer, keeping its live channel values. */
function withSettings(device: DeviceDetails, saved: DeviceDetails): DeviceDetails {
  return {
    ...device,
    name: saved.name,
    roomId: saved.roomId,
    reportIntervalSeconds: saved.reportIntervalSeconds,
    ownReportInterval: saved.ownReportInterval,
  };
}

/** Whether the person may change a device of this home (null: a device in no home, seen by staff). */
export function canEditDevice(home: Home | null): boolean {
  return home === null || canControl(home);
}

/** The id of the settings section's heading, for a link to it. */
export const DEVICE_SETTINGS_ANCHOR = 'device-settings';

/**
 * A device's settings and facts: those who may control its home (owners, members, the
 * provider's staff) name it, put it in a room and set how often it should report; guests see
 * the facts only.
 */
export function DeviceSettings(props: {
  device: DeviceDetails;
  home: Home | null;
  onSaved: (change: (device: DeviceDetails) => DeviceDetails) => void;
}) {
  const { t } = useI18n();
  const { device, home } = props;
  const editable = canEditDevice(home);
  const facts = <DeviceFacts device={device} timezone={home?.timezone} titled={editable} />;
  if (!editable)
    return (
      <Section id={DEVICE_SETTINGS_ANCHOR} title={t('deviceSettings.facts')}>
        <div class="card" data-testid="device-facts-card">
          {facts}
          <p class="hint">{t('deviceSettings.readOnly')}</p>
        </div>
      </Section>
    );
  return (
    <Section id={DEVICE_SETTINGS_ANCHOR} title={t('deviceSettings.title')}>
      <div class="device-columns">
        <div class="card">
          <SettingsForm key={device.id} device={device} homeId={home?.id ?? null} onSaved={props.onSaved} />
        </div>
        <div class="card" data-testid="device-facts-card">
          {facts}
        </div>
      </div>
    </Section>
  );
}

function SettingsForm(props: {
  device: DeviceDetails;
  homeId: string | null;
  onSaved: (change: (device: DeviceDetails) => DeviceDetails) => void;
}) {
  const { t, locale } = useI18n();
  const { device, homeId } = props;
  const [draft, setDraft] = useState<Draft>(() => draftOf(device));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saved, setSaved] = useState(false);
  const submission = useSubmission();
  const nameInput = useRef<HTMLInputElement>(null);
  const roomSelect = useRef<HTMLSelectElement>(null);
  const intervalInput = useRef<HTMLInputElement>(null);
  const rooms = useResource(
    (signal) =>
      homeId === null
        ? Promise.resolve([])
        : api
            .get<{ items: Room[] }>(`/v1/homes/${encodeURIComponent(homeId)}/rooms`, { signal })
            .then((page) => page.items),
    [homeId],
  );

  const change = (patch: Partial<Draft>, field: Field) => {
    setDraft((previous) => ({ ...previous, ...patch }));
    setErrors((previous) => ({ ...previous, [field]: undefined }));
    setSaved(false);
  };
  const focus = (field: Field) =>
    ({ name: nameInput, roomId: roomSelect, reportIntervalSeconds: intervalInput })[field].current?.focus();

  const submit = (event: Event) => {
    event.preventDefault();
    setSaved(false);
    const found: FieldErrors = {};
    const name = draft.name.trim();
    // A device never named may stay unnamed; a name once given can be changed, not removed.
    if ((name === '' && device.name !== null) || name.length > 100)
      found.name = t('deviceSettings.nameRequired');
    const interval = intervalOf(draft, t);
    if ('error' in interval) found.reportIntervalSeconds = interval.error;
    setErrors(found);
    const first = (['name', 'reportIntervalSeconds'] as const).find((field) => found[field]);
    if (first || 'error' in interval) {
      if (first) focus(first);
      return;
    }
    const body: { name?: string; roomId?: string | null; reportIntervalSeconds?: number | null } = {};
    if (name !== '' && name !== device.name) body.name = name;
    if (draft.roomId !== (device.roomId ?? '')) body.roomId = draft.roomId === '' ? null : draft.roomId;
    const ownInterval = device.ownReportInterval === true ? (device.reportIntervalSeconds ?? null) : null;
    if (interval.seconds !== ownInterval) body.reportIntervalSeconds = interval.seconds;
    void submission.run(async () => {
      try {
        const answer = await api.patch<DeviceDetails>(`/v1/devices/${encodeURIComponent(device.id)}`, body);
        props.onSaved((shown) => withSettings(shown, answer));
        setDraft(draftOf(answer));
        setSaved(true);
      } catch (error) {
        const field = fieldOfError(error);
        if (!field) throw error;
        setErrors({ [field]: errorText(error, t) });
        focus(field);
      }
    });
  };

  const defaultInterval =
    device.ownReportInterval === false && device.reportIntervalSeconds !== undefined
      ? formatInterval(device.reportIntervalSeconds, locale)
      : null;
  const roomList = rooms.state.data ?? [];
  const invalid = (field: Field) => (errors[field] ? { 'aria-invalid': true as const } : {});
  const describedBy = (field: Field, hintId?: string) =>
    [errors[field] ? `device-settings-${field}-error` : '', hintId ?? ''].filter(Boolean).join(' ') ||
    undefined;
  const fieldError = (field: Field) =>
    errors[field] && (
      <p
        class="device-settings-error"
        id={`device-settings-${field}-error`}
        data-testid={`device-settings-${field}-error`}
      >
        {errors[field]}
      </p>
    );

  return (
    <form class="device-settings-form" data-testid="device-settings" onSubmit={submit} noValidate>
      <div class="field">
        <label for="device-settings-name">{t('deviceSettings.name')}</label>
        <input
          ref={nameInput}
          id="device-settings-name"
          type="text"
          maxLength={100}
          autocomplete="off"
          value={draft.name}
          onInput={(event) => change({ name: event.currentTarget.value }, 'name')}
          aria-describedby={describedBy('name', 'device-settings-name-hint')}
          {...invalid('name')}
        />
        {fieldError('name')}
        <span class="hint" id="device-settings-name-hint">
          {t('deviceSettings.nameHint')}
        </span>
      </div>

      {homeId !== null && (
        <div class="field">
          <label for="device-settings-room">{t('deviceSettings.room')}</label>
          {rooms.state.status === 'error' ? (
            <ErrorMessage error={rooms.state.error} onRetry={() => rooms.reload()} />
          ) : rooms.state.data === undefined ? (
            <Loading />
          ) : null}
          <select
            ref={roomSelect}
            id="device-settings-room"
            value={draft.roomId}
            disabled={rooms.state.data === undefined}
            onChange={(event) => change({ roomId: event.currentTarget.value }, 'roomId')}
            aria-describedby={describedBy(
              'roomId',
              roomList.length === 0 ? 'device-settings-room-hint' : undefined,
            )}
            {...invalid('roomId')}
          >
            <option value="">{t('deviceSettings.noRoom')}</option>
            {[...roomList]
              .sort((a, b) => a.name.localeCompare(b.name, locale))
              .map((room) => (
                <option key={room.id} value={room.id}>
                  {room.name}
                </option>
              ))}
            {/* A room the list does not (yet) hold stays chosen rather than silently changing. */}
            {draft.roomId !== '' &&
              rooms.state.data !== undefined &&
              !roomList.some((r) => r.id === draft.roomId) && (
                <option value={draft.roomId}>{draft.roomId}</option>
              )}
          </select>
          {fieldError('roomId')}
          {rooms.state.data !== undefined && roomList.length === 0 && (
            <span class="hint" id="device-settings-room-hint">
              {t('deviceSettings.noRooms')}
            </span>
          )}
        </div>
      )}

      <div class="field">
        <label for="device-settings-interval">{t('deviceSettings.interval')}</label>
        <div class="device-settings-interval">
          <input
            ref={intervalInput}
            id="device-settings-interval"
            type="text"
            inputMode="numeric"
            autocomplete="off"
            placeholder={t('deviceSettings.intervalDefault')}
            value={draft.interval}
            onInput={(event) => change({ interval: event.currentTarget.value }, 'reportIntervalSeconds')}
            aria-describedby={describedBy('reportIntervalSeconds', 'device-settings-interval-hint')}
            {...invalid('reportIntervalSeconds')}
          />
          <select
            id="device-settings-interval-unit"
            aria-label={t('deviceSettings.intervalUnit')}
            value={draft.unit}
            onChange={(event) =>
              change({ unit: event.currentTarget.value as IntervalUnit }, 'reportIntervalSeconds')
            }
          >
            {UNITS.map((unit) => (
              <option key={unit} value={unit}>
                {t(`deviceSettings.unit.${unit}`)}
              </option>
            ))}
          </select>
        </div>
        {fieldError('reportIntervalSeconds')}
        <span class="hint" id="device-settings-interval-hint">
          {defaultInterval
            ? t('deviceSettings.intervalHint', { interval: defaultInterval })
            : t('deviceSettings.intervalHintUnknown')}
        </span>
      </div>

      {submission.error !== null && <ErrorMessage error={submission.error} />}
      {saved && (
        <p class="notice notice-ok" role="status" data-testid="device-settings-saved">
          {t('deviceSettings.saved')}
        </p>
      )}
      <button
        type="submit"
        class="button button-primary"
        data-testid="device-settings-save"
        disabled={submission.busy}
      >
        {submission.busy ? t('common.saving') : t('deviceSettings.save')}
      </button>
    </form>
  );
}

/** A channel as "Temperature: Temperature, °C": the gateway's label and what Hestia made of it. */
function channelFact(channel: Channel, t: Translate): string {
  const key = `cap.${channel.capability ?? ''}`;
  const capability =
    channel.capability === null
      ? t('deviceSettings.unknownCapability')
      : hasMessage(key)
        ? t(key)
        : channel.capability;
  const unit = unitOf(channel.capability, channel.unit);
  return unit
    ? t('deviceSettings.channelUnit', { name: channel.label, capability, unit })
    : t('deviceSettings.channel', { name: channel.label, capability });
}

function DeviceFacts(props: { device: DeviceDetails; timezone: string | undefined; titled: boolean }) {
  const { t, locale } = useI18n();
  const { device, timezone } = props;
  const when = (iso: string) => formatDateTime(iso, locale, timezone);
  const interval = device.reportIntervalSeconds;
  return (
    <>
      {props.titled && <h3>{t('deviceSettings.facts')}</h3>}
      <dl class="device-facts" data-testid="device-facts">
        <div>
          <dt>{t('deviceSettings.type')}</dt>
          <dd data-testid="device-fact-type">{device.type}</dd>
        </div>
        <div>
          <dt>{t('deviceSettings.protocol')}</dt>
          <dd data-testid="device-fact-protocol">{device.protocol}</dd>
        </div>
        <div>
          <dt>{t('deviceSettings.gateway')}</dt>
          <dd class="mono" data-testid="device-fact-gateway">
            {device.gatewayId}
          </dd>
        </div>
        {device.nodeId && (
          <div>
            <dt>{t('deviceSettings.nodeId')}</dt>
            <dd class="mono">{device.nodeId}</dd>
          </div>
        )}
        {device.lastHeardAt !== undefined && (
          <div>
            <dt>{t('deviceSettings.lastHeard')}</dt>
            <dd data-testid="device-fact-last-heard">
              {device.lastHeardAt ? when(device.lastHeardAt) : t('common.never')}
            </dd>
          </div>
        )}
        {interval !== undefined && (
          <div>
            <dt>{t('deviceSettings.reports')}</dt>
            <dd data-testid="device-fact-interval" data-seconds={interval}>
              {t(device.ownReportInterval ? 'deviceSettings.ownInterval' : 'deviceSettings.defaultInterval', {
                interval: formatInterval(interval, locale),
              })}
            </dd>
          </div>
        )}
        {device.createdAt && (
          <div>
            <dt>{t('deviceSettings.added')}</dt>
            <dd>{when(device.createdAt)}</dd>
          </div>
        )}
        <div>
          <dt>{t('deviceSettings.channels')}</dt>
          <dd data-testid="device-fact-channels">
            {device.channels.length === 0 ? (
              t('deviceSettings.noChannels')
            ) : (
              <ul class="device-facts-channels">
                {device.channels.map((channel) => (
                  <li key={channel.label}>{channelFact(channel, t)}</li>
                ))}
              </ul>
            )}
          </dd>
        </div>
      </dl>
    </>
  );
}
