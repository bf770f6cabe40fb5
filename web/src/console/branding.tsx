import { useState } from 'preact/hooks';
import { api, type Tenant } from '../api.ts';
import { applyBranding, HEX_COLOUR, tenant } from '../branding.ts';
import { ErrorMessage, Loading } from '../components/status.tsx';
import { useResource } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { isPlatformAdmin, tenantIdOf } from './shared.tsx';
import { TextField, useSubmission } from '../components/form.tsx';

/** The provider's name and look: what its people see in the dashboard. */
export function BrandingPage() {
  const { t } = useI18n();
  const tenantId = tenantIdOf();
  const loaded = useResource(
    (signal) => api.get<Tenant>(`/v1/tenants/${encodeURIComponent(tenantId)}`, { signal }),
    [tenantId],
  );
  return (
    <>
      <h1>{t('console.branding')}</h1>
      {loaded.state.status === 'loading' && <Loading />}
      {loaded.state.status === 'error' && (
        <ErrorMessage error={loaded.state.error} onRetry={() => loaded.reload()} />
      )}
      {loaded.state.data && <BrandingForm key={loaded.state.data.id} provider={loaded.state.data} />}
    </>
  );
}

function BrandingForm({ provider }: { provider: Tenant }) {
  const { t } = useI18n();
  const [name, setName] = useState(provider.name);
  const [displayName, setDisplayName] = useState(provider.branding.displayName ?? '');
  const [logoUrl, setLogoUrl] = useState(provider.branding.logoUrl ?? '');
  const [primaryColor, setPrimaryColor] = useState(provider.branding.primaryColor ?? '');
  const [accentColor, setAccentColor] = useState(provider.branding.accentColor ?? '');
  const { busy, error, run } = useSubmission();
  const [saved, setSaved] = useState(false);
  const badColour = (value: string) => value !== '' && !HEX_COLOUR.test(value);

  const submit = async (event: Event) => {
    event.preventDefault();
    setSaved(false);
    await run(async () => {
      const updated = await api.patch<Tenant>(`/v1/tenants/${encodeURIComponent(provider.id)}`, {
        name: name.trim(),
        // Empty fields are left out, not sent as null: the API reads a null colour or logo as
        // "" and refuses it, so a set colour or logo cannot be cleared from here yet.
        branding: {
          displayName: displayName.trim(),
          ...(logoUrl.trim() && { logoUrl: logoUrl.trim() }),
          ...(primaryColor && { primaryColor }),
          ...(accentColor && { accentColor }),
        },
      });
      // A provider's admin is one of its people: their dashboard takes the new look at once (a
      // platform admin's keeps the platform's).
      if (!isPlatformAdmin()) {
        tenant.set(updated);
        applyBranding(updated.branding);
      }
      setSaved(true);
    });
  };

  return (
    <form
      class="card console-form narrow-form"
      onSubmit={(event) => void submit(event)}
      data-testid="branding-form"
    >
      <TextField
        id="brand-name"
        label={t('branding.name')}
        required
        maxLength={100}
        value={name}
        onValue={setName}
      />
      <TextField
        id="brand-display"
        label={t('branding.displayName')}
        maxLength={100}
        value={displayName}
        onValue={setDisplayName}
        hint={t('branding.displayNameHint')}
      />
      <TextField
        id="brand-logo"
        label={t('branding.logoUrl')}
        type="url"
        maxLength={2000}
        placeholder="https://"
        value={logoUrl}
        onValue={setLogoUrl}
      />
      {(
        [
          ['brand-primary', 'branding.primaryColor', primaryColor, setPrimaryColor],
          ['brand-accent', 'branding.accentColor', accentColor, setAccentColor],
        ] as const
      ).map(([id, text, value, set]) => (
        <div class="field" key={id}>
          <label for={id}>{t(text)}</label>
          <div class="colour-field">
            <input
              id={id}
              maxLength={7}
              placeholder="#c2410c"
              value={value}
              aria-invalid={badColour(value) ? 'true' : undefined}
              aria-describedby={`${id}-hint`}
              onInput={(e) => set(e.currentTarget.value.trim())}
            />
            <input
              type="color"
              aria-label={t(text)}
              tabIndex={-1}
              value={HEX_COLOUR.test(value) ? value : '#c2410c'}
              onInput={(e) => set(e.currentTarget.value)}
            />
          </div>
          <span class="hint" id={`${id}-hint`}>
            {t('branding.colourHint')}
          </span>
        </div>
      ))}
      {error !== null && <ErrorMessage error={error} />}
      {saved && (
        <p class="notice notice-ok" role="status">
          {t('branding.saved')}
        </p>
      )}
      <button
        type="submit"
        class="button button-primary"
        disabled={busy || badColour(primaryColor) || badColour(accentColor) || !name.trim()}
      >
        {busy ? t('common.saving') : t('common.save')}
      </button>
    </form>
  );
}
