import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorMessage } from '../components/status.tsx';
import { formatDateTime } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { Dialog, SecretValue } from '../components/dialog.tsx';
import { tenantIdOf } from './shared.tsx';
import { ListState, useRowAction, Table } from '../components/list.tsx';
import { TextField, useSubmission } from '../components/form.tsx';

/** The scopes the API grants keys (`API_KEY_SCOPES`), in its order. */
const SCOPES = [
  'tenant:read',
  'users:read',
  'users:write',
  'homes:read',
  'gateways:read',
  'gateways:write',
  'telemetry:read',
  'audit:read',
  'tariffs:read',
  'tariffs:write',
] as const;
type Scope = (typeof SCOPES)[number];

/** An API key as the API lists it: never the key itself. */
interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  createdBy: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** Keys for the provider's own backend: created (the key shown once), listed, revoked. */
export function ApiKeysPage() {
  const { t } = useI18n();
  const tenantId = tenantIdOf();
  const base = `/v1/tenants/${encodeURIComponent(tenantId)}/api-keys`;
  const list = useResource((signal) => api.get<{ items: ApiKey[] }>(base, { signal }), [base]);
  const [created, setCreated] = useState<{ apiKey: ApiKey; key: string } | null>(null);
  const { busyId, error: actionError, run: runRow } = useRowAction();

  const revoke = async (apiKey: ApiKey) => {
    if (!globalThis.confirm(t('apiKeys.revokeConfirm', { name: apiKey.name }))) return;
    await runRow(apiKey.id, async () => {
      await api.delete(`${base}/${encodeURIComponent(apiKey.id)}`);
      list.reload(true);
    });
  };

  return (
    <>
      <h1>{t('apiKeys.title')}</h1>
      <p class="hint">{t('apiKeys.hint')}</p>
      {actionError !== null && <ErrorMessage error={actionError} />}
      <ListState resource={list} isEmpty={(data) => data.items.length === 0} empty={t('apiKeys.empty')}>
        {(data) => <KeyTable keys={data.items} busyId={busyId} onRevoke={(apiKey) => void revoke(apiKey)} />}
      </ListState>
      <div class="console-forms">
        <CreateKeyForm
          base={base}
          onCreated={(result) => {
            setCreated(result);
            list.update((shown) => ({ items: [result.apiKey, ...shown.items] }));
          }}
        />
      </div>
      {created && (
        <Dialog
          title={t('apiKeys.createdTitle', { name: created.apiKey.name })}
          testId="api-key-created"
          onClose={() => setCreated(null)}
        >
          <p class="notice notice-warning" role="note">
            {t('apiKeys.onceWarning')}
          </p>
          <SecretValue label={t('apiKeys.key')} value={created.key} testId="api-key-secret" />
          <p class="muted small">{t('apiKeys.usage')}</p>
        </Dialog>
      )}
    </>
  );
}

function KeyTable(props: { keys: ApiKey[]; busyId: string | null; onRevoke: (apiKey: ApiKey) => void }) {
  const { t, locale } = useI18n();
  return (
    <Table
      testId="api-keys-table"
      columns={[
        t('apiKeys.name'),
        t('apiKeys.scopes'),
        t('apiKeys.created'),
        t('apiKeys.lastUsed'),
        t('apiKeys.state'),
      ]}
    >
      {props.keys.map((apiKey) => (
        <tr
          key={apiKey.id}
          data-testid={`api-key-${apiKey.id}`}
          data-revoked={apiKey.revokedAt ? 'true' : 'false'}
        >
          <th scope="row">{apiKey.name}</th>
          <td>
            <ul class="scope-list">
              {apiKey.scopes.map((scope) => (
                <li key={scope}>
                  <code>{scope}</code>
                </li>
              ))}
            </ul>
          </td>
          <td>{formatDateTime(apiKey.createdAt, locale)}</td>
          <td>{apiKey.lastUsedAt ? formatDateTime(apiKey.lastUsedAt, locale) : t('common.never')}</td>
          <td>
            {apiKey.revokedAt ? (
              <span class="badge badge-unavailable">{t('apiKeys.revoked')}</span>
            ) : (
              <button
                type="button"
                class="button button-small"
                disabled={props.busyId === apiKey.id}
                onClick={() => props.onRevoke(apiKey)}
              >
                {t('apiKeys.revoke')}
              </button>
            )}
          </td>
        </tr>
      ))}
    </Table>
  );
}

function CreateKeyForm(props: {
  base: string;
  onCreated: (result: { apiKey: ApiKey; key: string }) => void;
}) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ReadonlySet<Scope>>(new Set());
  const { busy, error, run } = useSubmission();

  const toggle = (scope: Scope, on: boolean) => {
    const next = new Set(scopes);
    if (on) next.add(scope);
    else next.delete(scope);
    setScopes(next);
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    await run(async () => {
      const result = await api.post<{ apiKey: ApiKey; key: string }>(props.base, {
        name: name.trim(),
        scopes: SCOPES.filter((scope) => scopes.has(scope)),
      });
      setName('');
      setScopes(new Set());
      props.onCreated(result);
    });
  };

  return (
    <form
      class="card console-form"
      onSubmit={(event) => void submit(event)}
      data-testid="create-api-key-form"
    >
      <h2>{t('apiKeys.createTitle')}</h2>
      <TextField
        id="api-key-name"
        label={t('apiKeys.name')}
        required
        maxLength={100}
        value={name}
        onValue={setName}
      />
      <fieldset class="choice scope-choice">
        <legend>{t('apiKeys.scopes')}</legend>
        {SCOPES.map((scope) => (
          <label class="check" key={scope}>
            <input
              type="checkbox"
              checked={scopes.has(scope)}
              onChange={(e) => toggle(scope, e.currentTarget.checked)}
            />
            <code>{scope}</code>
          </label>
        ))}
      </fieldset>
      {error !== null && <ErrorMessage error={error} />}
      <button
        type="submit"
        class="button button-primary"
        disabled={busy || !name.trim() || scopes.size === 0}
      >
        {busy ? t('common.saving') : t('apiKeys.create')}
      </button>
    </form>
  );
}
