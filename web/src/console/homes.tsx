import { api, type Home, type Tariff } from '../api.ts';
import { ErrorMessage } from '../components/status.tsx';
import { formatDateTime } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { tenantScope } from './shared.tsx';
import { ListState, useRowAction, Table } from '../components/list.tsx';

/** The provider's homes and the tariff each is on (its own, or the provider's default), changeable. */
export function ConsoleHomesPage() {
  const { t, locale } = useI18n();
  const data = useResource(async (signal) => {
    const scope = tenantScope();
    const [homeList, tariffs] = await Promise.all([
      api.get<{ items: Home[] }>('/v1/homes', { query: { limit: 1000, ...scope }, signal }),
      api.get<{ items: Tariff[] }>('/v1/tariffs', { query: scope, signal }),
    ]);
    return { homes: homeList.items, tariffs: tariffs.items };
  }, []);
  const { busyId, error, run: runRow } = useRowAction();

  const changeTariff = async (home: Home, tariffId: string | null) => {
    await runRow(home.id, async () => {
      await api.put(`/v1/homes/${encodeURIComponent(home.id)}/tariff`, { tariffId });
      data.update((shown) => ({
        ...shown,
        homes: shown.homes.map((item) => (item.id === home.id ? { ...item, tariffId } : item)),
      }));
    });
  };

  return (
    <>
      <h1>{t('console.homes')}</h1>
      {error !== null && <ErrorMessage error={error} />}
      <ListState
        resource={data}
        isEmpty={(loaded) => loaded.homes.length === 0}
        empty={t('consoleHomes.empty')}
      >
        {({ homes, tariffs }) => {
          const fallback = tariffs.find((tariff) => tariff.isDefault);
          return (
            <Table
              testId="homes-table"
              columns={[
                t('consoleHomes.name'),
                t('consoleHomes.timezone'),
                t('consoleHomes.tariff'),
                t('consoleHomes.created'),
              ]}
            >
              {homes.map((home) => (
                <tr key={home.id} data-testid={`home-${home.id}`} data-tariff={home.tariffId ?? ''}>
                  <th scope="row">
                    <a href={`/homes/${encodeURIComponent(home.id)}`}>{home.name}</a>
                  </th>
                  <td>{home.timezone}</td>
                  <td>
                    <select
                      aria-label={t('consoleX.tariffOf', { home: home.name })}
                      value={home.tariffId ?? ''}
                      disabled={busyId === home.id}
                      onChange={(e) => void changeTariff(home, e.currentTarget.value || null)}
                    >
                      <option value="">
                        {fallback
                          ? t('consoleHomes.defaultTariff', { name: fallback.name })
                          : t('consoleX.followDefault')}
                      </option>
                      {tariffs.map((tariff) => (
                        <option key={tariff.id} value={tariff.id}>
                          {tariff.name}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>{home.createdAt ? formatDateTime(home.createdAt, locale) : ''}</td>
                </tr>
              ))}
            </Table>
          );
        }}
      </ListState>
    </>
  );
}
