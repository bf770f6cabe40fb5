import type { ComponentChildren } from 'preact';
import { LANGUAGES, setLanguage, useI18n, type Language } from '../i18n.ts';
import { TextField } from './form.tsx';

/** The language picker; `aria-label` names it where no visible label does. */
export function LanguageSelect({ ariaLabel }: { ariaLabel?: string }) {
  const { lang } = useI18n();
  return (
    <select
      aria-label={ariaLabel}
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
  );
}

/**
 * The card of the pages used signed out (logging in, the pages opened from a mailed link): a
 * title and the language choice above the content. With `onSubmit` the card is the form.
 */
export function LoginCard(props: {
  title: string;
  testId: string;
  class?: string;
  onSubmit?: (event: Event) => void;
  noValidate?: boolean;
  children: ComponentChildren;
}) {
  const { t } = useI18n();
  const head = (
    <div class="login-head">
      <h1>{props.title}</h1>
      <LanguageSelect ariaLabel={t('header.language')} />
    </div>
  );
  // The login page's card is its form; the mailed-link pages hold their forms inside.
  const Card = props.onSubmit ? 'form' : 'div';
  return (
    <main class="login" id="main">
      <Card
        class={`card login-card ${props.class ?? ''}`}
        data-testid={props.testId}
        onSubmit={props.onSubmit}
        noValidate={props.noValidate}
      >
        {head}
        {props.children}
      </Card>
    </main>
  );
}

/** The provider (left empty by platform admins) and e-mail address that name an account. */
export function AccountFields(props: {
  idPrefix: string;
  tenant: string;
  email: string;
  onTenant: (tenant: string) => void;
  onEmail: (email: string) => void;
  providerHint: string;
}) {
  const { t } = useI18n();
  return (
    <>
      <TextField
        id={`${props.idPrefix}-tenant`}
        label={t('login.provider')}
        name="tenant"
        autocomplete="organization"
        autocapitalize="none"
        spellcheck={false}
        value={props.tenant}
        onValue={props.onTenant}
        hint={props.providerHint}
      />
      <TextField
        id={`${props.idPrefix}-email`}
        label={t('login.email')}
        name="email"
        type="email"
        autocomplete="username"
        autocapitalize="none"
        required
        value={props.email}
        onValue={props.onEmail}
      />
    </>
  );
}
