import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, ApiError, isAbort, session, type Session } from '../api.ts';
import { LoginCard } from '../components/card.tsx';
import { TextField } from '../components/form.tsx';
import { Loading } from '../components/status.tsx';
import { useTitle } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { MIN_PASSWORD_LENGTH, rememberedTenant } from '../people/api.ts';
import { storage, useStore } from '../store.ts';
import { FormProblem, providerName, type PublicTenant } from './api.ts';
import { FormError } from './home-form.tsx';
import './onboarding.css';

/** Wait this long after the last keystroke before looking the provider up. */
const LOOKUP_DELAY_MS = 400;

/** What is known of the provider typed: nothing yet, being looked up, found, or not found. */
type ProviderLookup =
  | { state: 'idle' }
  | { state: 'checking'; slug: string }
  | { state: 'found'; slug: string; tenant: PublicTenant }
  | { state: 'unknown'; slug: string }
  | { state: 'error'; slug: string; error: unknown };

/** Looks up the provider typed (debounced): its name, and whether its sign-up is open. */
function useProvider(slug: string): ProviderLookup {
  const [lookup, setLookup] = useState<ProviderLookup>({ state: 'idle' });
  useEffect(() => {
    if (!slug) {
      setLookup({ state: 'idle' });
      return undefined;
    }
    setLookup({ state: 'checking', slug });
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api
        .get<PublicTenant>(`/v1/public/tenants/${encodeURIComponent(slug)}`, { signal: controller.signal })
        .then(
          (tenant) => setLookup({ state: 'found', slug, tenant }),
          (error: unknown) => {
            if (controller.signal.aborted || isAbort(error)) return;
            setLookup(
              error instanceof ApiError && error.status === 404
                ? { state: 'unknown', slug }
                : { state: 'error', slug, error },
            );
          },
        );
    }, LOOKUP_DELAY_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [slug]);
  return lookup;
}

/** What the page says of the provider under its field. */
function ProviderStatus({ lookup }: { lookup: ProviderLookup }) {
  const { t } = useI18n();
  switch (lookup.state) {
    case 'idle':
      return null;
    case 'checking':
      return <Loading label={t('signup.providerChecking')} />;
    case 'found':
      return lookup.tenant.signupOpen ? (
        <p class="notice" role="status" data-testid="signup-provider">
          {t('signup.providerOpen', { name: providerName(lookup.tenant) })}
        </p>
      ) : (
        <p class="notice notice-warning" role="alert" data-testid="signup-closed">
          {t('signup.providerClosed', { name: providerName(lookup.tenant) })}
        </p>
      );
    case 'unknown':
      return (
        <p class="notice notice-warning" role="alert" data-testid="signup-unknown">
          {t('signup.providerUnknown', { slug: lookup.slug })}
        </p>
      );
    case 'error':
      // The form still works: the sign-up's own answer will say what is wrong.
      return null;
  }
}

/**
 * `/signup`: an account with a provider whose sign-up is open, in the dashboard's language; the
 * person is signed in and goes on to the homes page, which offers to create the first home.
 */
export function SignupPage() {
  const { t, lang } = useI18n();
  const { query, route } = useLocation();
  const current = useStore(session);
  const [tenant, setTenant] = useState(() => rememberedTenant(query.tenant));
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [repeated, setRepeated] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState(false);
  useTitle(t('signup.title'));

  const slug = tenant.trim();
  const lookup = useProvider(slug);
  const closed = lookup.state === 'found' && !lookup.tenant.signupOpen;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!slug) return setError(new FormProblem(t('signup.providerMissing')));
    if (password !== repeated) return setError(new FormProblem(t('signup.mismatch')));
    setBusy(true);
    setError(null);
    try {
      const trimmedName = name.trim();
      const started = await api.post<Session>('/v1/auth/signup', {
        tenant: slug,
        email: email.trim(),
        password,
        language: lang,
        ...(trimmedName ? { name: trimmedName } : {}),
      });
      storage.write('hestia.tenant', slug);
      setCreated(true);
      session.set(started);
      route('/', true);
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.code === 'HESTIA_CONFLICT'
          ? new FormProblem(t('signup.taken'))
          : failure,
      );
      setBusy(false);
    }
  };

  const loginUrl = `/login${slug ? `?tenant=${encodeURIComponent(slug)}` : ''}`;

  // Someone is signed in here already (and not just now): one account per browser session.
  if (current && !created)
    return (
      <LoginCard title={t('signup.title')} testId="signup" class="onboarding-signup">
        <p class="notice" role="status">
          {t('signup.signedIn', { email: current.user.email })}
        </p>
        <div class="row-actions">
          <a class="button button-primary" href="/">
            {t('signup.toApp')}
          </a>
          <button type="button" class="button" onClick={() => void api.logout()}>
            {t('signup.logout')}
          </button>
        </div>
      </LoginCard>
    );

  return (
    <LoginCard
      title={t('signup.title')}
      testId="signup-form"
      class="onboarding-signup"
      onSubmit={(event) => void submit(event)}
      noValidate
    >
      <TextField
        id="signup-tenant"
        label={t('login.provider')}
        name="tenant"
        autocomplete="organization"
        autocapitalize="none"
        spellcheck={false}
        required
        value={tenant}
        onValue={setTenant}
        hint={t('signup.providerHint')}
      />
      <ProviderStatus lookup={lookup} />
      <TextField
        id="signup-name"
        label={t('signup.name')}
        name="name"
        autocomplete="name"
        maxLength={100}
        value={name}
        onValue={setName}
        hint={t('signup.nameHint')}
      />
      <TextField
        id="signup-email"
        label={t('signup.email')}
        name="email"
        type="email"
        autocomplete="email"
        autocapitalize="none"
        required
        value={email}
        onValue={setEmail}
      />
      <TextField
        id="signup-password"
        label={t('signup.password')}
        name="new-password"
        type="password"
        autocomplete="new-password"
        required
        value={password}
        onValue={(value) => {
          setPassword(value);
          setError(null);
        }}
        hint={t('signup.passwordHint', { count: MIN_PASSWORD_LENGTH })}
      />
      <TextField
        id="signup-repeat"
        label={t('signup.repeat')}
        name="repeat-password"
        type="password"
        autocomplete="new-password"
        required
        value={repeated}
        onValue={(value) => {
          setRepeated(value);
          setError(null);
        }}
      />
      <FormError error={error} />
      <button type="submit" class="button button-primary" disabled={busy || closed}>
        {busy ? t('signup.submitting') : t('signup.submit')}
      </button>
      <p class="onboarding-links small">
        <span>{t('signup.haveAccount')}</span>
        <a href={loginUrl} data-testid="signup-login-link">
          {t('signup.login')}
        </a>
      </p>
    </LoginCard>
  );
}
