import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { LANGUAGES, setLanguage, useI18n, type Language } from '../i18n.ts';
import { formProblemText } from './api.ts';

/**
 * A question before a destructive action, in the browser's own modal `<dialog>` (focus kept
 * inside, Escape cancels); open while rendered. The confirming button has the focus first only
 * when `focusConfirm` is set: by default Cancel does, so Enter alone does not destroy anything.
 */
export function ConfirmDialog(props: {
  title: string;
  testId: string;
  confirmText: string;
  busy: boolean;
  error: unknown;
  onConfirm: () => void;
  onCancel: () => void;
  children?: ComponentChildren;
}) {
  const { t } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      class="dialog"
      data-testid={props.testId}
      aria-labelledby={`${props.testId}-title`}
      onCancel={(event) => {
        event.preventDefault();
        if (!props.busy) props.onCancel();
      }}
    >
      <h2 id={`${props.testId}-title`}>{props.title}</h2>
      {props.children}
      {props.error !== null && props.error !== undefined && (
        <p class="notice notice-error" role="alert">
          {formProblemText(props.error, t)}
        </p>
      )}
      <div class="dialog-actions people-dialog-actions">
        <button type="button" class="button" onClick={props.onCancel} disabled={props.busy} autoFocus>
          {t('people.cancel')}
        </button>
        <button
          type="button"
          class="button button-primary people-danger"
          onClick={props.onConfirm}
          disabled={props.busy}
          data-testid={`${props.testId}-confirm`}
        >
          {props.busy ? t('people.working') : props.confirmText}
        </button>
      </div>
    </dialog>
  );
}

/** The frame of the pages opened from a mailed link: the login page's card and language choice. */
export function PublicCard(props: { title: string; testId: string; children: ComponentChildren }) {
  const { t, lang } = useI18n();
  return (
    <main class="login" id="main">
      <div class="card login-card people-public" data-testid={props.testId}>
        <div class="login-head">
          <h1>{props.title}</h1>
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
        {props.children}
      </div>
    </main>
  );
}

/** A form's error, in words. */
export function FormError({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (error === null || error === undefined) return null;
  return (
    <p class="notice notice-error" role="alert" data-testid="form-error">
      {formProblemText(error, t)}
    </p>
  );
}
