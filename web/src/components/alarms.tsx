import { api, type Alarm, type Device } from '../api.ts';
import { errorText, formatDateTime } from '../format.ts';
import { hasMessage, useI18n } from '../i18n.ts';
import { deviceName, sortAlarms } from '../model.ts';
import { useSubmission } from './form.tsx';

/** The home's active alarms, each with "Acknowledge"; nothing at all when there is none. */
export function AlarmsBanner(props: {
  alarms: Alarm[];
  devices: Device[];
  canControl: boolean;
  timezone: string;
  onChange: (alarm: Alarm) => void;
}) {
  const { t } = useI18n();
  if (props.alarms.length === 0) return null;
  const critical = props.alarms.some((alarm) => alarm.severity === 'critical');
  return (
    <section
      class={`alarms ${critical ? 'alarms-critical' : 'alarms-warning'}`}
      data-testid="alarms"
      aria-labelledby="alarms-title"
    >
      <h2 id="alarms-title">
        <span aria-hidden="true">⚠ </span>
        {t('alarms.title')} ({props.alarms.length})
      </h2>
      <ul>
        {sortAlarms(props.alarms).map((alarm) => (
          <AlarmItem
            key={alarm.id}
            alarm={alarm}
            device={props.devices.find((device) => device.id === alarm.deviceId)}
            canControl={props.canControl}
            timezone={props.timezone}
            onChange={props.onChange}
          />
        ))}
      </ul>
    </section>
  );
}

function AlarmItem(props: {
  alarm: Alarm;
  device: Device | undefined;
  canControl: boolean;
  timezone: string;
  onChange: (alarm: Alarm) => void;
}) {
  const { t, locale } = useI18n();
  const { alarm } = props;
  const { busy, error, run } = useSubmission();
  const acknowledged = alarm.acknowledgedAt !== null;
  const causeKey = `alarms.cause.${alarm.cause}`;

  const acknowledge = async () => {
    await run(async () => {
      props.onChange(await api.post<Alarm>(`/v1/alarms/${encodeURIComponent(alarm.id)}/acknowledge`));
    });
  };

  return (
    <li
      class={`alarm alarm-${alarm.severity}`}
      data-testid={`alarm-${alarm.id}`}
      data-acknowledged={acknowledged ? 'true' : 'false'}
    >
      <div class="alarm-text">
        <strong>{hasMessage(causeKey) ? t(causeKey) : alarm.cause}</strong>
        <span class="alarm-severity">{t(`alarms.severity.${alarm.severity}`)}</span>
        {props.device && (
          <a href={`/devices/${encodeURIComponent(props.device.id)}`}>{deviceName(props.device)}</a>
        )}
        <span class="muted">
          {t('alarms.raised', { time: formatDateTime(alarm.raisedAt, locale, props.timezone) })}
          {alarm.occurrences > 1 && ` · ${t('alarms.occurrences', { count: alarm.occurrences })}`}
        </span>
      </div>
      {acknowledged ? (
        <span class="badge badge-ack">{t('alarms.acknowledged')}</span>
      ) : (
        <button
          type="button"
          class="button"
          disabled={busy || !props.canControl}
          onClick={() => void acknowledge()}
        >
          {t('alarms.acknowledge')}
        </button>
      )}
      {error !== null && (
        <p class="alarm-error" role="alert">
          {errorText(error, t)}
        </p>
      )}
    </li>
  );
}
