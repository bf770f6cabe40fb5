import { useEffect } from 'preact/hooks';
import { api, type Home } from '../api.ts';
import { useResource, useTitle, type Resource } from '../hooks.ts';
import { useI18n, type MessageKey } from '../i18n.ts';
import { showHome } from '../state.ts';
import { Loading, PageError } from './status.tsx';

export type HomeSection = 'devices' | 'automations' | 'members' | 'settings';

const SECTIONS: ReadonlyArray<{ section: HomeSection; text: MessageKey; path: string }> = [
  { section: 'devices', text: 'homeTabs.devices', path: '' },
  { section: 'automations', text: 'homeTabs.automations', path: '/automations' },
  { section: 'members', text: 'homeTabs.members', path: '/members' },
  { section: 'settings', text: 'homeTabs.settings', path: '/settings' },
];

/** The sections of one home, under its title: devices (the panel), automations, members. */
export function HomeTabs({ homeId, current }: { homeId: string; current: HomeSection }) {
  const { t } = useI18n();
  const base = `/homes/${encodeURIComponent(homeId)}`;
  return (
    <nav class="tabs home-tabs" aria-label={t('homeTabs.label')} data-testid="home-tabs">
      {SECTIONS.map((item) => (
        <a
          key={item.section}
          href={base + item.path}
          class="tab"
          data-testid={`home-tab-${item.section}`}
          aria-current={item.section === current ? 'page' : undefined}
        >
          {t(item.text)}
        </a>
      ))}
    </nav>
  );
}

/**
 * The home of a section page (`/homes/:homeId/<section>`): loaded, named in the tab title after
 * the section's `subject`, and the current home once loaded (its live feed runs).
 */
export function useSectionHome<T extends Home = Home>(homeId: string, subject: string): Resource<T> {
  const home = useResource(
    (signal) => api.get<T>(`/v1/homes/${encodeURIComponent(homeId)}`, { signal }),
    [homeId],
  );
  const loaded = home.state.data;
  useTitle(loaded ? `${subject} · ${loaded.name}` : subject);
  useEffect(() => {
    if (loaded?.id) showHome(loaded.id);
  }, [loaded?.id]);
  return home;
}

/** A section page before its home has loaded: the tabs and a loading line, or the error with a retry. */
export function HomeSectionPending(props: { home: Resource<Home>; homeId: string; current: HomeSection }) {
  const { state } = props.home;
  return state.status === 'error' ? (
    <PageError error={state.error} onRetry={() => props.home.reload()} />
  ) : (
    <div class="page">
      <HomeTabs homeId={props.homeId} current={props.current} />
      <Loading />
    </div>
  );
}
