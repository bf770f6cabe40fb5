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
  deviceChoices,
  field,
  firstChannel,
  numberInput,
  select,
  textInput,
  type FieldErrors,
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
  problem: string | null;
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
    <li class="auto-editor-item card" data-testid={props.testId} aria-labelledby={headingId}>
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
      {props.problem && <FieldMessage path={props.path} message={props.problem} />}
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

export function TriggerItem(props: ItemProps<TriggerDraft>) {
  const { t } = useI18n();
  const { draft, context, onChange } = props;
  const { errors } = context;
  const path = `triggers[${props.index}]`;
  const title = t('automations.triggerN', { n: props.index + 1 });
  const typeField = field({
    path: `${path}.type`,
    label: t('automations.kind'),
    errors,
    t,
    input: (attributes) =>
      select(
        attributes,
        draft.type,
        TRIGGER_TYPES.map((type) => ({ value: type, text: t(`automations.triggerType.${type}`) })),
        (type) => onChange({ type: type || 'device' }),
      ),
  });
  let fields: JSX.Element[] = [];
  switch (draft.type) {
    case 'device':
      fields = deviceReadingFields(path, draft, context, t, onChange, 'trigger');
      break;
    case 'alarm':
      fields = [
        field({
          path: `${path}.cause`,
          label: t('automations.cause'),
          errors,
          t,
          input: (attributes) =>
            select(
              attributes,
              draft.cause,
              ALARM_CAUSES.map((cause) => ({ value: cause, text: t(`alarms.cause.${cause}`) })),
              (cause) => onChange({ cause }),
              t('automations.anyCause'),
            ),
        }),
        field({
          path: `${path}.severity`,
          label: t('automations.severity'),
          errors,
          t,
          input: (attributes) =>
            select(
              attributes,
              draft.severity,
              SEVERITIES.map((severity) => ({ value: severity, text: t(`alarms.severity.${severity}`) })),
              (severity) => onChange({ severity }),
              t('automations.anySeverity'),
            ),
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
        field({
          path: `${path}.cron`,
          label: t('automations.cron'),
          errors,
          t,
          hint: t('automations.cronHint', { timezone: context.home.timezone }),
          input: (attributes) =>
            textInput(attributes, draft.cron, (cron) => onChange({ cron }), {
              class: 'mono auto-cron',
              spellcheck: false,
              autocomplete: 'off',
            }),
        }),
      ];
      break;
    }
    case 'sun':
      fields = [
        field({
          path: `${path}.event`,
          label: t('automations.event'),
          errors,
          t,
          input: (attributes) =>
            select(
              attributes,
              draft.event,
              SUN_EVENTS.map((event) => ({ value: event, text: t(`automations.event.${event}`) })),
              (event) => onChange({ event: event || 'sunset' }),
            ),
        }),
        field({
          path: `${path}.offsetMinutes`,
          label: t('automations.offset'),
          errors,
          t,
          hint: t('automations.offsetHint'),
          input: (attributes) =>
            numberInput(attributes, draft.offsetMinutes, (offsetMinutes) => onChange({ offsetMinutes }), {
              inputMode: 'numeric',
            }),
        }),
      ];
      break;
    case 'mode':
      fields = [
        field({
          path: `${path}.mode`,
          label: t('automations.modeTo'),
          errors,
          t,
          input: (attributes) =>
            select(
              attributes,
              draft.mode,
              HOME_MODES.map((mode) => ({ value: mode, text: t(`mode.${mode}`) })),
              (mode) => onChange({ mode }),
              t('automations.anyMode'),
            ),
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
      problem={errors.rest(path)}
      ordered={false}
      removeLabel={t('automations.removeOf', { what: title })}
    >
      {fields}
      {needsPlace && <p class="notice notice-warning auto-wide">{t('automations.noLocation')}</p>}
    </ItemFrame>
  );
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
  const device = devices.find((candidate) => candidate.id === draft.deviceId);
  const unit = channelUnit(devices, draft.deviceId, draft.label);
  const ops =
    kind === 'trigger'
      ? DEVICE_TRIGGER_OPS.map((op) => ({ value: op, text: t(`automations.op.${op}`) }))
      : DEVICE_CONDITION_OPS.map((op) => ({ value: op, text: t(`automations.condOp.${op}`) }));
  const change = onChange as (patch: Record<string, string>) => void;
  const fields = [
    field({
      path: `${path}.deviceId`,
      label: t('automations.device'),
      errors,
      t,
      input: (attributes) =>
        select(
          attributes,
          draft.deviceId,
          deviceChoices(devices, (candidate) => candidate.channels.length > 0),
          (deviceId) =>
            change({
              deviceId,
              label: firstChannel(devices.find((candidate) => candidate.id === deviceId)),
            }),
          t('automations.chooseDevice'),
        ),
    }),
    field({
      path: `${path}.label`,
      label: t('automations.channel'),
      errors,
      t,
      input: (attributes) =>
        select(
          attributes,
          draft.label,
          channelChoices(device, t),
          (label) => change({ label }),
          t('automations.chooseChannel'),
        ),
    }),
    field({
      path: `${path}.op`,
      label: kind === 'trigger' ? t('automations.opLabel') : t('automations.condOpLabel'),
      errors,
      t,
      input: (attributes) => select(attributes, draft.op, ops, (op) => change({ op })),
    }),
  ];
  if (THRESHOLD_OPS.has(draft.op))
    fields.push(
      field({
        path: `${path}.value`,
        label: unit ? t('automations.thresholdUnit', { unit }) : t('automations.threshold'),
        errors,
        t,
        input: (attributes) => numberInput(attributes, draft.value, (value) => change({ value })),
      }),
    );
  return fields;
}

// ---- conditions ----

export function ConditionItem(props: ItemProps<ConditionDraft>) {
  const { t } = useI18n();
  const { draft, context, onChange } = props;
  const { errors } = context;
  const path = `conditions[${props.index}]`;
  const title = t('automations.conditionN', { n: props.index + 1 });
  const typeField = field({
    path: `${path}.type`,
    label: t('automations.kind'),
    errors,
    t,
    input: (attributes) =>
      select(
        attributes,
        draft.type,
        CONDITION_TYPES.map((type) => ({ value: type, text: t(`automations.conditionType.${type}`) })),
        (type) => onChange({ type: type || 'time' }),
      ),
  });
  let fields: JSX.Element[] = [];
  let hint: string | null = null;
  switch (draft.type) {
    case 'time':
      fields = (['after', 'before'] as const).map((bound) =>
        field({
          path: `${path}.${bound}`,
          label: t(bound === 'after' ? 'automations.timeAfter' : 'automations.timeBefore'),
          errors,
          t,
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
        field({
          path: `${path}.after`,
          label: t('automations.sunAfter'),
          errors,
          t,
          input: (attributes) =>
            select(
              attributes,
              draft.sunAfter,
              SUN_EVENTS.map((event) => ({ value: event, text: t(`automations.event.${event}`) })),
              (sunAfter) => onChange({ sunAfter }),
              t('automations.notSet'),
            ),
        }),
        field({
          path: `${path}.before`,
          label: t('automations.sunBefore'),
          errors,
          t,
          input: (attributes) =>
            select(
              attributes,
              draft.sunBefore,
              SUN_EVENTS.map((event) => ({ value: event, text: t(`automations.event.${event}`) })),
              (sunBefore) => onChange({ sunBefore }),
              t('automations.notSet'),
            ),
        }),
      ];
      hint = t('automations.sunHint');
      break;
    case 'device':
      fields = deviceReadingFields(path, draft, context, t, onChange, 'condition');
      break;
    case 'mode':
      fields = [
        field({
          path: `${path}.mode`,
          label: t('automations.modeIs'),
          errors,
          t,
          input: (attributes) =>
            select(
              attributes,
              draft.mode,
              HOME_MODES.map((mode) => ({ value: mode, text: t(`mode.${mode}`) })),
              (mode) => onChange({ mode: mode || 'home' }),
            ),
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
      testId={`condition-${props.index}`}
      typeField={typeField}
      problem={errors.rest(path)}
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
  const device = devices.find((candidate) => candidate.id === draft.deviceId);
  const commands = commandsOf(device);
  const spec = commands.find((candidate) => candidate.action === draft.action);
  const fields = [
    field({
      path: `${path}.deviceId`,
      label: t('automations.device'),
      errors,
      t,
      input: (attributes) =>
        select(
          attributes,
          draft.deviceId,
          deviceChoices(
            devices,
            (candidate) => commandsOf(candidate).length > 0 || candidate.id === draft.deviceId,
          ),
          (deviceId) => {
            const first = commandsOf(devices.find((candidate) => candidate.id === deviceId))[0];
            onChange({ deviceId, action: first?.action ?? '', params: defaultParams(first) });
          },
          t('automations.chooseDevice'),
        ),
    }),
    field({
      path: `${path}.action`,
      label: t('automations.command'),
      errors,
      t,
      input: (attributes) =>
        select(
          attributes,
          draft.action,
          (commands.some((command) => command.action === draft.action) || !draft.action
            ? commands
            : [...commands, { action: draft.action }]
          ).map((command) => ({ value: command.action, text: commandName(command.action, t) })),
          (action) =>
            onChange({
              action,
              params: defaultParams(commands.find((command) => command.action === action)),
            }),
          t('automations.chooseCommand'),
        ),
    }),
  ];
  for (const [name, param] of Object.entries(spec?.params ?? {})) {
    fields.push(
      field({
        path: `${path}.params.${name}`,
        label: paramLabel(name, t),
        errors,
        t,
        hint:
          param.kind === 'number'
            ? t('automations.range', { min: param.min, max: param.max, unit: param.unit ?? '' })
            : undefined,
        input: (attributes) =>
          param.kind === 'enum'
            ? select(
                attributes,
                draft.params[name] ?? '',
                param.values.map((value) => ({
                  value,
                  text: hasMessage(`automations.paramValue.${value}`)
                    ? t(`automations.paramValue.${value}` as never)
                    : value,
                })),
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
  return [
    field({
      path: `${path}.deviceId`,
      label: t('automations.camera'),
      errors,
      t,
      hint: devices.some((device) => device.type === 'camera') ? undefined : t('automations.noCameras'),
      input: (attributes) =>
        select(
          attributes,
          draft.deviceId,
          deviceChoices(devices, (device) => device.type === 'camera'),
          (deviceId) => onChange({ deviceId }),
          t('automations.chooseCamera'),
        ),
    }),
    field({
      path: `${path}.durationSeconds`,
      label: t('automations.duration'),
      errors,
      t,
      hint: t('automations.range', { min: 1, max: 3600, unit: 's' }),
      input: (attributes) =>
        numberInput(attributes, draft.durationSeconds, (durationSeconds) => onChange({ durationSeconds }), {
          inputMode: 'numeric',
        }),
    }),
  ];
}

export function ActionItem(props: ItemProps<ActionDraft>) {
  const { t } = useI18n();
  const { draft, context, onChange } = props;
  const { errors } = context;
  const path = `actions[${props.index}]`;
  const title = t('automations.actionN', { n: props.index + 1 });
  const typeField = field({
    path: `${path}.type`,
    label: t('automations.kind'),
    errors,
    t,
    input: (attributes) =>
      select(
        attributes,
        draft.type,
        ACTION_TYPES.map((type) => ({ value: type, text: t(`automations.actionType.${type}`) })),
        (type) => onChange({ type: type || 'command' }),
      ),
  });
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
        field({
          path: `${path}.sceneId`,
          label: t('automations.scene'),
          errors,
          t,
          hint: context.scenes.length === 0 ? t('automations.noScenes') : undefined,
          input: (attributes) =>
            select(
              attributes,
              draft.sceneId,
              context.scenes.map((scene) => ({ value: scene.id, text: scene.name })),
              (sceneId) => onChange({ sceneId }),
              t('automations.chooseScene'),
            ),
        }),
      ];
      break;
    case 'notify':
      fields = [
        field({
          path: `${path}.title`,
          label: t('automations.notifyTitle'),
          errors,
          t,
          input: (attributes) =>
            textInput(attributes, draft.title, (title) => onChange({ title }), { maxLength: 200 }),
        }),
        field({
          path: `${path}.body`,
          label: t('automations.notifyBody'),
          errors,
          t,
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
        field({
          path: `${path}.severity`,
          label: t('automations.severity'),
          errors,
          t,
          hint: draft.userIds
            ? t('automations.notifySome', { count: draft.userIds.length })
            : t('automations.notifyAll'),
          input: (attributes) =>
            select(
              attributes,
              draft.severity,
              SEVERITIES.map((severity) => ({ value: severity, text: t(`alarms.severity.${severity}`) })),
              (severity) => onChange({ severity: severity || 'info' }),
            ),
        }),
      ];
      break;
    case 'delay':
      fields = [
        field({
          path: `${path}.seconds`,
          label: t('automations.delay'),
          errors,
          t,
          input: (attributes) =>
            numberInput(attributes, draft.delay, (delay) => onChange({ delay }), { inputMode: 'numeric' }),
        }),
        field({
          path: `${path}.unit`,
          label: t('automations.delayUnit'),
          errors,
          t,
          input: (attributes) =>
            select(
              attributes,
              draft.delayUnit,
              (['seconds', 'minutes'] as const).map((unit) => ({
                value: unit,
                text: t(`automations.unit.${unit}`),
              })),
              (unit) => onChange({ delayUnit: unit || 'seconds' }),
            ),
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
      problem={errors.rest(path)}
      ordered
      removeLabel={t('automations.removeOf', { what: title })}
    >
      {fields}
    </ItemFrame>
  );
}
