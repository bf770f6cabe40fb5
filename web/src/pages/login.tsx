import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, session } from '../api.ts';
import { errorText } from '../format.ts';
import { LANGUAGES, setLanguage, useI18n, type Language } from '../i18n.ts';
import { arrival } from './homes.tsx';
import { storage, useStore } from '../store.ts';

const TENANT_KEY = 'hestia.tenant';

/** Where to go after logging in: a path of this app only (never another site). */
function safeNext(next: string | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/';
}

export function LoginPage() {
  const { t, lang } = useI18n();
  const { query, route } = useLocation();
  const current = useStore(session);
  const [tenant, setTenant] = useState(() => query.tenant ?? storage.read(TENANT_KEY) ?? '');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  // Already signed in (another tab, or the back button): straight on.
  useEffect(() => {
    if (current) route(safeNext(query.next), true);
  }, [current]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const provider = tenant.trim();
      await api.login({ ...(provider ? { tenant: provider } : {}), email: email.trim(), password });
      storage.write(TENANT_KEY, provider || null);
      arrival.pending = true;
      // The effect above moves on once the session is set.
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };

  return (
    <main class="login" id="main">
      <form
        class="card login-card"
        data-testid="login-form"
        onSubmit={(event) => void submit(event)}
        noValidate
      >
        <div class="login-head">
          <h1>{t('login.title')}</h1>
          <select
            aria-label={t('header.language')}
            data-testid="language"
            value={lang}
            onChange={(event) => setLanguage(event.currentTarget.value as Language)}
          >
            {LANGUAGES.map((l) => (
              <option key={l.code} value={l.code} lang={l.locale}>
                {l.name}
              </option>
            ))}
          </select>
        </div>
        {query.expired && !error && (
          <p class="notice" role="status">
            {t('login.expired')}
          </p>
        )}
        <div class="field">
          <label for="login-tenant">{t('login.provider')}</label>
          <input
            id="login-tenant"
            name="tenant"
            autocomplete="organization"
            autocapitalize="none"
            spellcheck={false}
            value={tenant}
            onInput={(event) => setTenant(event.currentTarget.value)}
            aria-describedby="login-tenant-hint"
          />
          <small id="login-tenant-hint" class="hint">
            {t('login.providerHint')}
          </small>
        </div>
        <div class="field">
          <label for="login-email">{t('login.email')}</label>
          <input
            id="login-email"
            name="email"
            type="email"
            autocomplete="username"
            autocapitalize="none"
            required
            value={email}
            onInput={(event) => setEmail(event.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="login-password">{t('login.password')}</label>
          <input
            id="login-password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(event) => setPassword(event.currentTarget.value)}
          />
        </div>
        {error !== null && (
          <p class="notice notice-error" role="alert">
            {errorText(error, t)}
          </p>
        )}
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? t('login.submitting') : t('login.submit')}
        </button>
        <p class="small">
          <a
            href={`/forgot-password${tenant.trim() ? `?tenant=${encodeURIComponent(tenant.trim())}` : ''}`}
            data-testid="forgot-password-link"
          >
            {t('password.forgotLink')}
          </a>
        </p>
      </form>
    </main>
  );
}
