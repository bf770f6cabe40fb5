import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { session, type Home } from '../api.ts';
import { ErrorMessage, Loading } from '../components/status.tsx';
import { useTitle } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { NewHomeForm } from '../onboarding/home-form.tsx';
import { currentHomeId, homes, lastHomeId, loadHomes } from '../state.ts';
import { useStore } from '../store.ts';

/**
 * Arriving (opening the app, logging in) at `/` opens the last home used, or the only one;
 * coming back to `/` from inside the app shows the list. Other pages end the arrival.
 */
export const arrival = { pending: true };

export function HomesPage() {
  const { t } = useI18n();
  const { route } = useLocation();
  const list = useStore(homes);
  const [creating, setCreating] = useState(false);
  useTitle(t('homes.title'));

  useEffect(() => {
    currentHomeId.set(null);
    // The platform's admins have no homes: their start is the providers' list.
    if (session.get()?.user.role === 'platform_admin') route('/console/tenants', true);
  }, []);

  useEffect(() => {
    if (list.status !== 'ready') return;
    const wasArriving = arrival.pending;
    arrival.pending = false;
    if (!wasArriving) return;
    const last = lastHomeId();
    const target =
      list.data.find((home) => home.id === last) ?? (list.data.length === 1 ? list.data[0] : undefined);
    if (target) route(`/homes/${encodeURIComponent(target.id)}`, true);
  }, [list.status]);

  const empty = list.status === 'ready' && list.data.length === 0;
  return (
    <div class="page narrow">
      <div class="page-head">
        <h1>{t('homes.title')}</h1>
        {list.status === 'ready' && !empty && !creating && (
          <button
            type="button"
            class="button button-primary"
            data-testid="new-home-open"
            onClick={() => setCreating(true)}
          >
            {t('newHome.open')}
          </button>
        )}
      </div>
      {list.status === 'loading' && <Loading />}
      {list.status === 'error' && <ErrorMessage error={list.error} onRetry={() => void loadHomes()} />}
      {list.status === 'ready' &&
        (empty ? (
          <>
            <p class="empty" data-testid="homes-empty">
              {t('homes.empty')} {t('newHome.emptyIntro')}
            </p>
            <NewHomeForm />
          </>
        ) : (
          <>
            {creating && (
              <div class="onboarding-new-home">
                <NewHomeForm onCancel={() => setCreating(false)} />
              </div>
            )}
            <ul class="home-list">
              {list.data.map((home) => (
                <HomeItem key={home.id} home={home} />
              ))}
            </ul>
          </>
        ))}
    </div>
  );
}

function HomeItem({ home }: { home: Home }) {
  const { t } = useI18n();
  return (
    <li>
      <a class="card home-link" href={`/homes/${encodeURIComponent(home.id)}`}>
        <span class="home-name">{home.name}</span>
        <span class="muted">
          {t(home.role ? `homes.role.${home.role}` : 'homes.role.staff')} · {home.timezone}
        </span>
      </a>
    </li>
  );
}
