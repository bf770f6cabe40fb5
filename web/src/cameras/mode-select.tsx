import { useState } from 'preact/hooks';
import { ApiError, api, RECORDING_MODES, type Camera, type RecordingMode } from '../api.ts';
import { errorText } from '../format.ts';
import { useI18n } from '../i18n.ts';

/**
 * How the camera records (off, on motion, continuously), as a radio group like the security
 * mode's. The API decides what the home's tariff allows: a refusal is said in words and the
 * camera's mode stays as it was. Guests see it, disabled.
 */
export function RecordingModeControl(props: {
  camera: Camera;
  canControl: boolean;
  onChange: (camera: Camera) => void;
}) {
  const { t } = useI18n();
  const [pending, setPending] = useState<RecordingMode | null>(null);
  const [error, setError] = useState<{ mode: RecordingMode; error: unknown } | null>(null);
  const { camera } = props;
  const shown = pending ?? camera.mode;

  const choose = async (mode: RecordingMode) => {
    if (mode === camera.mode && pending === null) return;
    setPending(mode);
    setError(null);
    try {
      props.onChange(await api.patch<Camera>(`/v1/cameras/${encodeURIComponent(camera.deviceId)}`, { mode }));
    } catch (failure) {
      setError({ mode, error: failure });
    } finally {
      setPending(null);
    }
  };

  const tariffRefused = error?.error instanceof ApiError && error.error.code === 'HESTIA_TARIFF_LIMIT';
  return (
    <fieldset
      class="mode camera-mode"
      data-testid="camera-mode"
      data-value={camera.mode}
      aria-busy={pending !== null}
      disabled={!props.canControl}
    >
      <legend>{t('camera.mode.label')}</legend>
      <div class="segmented">
        {RECORDING_MODES.map((mode) => (
          <label key={mode} class={`segment segment-rec-${mode}`}>
            <input
              type="radio"
              name={`recording-mode-${camera.deviceId}`}
              value={mode}
              checked={shown === mode}
              onChange={() => void choose(mode)}
            />
            <span>{t(`camera.mode.${mode}`)}</span>
          </label>
        ))}
      </div>
      {!props.canControl && <p class="hint">{t('camera.mode.guest')}</p>}
      {error && (
        <p class="notice notice-error" role="alert" data-testid="camera-mode-error">
          {tariffRefused
            ? t('camera.mode.tariff', { mode: t(`camera.mode.${error.mode}`) })
            : errorText(error.error, t)}
        </p>
      )}
    </fieldset>
  );
}
