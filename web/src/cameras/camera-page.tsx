import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { ApiError, api, type Camera, type CameraTimeline, type Home, type Playback } from '../api.ts';
import { ErrorMessage, Loading, PageError, Section } from '../components/status.tsx';
import { errorText } from '../format.ts';
import { useResource, useTitle, type Resource } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { canControl } from '../model.ts';
import { deviceHomes, showHome, useLive } from '../state.ts';
import { RecordingModeControl } from './mode-select.tsx';
import { HlsPlayer } from './player.tsx';
import {
  CameraPicture,
  RecordingBadge,
  RecordingFailure,
  cameraName,
  latestPreviewPath,
  usePicture,
} from './shared.tsx';
import {
  applyCameraLive,
  archiveChoice,
  dayOf,
  dayTimeline,
  isDate,
  localDate,
  withLiveEvent,
  type Day,
  type DayTimeline,
} from './timeline.ts';
import { DayPicker, EventList, TimelineBar, useClock } from './timeline-view.tsx';
import './cameras.css';

/** Timeline items per request (the API's most); a day rarely needs a second page. */
const TIMELINE_PAGE = 2000;
const TIMELINE_PAGES_MAX = 20;
/** Today's timeline is read again this often: recordings are listed once their file is finished. */
const TODAY_REFRESH_MS = 60_000;
/** After a camera says it streams (or stops), Hestia updates it a moment later. */
const STREAM_STATE_SETTLE_MS = 1_000;
/** After a recording starts or stops, its file is listed a little later. */
const RECORDING_SETTLE_MS = 5_000;
/** A live URL is renewed this long before it expires, so the picture goes on. */
const RENEW_BEFORE_MS = 60_000;

interface CameraView {
  home: Home;
  camera: Camera;
}

async function loadCamera(homeId: string, deviceId: string, signal: AbortSignal): Promise<CameraView> {
  const [home, camera] = await Promise.all([
    api.get<Home>(`/v1/homes/${encodeURIComponent(homeId)}`, { signal }),
    api.get<Camera>(`/v1/cameras/${encodeURIComponent(deviceId)}`, { signal }),
  ]);
  // Another home's camera under this home's address is as absent as an unknown one.
  if (camera.homeId !== home.id) throw new ApiError(404, 'HESTIA_NOT_FOUND', 'No such camera in this home');
  return { home, camera };
}

async function loadDay(deviceId: string, day: Day, signal: AbortSignal): Promise<DayTimeline> {
  const pages: CameraTimeline[] = [];
  let from: string | null = new Date(day.startMs).toISOString();
  for (let page = 0; from !== null && page < TIMELINE_PAGES_MAX; page++) {
    const answer: CameraTimeline = await api.get<CameraTimeline>(
      `/v1/cameras/${encodeURIComponent(deviceId)}/timeline`,
      { query: { from, to: new Date(day.endMs).toISOString(), limit: TIMELINE_PAGE }, signal },
    );
    pages.push(answer);
    from = answer.nextFrom;
  }
  return dayTimeline(pages, day, Date.now());
}

/** What the player shows: live, or the archive from an instant (`snappedFromMs`: the clicked one, in a gap). */
type Wanted =
  | { kind: 'live'; renewal: number }
  | { kind: 'archive'; fromMs: number; durationMs: number; snappedFromMs: number | null };

/**
 * A camera: its live picture or a recording, the day's timeline in the home's time zone (a
 * date picker moves between days; a click plays from that moment), its motion and doorbell
 * events, and how it records. Guests see the timeline and pictures, not the video.
 */
export function CameraPage({ homeId, deviceId }: { homeId: string; deviceId: string }) {
  const view = useResource((signal) => loadCamera(homeId, deviceId, signal), [homeId, deviceId]);
  const data = view.state.data;
  useTitle(data ? cameraName(data.camera) : undefined);
  useEffect(() => {
    if (!data) return;
    showHome(data.home.id);
    deviceHomes.set(deviceId, data.home.id);
  }, [data?.home.id]);

  const { state } = view;
  if (data === undefined)
    return state.status === 'error' ? (
      <PageError error={state.error} onRetry={() => view.reload()} />
    ) : (
      <div class="page">
        <Loading />
      </div>
    );
  return <CameraScreen view={view} home={data.home} camera={data.camera} />;
}

/** The page once its home and camera are known (the day is in the home's time zone). */
function CameraScreen({ view, home, camera }: { view: Resource<CameraView>; home: Home; camera: Camera }) {
  const { t } = useI18n();
  const { query, path, route } = useLocation();
  const { deviceId } = camera;
  const timezone = home.timezone;
  const [nowMs, setNowMs] = useState(() => Date.now());
  const today = localDate(nowMs, timezone);
  const date = isDate(query.day) && query.day <= today ? query.day : today;
  const day = dayOf(date, timezone);
  const isToday = date === today;

  const timeline = useResource((signal) => loadDay(deviceId, day, signal), [deviceId, date, timezone]);
  const [wanted, setWanted] = useState<Wanted | null>(null);
  const [playingMs, setPlayingMs] = useState<number | null>(null);
  const stateReload = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const streamReload = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    const every = setInterval(() => {
      setNowMs(Date.now());
      if (isToday) timeline.reload(true);
    }, TODAY_REFRESH_MS);
    return () => {
      clearInterval(every);
      clearTimeout(stateReload.current);
      clearTimeout(streamReload.current);
    };
  }, [isToday, deviceId]);

  const canWatch = home.role === 'owner' || home.role === 'member';
  // A camera that streams opens live; one that starts streaming later does too, unless a
  // recording was chosen meanwhile.
  useEffect(() => {
    if (canWatch && camera.streaming && wanted === null) setWanted({ kind: 'live', renewal: 0 });
  }, [canWatch, camera.streaming]);

  useLive(
    (message) => {
      if (!('homeId' in message) || message.homeId !== home.id) return;
      if ((message.type === 'recording' || message.type === 'cameraEvent') && message.deviceId === deviceId) {
        view.update((shown) => ({ ...shown, camera: applyCameraLive(shown.camera, message) }));
        timeline.update((shown) => withLiveEvent(shown, message, deviceId, day));
        // A recording that ends becomes a file the archive lists a little later.
        if (message.type === 'recording') {
          clearTimeout(stateReload.current);
          stateReload.current = setTimeout(() => timeline.reload(true), RECORDING_SETTLE_MS);
        }
      } else if (message.type === 'state' && message.deviceId === deviceId && message.label === 'State') {
        // streamingOn / streamingOff: the camera's own word; the API says, once it has taken it
        // in, whether the camera can be watched.
        clearTimeout(streamReload.current);
        streamReload.current = setTimeout(() => view.reload(true), STREAM_STATE_SETTLE_MS);
      }
    },
    () => {
      view.reload(true);
      timeline.reload(true);
    },
  );

  const setDate = (next: string) => {
    setNowMs(Date.now());
    route(next === localDate(Date.now(), timezone) ? path : `${path}?day=${next}`, true);
  };
  const playArchive = (ms: number) => {
    const spans = timeline.state.data?.spans ?? [];
    const choice = archiveChoice(spans, ms);
    setPlayingMs(choice.fromMs);
    setWanted({
      kind: 'archive',
      fromMs: choice.fromMs,
      durationMs: choice.durationMs,
      snappedFromMs: choice.snapped ? ms : null,
    });
  };

  return (
    <div class="page camera-page">
      <div class="page-head">
        <div>
          <a class="back-link" href={`/homes/${encodeURIComponent(home.id)}`}>
            ← {t('device.back', { home: home.name })}
          </a>
          <h1>{cameraName(camera)}</h1>
          <p class="muted camera-facts">
            <span data-testid="camera-streaming" data-streaming={String(camera.streaming)}>
              {t(camera.streaming ? 'camera.stream.on' : 'camera.stream.off')}
            </span>
            {' · '}
            <a href={`/devices/${encodeURIComponent(camera.deviceId)}`}>{t('camera.settings')}</a>
          </p>
        </div>
        <RecordingBadge camera={camera} timezone={timezone} />
      </div>
      {view.state.status === 'error' && (
        <ErrorMessage error={view.state.error} onRetry={() => view.reload()} />
      )}
      <RecordingFailure camera={camera} />

      <div class="camera-stage">
        <Section id="camera-video" title={t('camera.video')} class="card camera-video-card">
          {canWatch ? (
            <VideoArea
              camera={camera}
              timezone={timezone}
              wanted={wanted}
              onWanted={(next) => {
                if (next?.kind === 'live') setPlayingMs(null);
                setWanted(next);
              }}
              onPosition={setPlayingMs}
            />
          ) : (
            <>
              <CameraPicture camera={camera} timezone={timezone} />
              <p class="notice camera-guest" data-testid="camera-guest">
                {t('camera.guest')}
              </p>
            </>
          )}
        </Section>
        <div class="camera-side">
          <RecordingModeControl
            camera={camera}
            canControl={canControl(home)}
            onChange={(next) => view.update((shown) => ({ ...shown, camera: next }))}
          />
          {timeline.state.data && (
            <EventList
              timeline={timeline.state.data}
              timezone={timezone}
              canWatch={canWatch}
              onPlay={playArchive}
            />
          )}
        </div>
      </div>

      <section class="section card camera-timeline" aria-labelledby="camera-timeline-title">
        <div class="camera-timeline-head">
          <h2 id="camera-timeline-title">{t('camera.timeline')}</h2>
          <DayPicker date={date} today={today} onDate={setDate} />
        </div>
        {timeline.state.status === 'error' && (
          <ErrorMessage error={timeline.state.error} onRetry={() => timeline.reload()} />
        )}
        {timeline.state.data === undefined ? (
          timeline.state.status !== 'error' && <Loading />
        ) : (
          <TimelineBar
            deviceId={camera.deviceId}
            day={day}
            timezone={timezone}
            timeline={timeline.state.data}
            nowMs={Date.now()}
            canWatch={canWatch}
            playingMs={wanted?.kind === 'archive' ? playingMs : null}
            onPlay={playArchive}
          />
        )}
      </section>
    </div>
  );
}

/** The player with what it plays (live or from when), or why it plays nothing. */
function VideoArea(props: {
  camera: Camera;
  timezone: string;
  wanted: Wanted | null;
  onWanted: (wanted: Wanted | null) => void;
  onPosition: (ms: number) => void;
}) {
  const { t } = useI18n();
  const clock = useClock(props.timezone);
  const { camera, wanted } = props;
  const poster = usePicture(latestPreviewPath(camera), camera.latestPreviewAt ?? '');
  const grantKey = wanted ? JSON.stringify(wanted) : '';
  const grant = useResource<Playback | null>(
    (signal) =>
      wanted
        ? api.post<Playback>(
            `/v1/cameras/${encodeURIComponent(camera.deviceId)}/playback`,
            wanted.kind === 'live'
              ? { kind: 'live' }
              : {
                  kind: 'archive',
                  from: new Date(wanted.fromMs).toISOString(),
                  durationMs: wanted.durationMs,
                },
            { signal },
          )
        : Promise.resolve(null),
    [camera.deviceId, grantKey],
  );
  const playback = grant.state.status === 'ready' ? grant.state.data : null;

  // A live URL expires (media.playbackUrlTtlSeconds): a new one is asked for shortly before.
  useEffect(() => {
    if (!playback || playback.kind !== 'live' || wanted?.kind !== 'live') return;
    const inMs = Math.max(10_000, Date.parse(playback.expiresAt) - Date.now() - RENEW_BEFORE_MS);
    const timer = setTimeout(() => props.onWanted({ kind: 'live', renewal: wanted.renewal + 1 }), inMs);
    return () => clearTimeout(timer);
  }, [playback?.url]);

  const live = wanted?.kind === 'live';
  const head = wanted && (
    <div class="camera-player-head" data-testid="camera-playing" data-kind={wanted.kind}>
      {live ? (
        <span class="badge camera-live">
          <span class="dot" aria-hidden="true" />
          {t('camera.live')}
        </span>
      ) : (
        <span data-from={new Date(wanted.fromMs).toISOString()}>
          {t('camera.archiveFrom', { time: clock.time(wanted.fromMs) })}
        </span>
      )}
      {!live && camera.streaming && (
        <button
          type="button"
          class="button button-small"
          onClick={() => props.onWanted({ kind: 'live', renewal: 0 })}
        >
          {t('camera.backToLive')}
        </button>
      )}
    </div>
  );
  const snapped = wanted?.kind === 'archive' && wanted.snappedFromMs !== null && (
    <p class="muted small" data-testid="camera-snapped">
      {t('camera.snapped', { time: clock.time(wanted.snappedFromMs), from: clock.time(wanted.fromMs) })}
    </p>
  );

  if (!wanted)
    return (
      <>
        <CameraPicture camera={camera} timezone={props.timezone} />
        <p class="notice" data-testid="camera-not-streaming">
          {t('camera.notStreaming')}
        </p>
      </>
    );
  if (grant.state.status === 'error')
    return (
      <>
        {!live && head}
        <CameraPicture camera={camera} timezone={props.timezone} />
        <p class="notice notice-error" role="alert" data-testid="camera-playback-error">
          {errorText(grant.state.error, t)}
        </p>
      </>
    );
  if (!playback)
    return (
      <>
        {head}
        <CameraPicture camera={camera} timezone={props.timezone} />
        <Loading label={t('camera.loadingVideo')} />
      </>
    );
  return (
    <>
      {head}
      {snapped}
      <HlsPlayer
        url={playback.url}
        live={playback.kind === 'live'}
        label={t('camera.videoLabel', { name: cameraName(camera) })}
        poster={poster.status === 'ready' ? poster.src : undefined}
        onPosition={props.onPosition}
      />
    </>
  );
}
