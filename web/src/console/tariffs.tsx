import { useState } from 'preact/hooks';
import { api, type Tariff } from '../api.ts';
import { ErrorMessage } from '../components/status.tsx';
import { useResource } from '../hooks.ts';
import { useI18n, type MessageKey } from '../i18n.ts';
import { ListState } from './shared.tsx';

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
  const list = useResource((signal) => api.get<{ items: Tariff[] }>('/v1/tariffs', { signal }), []);
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <>
      <h1>{t('console.tariffs')}</h1>
      <ListState resource={list} isEmpty={(data) => data.items.length === 0} empty={t('tariffs.empty')}>
        {(data) => (
          <div class="table-scroll">
            <table class="table" data-testid="tariffs-table">
              <thead>
                <tr>
                  <th scope="col">{t('tariffs.name')}</th>
                  {TERMS.map((term) => (
                    <th key={term.field} scope="col">
                      {t(term.text)}
                    </th>
                  ))}
                  <th scope="col">{t('tariffs.modes')}</th>
                  <th scope="col">
                    <span class="visually-hidden">{t('tariffs.edit')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
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
                    <tr key={tariff.id} data-testid={`tariff-${tariff.id}`}>
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
                        <button
                          type="button"
                          class="button button-small"
                          onClick={() => setEditing(tariff.id)}
                        >
                          {t('tariffs.edit')}
                        </button>
                      </td>
                    </tr>
                  ),
                )}
              </tbody>
            </table>
          </div>
        )}
      </ListState>
    </>
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
