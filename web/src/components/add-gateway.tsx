import { useState } from 'preact/hooks';
import { api, type Gateway } from '../api.ts';
import { useI18n } from '../i18n.ts';
import { ErrorMessage } from './status.tsx';

/**
 * Registers a gateway to the home with the serial and claim code printed on it (owners). Its
 * devices then appear on the panel as they report.
 */
export function AddGateway({ homeId, onAdded }: { homeId: string; onAdded: (gateway: Gateway) => void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [serial, setSerial] = useState('');
  const [claimCode, setClaimCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [added, setAdded] = useState<Gateway | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const gateway = await api.post<Gateway>(`/v1/homes/${encodeURIComponent(homeId)}/gateways`, {
        gatewayId: serial.trim(),
        claimCode: claimCode.trim(),
      });
      setSerial('');
      setClaimCode('');
      setAdded(gateway);
      setOpen(false);
      onAdded(gateway);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="add-gateway" data-testid="add-gateway" aria-labelledby="add-gateway-title">
      <div class="add-gateway-head">
        <h2 id="add-gateway-title">{t('addGateway.title')}</h2>
        {!open && (
          <button type="button" class="button button-small" onClick={() => setOpen(true)}>
            {t('addGateway.open')}
          </button>
        )}
      </div>
      {added && (
        <p class="notice notice-ok" role="status" data-testid="add-gateway-done">
          {t('addGateway.done', { name: added.name })}
        </p>
      )}
      {open && (
        <form class="add-gateway-form" onSubmit={(event) => void submit(event)}>
          <div class="field">
            <label for="add-gateway-serial">{t('addGateway.serial')}</label>
            <input
              id="add-gateway-serial"
              required
              maxLength={64}
              autoComplete="off"
              value={serial}
              onInput={(e) => setSerial(e.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label for="add-gateway-code">{t('addGateway.claimCode')}</label>
            <input
              id="add-gateway-code"
              required
              maxLength={64}
              autoComplete="off"
              value={claimCode}
              onInput={(e) => setClaimCode(e.currentTarget.value)}
            />
          </div>
          {error !== null && <ErrorMessage error={error} />}
          <div class="row-actions">
            <button
              type="submit"
              class="button button-primary"
              disabled={busy || !serial.trim() || !claimCode.trim()}
            >
              {busy ? t('common.saving') : t('addGateway.submit')}
            </button>
            <button type="button" class="button" onClick={() => setOpen(false)}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
