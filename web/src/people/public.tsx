import { useEffect, useState } from 'preact/hooks';
import { AccountFields } from '../components/card.tsx';
import { useLocation } from 'preact-iso';
import { api, ApiError, session } from '../api.ts';
import { useTitle } from '../hooks.ts';
import { useI18n, type Translate } from '../i18n.ts';
import { loadHomes } from '../state.ts';
import { storage, useStore } from '../store.ts';
import { FormProblem, MIN_PASSWORD_LENGTH, rememberedTenant, type AcceptAnswer } from './api.ts';
import { FormError, PublicCard } from './shared.tsx';
import './people.css';
import { TextField } from '../components/form.tsx';

/** A new password, typed twice; the reason it cannot be sent, or null. */
function passwordProblem(password: string, repeated: string, t: Translate): FormProblem | null {
  if (password.length < MIN_PASSWORD_LENGTH)
    return new FormProblem(t('password.tooShort', { count: MIN_PASSWORD_LENGTH }));
  if (password !== repeated) return new FormProblem(t('password.mismatch'));
  return null;
}

function NewPasswordFields(props: {
  idPrefix: string;
  password: string;
  repeated: string;
  onPassword: (value: string) => void;
  onRepeated: (value: string) => void;
}) {
  const { t } = useI18n();
  return (
    <>
      <div class="field">
        <label for={`${props.idPrefix}-password`}>{t('password.new')}</label>
        <input
          id={`${props.idPrefix}-password`}
          name="new-password"
          type="password"
          autocomplete="new-password"
          required
          minLength={MIN_PASSWORD_LENGTH}
          value={props.password}
          onInput={(event) => props.onPassword(event.currentTarget.value)}
          aria-describedby={`${props.idPrefix}-password-hint`}
        />
        <small id={`${props.idPrefix}-password-hint`} class="hint">
          {t('password.hint', { count: MIN_PASSWORD_LENGTH })}
        </small>
      </div>
      <div class="field">
        <label for={`${props.idPrefix}-repeat`}>{t('password.repeat')}</label>
        <input
          id={`${props.idPrefix}-repeat`}
          name="repeat-password"
          type="password"
          autocomplete="new-password"
          required
          value={props.repeated}
          onInput={(event) => props.onRepeated(event.currentTarget.value)}
        />
      </div>
    </>
  );
}

/** Where the app goes once an invitation is accepted: the home joined, or the homes. */
function afterAccepting(homeId: string | null): string {
  return homeId ? `/homes/${encodeURIComponent(homeId)}` : '/';
}

/**
 * `/accept-invitation?token=…`: a new person chooses a name and password (the account is made
 * and signed in); a person with an account logs in and accepts. The API does not tell about an
 * invitation before it is accepted, so the page speaks of it in general words.
 */
export function AcceptInvitationPage() {
  const { t } = useI18n();
  const { query, url, route } = useLocation();
  const current = useStore(session);
  const token = query.token ?? '';
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [repeated, setRepeated] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useTitle(t('invite.accept.title'));

  const loginUrl = `/login?next=${encodeURIComponent(url)}`;

  const accept = async (body: { token: string; password?: string; name?: string }) => {
    setBusy(true);
    setError(null);
    try {
      const answer = await api.post<AcceptAnswer>('/v1/invitations/accept', body);
      if (answer.session) session.set(answer.session);
      void loadHomes();
      route(afterAccepting(answer.homeId), true);
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };

  const createAccount = (event: Event) => {
    event.preventDefault();
    const problem = passwordProblem(password, repeated, t);
    if (problem) {
      setError(problem);
      return;
    }
    const trimmed = name.trim();
    void accept({ token, password, ...(trimmed ? { name: trimmed } : {}) });
  };

  const switchAccount = async () => {
    await api.logout();
    route(loginUrl);
  };

  if (!token)
    return (
      <PublicCard title={t('invite.accept.title')} testId="accept-invitation">
        <p class="notice notice-error" role="alert">
          {t('people.error.linkMissing')}
        </p>
        <a class="button" href="/">
          {t('people.toApp')}
        </a>
      </PublicCard>
    );

  // Signed in: the invitation is for this account, or the API says it is for another one.
  const otherAccount = error instanceof ApiError && error.status === 401;
  const spent = error instanceof ApiError && error.code === 'HESTIA_TOKEN_INVALID';

  return (
    <PublicCard title={t('invite.accept.title')} testId="accept-invitation">
      <p>{t('invite.accept.intro')}</p>
      {current ? (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void accept({ token });
          }}
        >
          <p>{t('invite.accept.signedInAs', { email: current.user.email })}</p>
          <AcceptSubmit
            error={error}
            otherAccount={otherAccount ? t('invite.accept.otherAccount', { message: error.message }) : null}
            spent={spent}
            busy={busy}
            busyText={t('invite.accept.accepting')}
            text={t('invite.accept.accept')}
          />
          <p class="people-public-links">
            <button type="button" class="button button-quiet" onClick={() => void switchAccount()}>
              {t('invite.accept.switchAccount')}
            </button>
            <a href="/">{t('people.toApp')}</a>
          </p>
        </form>
      ) : (
        <form onSubmit={createAccount} noValidate data-testid="accept-invitation-form">
          <p class="muted">{t('invite.accept.newAccount')}</p>
          <TextField
            id="accept-name"
            label={t('invite.accept.name')}
            name="name"
            autocomplete="name"
            maxLength={100}
            value={name}
            onValue={setName}
          />
          <NewPasswordFields
            idPrefix="accept"
            password={password}
            repeated={repeated}
            onPassword={setPassword}
            onRepeated={setRepeated}
          />
          <AcceptSubmit
            error={error}
            otherAccount={otherAccount ? t('invite.accept.hasAccount') : null}
            spent={spent}
            busy={busy}
            busyText={t('invite.accept.creating')}
            text={t('invite.accept.create')}
          />
          <p class="people-public-links">
            <a href={loginUrl} data-testid="accept-login">
              {t('invite.accept.login')}
            </a>
          </p>
        </form>
      )}
    </PublicCard>
  );
}

/** The end of the invitation's forms: the error (in the words for a wrong account) and the button. */
function AcceptSubmit(props: {
  error: unknown;
  otherAccount: string | null;
  spent: boolean;
  busy: boolean;
  busyText: string;
  text: string;
}) {
  return (
    <>
      {props.otherAccount !== null ? (
        <p class="notice notice-error" role="alert" data-testid="form-error">
          {props.otherAccount}
        </p>
      ) : (
        <FormError error={props.error} />
      )}
      {!props.spent && (
        <button
          type="submit"
          class="button button-primary"
          disabled={props.busy}
          data-testid="accept-invitation-submit"
        >
          {props.busy ? props.busyText : props.text}
        </button>
      )}
    </>
  );
}

/** `/forgot-password`: asks for a reset link; the answer never says whether the account exists. */
export function ForgotPasswordPage() {
  const { t } = useI18n();
  const { query } = useLocation();
  const current = useStore(session);
  const [tenant, setTenant] = useState(() => rememberedTenant(query.tenant));
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [sentTo, setSentTo] = useState<string | null>(null);
  useTitle(t('password.forgot.title'));

  const submit = async (event: Event) => {
    event.preventDefault();
    const address = email.trim();
    if (!address) {
      setError(new FormProblem(t('password.forgot.emailMissing')));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const provider = tenant.trim();
      await api.post('/v1/auth/password-reset', {
        email: address,
        ...(provider ? { tenant: provider } : {}),
      });
      storage.write('hestia.tenant', provider || null);
      setSentTo(address);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const back = current ? '/' : `/login${tenant.trim() ? `?tenant=${encodeURIComponent(tenant.trim())}` : ''}`;

  if (sentTo !== null)
    return (
      <PublicCard title={t('password.forgot.title')} testId="forgot-password">
        <p class="notice notice-ok" role="status" data-testid="forgot-password-sent">
          {t('password.forgot.sent', { email: sentTo })}
        </p>
        <p class="people-public-links">
          <a href={back}>{t('password.backToLogin')}</a>
        </p>
      </PublicCard>
    );

  return (
    <PublicCard title={t('password.forgot.title')} testId="forgot-password">
      <form onSubmit={(event) => void submit(event)} noValidate data-testid="forgot-password-form">
        <p>{t('password.forgot.intro')}</p>
        <AccountFields
          idPrefix="forgot"
          tenant={tenant}
          email={email}
          onTenant={setTenant}
          onEmail={setEmail}
          providerHint={t('password.providerHint')}
        />
        <FormError error={error} />
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? t('password.forgot.sending') : t('password.forgot.submit')}
        </button>
        <p class="people-public-links">
          <a href={back}>{t('password.backToLogin')}</a>
        </p>
      </form>
    </PublicCard>
  );
}

/** `/reset-password?token=…`: a new password, typed twice; then on to the login page. */
export function ResetPasswordPage() {
  const { t } = useI18n();
  const { query } = useLocation();
  const token = query.token ?? '';
  const [password, setPassword] = useState('');
  const [repeated, setRepeated] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  useTitle(t('password.reset.title'));

  // Every session of the account ended with the reset: a session kept here would only fail later.
  useEffect(() => {
    if (done && session.get()) void api.logout();
  }, [done]);

  const submit = async (event: Event) => {
    event.preventDefault();
    const problem = passwordProblem(password, repeated, t);
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.post('/v1/auth/password-reset/confirm', { token, newPassword: password });
      setDone(true);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  if (done)
    return (
      <PublicCard title={t('password.reset.title')} testId="reset-password">
        <p class="notice notice-ok" role="status" data-testid="reset-password-done">
          {t('password.reset.done')}
        </p>
        <a class="button button-primary people-block" href="/login" data-testid="reset-password-login">
          {t('password.reset.login')}
        </a>
      </PublicCard>
    );

  const spent = error instanceof ApiError && error.code === 'HESTIA_TOKEN_INVALID';
  return (
    <PublicCard title={t('password.reset.title')} testId="reset-password">
      {!token ? (
        <p class="notice notice-error" role="alert">
          {t('people.error.linkMissing')}
        </p>
      ) : (
        <form onSubmit={(event) => void submit(event)} noValidate data-testid="reset-password-form">
          <NewPasswordFields
            idPrefix="reset"
            password={password}
            repeated={repeated}
            onPassword={setPassword}
            onRepeated={setRepeated}
          />
          <FormError error={error} />
          <button type="submit" class="button button-primary" disabled={busy || spent}>
            {busy ? t('password.reset.saving') : t('password.reset.submit')}
          </button>
        </form>
      )}
      <p class="people-public-links">
        <a href="/forgot-password">{t('password.reset.again')}</a>
        <a href="/login">{t('password.backToLogin')}</a>
      </p>
    </PublicCard>
  );
}
