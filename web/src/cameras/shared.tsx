import { useEffect, useState } from 'preact/hooks';
import { api, isAbort, type Camera } from '../api.ts';
import { formatDateTime } from '../format.ts';
import { useI18n } from '../i18n.ts';

/** What the home panel and the camera page share: pictures, the recording badge, names. */

export function cameraName(camera: Pick<Camera, 'name' | 'deviceId'>): string {
  return camera.name ?? `camera ${camera.deviceId.slice(0, 8)}`;
}

export function cameraPath(camera: Pick<Camera, 'homeId' | 'deviceId'>): string {
  return `/homes/${encodeURIComponent(camera.homeId)}/cameras/${encodeURIComponent(camera.deviceId)}`;
}

/** The latest picture's path, or null without one. */
export function latestPreviewPath(camera: Pick<Camera, 'deviceId' | 'latestPreviewAt'>): string | null {
  return camera.latestPreviewAt ? `/v1/devices/${encodeURIComponent(camera.deviceId)}/preview` : null;
}

/** One picture of the preview history, at its time as the timeline lists it. */
export function previewPath(deviceId: string, at: string): string {
  return `/v1/cameras/${encodeURIComponent(deviceId)}/previews/${encodeURIComponent(at)}`;
}

// Pictures need the bearer token, so an <img> cannot load them by URL. They are fetched and
// shown as data: URLs: the dashboard's Content-Security-Policy allows data: images, not blob:.
const pictures = new Map<string, string>();
/** Pictures kept in memory (thumbnails of a few kilobytes): the latest used are kept. */
const PICTURES_KEPT = 80;

function keep(key: string, dataUrl: string): void {
  pictures.delete(key);
  pictures.set(key, dataUrl);
  for (const oldest of pictures.keys()) {
    if (pictures.size <= PICTURES_KEPT) break;
    pictures.delete(oldest);
  }
}

function dataUrlOf(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () =>
      typeof reader.result === 'string'
        ? resolve(reader.result)
        : reject(new Error('the picture could not be read as a data URL'));
    reader.onerror = () => reject(reader.error ?? new Error('the picture could not be read'));
    reader.readAsDataURL(blob);
  });
}

export type Picture =
  { status: 'none' } | { status: 'loading' } | { status: 'ready'; src: string } | { status: 'failed' };

/**
 * A picture of the API (`path`, null for none) as a data: URL. `version` names what it shows
 * (the latest picture's time): a new version is fetched again, the same one comes from memory.
 */
export function usePicture(path: string | null, version = ''): Picture {
  const key = path ? `${path}#${version}` : null;
  const [picture, setPicture] = useState<Picture>(() => {
    const known = key ? pictures.get(key) : undefined;
    return known ? { status: 'ready', src: known } : { status: key ? 'loading' : 'none' };
  });
  useEffect(() => {
    if (!path || !key) {
      setPicture({ status: 'none' });
      return;
    }
    const known = pictures.get(key);
    if (known) {
      setPicture({ status: 'ready', src: known });
      return;
    }
    // The previous picture stays until the new one is here: no flicker on a wall panel.
    setPicture((shown) => (shown.status === 'ready' ? shown : { status: 'loading' }));
    const controller = new AbortController();
    api
      .blob(path, { signal: controller.signal, cache: 'no-store' })
      .then(dataUrlOf)
      .then(
        (src) => {
          keep(key, src);
          if (!controller.signal.aborted) setPicture({ status: 'ready', src });
        },
        (error: unknown) => {
          if (!controller.signal.aborted && !isAbort(error)) setPicture({ status: 'failed' });
        },
      );
    return () => controller.abort();
  }, [key]);
  return picture;
}

/** A camera's latest picture in a 16:9 frame, or a quiet placeholder. */
export function CameraPicture({ camera, timezone }: { camera: Camera; timezone?: string }) {
  const { t, locale } = useI18n();
  const picture = usePicture(latestPreviewPath(camera), camera.latestPreviewAt ?? '');
  if (picture.status === 'ready' && camera.latestPreviewAt)
    return (
      <img
        class="camera-picture"
        src={picture.src}
        data-testid={`camera-preview-${camera.deviceId}`}
        alt={t('cameras.previewAlt', {
          name: cameraName(camera),
          time: formatDateTime(camera.latestPreviewAt, locale, timezone),
        })}
      />
    );
  return (
    <div class="camera-picture camera-picture-empty" data-status={picture.status}>
      {picture.status === 'loading' ? <span class="spinner" aria-hidden="true" /> : t('cameras.noPreview')}
    </div>
  );
}

/** Whether the camera records now, and why not when recording failed (its reason as text and title). */
export function RecordingBadge({ camera, timezone }: { camera: Camera; timezone?: string }) {
  const { t, locale } = useI18n();
  const { state, reason, since } = camera.recording;
  const sinceText = t('camera.recording.since', { time: formatDateTime(since, locale, timezone) });
  return (
    <span
      class={`badge camera-rec camera-rec-${state}`}
      data-testid="recording-state"
      data-state={state}
      title={state === 'failed' && reason ? t('camera.recording.reason', { reason }) : sinceText}
    >
      <span class="dot" aria-hidden="true" />
      {t(`camera.recording.${state}`)}
    </span>
  );
}

/** The reason a recording failed, in words under the badge. */
export function RecordingFailure({ camera }: { camera: Camera }) {
  const { t } = useI18n();
  const { state, reason } = camera.recording;
  if (state !== 'failed' || !reason) return null;
  return (
    <p class="camera-failure" data-testid="recording-reason">
      {t('camera.recording.reason', { reason })}
    </p>
  );
}
