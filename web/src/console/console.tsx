import { NotFound } from '../components/status.tsx';
import { useTitle } from '../hooks.ts';
import { useI18n, type MessageKey } from '../i18n.ts';
import { AuditPage } from './audit.tsx';
import { BrandingPage } from './branding.tsx';
import { DeadLettersPage } from './dead-letters.tsx';
import { GatewaysPage } from './gateways.tsx';
import { ConsoleHomesPage } from './homes.tsx';
import { TariffsPage } from './tariffs.tsx';
import { UsersPage } from './users.tsx';

/** The console's sections, in the order of its tabs: `/console/<section>`. */
const SECTIONS: ReadonlyArray<{ section: string; text: MessageKey; Page: () => preact.JSX.Element }> = [
  { section: 'gateways', text: 'console.gateways', Page: GatewaysPage },
  { section: 'users', text: 'console.users', Page: UsersPage },
  { section: 'homes', text: 'console.homes', Page: ConsoleHomesPage },
  { section: 'tariffs', text: 'console.tariffs', Page: TariffsPage },
  { section: 'dead-letters', text: 'console.deadLetters', Page: DeadLettersPage },
  { section: 'audit', text: 'console.audit', Page: AuditPage },
  { section: 'branding', text: 'console.branding', Page: BrandingPage },
];

/** The provider console (tenant admins): its tabs and the section in view. */
export function ConsolePage({ section }: { section: string }) {
  const { t } = useI18n();
  const current = SECTIONS.find((item) => item.section === section);
  useTitle(current ? `${t(current.text)} · ${t('nav.console')}` : undefined);
  if (!current) return <NotFound />;
  const { Page } = current;
  return (
    <div class="page console">
      <nav class="tabs" aria-label={t('nav.console')}>
        {SECTIONS.map((item) => (
          <a
            key={item.section}
            href={`/console/${item.section}`}
            class="tab"
            aria-current={item.section === section ? 'page' : undefined}
          >
            {t(item.text)}
          </a>
        ))}
      </nav>
      <Page />
    </div>
  );
}
