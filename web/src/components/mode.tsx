import { useState } from 'preact/hooks';
import { api, type HomeMode, type Security } from '../api.ts';
import { errorText } from '../format.ts';
import { useI18n } from '../i18n.ts';

const MODES: readonly HomeMode[] = ['disarmed', 'home', 'armed'];

/** Arm, disarm, home: a radio group; the mode shown is the server's (live feed included). */
export function ModeControl(props: {
  homeId: string;
  mode: HomeMode;
  canControl: boolean;
  onChange: (security: Security) => void;
}) {
  const { t } = useI18n();
  const [pending, setPending] = useState<HomeMode | null>(null);
  const [error, setError] = useState<unknown>(null);
  const shown = pending ?? props.mode;

  const choose = async (mode: HomeMode) => {
    if (mode === props.mode && pending === null) return;
    setPending(mode);
    setError(null);
    try {
      props.onChange(
        await api.put<Security>(`/v1/homes/${encodeURIComponent(props.homeId)}/security/mode`, { mode }),
      );
    } catch (failure) {
      setError(failure);
    } finally {
      setPending(null);
    }
  };

  return (
    <fieldset
      class={`mode mode-${shown}`}
      data-testid="mode"
      data-value={props.mode}
      aria-busy={pending !== null}
      disabled={!props.canControl}
    >
      <legend>{t('mode.label')}</legend>
      <div class="segmented">
        {MODES.map((mode) => (
          <label key={mode} class={`segment segment-${mode}`}>
            <input
              type="radio"
              name="security-mode"
              value={mode}
              checked={shown === mode}
              onChange={() => void choose(mode)}
            />
            <span>{t(`mode.${mode}`)}</span>
          </label>
        ))}
      </div>
      {!props.canControl && <p class="hint">{t('mode.guest')}</p>}
      {error !== null && (
        <p class="notice notice-error" role="alert">
          {errorText(error, t)}
        </p>
      )}
    </fieldset>
  );
}
