import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, type Device } from '../api.ts';
import { errorText } from '../format.ts';
import { useI18n } from '../i18n.ts';
import {
  fieldId,
  fieldProblems,
  homePath,
  scenePath,
  type FieldProblem,
  type HomeWithPlace,
  type Scene,
  type SceneStepResult,
} from './api.ts';
import { actionDraft, newAction, stepBody, type ActionDraft } from './draft.ts';
import { FieldErrors, FieldMessage, ProblemSummary, textField, useRefusal } from './fields.tsx';
import { commandFields, kindField, recordFields, type ItemContext } from './items.tsx';
import { ConfirmButton, InlineError } from './shared.tsx';
import { actionSummary } from './summary.ts';

/** The home's scenes: activate one, add, change or delete them (members and owners). */
export function ScenesSection(props: {
  home: HomeWithPlace;
  devices: Device[];
  scenes: Scene[];
  control: boolean;
  onChange: (scenes: Scene[]) => void;
}) {
  const { t } = useI18n();
  const [editing, setEditing] = useState<Scene | 'new' | null>(null);
  const saved = (scene: Scene) => {
    const known = props.scenes.some((item) => item.id === scene.id);
    props.onChange(
      known ? props.scenes.map((item) => (item.id === scene.id ? scene : item)) : [...props.scenes, scene],
    );
    setEditing(null);
  };
  return (
    <section class="section auto-scenes" aria-labelledby="scenes-heading" data-testid="scenes">
      <div class="auto-section-head">
        <h2 id="scenes-heading">{t('scenes.title')}</h2>
        {props.control && editing === null && (
          <button type="button" class="button" data-testid="scene-new" onClick={() => setEditing('new')}>
            {t('scenes.new')}
          </button>
        )}
      </div>
      {editing !== null && (
        <SceneForm
          home={props.home}
          devices={props.devices}
          scenes={props.scenes}
          scene={editing === 'new' ? null : editing}
          onSaved={saved}
          onCancel={() => setEditing(null)}
        />
      )}
      {props.scenes.length === 0 ? (
        <p class="empty" data-testid="scenes-empty">
          {t('scenes.empty')}
        </p>
      ) : (
        <ul class="auto-scene-list">
          {props.scenes.map((scene) => (
            <SceneItem
              key={scene.id}
              scene={scene}
              devices={props.devices}
              scenes={props.scenes}
              control={props.control}
              onEdit={() => setEditing(scene)}
              onDeleted={() => props.onChange(props.scenes.filter((item) => item.id !== scene.id))}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function SceneItem(props: {
  scene: Scene;
  devices: Device[];
  scenes: Scene[];
  control: boolean;
  onEdit: () => void;
  onDeleted: () => void;
}) {
  const { t, locale } = useI18n();
  const { scene } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [results, setResults] = useState<SceneStepResult[] | null>(null);
  const names = { devices: props.devices, scenes: props.scenes, t, locale };
  const activate = async () => {
    setBusy(true);
    setError(null);
    setResults(null);
    try {
      const answer = await api.post<{ results: SceneStepResult[] }>(`${scenePath(scene.id)}/activate`, {});
      setResults(answer.results);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.delete(scenePath(scene.id));
      props.onDeleted();
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };
  const refused = results?.filter((result) => result.error !== null) ?? [];
  return (
    <li class="card auto-scene" data-testid={`scene-${scene.id}`} data-name={scene.name}>
      <div class="auto-item-head">
        <h3 class="auto-item-name">{scene.name}</h3>
      </div>
      <p class="muted small">
        {scene.actions.map((step) => actionSummary(step, names)).join(t('automations.sum.and'))}
      </p>
      {results && (
        <p
          class={`notice ${refused.length > 0 ? 'notice-warning' : 'notice-ok'}`}
          role="status"
          data-testid="scene-result"
        >
          {t('scenes.activated', { sent: results.length - refused.length, total: results.length })}
          {refused.map((result) => (
            <span key={result.index} class="small">
              {' '}
              {result.action}: {result.error?.message}
            </span>
          ))}
        </p>
      )}
      <InlineError error={error} />
      {props.control && (
        <div class="row-actions">
          <button
            type="button"
            class="button button-small button-primary"
            disabled={busy}
            onClick={() => void activate()}
            data-testid="scene-activate"
          >
            {busy ? t('scenes.activating') : t('scenes.activate')}
          </button>
          <button
            type="button"
            class="button button-small"
            disabled={busy}
            onClick={props.onEdit}
            data-testid="scene-edit"
          >
            {t('scenes.edit')}
          </button>
          <ConfirmButton
            label={t('scenes.delete')}
            question={t('scenes.deleteConfirm', { name: scene.name })}
            confirm={t('scenes.delete')}
            testId="scene-delete"
            busy={busy}
            onConfirm={() => void remove()}
          />
        </div>
      )}
    </li>
  );
}

function SceneForm(props: {
  home: HomeWithPlace;
  devices: Device[];
  scenes: Scene[];
  scene: Scene | null;
  onSaved: (scene: Scene) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [name, setName] = useState(props.scene?.name ?? '');
  const [steps, setSteps] = useState<ActionDraft[]>(() =>
    props.scene ? props.scene.actions.map(actionDraft) : [newAction('command')],
  );
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [problems, setProblems] = useState<readonly FieldProblem[]>([]);
  const errors = new FieldErrors(problems);
  const { labels, summaryRef } = useRefusal(failure, problems, errors);
  const context: ItemContext = { home: props.home, devices: props.devices, scenes: props.scenes, errors };

  const save = async () => {
    setSaving(true);
    setFailure(null);
    setProblems([]);
    const body = { name, actions: steps.map(stepBody) };
    try {
      const saved = props.scene
        ? await api.put<Scene>(scenePath(props.scene.id), body)
        : await api.post<Scene>(`${homePath(props.home.id)}/scenes`, body);
      props.onSaved(saved);
    } catch (error) {
      setFailure(error);
      setProblems(fieldProblems(error));
      setSaving(false);
    }
  };

  const scope = { errors, t };
  const nameField = textField(scope, {
    path: 'name',
    label: t('scenes.name'),
    value: name,
    onChange: setName,
    extra: { maxLength: 100 },
  });
  const stepItems = steps.map((step, index) => {
    const path = `actions[${index}]`;
    const patch = (change: Partial<ActionDraft>) =>
      setSteps((shown) => shown.map((item, at) => (at === index ? { ...item, ...change } : item)));
    const kind = kindField(
      scope,
      path,
      step.type,
      ['command', 'record'] as const,
      (type) => t(`automations.actionType.${type}`),
      (type) => patch({ type }),
    );
    const fields: JSX.Element[] =
      step.type === 'record'
        ? recordFields(path, step, context, t, patch)
        : commandFields(path, step, context, t, patch);
    const rest = errors.rest(path);
    const title = t('scenes.commandN', { n: index + 1 });
    return (
      <li
        key={step.key}
        id={fieldId(path)}
        tabIndex={-1}
        class="auto-editor-item card"
        data-testid={`scene-step-${index}`}
      >
        <div class="auto-editor-item-head">
          <h4>{title}</h4>
          <button
            type="button"
            class="button button-small button-quiet auto-danger"
            aria-label={t('automations.removeOf', { what: title })}
            onClick={() => setSteps((shown) => shown.filter((_, at) => at !== index))}
          >
            {t('automations.remove')}
          </button>
        </div>
        {rest.map((message) => (
          <FieldMessage key={message} path={path} message={message} />
        ))}
        <div class="auto-editor-fields">
          {kind}
          {fields}
        </div>
      </li>
    );
  });
  const listProblem = errors.at('actions', t('scenes.commands'));

  return (
    <form
      class="card auto-scene-form"
      data-testid="scene-form"
      aria-labelledby="scene-form-title"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (!saving) void save();
      }}
    >
      <h3 id="scene-form-title">
        {props.scene ? t('scenes.editTitle', { name: props.scene.name }) : t('scenes.new')}
      </h3>
      {failure !== null &&
        (problems.length > 0 ? (
          <ProblemSummary
            problems={problems}
            labels={labels}
            itemTitle={(_, n) => t('scenes.commandN', { n })}
            summaryRef={summaryRef}
            testId="scene-errors"
          />
        ) : (
          <p class="notice notice-error" role="alert">
            {errorText(failure, t)}
          </p>
        ))}
      <fieldset class="auto-fieldset" disabled={saving}>
        <legend class="visually-hidden">{t('scenes.title')}</legend>
        {nameField}
        {listProblem && <FieldMessage path="actions" message={listProblem} />}
        <ol class="auto-editor-items">{stepItems}</ol>
        <button
          type="button"
          class="button button-small"
          onClick={() => setSteps((shown) => [...shown, newAction('command')])}
        >
          + {t('scenes.addCommand')}
        </button>
      </fieldset>
      <div class="auto-form-actions">
        <button type="submit" class="button button-primary" disabled={saving} data-testid="scene-save">
          {saving ? t('automations.saving') : t('scenes.save')}
        </button>
        <button type="button" class="button" onClick={props.onCancel}>
          {t('automations.cancel')}
        </button>
      </div>
    </form>
  );
}
