import type { ComponentChildren, InputHTMLAttributes } from 'preact';
import { useState } from 'preact/hooks';

/** What a field passes on to its `<input>`. */
type InputAttributes = { type?: 'text' | 'email' | 'password' | 'url' | 'tel' | 'search' } & Pick<
  InputHTMLAttributes<HTMLInputElement>,
  | 'name'
  | 'required'
  | 'disabled'
  | 'maxLength'
  | 'minLength'
  | 'pattern'
  | 'placeholder'
  | 'autocomplete'
  | 'autoComplete'
  | 'autocapitalize'
  | 'spellcheck'
  | 'inputMode'
>;

/**
 * A labelled `<input>` in a form, with its hint line under it (read out with the input).
 * `onValue` gets what is typed.
 */
export function TextField(
  props: InputAttributes & {
    id: string;
    label: ComponentChildren;
    value: string;
    onValue: (value: string) => void;
    hint?: ComponentChildren;
  },
) {
  const { id, label, value, onValue, hint, ...attributes } = props;
  const hintId = `${id}-hint`;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        aria-describedby={hint ? hintId : undefined}
        // The union of input types is wider than preact's per-type attribute sets: one cast here.
        {...(attributes as InputHTMLAttributes<HTMLInputElement>)}
        value={value}
        onInput={(event) => onValue(event.currentTarget.value)}
      />
      {hint && (
        <span class="hint" id={hintId}>
          {hint}
        </span>
      )}
    </div>
  );
}

/** A request a form or a button starts: busy while it runs, and its failure kept to show. */
export interface Submission {
  busy: boolean;
  error: unknown;
  /** Runs `work` unless one is already running; a failure becomes `error`. */
  run: (work: () => Promise<void>) => Promise<void>;
}

export function useSubmission(): Submission {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}
