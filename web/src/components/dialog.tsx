import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useI18n } from '../i18n.ts';

/**
 * The browser's own modal `<dialog>` (focus kept inside, Escape closes it), open while it is
 * rendered, titled by its first heading.
 */
function Modal(props: {
  testId: string;
  title: string;
  onClose?: () => void;
  onCancel?: (event: Event) => void;
  dialogRef?: { current: HTMLDialogElement | null };
  children: ComponentChildren;
}) {
  const ownRef = useRef<HTMLDialogElement>(null);
  const ref = props.dialogRef ?? ownRef;
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
      onClose={props.onClose}
      onCancel={props.onCancel}
    >
      <h2 id={`${props.testId}-title`}>{props.title}</h2>
      {props.children}
    </dialog>
  );
}

/** A modal dialog that shows something (a result, a secret) until it is closed. */
export function Dialog(props: {
  title: string;
  testId: string;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const { t } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  return (
    <Modal title={props.title} testId={props.testId} onClose={props.onClose} dialogRef={ref}>
      {props.children}
      <div class="dialog-actions">
        <button type="button" class="button button-primary" onClick={() => ref.current?.close()}>
          {t('common.close')}
        </button>
      </div>
    </Modal>
  );
}

/**
 * A question before a destructive action, in a modal dialog (Escape cancels). Cancel has the
 * focus first, so Enter alone does not destroy anything.
 */
export function ConfirmDialog(props: {
  title: string;
  testId: string;
  confirmText: string;
  /** What the confirming button says while the action runs. */
  busyText: string;
  busy: boolean;
  /** The action's failure, already in words. */
  error: string | null;
  onConfirm: () => void;
  onCancel: () => void;
  children?: ComponentChildren;
}) {
  const { t } = useI18n();
  return (
    <Modal
      title={props.title}
      testId={props.testId}
      onCancel={(event) => {
        event.preventDefault();
        if (!props.busy) props.onCancel();
      }}
    >
      {props.children}
      {props.error !== null && (
        <p class="notice notice-error" role="alert">
          {props.error}
        </p>
      )}
      <div class="dialog-actions dialog-actions-confirm">
        <button type="button" class="button" onClick={props.onCancel} disabled={props.busy} autoFocus>
          {t('common.cancel')}
        </button>
        <button
          type="button"
          class="button button-primary button-danger"
          onClick={props.onConfirm}
          disabled={props.busy}
          data-testid={`${props.testId}-confirm`}
        >
          {props.busy ? props.busyText : props.confirmText}
        </button>
      </div>
    </Modal>
  );
}

/** A secret shown once, with a button that copies it. */
export function SecretValue({ label, value, testId }: { label: string; value: string; testId: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const copy = () => {
    navigator.clipboard?.writeText(value).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return (
    <div class="secret">
      <span class="field-label">{label}</span>
      <code class="secret-value" data-testid={testId}>
        {value}
      </code>
      <button
        type="button"
        class="button button-small"
        onClick={copy}
        aria-label={t('console.copy', { what: label })}
      >
        {copied ? t('console.copied') : t('console.copyShort')}
      </button>
    </div>
  );
}
