import { useEffect, useRef, useState } from 'preact/hooks';
import type Hls from 'hls.js';
// hls.js transmuxes in a worker; served as a file of the dashboard's own, so the CSP's
// script-src 'self' allows it (hls.js would otherwise build the worker from a blob: URL).
import hlsWorkerUrl from 'hls.js/dist/hls.worker.js?url';
import { useI18n } from '../i18n.ts';

/**
 * What the player went through, for people (the text beside it) and tests (`data-state`):
 * the playlist asked for, read (`manifest`), video playing, or it failed.
 */
export type PlayerState = 'loading' | 'manifest' | 'playing' | 'ended' | 'error' | 'unsupported';

const HLS_TYPE = 'application/vnd.apple.mpegurl';

/**
 * An HLS video: with hls.js where Media Source Extensions exist (the light build: no subtitles
 * or DRM, which cameras do not have), else the browser's own HLS (Safari on iPhones), else a
 * message. Muted, so browsers let it start by itself; the controls unmute it.
 */
export function HlsPlayer(props: {
  /** Absolute, or a path of this API (archive playlists). */
  url: string;
  live: boolean;
  label: string;
  poster?: string;
  /** The recorded instant on screen (from the playlist's program date-time), while playing. */
  onPosition?: (ms: number) => void;
}) {
  const { t } = useI18n();
  const video = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<PlayerState>('loading');
  const [detail, setDetail] = useState('');
  const onPosition = useRef(props.onPosition);
  onPosition.current = props.onPosition;

  useEffect(() => {
    const element = video.current;
    if (!element) return;
    const source = new URL(props.url, location.origin).href;
    let hls: Hls | null = null;
    let stopped = false;
    const cleanups: Array<() => void> = [];
    const listen = (type: string, listener: () => void) => {
      element.addEventListener(type, listener);
      cleanups.push(() => element.removeEventListener(type, listener));
    };
    const fail = (what: string) => {
      setDetail(what);
      setState('error');
    };
    const parsed = () => {
      setState((current) => (current === 'loading' ? 'manifest' : current));
      // Muted autoplay is allowed everywhere; should a browser refuse it all the same, the
      // video waits with its controls for a tap, which is what a refusal asks for.
      element.play().catch(() => undefined);
    };
    setState('loading');
    setDetail('');
    listen('playing', () => setState('playing'));
    listen('ended', () => setState('ended'));
    listen('timeupdate', () => {
      const date = hls?.playingDate;
      if (date) onPosition.current?.(date.getTime());
    });

    import('hls.js/light').then(
      ({ default: HlsLibrary }) => {
        if (stopped) return;
        if (HlsLibrary.isSupported()) {
          const player = new HlsLibrary({ workerPath: hlsWorkerUrl });
          hls = player;
          let recovered = false;
          player.on(HlsLibrary.Events.MANIFEST_PARSED, parsed);
          player.on(HlsLibrary.Events.ERROR, (_event, data) => {
            if (!data.fatal) return; // hls.js retries these by itself
            if (data.type === HlsLibrary.ErrorTypes.MEDIA_ERROR && !recovered) {
              // A decoder hiccup (a camera's broken frame): hls.js's documented recovery, once.
              recovered = true;
              player.recoverMediaError();
              return;
            }
            fail(data.details);
            player.destroy();
            hls = null;
          });
          player.loadSource(source);
          player.attachMedia(element);
        } else if (element.canPlayType(HLS_TYPE)) {
          listen('loadedmetadata', parsed);
          listen('error', () => fail(element.error?.message || `code ${element.error?.code ?? '?'}`));
          element.src = source;
        } else {
          setState('unsupported');
        }
      },
      (error: unknown) => fail(error instanceof Error ? error.message : String(error)),
    );

    return () => {
      stopped = true;
      for (const cleanup of cleanups) cleanup();
      hls?.destroy();
      element.removeAttribute('src');
      element.load();
    };
  }, [props.url]);

  return (
    <div class="camera-player" data-testid="camera-player" data-state={state} data-live={String(props.live)}>
      <video
        ref={video}
        class="camera-video"
        aria-label={props.label}
        poster={props.poster}
        muted
        playsInline
        controls
        preload="auto"
      />
      {state === 'loading' && <p class="camera-player-note muted">{t('camera.loadingVideo')}</p>}
      {state === 'ended' && <p class="camera-player-note muted">{t('camera.ended')}</p>}
      {state === 'unsupported' && (
        <p class="notice notice-error camera-player-note" role="alert">
          {t('camera.unsupported')}
        </p>
      )}
      {state === 'error' && (
        <p class="notice notice-error camera-player-note" role="alert" data-testid="camera-player-error">
          {t('camera.playFailed', { detail })}
        </p>
      )}
    </div>
  );
}
