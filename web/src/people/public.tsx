import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, ApiError, session } from '../api.ts';
import { AccountFields } from '../components/card.tsx';
import { TextField } from '../components/form.tsx';
import { ErrorMessage, Loading } from '../components/status.tsx';
import { errorText } from '../format.ts';
import { useResource, useTitle } from '../hooks.ts';
import { useI18n, type Language, type Translate } from '../i18n.ts';
import { loadHomes } from '../state.ts';
import { storage, useStore } from '../store.ts';
import {
  FormProblem,
  MIN_PASSWORD_LENGTH,
  rememberedTenant,
  type AcceptAnswer,
  type InvitationPreview,
} from './api.ts';
import { FormError, PublicCard } from './shared.tsx';
import './people.css';

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

/** An invitation's role in words: a home's roles, or the provider's for a provider invitation. */
function roleText(preview: InvitationPreview, t: Translate): string {
  switch (preview.role) {
    case 'owner':
    case 'member':
    case 'guest':
      return t(`homes.role.${preview.role}`);
    case 'user':
    case 'tenant_admin':
    case 'platform_admin':
      return t(`users.role.${preview.role}`);
  }
}

/** "<inviter> invited you to <home> (<provider>) as <role>", or without the inviter when unknown. */
function offerText(preview: InvitationPreview, t: Translate): string {
  const params = {
    inviter: preview.invitedBy ? (preview.invitedBy.name ?? preview.invitedBy.email) : '',
    home: preview.homeName ?? '',
    provider: preview.tenantName,
    role: roleText(preview, t),
  };
  if (preview.kind === 'home' && preview.homeName !== null)
    return t(preview.invitedBy ? 'invite.accept.offerHome' : 'invite.accept.offerHomeUnsigned', params);
  return t(preview.invitedBy ? 'invite.accept.offerProvider' : 'invite.accept.offerProviderUnsigned', params);
}

function formatExpiry(iso: string, locale: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

function sameAddress(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/**
 * `/accept-invitation?token=…`: what the invitation offers (read before anything is accepted),
 * then the one way on for this visitor: an invited person without an account chooses a name and
 * password (the account is made in the dashboard's language and signed in); one with an account
 * logs in and accepts; anyone signed in as someone else logs out first.
 */
export function AcceptInvitationPage() {
  const { t } = useI18n();
  const { query } = useLocation();
  const token = query.token ?? '';
  const preview = useResource(
    (signal) =>
      token
        ? api.post<InvitationPreview>('/v1/invitations/preview', { token }, { signal })
        : Promise.reject(new FormProblem(t('people.error.linkMissing'))),
    [token],
  );
  useTitle(t('invite.accept.title'));

  const loaded = preview.state.data;
  const failure = preview.state.status === 'error' ? preview.state.error : null;
  const broken = !token || (failure instanceof ApiError && failure.code === 'HESTIA_TOKEN_INVALID');

  return (
    <PublicCard title={t('invite.accept.title')} testId="accept-invitation">
      {broken ? (
        <>
          <p class="notice notice-error" role="alert" data-testid="invitation-invalid">
            {token ? t('people.error.linkInvalid') : t('people.error.linkMissing')}
          </p>
          <a class="button" href="/">
            {t('people.toApp')}
          </a>
        </>
      ) : loaded === undefined ? (
        failure !== null ? (
          <ErrorMessage error={failure} onRetry={() => preview.reload()} />
        ) : (
          <Loading label={t('invite.accept.loading')} />
        )
      ) : (
        <>
          <InvitationOffer preview={loaded} />
          <AcceptStep preview={loaded} token={token} />
        </>
      )}
    </PublicCard>
  );
}

/** What the invitation offers: who invited whom to what, until when. */
function InvitationOffer({ preview }: { preview: InvitationPreview }) {
  const { t, locale } = useI18n();
  return (
    <div class="people-offer" data-testid="invitation-preview">
      <p class="people-offer-text" data-testid="invitation-offer">
        {offerText(preview, t)}
      </p>
      <dl class="people-facts">
        <div>
          <dt>{t('invite.accept.for')}</dt>
          <dd class="people-email" data-testid="invitation-email">
            {preview.email}
          </dd>
        </div>
        <div>
          <dt>{t('invite.accept.validUntil')}</dt>
          <dd>
            <time dateTime={preview.expiresAt} data-testid="invitation-expires">
              {formatExpiry(preview.expiresAt, locale)}
            </time>
          </dd>
        </div>
      </dl>
    </div>
  );
}

/** The way on for this visitor, decided by the session and whether the invited account exists. */
function AcceptStep({ preview, token }: { preview: InvitationPreview; token: string }) {
  const { t, lang } = useI18n();
  const { url, route } = useLocation();
  const current = useStore(session);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [repeated, setRepeated] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  // The login page opens with the provider and the invited address filled in.
  const loginUrl = `/login?${new URLSearchParams({ tenant: preview.tenantSlug, email: preview.email, next: url })}`;

  const accept = async (body: { token: string; password?: string; name?: string; language?: Language }) => {
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
    void accept({ token, password, language: lang, ...(trimmed ? { name: trimmed } : {}) });
  };

  // The page stays: the same invitation, now for a visitor without a session.
  const logOut = async () => {
    setBusy(true);
    await api.logout();
    setError(null);
    setBusy(false);
  };

  const refusedOther = error instanceof ApiError && error.code === 'HESTIA_INVITATION_OTHER_ACCOUNT';
  if (current && (refusedOther || !sameAddress(current.user.email, preview.email)))
    return (
      <div data-testid="accept-other-account">
        <p class="notice notice-warning" role="alert">
          {refusedOther
            ? errorText(error, t)
            : t('invite.accept.otherAccount', { email: preview.email, current: current.user.email })}
        </p>
        <button
          type="button"
          class="button button-primary people-block"
          disabled={busy}
          data-testid="accept-logout"
          onClick={() => void logOut()}
        >
          {busy ? t('invite.accept.loggingOut') : t('invite.accept.logOutContinue')}
        </button>
        <p class="people-public-links">
          <a href="/">{t('people.toApp')}</a>
        </p>
      </div>
    );

  // Signed in as the invited person: one button. (An address without an account here, e.g. one of
  // another provider, goes on to the form below: the invitation makes its account.)
  if (current && preview.accountExists)
    return (
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void accept({ token });
        }}
      >
        <p>{t('invite.accept.signedInAs', { email: current.user.email })}</p>
        <FormError error={error} />
        <button
          type="submit"
          class="button button-primary people-block"
          disabled={busy}
          data-testid="accept-invitation-submit"
        >
          {busy ? t('invite.accept.accepting') : t('invite.accept.accept')}
        </button>
      </form>
    );

  // The account exists (or the API says so, having been made since the page loaded): log in first.
  const needsLogin =
    !current && (preview.accountExists || (error instanceof ApiError && error.status === 401));
  if (needsLogin)
    return (
      <div data-testid="accept-login-step">
        <p>{t('invite.accept.hasAccount', { email: preview.email })}</p>
        <a class="button button-primary people-block" href={loginUrl} data-testid="accept-login">
          {t('invite.accept.login')}
        </a>
        <p class="people-public-links">
          <a href="/forgot-password">{t('password.forgotLink')}</a>
        </p>
      </div>
    );

  return (
    <form onSubmit={createAccount} noValidate data-testid="accept-invitation-form">
      <p class="muted">{t('invite.accept.newAccount', { email: preview.email })}</p>
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
      <FormError error={error} />
      <button
        type="submit"
        class="button button-primary people-block"
        disabled={busy}
        data-testid="accept-invitation-submit"
      >
        {busy ? t('invite.accept.creating') : t('invite.accept.create')}
      </button>
    </form>
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
