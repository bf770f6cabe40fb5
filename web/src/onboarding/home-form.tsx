import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, type Home } from '../api.ts';
import { TextField, useSubmission } from '../components/form.tsx';
import { useI18n, type Translate } from '../i18n.ts';
import { loadHomes } from '../state.ts';
import {
  browserTimeZone,
  FormProblem,
  isTimeZone,
  onboardingErrorText,
  timeZones,
  type HomeInput,
} from './api.ts';
import './onboarding.css';

/** A home's fields as typed: numbers stay text until the form is sent. */
export interface HomeDraft {
  name: string;
  timezone: string;
  latitude: string;
  longitude: string;
}

export function draftOf(home: {
  name: string;
  timezone: string;
  latitude: number | null;
  longitude: number | null;
}): HomeDraft {
  return {
    name: home.name,
    timezone: home.timezone,
    latitude: home.latitude === null ? '' : String(home.latitude),
    longitude: home.longitude === null ? '' : String(home.longitude),
  };
}

/** A number typed in `text`, or null when empty, or NaN when it is not one. */
function coordinate(text: string): number | null {
  const trimmed = text.trim().replace(',', '.');
  return trimmed === '' ? null : Number(trimmed);
}

/** The draft as the API takes it, or the first reason it cannot be sent (a FormProblem). */
export function homeInputOf(draft: HomeDraft, t: Translate): HomeInput {
  const name = draft.name.trim();
  if (!name) throw new FormProblem(t('homeSettings.nameMissing'));
  const timezone = draft.timezone.trim();
  if (!isTimeZone(timezone)) throw new FormProblem(t('homeSettings.timezoneInvalid', { zone: timezone }));
  const latitude = coordinate(draft.latitude);
  const longitude = coordinate(draft.longitude);
  if ((latitude === null) !== (longitude === null)) throw new FormProblem(t('homeSettings.locationBoth'));
  if (latitude !== null && !(latitude >= -90 && latitude <= 90))
    throw new FormProblem(t('homeSettings.latitudeRange'));
  if (longitude !== null && !(longitude >= -180 && longitude <= 180))
    throw new FormProblem(t('homeSettings.longitudeRange'));
  // Empty fields send null: the home has no location (or no longer has one).
  return { name, timezone, latitude, longitude };
}

/** Coordinates to this many decimals: about 10 m, enough for the sun and no more precise. */
const LOCATION_DECIMALS = 4;

/**
 * A home's name, time zone (searchable list of the browser's zones) and optional location, with
 * "Use my location" where the browser can tell it.
 */
export function HomeFields(props: {
  idPrefix: string;
  draft: HomeDraft;
  onDraft: (draft: HomeDraft) => void;
}) {
  const { t } = useI18n();
  const { idPrefix, draft, onDraft } = props;
  const [locating, setLocating] = useState(false);
  const [locationError, setLocationError] = useState<string | null>(null);
  const set = (change: Partial<HomeDraft>) => onDraft({ ...draft, ...change });
  const canLocate = typeof navigator !== 'undefined' && 'geolocation' in navigator;
  const listId = `${idPrefix}-zones`;

  const locate = () => {
    setLocating(true);
    setLocationError(null);
    navigator.geolocation.getCurrentPosition(
      (position) => {
        setLocating(false);
        set({
          latitude: position.coords.latitude.toFixed(LOCATION_DECIMALS),
          longitude: position.coords.longitude.toFixed(LOCATION_DECIMALS),
        });
      },
      (failure) => {
        setLocating(false);
        setLocationError(t('homeSettings.locationFailed', { message: failure.message }));
      },
      { timeout: 15_000, maximumAge: 60_000 },
    );
  };

  return (
    <>
      <TextField
        id={`${idPrefix}-name`}
        label={t('homeSettings.name')}
        name="home-name"
        required
        maxLength={100}
        autocomplete="off"
        value={draft.name}
        onValue={(name) => set({ name })}
      />
      <div class="field">
        <label for={`${idPrefix}-timezone`}>{t('homeSettings.timezone')}</label>
        <input
          id={`${idPrefix}-timezone`}
          name="timezone"
          list={listId}
          required
          autocomplete="off"
          autocapitalize="none"
          spellcheck={false}
          aria-describedby={`${idPrefix}-timezone-hint`}
          aria-invalid={draft.timezone.trim() !== '' && !isTimeZone(draft.timezone.trim())}
          data-testid="timezone"
          value={draft.timezone}
          onInput={(event) => set({ timezone: event.currentTarget.value })}
        />
        <datalist id={listId}>
          {timeZones().map((zone) => (
            <option key={zone} value={zone} />
          ))}
        </datalist>
        <span class="hint" id={`${idPrefix}-timezone-hint`}>
          {t('homeSettings.timezoneHint')}
        </span>
      </div>
      <fieldset class="onboarding-location" aria-describedby={`${idPrefix}-location-hint`}>
        <legend>{t('homeSettings.location')}</legend>
        <p class="hint" id={`${idPrefix}-location-hint`}>
          {t('homeSettings.locationHint')}
        </p>
        <div class="onboarding-coordinates">
          <div class="field">
            <label for={`${idPrefix}-latitude`}>{t('homeSettings.latitude')}</label>
            <input
              id={`${idPrefix}-latitude`}
              name="latitude"
              type="number"
              inputMode="decimal"
              step="any"
              min={-90}
              max={90}
              value={draft.latitude}
              onInput={(event) => set({ latitude: event.currentTarget.value })}
            />
          </div>
          <div class="field">
            <label for={`${idPrefix}-longitude`}>{t('homeSettings.longitude')}</label>
            <input
              id={`${idPrefix}-longitude`}
              name="longitude"
              type="number"
              inputMode="decimal"
              step="any"
              min={-180}
              max={180}
              value={draft.longitude}
              onInput={(event) => set({ longitude: event.currentTarget.value })}
            />
          </div>
        </div>
        {canLocate && (
          <button
            type="button"
            class="button button-small"
            disabled={locating}
            data-testid="use-my-location"
            onClick={locate}
          >
            {locating ? t('homeSettings.locating') : t('homeSettings.useMyLocation')}
          </button>
        )}
        {locationError !== null && (
          <p class="notice notice-warning" role="alert">
            {locationError}
          </p>
        )}
      </fieldset>
    </>
  );
}

/** A form's error, in words. */
export function FormError({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (error === null || error === undefined) return null;
  return (
    <p class="notice notice-error" role="alert" data-testid="form-error">
      {onboardingErrorText(error, t)}
    </p>
  );
}

/**
 * Creates a home (the person becomes its owner), then opens its panel. `onCancel` shows a
 * Cancel button (the list's form; the first home's form has none).
 */
export function NewHomeForm({ onCancel }: { onCancel?: () => void }) {
  const { t } = useI18n();
  const { route } = useLocation();
  const [draft, setDraft] = useState<HomeDraft>(() => ({
    name: '',
    timezone: browserTimeZone(),
    latitude: '',
    longitude: '',
  }));
  const { busy, error, run } = useSubmission();

  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const home = await api.post<Home>('/v1/homes', homeInputOf(draft, t));
      await loadHomes();
      route(`/homes/${encodeURIComponent(home.id)}`);
    });
  };

  return (
    <form
      class="card onboarding-form"
      onSubmit={submit}
      noValidate
      aria-labelledby="new-home-title"
      data-testid="new-home-form"
    >
      <h2 id="new-home-title">{t('newHome.title')}</h2>
      <HomeFields idPrefix="new-home" draft={draft} onDraft={setDraft} />
      <FormError error={error} />
      <div class="row-actions">
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? t('newHome.submitting') : t('newHome.submit')}
        </button>
        {onCancel && (
          <button type="button" class="button" onClick={onCancel} disabled={busy}>
            {t('common.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}
