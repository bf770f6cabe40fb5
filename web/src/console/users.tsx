import { api, session, type TenantUser } from '../api.ts';
import { ErrorMessage } from '../components/status.tsx';
import { formatDateTime } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { useStore } from '../store.ts';
import { LoadMore, tenantIdOf, usePagedList } from './shared.tsx';
import { ListState, useRowAction, Table } from '../components/list.tsx';

export function UsersPage() {
  const { t } = useI18n();
  const tenantId = tenantIdOf();
  const list = usePagedList<TenantUser>(`/v1/tenants/${encodeURIComponent(tenantId)}/users`);
  const { busyId, error, run: runRow } = useRowAction();

  const change = async (user: TenantUser, patch: { role?: 'tenant_admin' | 'user'; disabled?: boolean }) => {
    await runRow(user.id, async () => {
      const updated = await api.patch<TenantUser>(
        `/v1/tenants/${encodeURIComponent(tenantId)}/users/${encodeURIComponent(user.id)}`,
        patch,
      );
      list.update((page) => ({
        ...page,
        items: page.items.map((item) => (item.id === updated.id ? updated : item)),
      }));
    });
  };

  return (
    <>
      <h1>{t('console.users')}</h1>
      {error !== null && <ErrorMessage error={error} />}
      <ListState resource={list} isEmpty={(page) => page.items.length === 0} empty={t('users.empty')}>
        {(page) => (
          <UserTable
            users={page.items}
            busyId={busyId}
            onChange={(user, patch) => void change(user, patch)}
          />
        )}
      </ListState>
      <LoadMore list={list} />
    </>
  );
}

function UserTable(props: {
  users: TenantUser[];
  busyId: string | null;
  onChange: (user: TenantUser, patch: { role?: 'tenant_admin' | 'user'; disabled?: boolean }) => void;
}) {
  const { t, locale } = useI18n();
  const me = useStore(session)?.user.id;
  return (
    <Table
      testId="users-table"
      columns={[t('users.email'), t('users.role'), t('users.since'), t('users.state')]}
    >
      {props.users.map((user) => {
        const busy = props.busyId === user.id;
        // An admin does not lock themselves out from here.
        const self = user.id === me;
        return (
          <tr
            key={user.id}
            data-testid={`user-${user.id}`}
            data-disabled={user.disabledAt ? 'true' : 'false'}
          >
            <th scope="row">
              {user.email}
              {user.name && <div class="muted small">{user.name}</div>}
            </th>
            <td>
              {user.role === 'platform_admin' ? (
                t('users.role.platform_admin')
              ) : (
                <select
                  aria-label={t('users.roleOf', { email: user.email })}
                  value={user.role}
                  disabled={busy || self}
                  onChange={(e) =>
                    props.onChange(user, { role: e.currentTarget.value as 'tenant_admin' | 'user' })
                  }
                >
                  <option value="user">{t('users.role.user')}</option>
                  <option value="tenant_admin">{t('users.role.tenant_admin')}</option>
                </select>
              )}
            </td>
            <td>{formatDateTime(user.createdAt, locale)}</td>
            <td>
              {user.disabledAt ? (
                <span class="badge badge-unavailable">{t('users.disabled')}</span>
              ) : (
                <span class="badge badge-online">{t('users.active')}</span>
              )}{' '}
              {!self && (
                <button
                  type="button"
                  class="button button-small"
                  disabled={busy}
                  onClick={() => props.onChange(user, { disabled: !user.disabledAt })}
                >
                  {user.disabledAt ? t('users.enable') : t('users.disable')}
                </button>
              )}
            </td>
          </tr>
        );
      })}
    </Table>
  );
}
