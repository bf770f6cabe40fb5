import type { ComponentChildren } from 'preact';
import { useLocation } from 'preact-iso';
import { useEffect, useState } from 'preact/hooks';
import { api, type Device } from '../api.ts';
import { HomeTabs } from '../components/home-tabs.tsx';
import { Loading, PageError } from '../components/status.tsx';
import { errorText } from '../format.ts';
import { useResource, useTitle } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { canControl } from '../model.ts';
import { showHome } from '../state.ts';
import {
  automationPath,
  fieldId,
  fieldProblems,
  homePath,
  type Automation,
  type FieldProblem,
  type HomeWithPlace,
  type Scene,
} from './api.ts';
import {
  automationBody,
  automationDraft,
  emptyDraft,
  newAction,
  newCondition,
  newTrigger,
  type AutomationDraft,
} from './draft.ts';
import { FieldErrors, ProblemSummary, numberField, textField, useRefusal } from './fields.tsx';
import { ActionItem, ConditionItem, TriggerItem, type ItemContext } from './items.tsx';
import { RunHistory } from './runs.tsx';
import { ConfirmButton } from './shared.tsx';

/** The title of an item of each list, in the summary of a refused save. */
const ITEM_TITLES = {
  triggers: 'automations.triggerN',
  conditions: 'automations.conditionN',
  actions: 'automations.actionN',
} as const;

interface EditorData {
  home: HomeWithPlace;
  devices: Device[];
  scenes: Scene[];
  automation: Automation | null;
}

async function loadEditor(homeId: string, automationId: string, signal: AbortSignal): Promise<EditorData> {
  const base = homePath(homeId);
  const [home, devices, scenes, automation] = await Promise.all([
    api.get<HomeWithPlace>(base, { signal }),
    api.get<{ items: Device[] }>(`${base}/devices`, { signal }),
    api.get<{ items: Scene[] }>(`${base}/scenes`, { signal }),
    automationId === 'new' ? null : api.get<Automation>(automationPath(automationId), { signal }),
  ]);
  return { home, devices: devices.items, scenes: scenes.items, automation };
}

/** One automation: the editor (`new` creates one) and its run history. */
export function AutomationPage({ homeId, automationId }: { homeId: string; automationId: string }) {
  const { t } = useI18n();
  const loaded = useResource((signal) => loadEditor(homeId, automationId, signal), [homeId, automationId]);
  const data = loaded.state.data;
  useTitle(data?.automation?.name ?? t('automations.newTitle'));
  const loadedHomeId = data?.home.id;
  useEffect(() => {
    if (loadedHomeId) showHome(loadedHomeId);
  }, [loadedHomeId]);

  const { state } = loaded;
  if (data === undefined || state.status === 'loading') {
    return state.status === 'error' ? (
      <PageError error={state.error} onRetry={() => loaded.reload()} />
    ) : (
      <div class="page">
        <Loading />
      </div>
    );
  }
  if (data.automation && data.automation.homeId !== data.home.id) {
    return <PageError error={new Error('other home')} onRetry={() => loaded.reload()} />;
  }
  return <Editor key={data.automation?.id ?? 'new'} data={data} />;
}

function Editor({ data }: { data: EditorData }) {
  const { t } = useI18n();
  const { route } = useLocation();
  const { home, automation } = data;
  const control = canControl(home);
  const [draft, setDraft] = useState<AutomationDraft>(() =>
    automation ? automationDraft(automation) : emptyDraft(),
  );
  const [dirty, setDirty] = useState(false);
  const [saving, setSaving] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [problems, setProblems] = useState<readonly FieldProblem[]>([]);
  const listUrl = `/homes/${encodeURIComponent(home.id)}/automations`;

  // Leaving with unsaved changes (closing the tab, reloading) asks first.
  useEffect(() => {
    if (!dirty) return;
    const guard = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      event.returnValue = '';
    };
    globalThis.addEventListener('beforeunload', guard);
    return () => globalThis.removeEventListener('beforeunload', guard);
  }, [dirty]);

  const change = (next: (shown: AutomationDraft) => AutomationDraft) => {
    setDraft(next);
    setDirty(true);
  };

  const save = async () => {
    setSaving(true);
    setFailure(null);
    setProblems([]);
    try {
      const body = automationBody(draft);
      if (automation) await api.put<Automation>(automationPath(automation.id), body);
      else await api.post<Automation>(`${homePath(home.id)}/automations`, body);
      setDirty(false);
      route(listUrl);
    } catch (error) {
      setFailure(error);
      setProblems(fieldProblems(error));
    } finally {
      setSaving(false);
    }
  };

  const remove = async () => {
    if (!automation) return;
    setDeleting(true);
    setFailure(null);
    try {
      await api.delete(automationPath(automation.id));
      setDirty(false);
      route(listUrl);
    } catch (error) {
      setFailure(error);
      setDeleting(false);
    }
  };

  const errors = new FieldErrors(problems);
  const { labels, summaryRef } = useRefusal(failure, problems, errors);
  const context: ItemContext = { home, devices: data.devices, scenes: data.scenes, errors };
  const move = <K extends 'triggers' | 'conditions' | 'actions'>(key: K, from: number, to: number) =>
    change((shown) => {
      const items = [...shown[key]] as AutomationDraft[K];
      const [item] = items.splice(from, 1);
      if (item) (items as unknown[]).splice(to, 0, item);
      return { ...shown, [key]: items };
    });
  const patchItem = <K extends 'triggers' | 'conditions' | 'actions'>(
    key: K,
    index: number,
    patch: Partial<AutomationDraft[K][number]>,
  ) =>
    change((shown) => ({
      ...shown,
      [key]: shown[key].map((item, at) => (at === index ? { ...item, ...patch } : item)),
    }));
  const removeItem = (key: 'triggers' | 'conditions' | 'actions', index: number) =>
    change((shown) => ({ ...shown, [key]: shown[key].filter((_, at) => at !== index) }));

  // Inputs first (they claim their paths), then what no input showed.
  const scope = { errors, t };
  const nameField = textField(scope, {
    path: 'name',
    label: t('automations.name'),
    value: draft.name,
    onChange: (name) => change((shown) => ({ ...shown, name })),
    extra: { maxLength: 100, required: true },
  });
  const cooldownField = numberField(scope, {
    path: 'cooldownSeconds',
    label: t('automations.cooldown'),
    hint: t('automations.cooldownHint'),
    value: draft.cooldownSeconds,
    onChange: (cooldownSeconds) => change((shown) => ({ ...shown, cooldownSeconds })),
    whole: true,
  });
  const enabledMessage = errors.at('enabled');
  const triggers = draft.triggers.map((trigger, index) => (
    <TriggerItem
      key={trigger.key}
      draft={trigger}
      index={index}
      count={draft.triggers.length}
      context={context}
      onChange={(patch) => patchItem('triggers', index, patch)}
      onMove={(to) => move('triggers', index, to)}
      onRemove={() => removeItem('triggers', index)}
    />
  ));
  const conditions = draft.conditions.map((condition, index) => (
    <ConditionItem
      key={condition.key}
      draft={condition}
      index={index}
      count={draft.conditions.length}
      context={context}
      onChange={(patch) => patchItem('conditions', index, patch)}
      onMove={(to) => move('conditions', index, to)}
      onRemove={() => removeItem('conditions', index)}
    />
  ));
  const actions = draft.actions.map((action, index) => (
    <ActionItem
      key={action.key}
      draft={action}
      index={index}
      count={draft.actions.length}
      context={context}
      onChange={(patch) => patchItem('actions', index, patch)}
      onMove={(to) => move('actions', index, to)}
      onRemove={() => removeItem('actions', index)}
    />
  ));
  // List-level problems ("actions: at least one action other than a delay").
  const listProblem = (key: string, label: string) => errors.at(key, label);
  const title = automation ? automation.name : t('automations.newTitle');

  return (
    <div class="page automation-editor">
      <div class="page-head">
        <h1>{home.name}</h1>
      </div>
      <HomeTabs homeId={home.id} current="automations" />
      <p>
        <a class="back-link" href={listUrl}>
          {t('automations.back')}
        </a>
      </p>
      <form
        class="auto-form"
        data-testid="automation-form"
        aria-labelledby="automation-title"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          if (control && !saving) void save();
        }}
      >
        <h2 id="automation-title">{title}</h2>
        {failure !== null &&
          (problems.length > 0 ? (
            <ProblemSummary
              problems={problems}
              labels={labels}
              itemTitle={(list, n) => t(ITEM_TITLES[list as keyof typeof ITEM_TITLES], { n })}
              summaryRef={summaryRef}
              testId="automation-errors"
            />
          ) : (
            <div
              class="notice notice-error auto-summary-error"
              role="alert"
              tabIndex={-1}
              ref={summaryRef}
              data-testid="automation-errors"
            >
              {errorText(failure, t)}
            </div>
          ))}
        {!control && <p class="notice">{t('automations.readOnly')}</p>}
        <fieldset class="auto-fieldset" disabled={!control || saving || deleting}>
          <legend class="visually-hidden">{title}</legend>
          <div class="auto-basics">
            {nameField}
            <div class="field auto-field auto-enabled">
              <label class="field-inline">
                <input
                  type="checkbox"
                  role="switch"
                  checked={draft.enabled}
                  data-testid="automation-enabled-field"
                  onChange={(event) => {
                    const enabled = event.currentTarget.checked;
                    change((shown) => ({ ...shown, enabled }));
                  }}
                />
                {t('automations.enabled')}
              </label>
              {enabledMessage && <p class="auto-field-error">{enabledMessage}</p>}
              {automation?.flagReason && (
                <p class="notice notice-warning" data-testid="automation-flag">
                  {t(`automations.flag.${automation.flagReason}`, { time: '' })}
                </p>
              )}
            </div>
            {cooldownField}
          </div>

          <ItemList
            id="triggers"
            title={t('automations.triggers')}
            hint={t('automations.triggersHint')}
            problem={listProblem('triggers', t('automations.triggers'))}
            addLabel={t('automations.addTrigger')}
            onAdd={() => change((shown) => ({ ...shown, triggers: [...shown.triggers, newTrigger()] }))}
          >
            {triggers}
          </ItemList>
          <ItemList
            id="conditions"
            title={t('automations.conditions')}
            hint={t('automations.conditionsHint')}
            problem={listProblem('conditions', t('automations.conditions'))}
            addLabel={t('automations.addCondition')}
            onAdd={() => change((shown) => ({ ...shown, conditions: [...shown.conditions, newCondition()] }))}
          >
            {conditions}
          </ItemList>
          <ItemList
            id="actions"
            title={t('automations.actions')}
            hint={t('automations.actionsHint')}
            problem={listProblem('actions', t('automations.actions'))}
            addLabel={t('automations.addAction')}
            onAdd={() => change((shown) => ({ ...shown, actions: [...shown.actions, newAction()] }))}
          >
            {actions}
          </ItemList>
        </fieldset>
        <div class="auto-form-actions">
          {control && (
            <button
              type="submit"
              class="button button-primary"
              disabled={saving || deleting}
              data-testid="automation-save"
            >
              {saving ? t('automations.saving') : t('automations.save')}
            </button>
          )}
          <a class="button" href={listUrl} data-testid="automation-cancel">
            {control ? t('automations.cancel') : t('automations.back')}
          </a>
          {control && automation && (
            <ConfirmButton
              label={t('automations.delete')}
              question={t('automations.deleteConfirm', { name: automation.name })}
              confirm={t('automations.delete')}
              testId="automation-delete"
              busy={saving || deleting}
              onConfirm={() => void remove()}
            />
          )}
        </div>
      </form>
      {automation && (
        <RunHistory automation={automation} home={home} devices={data.devices} scenes={data.scenes} />
      )}
    </div>
  );
}

function ItemList(props: {
  id: string;
  title: string;
  hint: string;
  problem: string | null;
  addLabel: string;
  onAdd: () => void;
  children: ComponentChildren;
}) {
  const headingId = `auto-${props.id}-heading`;
  return (
    <section
      id={fieldId(props.id)}
      tabIndex={-1}
      class="auto-editor-list"
      aria-labelledby={headingId}
      data-testid={`automation-${props.id}`}
    >
      <h2 id={headingId}>{props.title}</h2>
      <p class="hint" id={`${headingId}-hint`}>
        {props.hint}
      </p>
      {props.problem && (
        <p class="auto-field-error" data-testid={`field-error-${props.id}`} data-field={props.id}>
          {props.problem}
        </p>
      )}
      <ol class="auto-editor-items">{props.children}</ol>
      <button type="button" class="button button-small" onClick={props.onAdd}>
        + {props.addLabel}
      </button>
    </section>
  );
}
