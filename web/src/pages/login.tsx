import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, session } from '../api.ts';
import { errorText } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { AccountFields, LoginCard } from '../components/card.tsx';
import { arrival } from './homes.tsx';
import { storage, useStore } from '../store.ts';
import { TextField } from '../components/form.tsx';

const TENANT_KEY = 'hestia.tenant';

/** Where to go after logging in: a path of this app only (never another site). */
function safeNext(next: string | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/';
}

export function LoginPage() {
  const { t } = useI18n();
  const { query, route } = useLocation();
  const current = useStore(session);
  const [tenant, setTenant] = useState(() => query.tenant ?? storage.read(TENANT_KEY) ?? '');
  const [email, setEmail] = useState(() => query.email ?? '');
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
    <LoginCard
      title={t('login.title')}
      testId="login-form"
      onSubmit={(event) => void submit(event)}
      noValidate
    >
      {query.expired && !error && (
        <p class="notice" role="status">
          {t('login.expired')}
        </p>
      )}
      <AccountFields
        idPrefix="login"
        tenant={tenant}
        email={email}
        onTenant={setTenant}
        onEmail={setEmail}
        providerHint={t('login.providerHint')}
      />
      <TextField
        id="login-password"
        label={t('login.password')}
        name="password"
        type="password"
        autocomplete="current-password"
        required
        value={password}
        onValue={setPassword}
      />
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
      <p class="small">
        <a
          href={`/signup${tenant.trim() ? `?tenant=${encodeURIComponent(tenant.trim())}` : ''}`}
          data-testid="signup-link"
        >
          {t('signup.link')}
        </a>
      </p>
    </LoginCard>
  );
}
