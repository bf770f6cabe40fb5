import { useState } from 'preact/hooks';
import { api, type Gateway } from '../api.ts';
import { useI18n } from '../i18n.ts';
import { ErrorMessage } from './status.tsx';
import { TextField } from './form.tsx';
import { useSubmission } from './form.tsx';

/**
 * Registers a gateway to the home with the serial and claim code printed on it (owners). Its
 * devices then appear on the panel as they report.
 */
export function AddGateway({ homeId, onAdded }: { homeId: string; onAdded: (gateway: Gateway) => void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [serial, setSerial] = useState('');
  const [claimCode, setClaimCode] = useState('');
  const { busy, error, run } = useSubmission();
  const [added, setAdded] = useState<Gateway | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    await run(async () => {
      const gateway = await api.post<Gateway>(`/v1/homes/${encodeURIComponent(homeId)}/gateways`, {
        gatewayId: serial.trim(),
        claimCode: claimCode.trim(),
      });
      setSerial('');
      setClaimCode('');
      setAdded(gateway);
      setOpen(false);
      onAdded(gateway);
    });
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
          <TextField
            id="add-gateway-serial"
            label={t('addGateway.serial')}
            required
            maxLength={64}
            autoComplete="off"
            value={serial}
            onValue={setSerial}
          />
          <TextField
            id="add-gateway-code"
            label={t('addGateway.claimCode')}
            required
            maxLength={64}
            autoComplete="off"
            value={claimCode}
            onValue={setClaimCode}
          />
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
