import { useState } from 'preact/hooks';
import { api, type Tenant } from '../api.ts';
import { ErrorMessage } from '../components/status.tsx';
import { formatDateTime } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { consoleHref, tenantsChanged } from './shared.tsx';
import { ListState, useRowAction, Table } from '../components/list.tsx';
import { TextField, useSubmission } from '../components/form.tsx';

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
  const { busyId, error: actionError, run: runRow } = useRowAction();
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
    await runRow(tenant.id, async () => {
      replace(
        await api.post<Tenant>(
          `/v1/tenants/${encodeURIComponent(tenant.id)}/${suspend ? 'suspend' : 'resume'}`,
        ),
      );
    });
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
          <Table
            testId="tenants-table"
            columns={[
              t('tenants.name'),
              t('tenants.slug'),
              t('tenants.status'),
              t('tenants.signup'),
              t('tenants.created'),
              { label: t('tenants.actions'), hidden: true },
            ]}
          >
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
          </Table>
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
  const { busy, error, run } = useSubmission();

  const submit = async (event: Event) => {
    event.preventDefault();
    await run(async () => {
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
    });
  };

  return (
    <form
      class="card console-form narrow-form"
      onSubmit={(event) => void submit(event)}
      data-testid="create-tenant-form"
    >
      <h2>{t('tenants.createTitle')}</h2>
      <TextField
        id="tenant-name"
        label={t('tenants.name')}
        required
        maxLength={100}
        value={name}
        onValue={setName}
      />
      <TextField
        id="tenant-slug"
        label={t('tenants.slug')}
        maxLength={40}
        pattern={SLUG_PATTERN}
        value={slug}
        onValue={setSlug}
        hint={t('tenants.slugHint')}
      />
      <TextField
        id="tenant-admin"
        label={t('tenants.adminEmail')}
        type="email"
        required
        maxLength={320}
        value={adminEmail}
        onValue={setAdminEmail}
      />
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
        <TextField
          id="tenant-password"
          label={t('tenants.password')}
          type="password"
          autocomplete="new-password"
          required
          minLength={10}
          maxLength={1024}
          value={password}
          onValue={setPassword}
          hint={t('tenants.passwordHint')}
        />
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
