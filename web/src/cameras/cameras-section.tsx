import { useEffect, useRef } from 'preact/hooks';
import { api, type Camera } from '../api.ts';
import { ErrorMessage, Loading } from '../components/status.tsx';
import { formatDateTime } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { useLive } from '../state.ts';
import { applyCameraLive } from './timeline.ts';
import { CameraPicture, RecordingBadge, RecordingFailure, cameraName, cameraPath } from './shared.tsx';
import './cameras.css';

/**
 * New pictures come with no live message (cameras send one every few minutes): the list is
 * read again this often while the panel is open, and shortly after motion.
 */
const REFRESH_MS = 60_000;
const AFTER_MOTION_MS = 3_000;

/**
 * The home panel's cameras: each one's latest picture, name (to its page), whether it records
 * (why not, when that failed) and how; recording state and motion arrive over the live feed.
 * Nothing is shown for a home without cameras.
 */
export function CamerasSection({ homeId, timezone }: { homeId: string; timezone: string }) {
  const { t } = useI18n();
  const cameras = useResource(
    (signal) =>
      api
        .get<{ items: Camera[] }>(`/v1/homes/${encodeURIComponent(homeId)}/cameras`, { signal })
        .then((answer) => answer.items),
    [homeId],
  );
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    const every = setInterval(() => cameras.reload(true), REFRESH_MS);
    return () => {
      clearInterval(every);
      clearTimeout(refreshTimer.current);
    };
  }, [homeId]);

  useLive(
    (message) => {
      if (message.type !== 'recording' && message.type !== 'cameraEvent') return;
      if (message.homeId !== homeId) return;
      cameras.update((list) => list.map((camera) => applyCameraLive(camera, message)));
      if (message.type === 'cameraEvent') {
        clearTimeout(refreshTimer.current);
        refreshTimer.current = setTimeout(() => cameras.reload(true), AFTER_MOTION_MS);
      }
    },
    () => cameras.reload(true),
  );

  const { state } = cameras;
  if (state.data === undefined)
    return state.status === 'error' ? (
      <section class="cameras" aria-labelledby="cameras-title">
        <h2 id="cameras-title">{t('cameras.title')}</h2>
        <ErrorMessage error={state.error} onRetry={() => cameras.reload()} />
      </section>
    ) : (
      <Loading />
    );
  if (state.data.length === 0) return null;
  return (
    <section class="cameras" aria-labelledby="cameras-title" data-testid="cameras">
      <h2 id="cameras-title">{t('cameras.title')}</h2>
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={() => cameras.reload()} />}
      <div class="camera-grid">
        {state.data.map((camera) => (
          <CameraCard key={camera.deviceId} camera={camera} timezone={timezone} />
        ))}
      </div>
    </section>
  );
}

function CameraCard({ camera, timezone }: { camera: Camera; timezone: string }) {
  const { t, locale } = useI18n();
  const name = cameraName(camera);
  return (
    <article
      class="card camera-card"
      data-testid={`camera-${camera.deviceId}`}
      data-mode={camera.mode}
      data-recording={camera.recording.state}
    >
      <div class="camera-card-picture">
        <CameraPicture camera={camera} timezone={timezone} />
        <RecordingBadge camera={camera} timezone={timezone} />
      </div>
      <h3>
        <a href={cameraPath(camera)} aria-label={t('cameras.open', { name })}>
          {name}
        </a>
      </h3>
      <p class="camera-card-facts">
        <span data-testid="camera-mode-summary">{t(`camera.modeSummary.${camera.mode}`)}</span>
        <span data-testid="camera-last-motion">
          {camera.lastMotionAt
            ? t('cameras.lastMotion', { time: formatDateTime(camera.lastMotionAt, locale, timezone) })
            : t('cameras.noMotion')}
        </span>
      </p>
      <RecordingFailure camera={camera} />
    </article>
  );
}
