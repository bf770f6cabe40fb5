import { useState } from 'preact/hooks';
import { api, type Tenant } from '../api.ts';
import { ErrorMessage } from '../components/status.tsx';
import { formatDateTime } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { consoleHref, ListState, tenantsChanged } from './shared.tsx';

/** What `POST /v1/tenants` answers: the provider, and its admin or the admin's invitation. */
interface CreatedTenant {
  tenant: Tenant;
  admin: { id: string; email: string } | null;
  invitationId: string | null;
}

/** The same pattern as the API's: lower-case letters, digits and hyphens. */
const SLUG_PATTERN = '[a-z0-9]+(-[a-z0-9]+)*';

/** Every service provider of the platform (platform admins): create, rename, suspend, resume. */
export function TenantsPage() {
  const { t } = useI18n();
  const list = useResource((signal) => api.get<{ items: Tenant[] }>('/v1/tenants', { signal }), []);
  const [editing, setEditing] = useState<string | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [created, setCreated] = useState<CreatedTenant | null>(null);

  const replace = (updated: Tenant) => {
    list.update((shown) => ({
      items: shown.items.map((item) => (item.id === updated.id ? updated : item)),
    }));
    tenantsChanged.set(tenantsChanged.get() + 1);
  };

  const setSuspended = async (tenant: Tenant, suspend: boolean) => {
    const question = suspend ? 'tenants.suspendConfirm' : 'tenants.resumeConfirm';
    if (!globalThis.confirm(t(question, { name: tenant.name }))) return;
    setBusyId(tenant.id);
    setActionError(null);
    try {
      replace(
        await api.post<Tenant>(
          `/v1/tenants/${encodeURIComponent(tenant.id)}/${suspend ? 'suspend' : 'resume'}`,
        ),
      );
    } catch (error) {
      setActionError(error);
    } finally {
      setBusyId(null);
    }
  };

  return (
    <>
      <h1>{t('tenants.title')}</h1>
      {actionError !== null && <ErrorMessage error={actionError} />}
      {created && (
        <p class="notice notice-ok" role="status" data-testid="tenant-created">
          {created.admin
            ? t('tenants.createdWithAdmin', { name: created.tenant.name, email: created.admin.email })
            : t('tenants.createdInvited', { name: created.tenant.name })}
        </p>
      )}
      <ListState resource={list} isEmpty={(data) => data.items.length === 0} empty={t('tenants.empty')}>
        {(data) => (
          <div class="table-scroll">
            <table class="table" data-testid="tenants-table">
              <thead>
                <tr>
                  <th scope="col">{t('tenants.name')}</th>
                  <th scope="col">{t('tenants.slug')}</th>
                  <th scope="col">{t('tenants.status')}</th>
                  <th scope="col">{t('tenants.signup')}</th>
                  <th scope="col">{t('tenants.created')}</th>
                  <th scope="col">
                    <span class="visually-hidden">{t('tenants.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((tenant) =>
                  editing === tenant.id ? (
                    <TenantEditor
                      key={tenant.id}
                      tenant={tenant}
                      onDone={(saved) => {
                        if (saved) replace(saved);
                        setEditing(null);
                      }}
                    />
                  ) : (
                    <TenantRow
                      key={tenant.id}
                      tenant={tenant}
                      busy={busyId === tenant.id}
                      onEdit={() => setEditing(tenant.id)}
                      onSuspend={(suspend) => void setSuspended(tenant, suspend)}
                    />
                  ),
                )}
              </tbody>
            </table>
          </div>
        )}
      </ListState>
      <div class="console-forms">
        <CreateTenantForm
          onCreated={(result) => {
            setCreated(result);
            list.update((shown) => ({ items: [...shown.items, result.tenant] }));
            tenantsChanged.set(tenantsChanged.get() + 1);
          }}
        />
      </div>
    </>
  );
}

function TenantRow(props: {
  tenant: Tenant;
  busy: boolean;
  onEdit: () => void;
  onSuspend: (suspend: boolean) => void;
}) {
  const { t, locale } = useI18n();
  const { tenant } = props;
  const suspended = tenant.status === 'suspended';
  return (
    <tr data-testid={`tenant-${tenant.slug}`} data-status={tenant.status}>
      <th scope="row">
        <a href={consoleHref('gateways', tenant.id)}>{tenant.name}</a>
        <div class="muted small mono">{tenant.id}</div>
      </th>
      <td class="mono">{tenant.slug}</td>
      <td>
        <span class={`badge ${suspended ? 'badge-unavailable' : 'badge-online'}`}>
          {t(`tenants.status.${tenant.status}`)}
        </span>
        {suspended && tenant.suspendedAt && (
          <div class="muted small">{formatDateTime(tenant.suspendedAt, locale)}</div>
        )}
      </td>
      <td>{tenant.signupOpen ? t('tenants.signupOpen') : t('tenants.signupClosed')}</td>
      <td>{formatDateTime(tenant.createdAt, locale)}</td>
      <td>
        <div class="row-actions">
          <button type="button" class="button button-small" disabled={props.busy} onClick={props.onEdit}>
            {t('tenants.edit')}
          </button>
          <button
            type="button"
            class="button button-small"
            disabled={props.busy}
            onClick={() => props.onSuspend(!suspended)}
          >
            {suspended ? t('tenants.resume') : t('tenants.suspend')}
          </button>
        </div>
      </td>
    </tr>
  );
}

function TenantEditor({ tenant, onDone }: { tenant: Tenant; onDone: (saved: Tenant | null) => void }) {
  const { t } = useI18n();
  const [name, setName] = useState(tenant.name);
  const [signupOpen, setSignupOpen] = useState(tenant.signupOpen);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const formId = `tenant-form-${tenant.id}`;

  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onDone(
        await api.patch<Tenant>(`/v1/tenants/${encodeURIComponent(tenant.id)}`, {
          name: name.trim(),
          signupOpen,
        }),
      );
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  return (
    <tr data-testid={`tenant-${tenant.slug}`} data-editing="true">
      <th scope="row">
        <form id={formId} onSubmit={(event) => void save(event)}>
          <input
            required
            maxLength={100}
            aria-label={t('tenants.name')}
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </form>
        {error !== null && <ErrorMessage error={error} />}
      </th>
      <td class="mono">{tenant.slug}</td>
      <td>{t(`tenants.status.${tenant.status}`)}</td>
      <td>
        <label class="check">
          <input
            type="checkbox"
            form={formId}
            checked={signupOpen}
            onChange={(e) => setSignupOpen(e.currentTarget.checked)}
          />
          {t('tenants.signupOpen')}
        </label>
      </td>
      <td />
      <td>
        <div class="row-actions">
          <button
            type="submit"
            form={formId}
            class="button button-small button-primary"
            disabled={busy || !name.trim()}
          >
            {busy ? t('common.saving') : t('common.save')}
          </button>
          <button type="button" class="button button-small" onClick={() => onDone(null)}>
            {t('common.cancel')}
          </button>
        </div>
      </td>
    </tr>
  );
}

function CreateTenantForm({ onCreated }: { onCreated: (result: CreatedTenant) => void }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [adminEmail, setAdminEmail] = useState('');
  const [how, setHow] = useState<'invite' | 'password'>('invite');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await api.post<CreatedTenant>('/v1/tenants', {
        name: name.trim(),
        ...(slug.trim() && { slug: slug.trim() }),
        adminEmail: adminEmail.trim(),
        ...(how === 'password' && { adminPassword: password }),
      });
      setName('');
      setSlug('');
      setAdminEmail('');
      setPassword('');
      onCreated(result);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="card console-form narrow-form"
      onSubmit={(event) => void submit(event)}
      data-testid="create-tenant-form"
    >
      <h2>{t('tenants.createTitle')}</h2>
      <div class="field">
        <label for="tenant-name">{t('tenants.name')}</label>
        <input
          id="tenant-name"
          required
          maxLength={100}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for="tenant-slug">{t('tenants.slug')}</label>
        <input
          id="tenant-slug"
          maxLength={40}
          pattern={SLUG_PATTERN}
          aria-describedby="tenant-slug-hint"
          value={slug}
          onInput={(e) => setSlug(e.currentTarget.value)}
        />
        <span class="hint" id="tenant-slug-hint">
          {t('tenants.slugHint')}
        </span>
      </div>
      <div class="field">
        <label for="tenant-admin">{t('tenants.adminEmail')}</label>
        <input
          id="tenant-admin"
          type="email"
          required
          maxLength={320}
          value={adminEmail}
          onInput={(e) => setAdminEmail(e.currentTarget.value)}
        />
      </div>
      <fieldset class="choice">
        <legend>{t('tenants.adminAccess')}</legend>
        <label class="check">
          <input
            type="radio"
            name="tenant-admin-how"
            checked={how === 'invite'}
            onChange={() => setHow('invite')}
          />
          {t('tenants.invite')}
        </label>
        <label class="check">
          <input
            type="radio"
            name="tenant-admin-how"
            checked={how === 'password'}
            onChange={() => setHow('password')}
          />
          {t('tenants.setPassword')}
        </label>
      </fieldset>
      {how === 'password' && (
        <div class="field">
          <label for="tenant-password">{t('tenants.password')}</label>
          <input
            id="tenant-password"
            type="password"
            autocomplete="new-password"
            required
            minLength={10}
            maxLength={1024}
            aria-describedby="tenant-password-hint"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          <span class="hint" id="tenant-password-hint">
            {t('tenants.passwordHint')}
          </span>
        </div>
      )}
      {error !== null && <ErrorMessage error={error} />}
      <button
        type="submit"
        class="button button-primary"
        disabled={busy || !name.trim() || !adminEmail.trim()}
      >
        {busy ? t('common.saving') : t('tenants.create')}
      </button>
    </form>
  );
}
