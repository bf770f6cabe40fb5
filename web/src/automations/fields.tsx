import type { ComponentChildren, InputHTMLAttributes, JSX } from 'preact';
import type { Device } from '../api.ts';
import { channelName, unitOf } from '../format.ts';
import { useI18n, type Translate } from '../i18n.ts';
import { deviceName } from '../model.ts';
import { fieldId, type FieldProblem } from './api.ts';

/**
 * The refused field of the last save, shown beside its input. Inputs are rendered by plain
 * functions (not components) so that an item knows, while it renders, which paths its inputs
 * claimed: a problem with a path no input shows (`actions[0]`, an unknown field) is shown at
 * the item instead.
 */
export class FieldErrors {
  private readonly claimed = new Set<string>();

  constructor(readonly problem: FieldProblem | null) {}

  /** The message for exactly this path (and the path is claimed). */
  at(path: string): string | null {
    this.claimed.add(path);
    return this.problem?.field === path ? this.problem.message : null;
  }

  /** The message of a problem under `prefix` that no input claimed. */
  rest(prefix: string): string | null {
    const field = this.problem?.field;
    if (field === undefined || this.claimed.has(field)) return null;
    const under = field === prefix || field.startsWith(`${prefix}.`) || field.startsWith(`${prefix}[`);
    return under ? this.problem!.message : null;
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
  const message = options.errors.at(options.path);
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
