import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorMessage, Loading, Section } from '../components/status.tsx';
import { formatDateTime } from '../format.ts';
import { useResource, useTitle } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import {
  PERSONAL_CHANNELS,
  SEVERITIES,
  peopleErrorText,
  type InAppNotification,
  type InAppPage,
  type PersonalChannel,
  type Preferences,
  type PushDevice,
  type Severity,
} from './api.ts';
import { ConfirmDialog, FormError } from './shared.tsx';
import './people.css';
import { useSubmission } from '../components/form.tsx';

const PREFERENCES_PATH = '/v1/me/notification-preferences';
/** How many in-app notifications the page shows. */
const LATEST_NOTIFICATIONS = 20;

/** `/settings/notifications`: how the person is notified, their phones and their in-app feed. */
export function NotificationSettingsPage() {
  const { t } = useI18n();
  useTitle(t('prefs.title'));
  return (
    <div class="page people-settings" data-testid="notification-settings">
      <div class="page-head">
        <h1>{t('prefs.title')}</h1>
      </div>
      <PreferencesSection />
      <PushDevicesSection />
      <InAppSection />
    </div>
  );
}

/** Every IANA zone the browser knows, for the quiet hours' zone. */
function timeZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
}

interface Draft {
  channels: Record<Severity, PersonalChannel[]>;
  quiet: boolean;
  start: string;
  end: string;
  /** '' for the home's zone. */
  timezone: string;
}

function draftOf(preferences: Preferences): Draft {
  return {
    channels: preferences.channels,
    quiet: preferences.quietHours !== null,
    start: preferences.quietHours?.start ?? '22:00',
    end: preferences.quietHours?.end ?? '07:00',
    timezone: preferences.quietHours?.timezone ?? '',
  };
}

function PreferencesSection() {
  const { t, locale } = useI18n();
  const preferences = useResource((signal) => api.get<Preferences>(PREFERENCES_PATH, { signal }), []);
  const [draft, setDraft] = useState<Draft | null>(null);
  const { busy, error, run } = useSubmission();
  const [saved, setSaved] = useState(false);
  const loaded = preferences.state.data;
  useEffect(() => {
    if (loaded) setDraft(draftOf(loaded));
  }, [loaded]);

  const change = (next: Partial<Draft>) => {
    setSaved(false);
    setDraft((previous) => (previous ? { ...previous, ...next } : previous));
  };

  const toggle = (severity: Severity, channel: PersonalChannel, on: boolean) => {
    if (!draft) return;
    const list = draft.channels[severity].filter((c) => c !== channel);
    change({ channels: { ...draft.channels, [severity]: on ? [...list, channel] : list } });
  };

  const save = async (event: Event) => {
    event.preventDefault();
    if (!draft) return;
    setSaved(false);
    await run(async () => {
      const answer = await api.put<Preferences>(PREFERENCES_PATH, {
        channels: draft.channels,
        quietHours: draft.quiet
          ? { start: draft.start, end: draft.end, timezone: draft.timezone || null }
          : null,
      });
      preferences.update(() => answer);
      setSaved(true);
    });
  };

  return (
    <Section title={t('prefs.channels.title')} id="prefs-heading">
      {preferences.state.status === 'error' && (
        <ErrorMessage error={preferences.state.error} onRetry={() => preferences.reload()} />
      )}
      {preferences.state.status === 'loading' && <Loading />}
      {draft && loaded && (
        <form class="card people-prefs" data-testid="preferences-form" onSubmit={(event) => void save(event)}>
          <p class="hint">{t('prefs.channels.intro')}</p>
          <div class="people-severities">
            {SEVERITIES.map((severity) => (
              <fieldset key={severity} class="people-fieldset" data-testid={`channels-${severity}`}>
                <legend>{t(`prefs.severity.${severity}`)}</legend>
                {PERSONAL_CHANNELS.map((channel) => (
                  <label key={channel} class="people-check">
                    <input
                      type="checkbox"
                      name={`${severity}-${channel}`}
                      data-testid={`channel-${severity}-${channel}`}
                      checked={draft.channels[severity].includes(channel)}
                      onChange={(event) => toggle(severity, channel, event.currentTarget.checked)}
                    />
                    {t(`prefs.channel.${channel}`)}
                  </label>
                ))}
              </fieldset>
            ))}
          </div>

          <fieldset class="people-fieldset people-quiet" data-testid="quiet-hours">
            <legend>{t('prefs.quiet.title')}</legend>
            <label class="people-check">
              <input
                type="checkbox"
                name="quiet"
                data-testid="quiet-enabled"
                checked={draft.quiet}
                onChange={(event) => change({ quiet: event.currentTarget.checked })}
              />
              {t('prefs.quiet.enable')}
            </label>
            <div class="people-quiet-fields">
              <div class="field">
                <label for="quiet-start">{t('prefs.quiet.from')}</label>
                <input
                  id="quiet-start"
                  type="time"
                  required
                  disabled={!draft.quiet}
                  value={draft.start}
                  onInput={(event) => change({ start: event.currentTarget.value })}
                />
              </div>
              <div class="field">
                <label for="quiet-end">{t('prefs.quiet.to')}</label>
                <input
                  id="quiet-end"
                  type="time"
                  required
                  disabled={!draft.quiet}
                  value={draft.end}
                  onInput={(event) => change({ end: event.currentTarget.value })}
                />
              </div>
              <div class="field">
                <label for="quiet-zone">{t('prefs.quiet.timezone')}</label>
                <select
                  id="quiet-zone"
                  disabled={!draft.quiet}
                  value={draft.timezone}
                  onChange={(event) => change({ timezone: event.currentTarget.value })}
                >
                  <option value="">{t('prefs.quiet.homeZone')}</option>
                  {[...new Set([...(draft.timezone ? [draft.timezone] : []), ...timeZones()])].map((zone) => (
                    <option key={zone} value={zone}>
                      {zone}
                    </option>
                  ))}
                </select>
              </div>
            </div>
            <p class="notice notice-warning people-critical" data-testid="quiet-critical">
              {t('prefs.quiet.critical')}
            </p>
          </fieldset>

          <FormError error={error} />
          {saved && (
            <p class="notice notice-ok" role="status" data-testid="preferences-saved">
              {t('prefs.saved')}
            </p>
          )}
          <div class="people-form-foot">
            <button
              type="submit"
              class="button button-primary"
              disabled={busy}
              data-testid="preferences-save"
            >
              {busy ? t('common.saving') : t('prefs.save')}
            </button>
            <span class="muted small" data-testid="preferences-state">
              {loaded.isDefault || !loaded.updatedAt
                ? t('prefs.defaults')
                : t('prefs.updated', { time: formatDateTime(loaded.updatedAt, locale) })}
            </span>
          </div>
        </form>
      )}
    </Section>
  );
}

function PushDevicesSection() {
  const { t, locale } = useI18n();
  const devices = useResource(
    (signal) =>
      api.get<{ items: PushDevice[] }>('/v1/me/push-devices', { signal }).then((page) => page.items),
    [],
  );
  const [removing, setRemoving] = useState<PushDevice | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const remove = async () => {
    if (!removing) return;
    setBusy(true);
    setError(null);
    try {
      await api.delete(`/v1/me/push-devices/${encodeURIComponent(removing.id)}`);
      devices.update((list) => list.filter((device) => device.id !== removing.id));
      setRemoving(null);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const list = devices.state.data;
  return (
    <Section title={t('prefs.devices.title')} id="push-devices-heading">
      {devices.state.status === 'error' && (
        <ErrorMessage error={devices.state.error} onRetry={() => devices.reload()} />
      )}
      {list === undefined ? (
        devices.state.status === 'loading' && <Loading />
      ) : list.length === 0 ? (
        <p class="empty" data-testid="push-devices-empty">
          {t('prefs.devices.none')}
        </p>
      ) : (
        <ul class="people-list" data-testid="push-devices">
          {list.map((device) => (
            <li key={device.id} class="card people-list-item" data-testid={`push-device-${device.id}`}>
              <div>
                <strong>
                  {t(`prefs.channel.${device.provider}`)}
                  {device.platform ? ` · ${device.platform}` : ''}
                </strong>
                <div class="muted small">
                  <span class="mono">{device.tokenHint}</span> ·{' '}
                  {t('prefs.devices.lastSeen', { time: formatDateTime(device.lastSeenAt, locale) })}
                </div>
              </div>
              <button
                type="button"
                class="button button-small"
                aria-label={t('prefs.devices.removeWhich', { device: device.tokenHint })}
                onClick={() => {
                  setError(null);
                  setRemoving(device);
                }}
              >
                {t('prefs.devices.remove')}
              </button>
            </li>
          ))}
        </ul>
      )}
      {removing && (
        <ConfirmDialog
          testId="confirm-remove-device"
          title={t('prefs.devices.removeTitle')}
          confirmText={t('prefs.devices.remove')}
          busy={busy}
          error={error}
          onConfirm={() => void remove()}
          onCancel={() => setRemoving(null)}
        >
          <p>{t('prefs.devices.removeText', { device: removing.tokenHint })}</p>
        </ConfirmDialog>
      )}
    </Section>
  );
}

function InAppSection() {
  const { t, locale } = useI18n();
  const feed = useResource(
    (signal) =>
      api.get<InAppPage>('/v1/me/notifications', { query: { limit: LATEST_NOTIFICATIONS }, signal }),
    [],
  );
  const [busyId, setBusyId] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const markRead = async (notification: InAppNotification) => {
    setBusyId(notification.id);
    setError(null);
    try {
      const read = await api.post<InAppNotification>(
        `/v1/me/notifications/${encodeURIComponent(notification.id)}/read`,
      );
      feed.update((page) => ({
        ...page,
        items: page.items.map((item) => (item.id === read.id ? read : item)),
        unreadCount: Math.max(0, page.unreadCount - (notification.readAt === null ? 1 : 0)),
      }));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusyId(null);
    }
  };

  const page = feed.state.data;
  return (
    <Section
      title={
        <>
          {t('prefs.inbox.title')}
          {page && page.unreadCount > 0 && (
            <span class="badge people-unread" data-testid="inbox-unread">
              {t('prefs.inbox.unread', { count: page.unreadCount })}
            </span>
          )}
        </>
      }
      id="inbox-heading"
    >
      {feed.state.status === 'error' && (
        <ErrorMessage error={feed.state.error} onRetry={() => feed.reload()} />
      )}
      {error !== null && (
        <p class="notice notice-error" role="alert">
          {peopleErrorText(error, t)}
        </p>
      )}
      {page === undefined ? (
        feed.state.status === 'loading' && <Loading />
      ) : page.items.length === 0 ? (
        <p class="empty" data-testid="inbox-empty">
          {t('prefs.inbox.none')}
        </p>
      ) : (
        <ul class="people-list" data-testid="inbox">
          {page.items.map((item) => (
            <li
              key={item.id}
              class={`card people-list-item people-severity-${item.severity}${item.readAt ? ' people-read' : ''}`}
              data-testid={`notification-${item.id}`}
              data-read={item.readAt ? 'true' : 'false'}
            >
              <div>
                <strong>{item.title}</strong>{' '}
                <span class={`badge people-badge-${item.severity}`}>
                  {t(`prefs.severity.${item.severity}`)}
                </span>
                <div>{item.body}</div>
                <div class="muted small">
                  <time dateTime={item.createdAt}>{formatDateTime(item.createdAt, locale)}</time>
                </div>
              </div>
              {item.readAt === null ? (
                <button
                  type="button"
                  class="button button-small"
                  disabled={busyId === item.id}
                  aria-label={t('prefs.inbox.markReadWhich', { title: item.title })}
                  onClick={() => void markRead(item)}
                >
                  {t('prefs.inbox.markRead')}
                </button>
              ) : (
                <span class="muted small">{t('prefs.inbox.read')}</span>
              )}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
