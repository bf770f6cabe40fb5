import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { ErrorBoundary, lazy, LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { api, session, type User } from './api.ts';
import { loadTenant, tenant } from './branding.ts';
import { useI18n, type MessageKey } from './i18n.ts';
import { LanguageSelect } from './components/card.tsx';
import { NotFound } from './components/status.tsx';
import { HomePanel } from './pages/home-panel.tsx';
import { HomesPage } from './pages/homes.tsx';
import { LoginPage } from './pages/login.tsx';
import { currentHomeId, homes, lastHomeId, liveState, loadHomes, runLiveFeed } from './state.ts';
import { useStore } from './store.ts';

// The device page brings uPlot: loaded when first opened, not with the first page.
const DevicePage = lazy(() => import('./pages/device.tsx').then((module) => module.DevicePage));
// The camera page brings the HLS player (hls.js): loaded when a camera is opened.
const CameraPage = lazy(() => import('./cameras/camera-page.tsx').then((module) => module.CameraPage));
// The provider console is for a provider's admins only: its code loads when one opens it.
const ConsolePage = lazy(() => import('./console/console.tsx').then((module) => module.ConsolePage));
// A home's automations and members, and the person's settings: loaded when first opened.
const AutomationsPage = lazy(() =>
  import('./automations/index.tsx').then((module) => module.AutomationsPage),
);
const AutomationPage = lazy(() => import('./automations/index.tsx').then((module) => module.AutomationPage));
const MembersPage = lazy(() => import('./people/members.tsx').then((module) => module.MembersPage));
const NotificationSettingsPage = lazy(() =>
  import('./people/notifications.tsx').then((module) => module.NotificationSettingsPage),
);
const HomeSettingsPage = lazy(() =>
  import('./onboarding/index.tsx').then((module) => module.HomeSettingsPage),
);
const SignupPage = lazy(() => import('./onboarding/index.tsx').then((module) => module.SignupPage));
// Pages opened from a mailed link: they work with or without a session.
const AcceptInvitationPage = lazy(() =>
  import('./people/public.tsx').then((module) => module.AcceptInvitationPage),
);
const ForgotPasswordPage = lazy(() =>
  import('./people/public.tsx').then((module) => module.ForgotPasswordPage),
);
const ResetPasswordPage = lazy(() =>
  import('./people/public.tsx').then((module) => module.ResetPasswordPage),
);

/** Pages that stand alone, without the app's frame and without needing a session. */
const STANDALONE: Readonly<Record<string, () => preact.JSX.Element>> = {
  '/accept-invitation': AcceptInvitationPage,
  '/forgot-password': ForgotPasswordPage,
  '/reset-password': ResetPasswordPage,
  '/signup': SignupPage,
};

/** Who has homes: the platform's admins look after providers, not homes. */
const HOME_ROLES: ReadonlyArray<User['role']> = ['user', 'tenant_admin'];

/** Who may open the provider console: a provider's admins, and the platform's (tenants). */
const CONSOLE_ROLES: ReadonlyArray<User['role']> = ['tenant_admin', 'platform_admin'];

/** The main navigation; each entry names who sees it. */
const NAV: ReadonlyArray<{
  href: string;
  text: MessageKey;
  roles: ReadonlyArray<User['role']>;
  active: (path: string) => boolean;
}> = [
  {
    href: '/',
    text: 'nav.homes',
    roles: HOME_ROLES,
    active: (path) => path === '/' || path.startsWith('/homes/') || path.startsWith('/devices/'),
  },
  {
    href: '/settings/notifications',
    text: 'nav.notifications',
    roles: ['user', 'tenant_admin', 'platform_admin'],
    active: (path) => path.startsWith('/settings/'),
  },
  {
    href: '/console/gateways',
    text: 'nav.console',
    roles: ['tenant_admin'],
    active: (path) => path.startsWith('/console/'),
  },
  {
    href: '/console/tenants',
    text: 'nav.console',
    roles: ['platform_admin'],
    active: (path) => path.startsWith('/console/'),
  },
];

export function App() {
  return (
    <LocationProvider>
      <Shell />
    </LocationProvider>
  );
}

/** Routes: the login page stands alone; every other page needs a session and has the layout. */
function Shell() {
  const current = useStore(session);
  const { path, url, route } = useLocation();
  const onLogin = path === '/login';

  useEffect(() => {
    // The session ended without "Log out" (refused renewal, logged out in another tab).
    if (!current && !onLogin && !STANDALONE[path])
      route(`/login?expired=1&next=${encodeURIComponent(url)}`, true);
  }, [current, onLogin, path]);

  const Standalone = STANDALONE[path];
  if (Standalone)
    return (
      <ErrorBoundary>
        <Standalone />
      </ErrorBoundary>
    );
  if (onLogin) return <LoginPage />;
  if (!current) return null;
  return (
    <Layout user={current.user}>
      <ErrorBoundary>
        <Router>
          <Route path="/" component={HomesPage} />
          <Route path="/homes/:homeId" component={HomePanel} />
          <Route path="/homes/:homeId/automations" component={AutomationsPage} />
          <Route path="/homes/:homeId/automations/:automationId" component={AutomationPage} />
          <Route path="/homes/:homeId/members" component={MembersPage} />
          <Route path="/homes/:homeId/settings" component={HomeSettingsPage} />
          <Route path="/homes/:homeId/cameras/:deviceId" component={CameraPage} />
          <Route path="/devices/:deviceId" component={DevicePage} />
          <Route path="/settings/notifications" component={NotificationSettingsPage} />
          <Route path="/console/:section" component={ConsoleRoute} />
          <Route default component={NotFound} />
        </Router>
      </ErrorBoundary>
    </Layout>
  );
}

/** The console's pages, or "not found" for anyone else (as the API answers them). */
function ConsoleRoute({ section }: { section: string }) {
  const current = useStore(session);
  if (!current || !CONSOLE_ROLES.includes(current.user.role)) return <NotFound />;
  return <ConsolePage section={section} />;
}

function Layout({ user, children }: { user: User; children: ComponentChildren }) {
  const { t } = useI18n();
  const { path, route } = useLocation();
  const homeId = useStore(currentHomeId);
  const provider = useStore(tenant);
  const branding = provider?.branding;

  const hasHomes = HOME_ROLES.includes(user.role);
  useEffect(() => {
    if (hasHomes) void loadHomes();
    void loadTenant();
  }, [user.id]);
  useEffect(() => (homeId ? runLiveFeed(homeId) : undefined), [homeId]);

  const logout = () => {
    route('/login', true);
    void api.logout();
  };

  return (
    <div class="app">
      <a class="skip-link" href="#main">
        {t('app.skip')}
      </a>
      <header class="topbar">
        <a class="brand" href="/" data-testid="brand">
          {branding?.logoUrl ? (
            <img class="brand-logo" src={branding.logoUrl} alt="" height="24" />
          ) : (
            <svg viewBox="0 0 16 16" width="22" height="22" aria-hidden="true">
              <path d="M8 1 1 7h2v8h4v-5h2v5h4V7h2z" fill="currentColor" />
            </svg>
          )}
          {branding?.displayName || t('app.name')}
        </a>
        <nav class="nav" aria-label={t('nav.label')}>
          {NAV.filter((item) => item.roles.includes(user.role)).map((item) => (
            <a
              key={item.href}
              href={item.href}
              class="nav-link"
              aria-current={item.active(path) ? 'page' : undefined}
            >
              {t(item.text)}
            </a>
          ))}
        </nav>
        <div class="topbar-tools">
          {hasHomes && <HomeSwitcher />}
          {homeId && <LiveIndicator />}
          <label class="field-inline">
            <span class="field-label">{t('header.language')}</span>
            <LanguageSelect />
          </label>
          <button
            type="button"
            class="button button-quiet"
            onClick={logout}
            title={t('header.signedInAs', { email: user.email })}
          >
            {t('header.logout')}
          </button>
        </div>
      </header>
      <main id="main" class="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

function HomeSwitcher() {
  const { t } = useI18n();
  const { route } = useLocation();
  const list = useStore(homes);
  const homeId = useStore(currentHomeId);
  const items = list.data ?? [];
  // Outside a home's pages (settings, console) the last home used stays selected.
  const shown = homeId ?? lastHomeId();
  const known = shown !== null && items.some((home) => home.id === shown);
  return (
    <div class="field-inline">
      <label class="field-label" for="home-switcher">
        {t('header.home')}
      </label>
      <select
        id="home-switcher"
        data-testid="home-switcher"
        value={known ? shown : ''}
        disabled={items.length === 0}
        onChange={(event) => {
          const id = event.currentTarget.value;
          if (id) route(`/homes/${encodeURIComponent(id)}`);
        }}
      >
        {!known && <option value="">—</option>}
        {items.map((home) => (
          <option key={home.id} value={home.id}>
            {home.name}
          </option>
        ))}
      </select>
    </div>
  );
}

function LiveIndicator() {
  const { t } = useI18n();
  const state = useStore(liveState);
  const text = t(`live.${state}`);
  return (
    <span
      class={`live live-${state}`}
      data-testid="live"
      data-state={state}
      role="status"
      aria-label={t('live.label', { state: text })}
    >
      <span class="dot" aria-hidden="true" />
      <span class="live-text">{text}</span>
    </span>
  );
}
