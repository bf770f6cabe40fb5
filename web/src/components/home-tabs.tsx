import { useI18n, type MessageKey } from '../i18n.ts';

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
