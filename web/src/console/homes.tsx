import { api, type Home, type Tariff } from '../api.ts';
import { formatDateTime } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { ListState } from './shared.tsx';

/** The provider's homes and the tariff each is on (its own, or the provider's default). */
export function ConsoleHomesPage() {
  const { t, locale } = useI18n();
  const data = useResource(async (signal) => {
    const [homeList, tariffs] = await Promise.all([
      api.get<{ items: Home[] }>('/v1/homes', { query: { limit: 1000 }, signal }),
      api.get<{ items: Tariff[] }>('/v1/tariffs', { signal }),
    ]);
    return { homes: homeList.items, tariffs: tariffs.items };
  }, []);
  return (
    <>
      <h1>{t('console.homes')}</h1>
      <ListState
        resource={data}
        isEmpty={(loaded) => loaded.homes.length === 0}
        empty={t('consoleHomes.empty')}
      >
        {({ homes, tariffs }) => {
          const byId = new Map(tariffs.map((tariff) => [tariff.id, tariff]));
          const fallback = tariffs.find((tariff) => tariff.isDefault);
          return (
            <div class="table-scroll">
              <table class="table" data-testid="homes-table">
                <thead>
                  <tr>
                    <th scope="col">{t('consoleHomes.name')}</th>
                    <th scope="col">{t('consoleHomes.timezone')}</th>
                    <th scope="col">{t('consoleHomes.tariff')}</th>
                    <th scope="col">{t('consoleHomes.created')}</th>
                  </tr>
                </thead>
                <tbody>
                  {homes.map((home) => {
                    const own = home.tariffId ? byId.get(home.tariffId) : undefined;
                    return (
                      <tr key={home.id} data-testid={`home-${home.id}`}>
                        <th scope="row">
                          <a href={`/homes/${encodeURIComponent(home.id)}`}>{home.name}</a>
                        </th>
                        <td>{home.timezone}</td>
                        <td>
                          {own
                            ? own.name
                            : fallback
                              ? t('consoleHomes.defaultTariff', { name: fallback.name })
                              : '—'}
                        </td>
                        <td>{home.createdAt ? formatDateTime(home.createdAt, locale) : ''}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          );
        }}
      </ListState>
    </>
  );
}
