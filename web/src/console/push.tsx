import { useState } from 'preact/hooks';
import { api, session, type Page, type TenantUser } from '../api.ts';
import { ErrorMessage } from '../components/status.tsx';
import { formatDateTime } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { useStore } from '../store.ts';
import { ConfirmDialog, Dialog, SecretValue } from '../components/dialog.tsx';
import { tenantIdOf } from './shared.tsx';
import { ListState, MoreButton, Table } from '../components/list.tsx';
import { TextField, useSubmission } from '../components/form.tsx';

type Severity = 'critical' | 'warning' | 'info';
const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];
type Channel = 'onesignal' | 'fcm' | 'webhook' | 'email' | 'in_app';
const CHANNELS: readonly Channel[] = ['onesignal', 'fcm', 'webhook', 'email', 'in_app'];
type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';
const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'sending', 'sent', 'failed', 'skipped'];
/** The API's bounds: at most this many webhooks, each secret this long at least. */
const MAX_WEBHOOKS = 5;
const MIN_WEBHOOK_SECRET_CHARS = 16;
const DELIVERIES_PAGE_SIZE = 50;

/** `GET /v1/tenants/{id}/push-credentials`: what is configured, never a secret. */
interface PushStatus {
  oneSignal: { configured: boolean; appId?: string };
  fcm: { configured: boolean; projectId?: string };
  webhook: { configured: boolean; url?: string; minSeverity?: Severity };
  webhooks: Array<{ url: string; minSeverity: Severity }>;
}

interface Delivery {
  id: string;
  requestId: string;
  userId: string | null;
  channel: Channel;
  target: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
  request: { kind: string; severity: Severity; title: string };
}

/** The provider's push credentials (write-only secrets), a test send, and the delivery log. */
export function PushPage() {
  const { t } = useI18n();
  const tenantId = tenantIdOf();
  const base = `/v1/tenants/${encodeURIComponent(tenantId)}`;
  const status = useResource((signal) => api.get<PushStatus>(`${base}/push-credentials`, { signal }), [base]);
  const [logVersion, setLogVersion] = useState(0);
  return (
    <>
      <h1>{t('push.title')}</h1>
      <ListState resource={status} isEmpty={() => false} empty="">
        {(current) => (
          <>
            <PushSummary status={current} />
            <CredentialsForm base={base} status={current} onSaved={(saved) => status.update(() => saved)} />
          </>
        )}
      </ListState>
      <TestForm base={base} onSent={() => setLogVersion(logVersion + 1)} />
      <DeliveryLog base={base} version={logVersion} />
    </>
  );
}

function SetBadge({ set }: { set: boolean }) {
  const { t } = useI18n();
  return (
    <span class={`badge ${set ? 'badge-online' : 'badge-unavailable'}`} data-set={set ? 'true' : 'false'}>
      {set ? t('push.set') : t('push.notSet')}
    </span>
  );
}

function PushSummary({ status }: { status: PushStatus }) {
  const { t } = useI18n();
  return (
    <dl class="push-summary card" data-testid="push-status">
      <div data-testid="push-status-onesignal">
        <dt>{t('push.oneSignal')}</dt>
        <dd>
          <SetBadge set={status.oneSignal.configured} />
          {status.oneSignal.appId && (
            <span class="muted small"> {t('push.appIdIs', { id: status.oneSignal.appId })}</span>
          )}
        </dd>
      </div>
      <div data-testid="push-status-fcm">
        <dt>{t('push.fcm')}</dt>
        <dd>
          <SetBadge set={status.fcm.configured} />
          {status.fcm.projectId && (
            <span class="muted small"> {t('push.projectIdIs', { id: status.fcm.projectId })}</span>
          )}
        </dd>
      </div>
      <div data-testid="push-status-webhooks">
        <dt>{t('push.webhooks')}</dt>
        <dd>
          <SetBadge set={status.webhooks.length > 0} />
          {status.webhooks.map((hook) => (
            <div class="muted small mono" key={hook.url}>
              {hook.url} · {t(`push.severity.${hook.minSeverity}`)}
            </div>
          ))}
        </dd>
      </div>
    </dl>
  );
}

interface WebhookDraft {
  /** Keeps a row's inputs with it when a row above is removed. */
  key: number;
  url: string;
  minSeverity: Severity;
  secret: string;
}

let lastDraftKey = 0;
const newDraftKey = () => ++lastDraftKey;

/** The saved webhooks as rows of the form: their secrets are stored (left empty, they stay). */
function webhookDrafts(status: PushStatus): WebhookDraft[] {
  return status.webhooks.map((hook) => ({
    key: newDraftKey(),
    url: hook.url,
    minSeverity: hook.minSeverity,
    secret: '',
  }));
}

/** A signing secret made in the browser: 32 random bytes, hex. */
function newWebhookSecret(): string {
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * The API replaces every credential at once and never returns a secret; a secret left empty
 * keeps the stored one of the same app id, project id or webhook URL. A provider left out (its
 * app id, project id or URL emptied, a webhook removed) is removed: the admin is asked first.
 */
function CredentialsForm(props: { base: string; status: PushStatus; onSaved: (status: PushStatus) => void }) {
  const { t } = useI18n();
  const { status } = props;
  const [appId, setAppId] = useState(status.oneSignal.appId ?? '');
  const [restApiKey, setRestApiKey] = useState('');
  const [projectId, setProjectId] = useState(status.fcm.projectId ?? '');
  const [serviceAccountJson, setServiceAccountJson] = useState('');
  const [webhooks, setWebhooks] = useState<WebhookDraft[]>(() => webhookDrafts(status));
  const { busy, error, run } = useSubmission();
  const [saved, setSaved] = useState(false);
  const [shownSecrets, setShownSecrets] = useState<WebhookDraft[] | null>(null);
  /** What a save would remove, while the admin is asked. */
  const [dropping, setDropping] = useState<Array<{ name: string; url?: string }> | null>(null);

  // A secret is stored for the app id, project id or URL as saved (not for a changed one).
  const oneSignalStored = status.oneSignal.configured && status.oneSignal.appId === appId.trim();
  const fcmStored = status.fcm.configured && status.fcm.projectId === projectId.trim();
  const storedUrls = new Set(status.webhooks.map((hook) => hook.url));
  const hookStored = (hook: WebhookDraft) => storedUrls.has(hook.url.trim());

  const changeHook = (index: number, change: Partial<WebhookDraft>) =>
    setWebhooks(webhooks.map((hook, i) => (i === index ? { ...hook, ...change } : hook)));

  const sentHooks = () => webhooks.filter((hook) => hook.url.trim() !== '');

  /** The providers this save removes (a webhook with its URL). */
  const removed = (): Array<{ name: string; url?: string }> => {
    const kept = new Set(sentHooks().map((hook) => hook.url.trim()));
    return [
      ...(status.oneSignal.configured && appId.trim() === '' ? [{ name: t('push.oneSignal') }] : []),
      ...(status.fcm.configured && projectId.trim() === '' ? [{ name: t('push.fcm') }] : []),
      ...status.webhooks
        .filter((hook) => !kept.has(hook.url))
        .map((hook) => ({ name: t('push.webhook'), url: hook.url })),
    ];
  };

  const save = async () => {
    setSaved(false);
    await run(async () => {
      const hooks = sentHooks();
      const body = {
        ...(appId.trim() !== '' && {
          oneSignal: { appId: appId.trim(), ...(restApiKey !== '' && { restApiKey }) },
        }),
        ...(projectId.trim() !== '' && {
          fcm: {
            projectId: projectId.trim(),
            ...(serviceAccountJson.trim() !== '' && { serviceAccountJson }),
          },
        }),
        ...(hooks.length > 0 && {
          webhooks: hooks.map((hook) => ({
            url: hook.url.trim(),
            minSeverity: hook.minSeverity,
            ...(hook.secret !== '' && { secret: hook.secret }),
          })),
        }),
      };
      try {
        const next = await api.put<PushStatus>(`${props.base}/push-credentials`, body);
        // The secrets leave the page: the form shows "stored" from here on.
        setRestApiKey('');
        setServiceAccountJson('');
        setAppId(next.oneSignal.appId ?? '');
        setProjectId(next.fcm.projectId ?? '');
        setWebhooks(webhookDrafts(next));
        // New (and replaced) webhook secrets are shown this once.
        const entered = hooks.filter((hook) => hook.secret !== '');
        if (entered.length > 0) setShownSecrets(entered);
        setSaved(true);
        props.onSaved(next);
      } finally {
        setDropping(null);
      }
    });
  };

  const submit = (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const dropped = removed();
    if (dropped.length > 0) setDropping(dropped);
    else void save();
  };

  const storedHint = t('push.storedKeep');
  return (
    <form class="card console-form push-form" onSubmit={submit} data-testid="push-form">
      <h2>{t('push.credentialsTitle')}</h2>
      <p class="hint">{t('push.writeOnly')}</p>
      <fieldset class="push-provider">
        <legend>{t('push.oneSignal')}</legend>
        <TextField
          id="push-onesignal-app"
          label={t('push.appId')}
          maxLength={100}
          autocomplete="off"
          required={restApiKey !== ''}
          value={appId}
          onValue={setAppId}
        />
        <TextField
          id="push-onesignal-key"
          label={t('push.restApiKey')}
          type="password"
          autocomplete="off"
          maxLength={500}
          required={appId.trim() !== '' && !oneSignalStored}
          hint={oneSignalStored ? storedHint : undefined}
          value={restApiKey}
          onValue={setRestApiKey}
        />
      </fieldset>
      <fieldset class="push-provider">
        <legend>{t('push.fcm')}</legend>
        <TextField
          id="push-fcm-project"
          label={t('push.projectId')}
          maxLength={100}
          autocomplete="off"
          required={serviceAccountJson.trim() !== ''}
          value={projectId}
          onValue={setProjectId}
        />
        <div class="field">
          <label for="push-fcm-json">{t('push.serviceAccount')}</label>
          <textarea
            id="push-fcm-json"
            rows={4}
            maxLength={20_000}
            spellcheck={false}
            required={projectId.trim() !== '' && !fcmStored}
            aria-describedby={fcmStored ? 'push-fcm-json-hint' : undefined}
            placeholder={fcmStored ? '' : '{ "client_email": …, "private_key": … }'}
            value={serviceAccountJson}
            onInput={(e) => setServiceAccountJson(e.currentTarget.value)}
          />
          {fcmStored && (
            <span class="hint" id="push-fcm-json-hint">
              {storedHint}
            </span>
          )}
        </div>
      </fieldset>
      <fieldset class="push-provider">
        <legend>{t('push.webhooks')}</legend>
        {webhooks.length === 0 && <p class="muted small">{t('push.noWebhooks')}</p>}
        {webhooks.map((hook, index) => {
          const stored = hookStored(hook);
          return (
            <div
              class="webhook-row"
              key={hook.key}
              data-testid={`webhook-${index}`}
              data-stored={stored ? 'true' : 'false'}
            >
              <div class="field">
                <label for={`push-hook-url-${index}`}>{t('push.webhookUrl')}</label>
                <input
                  id={`push-hook-url-${index}`}
                  type="url"
                  maxLength={2000}
                  placeholder="https://"
                  value={hook.url}
                  onInput={(e) => changeHook(index, { url: e.currentTarget.value })}
                />
              </div>
              <div class="field">
                <label for={`push-hook-severity-${index}`}>{t('push.minSeverity')}</label>
                <select
                  id={`push-hook-severity-${index}`}
                  value={hook.minSeverity}
                  onChange={(e) => changeHook(index, { minSeverity: e.currentTarget.value as Severity })}
                >
                  {SEVERITIES.map((severity) => (
                    <option key={severity} value={severity}>
                      {t(`push.severity.${severity}`)}
                    </option>
                  ))}
                </select>
              </div>
              <div class="field">
                <label for={`push-hook-secret-${index}`}>{t('push.signingSecret')}</label>
                <div class="secret-input">
                  <input
                    id={`push-hook-secret-${index}`}
                    type="password"
                    autocomplete="off"
                    minLength={MIN_WEBHOOK_SECRET_CHARS}
                    maxLength={500}
                    required={hook.url.trim() !== '' && !stored}
                    aria-describedby={
                      stored
                        ? `push-hook-secret-${index}-hint push-hook-secret-hint`
                        : 'push-hook-secret-hint'
                    }
                    value={hook.secret}
                    onInput={(e) => changeHook(index, { secret: e.currentTarget.value })}
                  />
                  <button
                    type="button"
                    class="button button-small"
                    onClick={() => changeHook(index, { secret: newWebhookSecret() })}
                  >
                    {t('push.generate')}
                  </button>
                </div>
                {stored && (
                  <span class="hint" id={`push-hook-secret-${index}-hint`}>
                    {storedHint}
                  </span>
                )}
              </div>
              <button
                type="button"
                class="button button-small button-quiet"
                onClick={() => setWebhooks(webhooks.filter((_, i) => i !== index))}
              >
                {t('push.removeWebhook')}
              </button>
            </div>
          );
        })}
        <span class="hint" id="push-hook-secret-hint">
          {t('push.secretHint', { min: MIN_WEBHOOK_SECRET_CHARS })}
        </span>
        {webhooks.length < MAX_WEBHOOKS && (
          <button
            type="button"
            class="button button-small"
            onClick={() =>
              setWebhooks([
                ...webhooks,
                { key: newDraftKey(), url: '', minSeverity: 'info', secret: newWebhookSecret() },
              ])
            }
          >
            {t('push.addWebhook')}
          </button>
        )}
      </fieldset>
      {error !== null && <ErrorMessage error={error} />}
      {saved && (
        <p class="notice notice-ok" role="status">
          {t('push.saved')}
        </p>
      )}
      <button type="submit" class="button button-primary" disabled={busy}>
        {busy ? t('common.saving') : t('push.save')}
      </button>
      {dropping && (
        <ConfirmDialog
          title={t('push.dropTitle')}
          testId="push-drop"
          confirmText={t('push.dropSave')}
          busyText={t('common.saving')}
          busy={busy}
          error={null}
          onConfirm={() => void save()}
          onCancel={() => setDropping(null)}
        >
          <p>{t('push.dropConfirm')}</p>
          <ul>
            {dropping.map((item) => (
              <li key={item.url ?? item.name}>
                {item.name}
                {item.url && <span class="mono small"> {item.url}</span>}
              </li>
            ))}
          </ul>
        </ConfirmDialog>
      )}
      {shownSecrets && (
        <Dialog title={t('push.secretsTitle')} testId="webhook-secrets" onClose={() => setShownSecrets(null)}>
          <p class="notice notice-warning" role="note">
            {t('push.secretsOnce')}
          </p>
          {shownSecrets.map((hook, index) => (
            <SecretValue
              key={hook.key}
              label={hook.url}
              value={hook.secret}
              testId={`webhook-secret-${index}`}
            />
          ))}
        </Dialog>
      )}
    </form>
  );
}

/** "Send a test notification": to a person of the provider through a channel, or to the webhooks. */
function TestForm({ base, onSent }: { base: string; onSent: () => void }) {
  const { t } = useI18n();
  const me = useStore(session)?.user;
  const ownTenant = me?.role !== 'platform_admin';
  const [channel, setChannel] = useState<Channel>('in_app');
  const [userId, setUserId] = useState('');
  const { busy, error, run } = useSubmission();
  const [sent, setSent] = useState<string | null>(null);
  const people = useResource(
    (signal) => api.get<Page<TenantUser>>(`${base}/users`, { query: { limit: 200 }, signal }),
    [base],
  );

  const submit = async (event: Event) => {
    event.preventDefault();
    setSent(null);
    await run(async () => {
      const { requestId } = await api.post<{ requestId: string }>(`${base}/notifications/test`, {
        channel,
        ...(channel !== 'webhook' && userId && { userId }),
      });
      setSent(requestId);
      onSent();
    });
  };

  return (
    <form
      class="card console-form narrow-form"
      onSubmit={(event) => void submit(event)}
      data-testid="push-test-form"
    >
      <h2>{t('push.testTitle')}</h2>
      <div class="field">
        <label for="push-test-channel">{t('push.channel')}</label>
        <select
          id="push-test-channel"
          value={channel}
          onChange={(e) => setChannel(e.currentTarget.value as Channel)}
        >
          {CHANNELS.map((item) => (
            <option key={item} value={item}>
              {t(`push.channel.${item}`)}
            </option>
          ))}
        </select>
      </div>
      {channel !== 'webhook' && (
        <div class="field">
          <label for="push-test-user">{t('push.recipient')}</label>
          <select
            id="push-test-user"
            value={userId}
            required={!ownTenant}
            onChange={(e) => setUserId(e.currentTarget.value)}
          >
            <option value="">{ownTenant ? t('push.recipientMe') : t('push.recipientPick')}</option>
            {(people.state.data?.items ?? [])
              .filter((person) => person.id !== me?.id && !person.disabledAt)
              .map((person) => (
                <option key={person.id} value={person.id}>
                  {person.email}
                </option>
              ))}
          </select>
          {people.state.status === 'error' && (
            <ErrorMessage error={people.state.error} onRetry={() => people.reload()} />
          )}
        </div>
      )}
      {error !== null && <ErrorMessage error={error} />}
      {sent && (
        <p class="notice notice-ok" role="status" data-testid="push-test-sent">
          {t('push.testSent')}
        </p>
      )}
      <button type="submit" class="button" disabled={busy}>
        {busy ? t('push.sending') : t('push.sendTest')}
      </button>
    </form>
  );
}

/** The delivery log, newest first, a page at a time ("Load more": older deliveries). */
function DeliveryLog({ base, version }: { base: string; version: number }) {
  const { t, locale } = useI18n();
  const [statusFilter, setStatusFilter] = useState<DeliveryStatus | ''>('');
  const path = `${base}/notification-deliveries`;
  const query = { limit: DELIVERIES_PAGE_SIZE, status: statusFilter || undefined };
  const log = useResource(
    (signal) => api.get<Page<Delivery>>(path, { query, signal }),
    [path, statusFilter, version],
  );
  const more = useSubmission();
  const next = log.state.data?.nextCursor;
  const loadMore = () => {
    if (!next) return;
    void more.run(async () => {
      const older = await api.get<Page<Delivery>>(path, { query: { ...query, before: next } });
      log.update((shown) => ({ items: [...shown.items, ...older.items], nextCursor: older.nextCursor }));
    });
  };

  return (
    <section class="section" aria-labelledby="push-log-title">
      <div class="log-head">
        <h2 id="push-log-title">{t('push.logTitle')}</h2>
        <div class="field field-inline">
          <label for="push-log-status">{t('push.status')}</label>
          <select
            id="push-log-status"
            value={statusFilter}
            onChange={(e) => setStatusFilter(e.currentTarget.value as DeliveryStatus | '')}
          >
            <option value="">{t('push.allStatuses')}</option>
            {DELIVERY_STATUSES.map((item) => (
              <option key={item} value={item}>
                {t(`push.status.${item}`)}
              </option>
            ))}
          </select>
        </div>
        <button type="button" class="button button-small" onClick={() => log.reload(true)}>
          {t('push.refresh')}
        </button>
      </div>
      <ListState resource={log} isEmpty={(page) => page.items.length === 0} empty={t('push.logEmpty')}>
        {(page) => (
          <Table
            testId="deliveries-table"
            columns={[
              t('push.at'),
              t('push.channel'),
              t('push.notification'),
              t('push.target'),
              t('push.status'),
              t('push.error'),
            ]}
          >
            {page.items.map((delivery) => (
              <tr key={delivery.id} data-testid={`delivery-${delivery.id}`} data-status={delivery.status}>
                <td>{formatDateTime(delivery.createdAt, locale)}</td>
                <td>{t(`push.channel.${delivery.channel}`)}</td>
                <td>
                  {delivery.request.title}
                  <div class="muted small">{t(`push.severity.${delivery.request.severity}`)}</div>
                </td>
                <td class="mono small">{delivery.target}</td>
                <td>
                  <span class={`badge delivery-${delivery.status}`}>
                    {t(`push.status.${delivery.status}`)}
                  </span>
                  {delivery.attempts > 1 && (
                    <div class="muted small">{t('push.attempts', { count: delivery.attempts })}</div>
                  )}
                </td>
                <td class="small">{delivery.lastError ?? '—'}</td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
      {next && <MoreButton loading={more} label={t('console.loadMore')} onMore={loadMore} />}
    </section>
  );
}
