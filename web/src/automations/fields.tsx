import type { ComponentChildren, InputHTMLAttributes, JSX, Ref } from 'preact';
import type { Device } from '../api.ts';
import { channelName, unitOf } from '../format.ts';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { useI18n, type Translate } from '../i18n.ts';
import { deviceName } from '../model.ts';
import { fieldId, type FieldProblem } from './api.ts';

/**
 * The refused fields of the last save, each shown beside its input. Inputs are rendered by
 * plain functions (not components) so that an item knows, while it renders, which paths its
 * inputs claimed: a problem with a path no input shows (`actions[0]`, an unknown field) is
 * shown at the item instead. The labels of the claimed paths are kept for the page's summary.
 */
export class FieldErrors {
  private readonly claimed = new Map<string, string>();

  constructor(readonly problems: readonly FieldProblem[]) {}

  /** The message for exactly this path (and the path is claimed, with its input's label). */
  at(path: string, label = ''): string | null {
    this.claimed.set(path, label);
    const messages = this.problems
      .filter((problem) => problem.field === path)
      .map((problem) => problem.message);
    return messages.length > 0 ? messages.join('; ') : null;
  }

  /** The messages of the problems under `prefix` that no input claimed. */
  rest(prefix: string): string[] {
    return this.problems
      .filter(({ field }) => !this.claimed.has(field))
      .filter(
        ({ field }) => field === prefix || field.startsWith(`${prefix}.`) || field.startsWith(`${prefix}[`),
      )
      .map((problem) => problem.message);
  }

  /** The label of the input that showed this path, if one did. */
  labelOf(path: string): string | undefined {
    return this.claimed.get(path) || undefined;
  }
}

export interface InputAttributes {
  id: string;
  'aria-invalid'?: true;
  'aria-describedby'?: string;
}

export function field(options: {
  path: string;
  label: string;
  errors: FieldErrors;
  t: Translate;
  hint?: ComponentChildren;
  class?: string;
  input: (attributes: InputAttributes) => JSX.Element;
}): JSX.Element {
  const id = fieldId(options.path);
  const message = options.errors.at(options.path, options.label);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [options.hint ? hintId : '', message ? errorId : ''].filter(Boolean).join(' ');
  return (
    <div class={`field auto-field ${options.class ?? ''}`}>
      <label for={id}>{options.label}</label>
      {options.input({
        id,
        ...(message ? { 'aria-invalid': true as const } : {}),
        ...(describedBy ? { 'aria-describedby': describedBy } : {}),
      })}
      {options.hint && (
        <p class="hint" id={hintId}>
          {options.hint}
        </p>
      )}
      {message && <FieldMessage id={errorId} path={options.path} message={message} />}
    </div>
  );
}

/** The errors and texts the fields of one form share. */
export interface FieldScope {
  errors: FieldErrors;
  t: Translate;
}

/** Where a field stands in the request (its error's path), its label, and an optional hint. */
interface FieldOptions {
  path: string;
  label: string;
  hint?: ComponentChildren;
  class?: string;
}

/** A labelled select (see `select`). */
export function selectField<T extends string>(
  scope: FieldScope,
  options: FieldOptions & {
    value: T | '';
    choices: ReadonlyArray<{ value: T; text: string }>;
    onChange: (value: T | '') => void;
    empty?: string;
  },
): JSX.Element {
  const { value, choices, onChange, empty, ...place } = options;
  return field({
    ...place,
    ...scope,
    input: (attributes) => select(attributes, value, choices, onChange, empty),
  });
}

/** A labelled number (see `numberInput`); `whole` for whole numbers only (seconds, minutes). */
export function numberField(
  scope: FieldScope,
  options: FieldOptions & { value: string; onChange: (value: string) => void; whole?: boolean },
): JSX.Element {
  const { value, onChange, whole, ...place } = options;
  return field({
    ...place,
    ...scope,
    input: (attributes) => numberInput(attributes, value, onChange, whole ? { inputMode: 'numeric' } : {}),
  });
}

/** A labelled line of text (see `textInput`). */
export function textField(
  scope: FieldScope,
  options: FieldOptions & { value: string; onChange: (value: string) => void; extra?: InputHTMLAttributes },
): JSX.Element {
  const { value, onChange, extra, ...place } = options;
  return field({ ...place, ...scope, input: (attributes) => textInput(attributes, value, onChange, extra) });
}

/** Choices for a select: each value with its text. */
export function choicesOf<T extends string>(values: readonly T[], text: (value: T) => string) {
  return values.map((value) => ({ value, text: text(value) }));
}

export function FieldMessage({ id, path, message }: { id?: string; path: string; message: string }) {
  const { t } = useI18n();
  return (
    <p class="auto-field-error" id={id} data-testid={`field-error-${path}`} data-field={path}>
      {t('automations.fieldInvalid', { message })}
    </p>
  );
}

/** A select of choices with their texts; `empty` adds a first choice with the value "". */
export function select<T extends string>(
  attributes: InputAttributes,
  value: T | '',
  choices: ReadonlyArray<{ value: T; text: string }>,
  onChange: (value: T | '') => void,
  empty?: string,
): JSX.Element {
  return (
    <select {...attributes} value={value} onChange={(event) => onChange(event.currentTarget.value as T | '')}>
      {empty !== undefined && <option value="">{empty}</option>}
      {choices.map((choice) => (
        <option key={choice.value} value={choice.value}>
          {choice.text}
        </option>
      ))}
    </select>
  );
}

export function textInput(
  attributes: InputAttributes,
  value: string,
  onChange: (value: string) => void,
  extra: InputHTMLAttributes = {},
): JSX.Element {
  return (
    <input
      type="text"
      {...extra}
      {...attributes}
      value={value}
      onInput={(event) => onChange(event.currentTarget.value)}
    />
  );
}

/**
 * A number typed as text (inputmode decimal): what is typed reaches the API as typed, and a
 * mistake comes back named, instead of a browser's number input turning it into nothing.
 */
export function numberInput(
  attributes: InputAttributes,
  value: string,
  onChange: (value: string) => void,
  extra: InputHTMLAttributes = {},
): JSX.Element {
  return textInput(attributes, value, onChange, { inputMode: 'decimal', class: 'input-number', ...extra });
}

export function deviceChoices(devices: Device[], keep: (device: Device) => boolean) {
  return devices
    .filter(keep)
    .map((device) => ({ value: device.id, text: deviceName(device) }))
    .sort((a, b) => a.text.localeCompare(b.text));
}

export function channelChoices(device: Device | undefined, t: Translate) {
  return (device?.channels ?? []).map((channel) => ({
    value: channel.label,
    text:
      channelName(channel, t) === channel.label
        ? channel.label
        : `${channelName(channel, t)} (${channel.label})`,
  }));
}

/** The unit a device channel's values are compared in (°C, %, kWh …), or "". */
export function channelUnit(devices: Device[], deviceId: string, label: string): string {
  const channel = devices.find((device) => device.id === deviceId)?.channels.find((c) => c.label === label);
  return channel ? unitOf(channel.capability, channel.unit) : '';
}

/** The channel to start with: a measurement first (temperature, power …), else the first. */
export function firstChannel(device: Device | undefined): string {
  const channels = device?.channels ?? [];
  const measured = channels.find(
    (channel) => channel.capability && !['battery'].includes(channel.capability),
  );
  return (measured ?? channels[0])?.label ?? '';
}

/**
 * After a refused save: the labels of the inputs that showed its problems (for the summary,
 * read once they are shown), and focus on the first problem's field, else on the summary.
 * `errors` is this render's; `failure` changes with every refusal.
 */
export function useRefusal(
  failure: unknown,
  problems: readonly FieldProblem[],
  errors: FieldErrors,
): { labels: Record<string, string>; summaryRef: Ref<HTMLDivElement> } {
  const [labels, setLabels] = useState<Record<string, string>>({});
  const shown = useRef(errors);
  shown.current = errors;
  const summaryRef = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const named: Record<string, string> = {};
    for (const { field } of problems) {
      const label = shown.current.labelOf(field);
      if (label) named[field] = label;
    }
    setLabels(named);
  }, [problems]);
  useEffect(() => {
    if (failure === null) return;
    const first = problems[0];
    if (!first || !focusField(first.field)) summaryRef.current?.focus();
  }, [failure, problems]);
  return { labels, summaryRef };
}

/** Where a problem is, in words: the item (`Action 1`) and the label of its input (`Level`). */
function placeOf(
  path: string,
  labels: Readonly<Record<string, string>>,
  itemTitle: (list: string, n: number) => string,
): string {
  const item = /^(triggers|conditions|actions)\[(\d+)\]/.exec(path);
  const label = labels[path];
  if (!item) return label ?? path;
  const title = itemTitle(item[1]!, Number(item[2]) + 1);
  const rest = label ?? path.slice(item[0].length).replace(/^\./, '');
  return rest ? `${title} · ${rest}` : title;
}

/** Focuses the input of a path, else the item or list it is in; false when none is shown. */
export function focusField(path: string): boolean {
  let place = path;
  for (;;) {
    const element = document.getElementById(fieldId(place));
    if (element) {
      element.focus();
      return true;
    }
    const parent = /^(.*)(\.[^.[\]]+|\[\d+\])$/.exec(place);
    if (!parent) return false;
    place = parent[1]!;
  }
}

/**
 * The top of a refused form: every problem the API named, each a link to its field. `labels`
 * are the labels of the inputs that showed them (see `FieldErrors.labelOf`).
 */
export function ProblemSummary(props: {
  problems: readonly FieldProblem[];
  labels: Readonly<Record<string, string>>;
  itemTitle: (list: string, n: number) => string;
  summaryRef?: Ref<HTMLDivElement>;
  testId: string;
}) {
  const { t } = useI18n();
  return (
    <div
      class="notice notice-error auto-summary-error"
      role="alert"
      tabIndex={-1}
      ref={props.summaryRef}
      data-testid={props.testId}
    >
      <p>{t('automations.notSaved')}</p>
      <ul class="auto-problem-list">
        {props.problems.map((problem) => (
          <li key={`${problem.field} ${problem.message}`} data-field={problem.field}>
            <a
              href={`#${fieldId(problem.field)}`}
              onClick={(event) => {
                if (focusField(problem.field)) event.preventDefault();
              }}
            >
              {placeOf(problem.field, props.labels, props.itemTitle)}
            </a>
            : {problem.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
