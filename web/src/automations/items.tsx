import type { ComponentChildren, JSX } from 'preact';
import type { Device } from '../api.ts';
import { hasMessage, useI18n, type Translate } from '../i18n.ts';
import {
  ACTION_TYPES,
  ALARM_CAUSES,
  CONDITION_TYPES,
  DEVICE_CONDITION_OPS,
  DEVICE_TRIGGER_OPS,
  HOME_MODES,
  SEVERITIES,
  SUN_EVENTS,
  THRESHOLD_OPS,
  TRIGGER_TYPES,
  fieldId,
  hasLocation,
  type HomeWithPlace,
  type Scene,
} from './api.ts';
import {
  clockOfDailyCron,
  commandsOf,
  dailyCron,
  defaultParams,
  type ActionDraft,
  type ConditionDraft,
  type TriggerDraft,
} from './draft.ts';
import {
  FieldMessage,
  channelChoices,
  channelUnit,
  choicesOf,
  deviceChoices,
  field,
  firstChannel,
  numberField,
  select,
  numberInput,
  selectField,
  textField,
  type FieldErrors,
  type FieldScope,
} from './fields.tsx';

/** What every item editor needs from the page. */
export interface ItemContext {
  home: HomeWithPlace;
  devices: Device[];
  scenes: Scene[];
  errors: FieldErrors;
}

/** One item of a list (trigger, condition, action): its kind, its fields, and moving or removing it. */
function ItemFrame(props: {
  title: string;
  path: string;
  testId: string;
  typeField: JSX.Element;
  /** What was refused at the item itself (no input of it shows the path). */
  problems: string[];
  index: number;
  count: number;
  ordered: boolean;
  onMove: (to: number) => void;
  onRemove: () => void;
  removeLabel: string;
  children: ComponentChildren;
}) {
  const { t } = useI18n();
  const headingId = `${props.testId}-heading`;
  return (
    <li
      id={fieldId(props.path)}
      tabIndex={-1}
      class="auto-editor-item card"
      data-testid={props.testId}
      aria-labelledby={headingId}
    >
      <div class="auto-editor-item-head">
        <h3 id={headingId}>{props.title}</h3>
        <div class="row-actions">
          {props.ordered && (
            <>
              <button
                type="button"
                class="button button-small"
                disabled={props.index === 0}
                aria-label={t('automations.moveUpOf', { what: props.title })}
                onClick={() => props.onMove(props.index - 1)}
              >
                <span aria-hidden="true">↑</span> {t('automations.moveUp')}
              </button>
              <button
                type="button"
                class="button button-small"
                disabled={props.index === props.count - 1}
                aria-label={t('automations.moveDownOf', { what: props.title })}
                onClick={() => props.onMove(props.index + 1)}
              >
                <span aria-hidden="true">↓</span> {t('automations.moveDown')}
              </button>
            </>
          )}
          <button
            type="button"
            class="button button-small button-quiet auto-danger"
            aria-label={props.removeLabel}
            onClick={props.onRemove}
          >
            {t('automations.remove')}
          </button>
        </div>
      </div>
      {props.problems.map((message) => (
        <FieldMessage key={message} path={props.path} message={message} />
      ))}
      <div class="auto-editor-fields">
        {props.typeField}
        {props.children}
      </div>
    </li>
  );
}

interface ItemProps<D> {
  draft: D;
  index: number;
  count: number;
  context: ItemContext;
  onChange: (patch: Partial<D>) => void;
  onMove: (to: number) => void;
  onRemove: () => void;
}

// ---- triggers ----

/** The select of an item's kind (trigger, condition or action type); the first kind by default. */
export function kindField<T extends string>(
  scope: FieldScope,
  path: string,
  value: T,
  types: readonly T[],
  text: (type: T) => string,
  onChange: (type: T) => void,
): JSX.Element {
  return selectField(scope, {
    path: `${path}.type`,
    label: scope.t('automations.kind'),
    value,
    choices: choicesOf(types, text),
    onChange: (type) => onChange(type || types[0]!),
  });
}

export function TriggerItem(props: ItemProps<TriggerDraft>) {
  const { t } = useI18n();
  const { draft, context, onChange } = props;
  const { errors } = context;
  const scope = { errors, t };
  const path = `triggers[${props.index}]`;
  const title = t('automations.triggerN', { n: props.index + 1 });
  const typeField = kindField(
    scope,
    path,
    draft.type,
    TRIGGER_TYPES,
    (type) => t(`automations.triggerType.${type}`),
    (type) => onChange({ type }),
  );
  let fields: JSX.Element[] = [];
  switch (draft.type) {
    case 'device':
      fields = deviceReadingFields(path, draft, context, t, onChange, 'trigger');
      break;
    case 'alarm':
      fields = [
        selectField(scope, {
          path: `${path}.cause`,
          label: t('automations.cause'),
          value: draft.cause,
          choices: choicesOf(ALARM_CAUSES, (cause) => t(`alarms.cause.${cause}`)),
          onChange: (cause) => onChange({ cause }),
          empty: t('automations.anyCause'),
        }),
        severityField(scope, `${path}.severity`, draft.severity, (severity) => onChange({ severity }), {
          empty: t('automations.anySeverity'),
        }),
      ];
      break;
    case 'schedule': {
      const dailyId = `${props.draft.key}-daily`;
      const clock = clockOfDailyCron(draft.cron) ?? '';
      fields = [
        <div class="field auto-field" key="daily">
          <label for={dailyId}>{t('automations.daily')}</label>
          <input
            id={dailyId}
            type="time"
            value={clock}
            onInput={(event) => {
              const cron = dailyCron(event.currentTarget.value);
              if (cron) onChange({ cron });
            }}
          />
        </div>,
        textField(scope, {
          path: `${path}.cron`,
          label: t('automations.cron'),
          hint: t('automations.cronHint', { timezone: context.home.timezone }),
          value: draft.cron,
          onChange: (cron) => onChange({ cron }),
          extra: { class: 'mono auto-cron', spellcheck: false, autocomplete: 'off' },
        }),
      ];
      break;
    }
    case 'sun':
      fields = [
        sunEventField(scope, `${path}.event`, t('automations.event'), draft.event, (event) =>
          onChange({ event: event || 'sunset' }),
        ),
        numberField(scope, {
          path: `${path}.offsetMinutes`,
          label: t('automations.offset'),
          hint: t('automations.offsetHint'),
          value: draft.offsetMinutes,
          onChange: (offsetMinutes) => onChange({ offsetMinutes }),
          whole: true,
        }),
      ];
      break;
    case 'mode':
      fields = [
        modeField(scope, `${path}.mode`, t('automations.modeTo'), draft.mode, (mode) => onChange({ mode }), {
          empty: t('automations.anyMode'),
        }),
      ];
      break;
  }
  const needsPlace = draft.type === 'sun' && !hasLocation(context.home);
  return (
    <ItemFrame
      {...props}
      title={title}
      path={path}
      testId={`trigger-${props.index}`}
      typeField={typeField}
      problems={errors.rest(path)}
      ordered={false}
      removeLabel={t('automations.removeOf', { what: title })}
    >
      {fields}
      {needsPlace && <p class="notice notice-warning auto-wide">{t('automations.noLocation')}</p>}
    </ItemFrame>
  );
}

/** A select of alarm severities (`empty`: the text of "any"). */
function severityField(
  scope: FieldScope,
  path: string,
  value: (typeof SEVERITIES)[number] | '',
  onChange: (severity: (typeof SEVERITIES)[number] | '') => void,
  options: { empty?: string; hint?: string } = {},
): JSX.Element {
  const { t } = scope;
  return selectField(scope, {
    path,
    label: t('automations.severity'),
    value,
    choices: choicesOf(SEVERITIES, (severity) => t(`alarms.severity.${severity}`)),
    onChange,
    ...options,
  });
}

/** A select of sunrise and sunset (`empty`: the text of "not set"). */
function sunEventField(
  scope: FieldScope,
  path: string,
  label: string,
  value: (typeof SUN_EVENTS)[number] | '',
  onChange: (event: (typeof SUN_EVENTS)[number] | '') => void,
  empty?: string,
): JSX.Element {
  const { t } = scope;
  return selectField(scope, {
    path,
    label,
    value,
    choices: choicesOf(SUN_EVENTS, (event) => t(`automations.event.${event}`)),
    onChange,
    empty,
  });
}

/** A select of the home's modes (`empty`: the text of "any"). */
function modeField(
  scope: FieldScope,
  path: string,
  label: string,
  value: (typeof HOME_MODES)[number] | '',
  onChange: (mode: (typeof HOME_MODES)[number] | '') => void,
  options: { empty?: string } = {},
): JSX.Element {
  const { t } = scope;
  return selectField(scope, {
    path,
    label,
    value,
    choices: choicesOf(HOME_MODES, (mode) => t(`mode.${mode}`)),
    onChange,
    ...options,
  });
}

/** Device, channel, operator and threshold (with its unit): a device trigger or condition. */
function deviceReadingFields(
  path: string,
  draft: { deviceId: string; label: string; op: string; value: string },
  context: ItemContext,
  t: Translate,
  onChange: (patch: { deviceId?: string; label?: string; op?: never; value?: string }) => void,
  kind: 'trigger' | 'condition',
): JSX.Element[] {
  const { errors, devices } = context;
  const scope = { errors, t };
  const device = devices.find((candidate) => candidate.id === draft.deviceId);
  const unit = channelUnit(devices, draft.deviceId, draft.label);
  const ops =
    kind === 'trigger'
      ? choicesOf(DEVICE_TRIGGER_OPS, (op) => t(`automations.op.${op}`))
      : choicesOf(DEVICE_CONDITION_OPS, (op) => t(`automations.condOp.${op}`));
  const change = onChange as (patch: Record<string, string>) => void;
  const fields = [
    selectField(scope, {
      path: `${path}.deviceId`,
      label: t('automations.device'),
      value: draft.deviceId,
      choices: deviceChoices(devices, (candidate) => candidate.channels.length > 0),
      onChange: (deviceId) =>
        change({ deviceId, label: firstChannel(devices.find((candidate) => candidate.id === deviceId)) }),
      empty: t('automations.chooseDevice'),
    }),
    selectField(scope, {
      path: `${path}.label`,
      label: t('automations.channel'),
      value: draft.label,
      choices: channelChoices(device, t),
      onChange: (label) => change({ label }),
      empty: t('automations.chooseChannel'),
    }),
    selectField<string>(scope, {
      path: `${path}.op`,
      label: kind === 'trigger' ? t('automations.opLabel') : t('automations.condOpLabel'),
      value: draft.op,
      choices: ops,
      onChange: (op) => change({ op }),
    }),
  ];
  if (THRESHOLD_OPS.has(draft.op))
    fields.push(
      numberField(scope, {
        path: `${path}.value`,
        label: unit ? t('automations.thresholdUnit', { unit }) : t('automations.threshold'),
        value: draft.value,
        onChange: (value) => change({ value }),
      }),
    );
  return fields;
}

// ---- conditions ----

export function ConditionItem(props: ItemProps<ConditionDraft>) {
  const { t } = useI18n();
  const { draft, context, onChange } = props;
  const { errors } = context;
  const scope = { errors, t };
  const path = `conditions[${props.index}]`;
  const title = t('automations.conditionN', { n: props.index + 1 });
  const typeField = kindField(
    scope,
    path,
    draft.type,
    CONDITION_TYPES,
    (type) => t(`automations.conditionType.${type}`),
    (type) => onChange({ type }),
  );
  let fields: JSX.Element[] = [];
  let hint: string | null = null;
  switch (draft.type) {
    case 'time':
      fields = (['after', 'before'] as const).map((bound) =>
        field({
          path: `${path}.${bound}`,
          label: t(bound === 'after' ? 'automations.timeAfter' : 'automations.timeBefore'),
          ...scope,
          input: (attributes) => (
            <input
              type="time"
              {...attributes}
              value={draft[bound]}
              onInput={(event) => onChange({ [bound]: event.currentTarget.value })}
            />
          ),
        }),
      );
      hint = t('automations.timeHint', { timezone: context.home.timezone });
      break;
    case 'sun':
      fields = [
        sunEventField(
          scope,
          `${path}.after`,
          t('automations.sunAfter'),
          draft.sunAfter,
          (sunAfter) => onChange({ sunAfter }),
          t('automations.notSet'),
        ),
        sunEventField(
          scope,
          `${path}.before`,
          t('automations.sunBefore'),
          draft.sunBefore,
          (sunBefore) => onChange({ sunBefore }),
          t('automations.notSet'),
        ),
      ];
      hint = t('automations.sunHint');
      break;
    case 'device':
      fields = deviceReadingFields(path, draft, context, t, onChange, 'condition');
      break;
    case 'mode':
      fields = [
        modeField(scope, `${path}.mode`, t('automations.modeIs'), draft.mode, (mode) =>
          onChange({ mode: mode || 'home' }),
        ),
      ];
      break;
  }
  const needsPlace = draft.type === 'sun' && !hasLocation(context.home);
  return (
    <ItemFrame
      {...props}
      title={title}
      path={path}
      testId={`condition-${props.index}`}
      typeField={typeField}
      problems={errors.rest(path)}
      ordered={false}
      removeLabel={t('automations.removeOf', { what: title })}
    >
      {fields}
      {hint && <p class="hint auto-wide">{hint}</p>}
      {needsPlace && <p class="notice notice-warning auto-wide">{t('automations.noLocation')}</p>}
    </ItemFrame>
  );
}

// ---- actions ----

function paramLabel(name: string, t: Translate): string {
  const key = `automations.param.${name}`;
  return hasMessage(key) ? t(key) : name;
}

function commandName(action: string, t: Translate): string {
  const key = `command.action.${action}`;
  return hasMessage(key) ? t(key) : action;
}

/** The command's fields: device, action (what the device accepts) and the action's parameters. */
export function commandFields(
  path: string,
  draft: ActionDraft,
  context: ItemContext,
  t: Translate,
  onChange: (patch: Partial<ActionDraft>) => void,
): JSX.Element[] {
  const { errors, devices } = context;
  const scope = { errors, t };
  const device = devices.find((candidate) => candidate.id === draft.deviceId);
  const commands = commandsOf(device);
  const spec = commands.find((candidate) => candidate.action === draft.action);
  const shownCommands =
    commands.some((command) => command.action === draft.action) || !draft.action
      ? commands
      : [...commands, { action: draft.action }];
  const fields = [
    selectField(scope, {
      path: `${path}.deviceId`,
      label: t('automations.device'),
      value: draft.deviceId,
      choices: deviceChoices(
        devices,
        (candidate) => commandsOf(candidate).length > 0 || candidate.id === draft.deviceId,
      ),
      onChange: (deviceId) => {
        const first = commandsOf(devices.find((candidate) => candidate.id === deviceId))[0];
        onChange({ deviceId, action: first?.action ?? '', params: defaultParams(first) });
      },
      empty: t('automations.chooseDevice'),
    }),
    selectField(scope, {
      path: `${path}.action`,
      label: t('automations.command'),
      value: draft.action,
      choices: shownCommands.map((command) => ({
        value: command.action,
        text: commandName(command.action, t),
      })),
      onChange: (action) =>
        onChange({ action, params: defaultParams(commands.find((command) => command.action === action)) }),
      empty: t('automations.chooseCommand'),
    }),
  ];
  for (const [name, param] of Object.entries(spec?.params ?? {})) {
    fields.push(
      field({
        path: `${path}.params.${name}`,
        label: paramLabel(name, t),
        ...scope,
        hint:
          param.kind === 'number'
            ? t('automations.range', { min: param.min, max: param.max, unit: param.unit ?? '' })
            : undefined,
        input: (attributes) =>
          param.kind === 'enum'
            ? select(
                attributes,
                draft.params[name] ?? '',
                choicesOf(param.values, (value) =>
                  hasMessage(`automations.paramValue.${value}`)
                    ? t(`automations.paramValue.${value}` as never)
                    : value,
                ),
                (value) => onChange({ params: { ...draft.params, [name]: value } }),
                param.required ? undefined : t('automations.notSet'),
              )
            : numberInput(attributes, draft.params[name] ?? '', (value) =>
                onChange({ params: { ...draft.params, [name]: value } }),
              ),
      }),
    );
  }
  return fields;
}

export function recordFields(
  path: string,
  draft: ActionDraft,
  context: ItemContext,
  t: Translate,
  onChange: (patch: Partial<ActionDraft>) => void,
): JSX.Element[] {
  const { errors, devices } = context;
  const scope = { errors, t };
  return [
    selectField(scope, {
      path: `${path}.deviceId`,
      label: t('automations.camera'),
      hint: devices.some((device) => device.type === 'camera') ? undefined : t('automations.noCameras'),
      value: draft.deviceId,
      choices: deviceChoices(devices, (device) => device.type === 'camera'),
      onChange: (deviceId) => onChange({ deviceId }),
      empty: t('automations.chooseCamera'),
    }),
    numberField(scope, {
      path: `${path}.durationSeconds`,
      label: t('automations.duration'),
      hint: t('automations.range', { min: 1, max: 3600, unit: 's' }),
      value: draft.durationSeconds,
      onChange: (durationSeconds) => onChange({ durationSeconds }),
      whole: true,
    }),
  ];
}

export function ActionItem(props: ItemProps<ActionDraft>) {
  const { t } = useI18n();
  const { draft, context, onChange } = props;
  const { errors } = context;
  const scope = { errors, t };
  const path = `actions[${props.index}]`;
  const title = t('automations.actionN', { n: props.index + 1 });
  const typeField = kindField(
    scope,
    path,
    draft.type,
    ACTION_TYPES,
    (type) => t(`automations.actionType.${type}`),
    (type) => onChange({ type }),
  );
  let fields: JSX.Element[] = [];
  switch (draft.type) {
    case 'command':
      fields = commandFields(path, draft, context, t, onChange);
      break;
    case 'record':
      fields = recordFields(path, draft, context, t, onChange);
      break;
    case 'scene':
      fields = [
        selectField(scope, {
          path: `${path}.sceneId`,
          label: t('automations.scene'),
          hint: context.scenes.length === 0 ? t('automations.noScenes') : undefined,
          value: draft.sceneId,
          choices: context.scenes.map((scene) => ({ value: scene.id, text: scene.name })),
          onChange: (sceneId) => onChange({ sceneId }),
          empty: t('automations.chooseScene'),
        }),
      ];
      break;
    case 'notify':
      fields = [
        textField(scope, {
          path: `${path}.title`,
          label: t('automations.notifyTitle'),
          value: draft.title,
          onChange: (title) => onChange({ title }),
          extra: { maxLength: 200 },
        }),
        field({
          path: `${path}.body`,
          label: t('automations.notifyBody'),
          ...scope,
          class: 'auto-wide',
          input: (attributes) => (
            <textarea
              {...attributes}
              rows={2}
              maxLength={2000}
              value={draft.body}
              onInput={(event) => onChange({ body: event.currentTarget.value })}
            />
          ),
        }),
        severityField(
          scope,
          `${path}.severity`,
          draft.severity,
          (severity) => onChange({ severity: severity || 'info' }),
          {
            hint: draft.userIds
              ? t('automations.notifySome', { count: draft.userIds.length })
              : t('automations.notifyAll'),
          },
        ),
      ];
      break;
    case 'delay':
      fields = [
        numberField(scope, {
          path: `${path}.seconds`,
          label: t('automations.delay'),
          value: draft.delay,
          onChange: (delay) => onChange({ delay }),
          whole: true,
        }),
        selectField(scope, {
          path: `${path}.unit`,
          label: t('automations.delayUnit'),
          value: draft.delayUnit,
          choices: choicesOf(['seconds', 'minutes'] as const, (unit) => t(`automations.unit.${unit}`)),
          onChange: (unit) => onChange({ delayUnit: unit || 'seconds' }),
        }),
      ];
      break;
  }
  return (
    <ItemFrame
      {...props}
      title={title}
      path={path}
      testId={`action-${props.index}`}
      typeField={typeField}
      problems={errors.rest(path)}
      ordered
      removeLabel={t('automations.removeOf', { what: title })}
    >
      {fields}
    </ItemFrame>
  );
}
