import { useLocation } from 'preact-iso';
import { api, session, type Tenant } from '../api.ts';
import { ErrorMessage, NotFound } from '../components/status.tsx';
import { useResource, useTitle } from '../hooks.ts';
import { useI18n, type MessageKey } from '../i18n.ts';
import { useStore } from '../store.ts';
import { ApiKeysPage } from './api-keys.tsx';
import { AuditPage } from './audit.tsx';
import { BrandingPage } from './branding.tsx';
import { DeadLettersPage } from './dead-letters.tsx';
import { GatewaysPage } from './gateways.tsx';
import { ConsoleHomesPage } from './homes.tsx';
import { PushPage } from './push.tsx';
import { consoleHref, pickedTenant, tenantsChanged } from './shared.tsx';
import { TariffsPage } from './tariffs.tsx';
import { TenantsPage } from './tenants.tsx';
import { UsersPage } from './users.tsx';
import './console.css';

interface ConsoleSection {
  section: string;
  text: MessageKey;
  Page: () => preact.JSX.Element;
  /** `platform`: the platform admin's own (every provider); `tenant`: one provider's. */
  scope: 'platform' | 'tenant';
}

/**
 * The console's sections, in the order of its tabs: `/console/<section>`. A platform admin may
 * do in a provider what its admins do (the API's authorizer lets platform admins act in every
 * tenant), so each provider section is open to them once a provider is picked.
 */
const SECTIONS: readonly ConsoleSection[] = [
  { section: 'tenants', text: 'tenants.title', Page: TenantsPage, scope: 'platform' },
  { section: 'gateways', text: 'console.gateways', Page: GatewaysPage, scope: 'tenant' },
  { section: 'users', text: 'console.users', Page: UsersPage, scope: 'tenant' },
  { section: 'homes', text: 'console.homes', Page: ConsoleHomesPage, scope: 'tenant' },
  { section: 'tariffs', text: 'console.tariffs', Page: TariffsPage, scope: 'tenant' },
  { section: 'api-keys', text: 'apiKeys.title', Page: ApiKeysPage, scope: 'tenant' },
  { section: 'notifications', text: 'push.title', Page: PushPage, scope: 'tenant' },
  { section: 'dead-letters', text: 'console.deadLetters', Page: DeadLettersPage, scope: 'tenant' },
  { section: 'audit', text: 'console.audit', Page: AuditPage, scope: 'tenant' },
  { section: 'branding', text: 'console.branding', Page: BrandingPage, scope: 'tenant' },
];

/**
 * The console: for a provider's admins their provider's sections; for a platform admin the
 * providers, and a provider's sections for the provider picked in the header.
 */
export function ConsolePage({ section }: { section: string }) {
  const { t } = useI18n();
  const { query } = useLocation();
  const user = useStore(session)?.user;
  const platform = user?.role === 'platform_admin';
  // The URL names the provider when there is one; the page must see it in its first render.
  const fromUrl = platform ? query.tenant : undefined;
  if (fromUrl && fromUrl !== pickedTenant.get()) pickedTenant.set(fromUrl);
  const picked = useStore(pickedTenant);
  const tenantId = platform ? (fromUrl ?? picked) : null;
  const sections = SECTIONS.filter((item) => platform || item.scope === 'tenant');
  const current = sections.find((item) => item.section === section);
  useTitle(current ? `${t(current.text)} · ${t('nav.console')}` : undefined);
  if (!current) return <NotFound />;
  const { Page } = current;
  const needsPick = platform && current.scope === 'tenant' && !tenantId;
  return (
    <div class="page console">
      {platform && <TenantPicker section={current} tenantId={tenantId} />}
      <nav class="tabs" aria-label={t('nav.console')}>
        {sections
          .filter((item) => item.scope === 'platform' || !platform || tenantId)
          .map((item) => (
            <a
              key={item.section}
              href={consoleHref(item.section, tenantId)}
              class="tab"
              aria-current={item.section === section ? 'page' : undefined}
            >
              {t(item.text)}
            </a>
          ))}
      </nav>
      {needsPick ? (
        <p class="empty" data-testid="console-pick-tenant">
          {t('consoleX.pickFirst')}
        </p>
      ) : (
        // A new provider is a new page: nothing of the previous one's state is kept.
        <Page key={tenantId ?? ''} />
      )}
    </div>
  );
}

/** The platform admin's choice of provider, in the console's header. */
function TenantPicker({ section, tenantId }: { section: ConsoleSection; tenantId: string | null }) {
  const { t } = useI18n();
  const { route } = useLocation();
  const version = useStore(tenantsChanged);
  const tenants = useResource((signal) => api.get<{ items: Tenant[] }>('/v1/tenants', { signal }), [version]);
  const items = tenants.state.data?.items ?? [];
  const pick = (id: string) => {
    pickedTenant.set(id || null);
    // From the tenants list, picking a provider opens its console.
    const next = section.scope === 'tenant' ? section.section : 'gateways';
    route(id ? consoleHref(next, id) : consoleHref('tenants', null));
  };
  return (
    <div class="console-picker" data-testid="tenant-picker">
      <label for="console-tenant">{t('consoleX.tenant')}</label>
      <select
        id="console-tenant"
        value={tenantId ?? ''}
        disabled={tenants.state.status === 'loading' && !tenants.state.data}
        onChange={(event) => pick(event.currentTarget.value)}
      >
        <option value="">{t('consoleX.noTenant')}</option>
        {items.map((item) => (
          <option key={item.id} value={item.id}>
            {item.name} ({item.slug})
            {item.status === 'suspended' ? ` · ${t('tenants.status.suspended')}` : ''}
          </option>
        ))}
        {tenantId && tenants.state.data && !items.some((item) => item.id === tenantId) && (
          <option value={tenantId}>{tenantId}</option>
        )}
      </select>
      {tenants.state.status === 'error' && (
        <ErrorMessage error={tenants.state.error} onRetry={() => tenants.reload()} />
      )}
    </div>
  );
}
