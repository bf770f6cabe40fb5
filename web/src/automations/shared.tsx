import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { outcomeText, outcomeTone } from './summary.ts';

/**
 * A destructive button that asks first, in place: the question and the two answers replace
 * the button (focus moves to "Cancel", so Enter by mistake does not delete).
 */
export function ConfirmButton(props: {
  label: string;
  question: string;
  confirm: string;
  testId: string;
  busy?: boolean;
  onConfirm: () => void;
  class?: string;
}) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const openerRef = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  useEffect(() => {
    if (asking) cancelRef.current?.focus();
    else if (wasAsking.current) openerRef.current?.focus();
    wasAsking.current = asking;
  }, [asking]);
  if (!asking)
    return (
      <button
        ref={openerRef}
        type="button"
        class={`button button-small auto-danger ${props.class ?? ''}`}
        data-testid={props.testId}
        disabled={props.busy}
        onClick={() => setAsking(true)}
      >
        {props.label}
      </button>
    );
  return (
    <span
      class="auto-confirm"
      role="group"
      aria-label={props.question}
      data-testid={`${props.testId}-confirm`}
    >
      <span class="auto-confirm-question">{props.question}</span>
      <button
        type="button"
        class="button button-small auto-danger-solid"
        disabled={props.busy}
        onClick={() => {
          props.onConfirm();
        }}
      >
        {props.confirm}
      </button>
      <button ref={cancelRef} type="button" class="button button-small" onClick={() => setAsking(false)}>
        {t('automations.cancel')}
      </button>
    </span>
  );
}

export function OutcomeBadge({ outcome }: { outcome: string }) {
  const { t } = useI18n();
  return (
    <span
      class={`badge auto-outcome auto-outcome-${outcomeTone(outcome)}`}
      data-testid="run-outcome"
      data-outcome={outcome}
    >
      {outcomeText(outcome, t)}
    </span>
  );
}

/** An error line under an action (not the page's): the API's words. */
export function InlineError({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (error === null || error === undefined) return null;
  return (
    <p class="notice notice-error auto-inline-error" role="alert">
      {errorText(error, t)}
    </p>
  );
}
