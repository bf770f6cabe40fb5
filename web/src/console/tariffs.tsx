import { useState } from 'preact/hooks';
import { api, type Tariff } from '../api.ts';
import { ErrorMessage } from '../components/status.tsx';
import { useResource } from '../hooks.ts';
import { useI18n, type MessageKey } from '../i18n.ts';
import { tenantScope } from './shared.tsx';
import { ListState, useRowAction, Table } from '../components/list.tsx';
import { TextField, useSubmission } from '../components/form.tsx';

/** Recording modes a tariff may allow, as the API names them. */
const RECORDING_MODES = ['off', 'motion', 'continuous'] as const;
type RecordingMode = (typeof RECORDING_MODES)[number];
/** The API's floor for raw readings: the home panel shows 45 days of them. */
const MIN_RAW_RETENTION_DAYS = 45;

/** The terms an admin edits here, as whole numbers (the API checks their bounds and relations). */
const TERMS: ReadonlyArray<{ field: keyof Tariff & NumericTerm; text: MessageKey }> = [
  { field: 'rawRetentionDays', text: 'tariffs.raw' },
  { field: 'sensorRetentionDays', text: 'tariffs.sensor' },
  { field: 'videoRetentionDays', text: 'tariffs.video' },
  { field: 'maxGatewaysPerHome', text: 'tariffs.maxGateways' },
  { field: 'maxCamerasPerHome', text: 'tariffs.maxCameras' },
];
type NumericTerm =
  | 'rawRetentionDays'
  | 'sensorRetentionDays'
  | 'videoRetentionDays'
  | 'maxGatewaysPerHome'
  | 'maxCamerasPerHome';

export function TariffsPage() {
  const { t } = useI18n();
  const list = useResource(
    (signal) => api.get<{ items: Tariff[] }>('/v1/tariffs', { query: tenantScope(), signal }),
    [],
  );
  const [editing, setEditing] = useState<string | null>(null);
  const { busyId, error: actionError, run: runRow } = useRowAction();

  const makeDefault = async (tariff: Tariff) => {
    await runRow(tariff.id, async () => {
      const updated = await api.put<Tariff>(`/v1/tariffs/${encodeURIComponent(tariff.id)}/default`, {});
      list.update((shown) => ({
        items: shown.items.map((item) => (item.id === updated.id ? updated : { ...item, isDefault: false })),
      }));
    });
  };

  const remove = async (tariff: Tariff) => {
    if (!globalThis.confirm(t('consoleX.tariffDeleteConfirm', { name: tariff.name }))) return;
    // The API refuses the default tariff and one a home has (409): its words say which.
    await runRow(tariff.id, async () => {
      await api.delete(`/v1/tariffs/${encodeURIComponent(tariff.id)}`);
      list.update((shown) => ({ items: shown.items.filter((item) => item.id !== tariff.id) }));
    });
  };

  return (
    <>
      <h1>{t('console.tariffs')}</h1>
      {actionError !== null && <ErrorMessage error={actionError} />}
      <ListState resource={list} isEmpty={(data) => data.items.length === 0} empty={t('tariffs.empty')}>
        {(data) => (
          <Table
            testId="tariffs-table"
            columns={[
              t('tariffs.name'),
              ...TERMS.map((term) => t(term.text)),
              t('tariffs.modes'),
              { label: t('tariffs.edit'), hidden: true },
            ]}
          >
            {data.items.map((tariff) =>
              editing === tariff.id ? (
                <TariffEditor
                  key={tariff.id}
                  tariff={tariff}
                  onDone={(saved) => {
                    if (saved)
                      list.update((shown) => ({
                        items: shown.items.map((item) => (item.id === saved.id ? saved : item)),
                      }));
                    setEditing(null);
                  }}
                />
              ) : (
                <tr
                  key={tariff.id}
                  data-testid={`tariff-${tariff.id}`}
                  data-default={tariff.isDefault ? 'true' : 'false'}
                >
                  <th scope="row">
                    {tariff.name}
                    {tariff.isDefault && <span class="badge badge-ack">{t('tariffs.default')}</span>}
                  </th>
                  {TERMS.map((term) => (
                    <td key={term.field} class="num">
                      {tariff[term.field]}
                    </td>
                  ))}
                  <td>{tariff.recordingModes.join(', ')}</td>
                  <td>
                    <div class="row-actions">
                      <button
                        type="button"
                        class="button button-small"
                        disabled={busyId === tariff.id}
                        onClick={() => setEditing(tariff.id)}
                      >
                        {t('tariffs.edit')}
                      </button>
                      {!tariff.isDefault && (
                        <>
                          <button
                            type="button"
                            class="button button-small"
                            disabled={busyId === tariff.id}
                            onClick={() => void makeDefault(tariff)}
                          >
                            {t('consoleX.makeDefault')}
                          </button>
                          <button
                            type="button"
                            class="button button-small"
                            disabled={busyId === tariff.id}
                            onClick={() => void remove(tariff)}
                          >
                            {t('consoleX.delete')}
                          </button>
                        </>
                      )}
                    </div>
                  </td>
                </tr>
              ),
            )}
          </Table>
        )}
      </ListState>
      <div class="console-forms">
        <CreateTariffForm
          onCreated={(tariff) => list.update((shown) => ({ items: [...shown.items, tariff] }))}
        />
      </div>
    </>
  );
}

function CreateTariffForm({ onCreated }: { onCreated: (tariff: Tariff) => void }) {
  const { t } = useI18n();
  const blank = (): Record<NumericTerm, string> => ({
    rawRetentionDays: String(MIN_RAW_RETENTION_DAYS),
    sensorRetentionDays: '365',
    videoRetentionDays: '7',
    maxGatewaysPerHome: '2',
    maxCamerasPerHome: '4',
  });
  const [name, setName] = useState('');
  const [values, setValues] = useState(blank);
  const [modes, setModes] = useState<ReadonlySet<RecordingMode>>(new Set(['off', 'motion']));
  const { busy, error, run } = useSubmission();

  const toggle = (mode: RecordingMode, on: boolean) => {
    const next = new Set(modes);
    if (on) next.add(mode);
    else next.delete(mode);
    setModes(next);
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    await run(async () => {
      const created = await api.post<Tariff>('/v1/tariffs', {
        name: name.trim(),
        ...Object.fromEntries(TERMS.map((term) => [term.field, Number(values[term.field])])),
        recordingModes: RECORDING_MODES.filter((mode) => modes.has(mode)),
        ...tenantScope(),
      });
      setName('');
      setValues(blank());
      onCreated(created);
    });
  };

  return (
    <form class="card console-form" onSubmit={(event) => void submit(event)} data-testid="create-tariff-form">
      <h2>{t('consoleX.tariffCreateTitle')}</h2>
      <TextField
        id="tariff-new-name"
        label={t('tariffs.name')}
        required
        maxLength={100}
        value={name}
        onValue={setName}
      />
      <div class="term-grid">
        {TERMS.map((term) => (
          <div class="field" key={term.field}>
            <label for={`tariff-new-${term.field}`}>{t(term.text)}</label>
            <input
              id={`tariff-new-${term.field}`}
              type="number"
              class="input-number"
              min={term.field === 'rawRetentionDays' ? MIN_RAW_RETENTION_DAYS : 1}
              step={1}
              required
              value={values[term.field]}
              onInput={(e) => setValues({ ...values, [term.field]: e.currentTarget.value })}
            />
          </div>
        ))}
      </div>
      <fieldset class="choice">
        <legend>{t('tariffs.modes')}</legend>
        {RECORDING_MODES.map((mode) => (
          <label class="check" key={mode}>
            <input
              type="checkbox"
              checked={modes.has(mode)}
              onChange={(e) => toggle(mode, e.currentTarget.checked)}
            />
            {t(`consoleX.mode.${mode}`)}
          </label>
        ))}
      </fieldset>
      <p class="hint">{t('consoleX.tariffHint')}</p>
      {error !== null && <ErrorMessage error={error} />}
      <button type="submit" class="button button-primary" disabled={busy || !name.trim() || modes.size === 0}>
        {busy ? t('common.saving') : t('consoleX.tariffCreate')}
      </button>
    </form>
  );
}

function TariffEditor({ tariff, onDone }: { tariff: Tariff; onDone: (saved: Tariff | null) => void }) {
  const { t } = useI18n();
  const [values, setValues] = useState<Record<NumericTerm, string>>(
    () =>
      Object.fromEntries(TERMS.map((term) => [term.field, String(tariff[term.field])])) as Record<
        NumericTerm,
        string
      >,
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const formId = `tariff-form-${tariff.id}`;

  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const patch = Object.fromEntries(TERMS.map((term) => [term.field, Number(values[term.field])]));
      onDone(await api.patch<Tariff>(`/v1/tariffs/${encodeURIComponent(tariff.id)}`, patch));
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  return (
    <tr data-testid={`tariff-${tariff.id}`} data-editing="true">
      <th scope="row">
        <form id={formId} onSubmit={(event) => void save(event)}>
          {tariff.name}
        </form>
        {error !== null && <ErrorMessage error={error} />}
      </th>
      {TERMS.map((term) => (
        <td key={term.field}>
          <input
            form={formId}
            type="number"
            class="input-number"
            min={1}
            step={1}
            required
            aria-label={t(term.text)}
            value={values[term.field]}
            onInput={(e) => setValues({ ...values, [term.field]: e.currentTarget.value })}
          />
        </td>
      ))}
      <td>{tariff.recordingModes.join(', ')}</td>
      <td>
        <div class="row-actions">
          <button type="submit" form={formId} class="button button-small button-primary" disabled={busy}>
            {busy ? t('common.saving') : t('common.save')}
          </button>
          <button type="button" class="button button-small" onClick={() => onDone(null)}>
            {t('common.cancel')}
          </button>
        </div>
      </td>
    </tr>
  );
}
