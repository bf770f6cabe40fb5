import { createHmac, randomBytes } from 'node:crypto';
import type { AppContext } from '../../core/context.ts';
import type { ArchiveSegment } from '../../core/domain/media.ts';
import { archiveFileUrl, livePlaylistUrl, sameCredential } from '../../core/media-signing.ts';
import type { MediaServerWithSecret } from '../../core/ports/media.ts';
import { HestiaError } from '../../core/errors.ts';
import type { Authorizer } from '../authorization.ts';
import type { Principal } from '../principal.ts';

/** What a player is handed: a URL that works without the person's token, until it expires. */
export interface PlaybackGrant {
  kind: 'live' | 'archive';
  /** Live: the media server's signed HLS URL. Archive: a path of this API (`/v1/playback/…`). */
  url: string;
  expiresAtMs: number;
  fromMs: number | null;
  durationMs: number | null;
}

/** The scope an archive playback URL carries: one camera, one time range, one expiry. */
interface ArchiveScope {
  deviceId: string;
  fromMs: number;
  durationMs: number;
  expiresS: number;
}

const SIGNING_KEY_NAME = 'playback-signing-key';
/** Files one archive playlist lists at most (a day of a continuous camera is 48). */
const MAX_PLAYLIST_FILES = 200;

/**
 * Live and archive playback (seed 002: `…/<streamUuid>/playlist.m3u8`, and archive HLS from an
 * instant for a duration, `playstart`/`playduration`). Only the camera's home members with the
 * right to watch (owners and members; not guests, not the provider's staff, not API keys) get
 * a URL. URLs are signed, expire after `media.playbackUrlTtlSeconds`, and are scoped: a live
 * URL to one stream (nginx checks it), an archive URL to one camera and time range (Hestia
 * checks it and answers with a playlist whose file URLs nginx checks, each for one file).
 */
export class PlaybackService {
  private signingKey: Promise<string> | null = null;

  constructor(
    private readonly ctx: AppContext,
    private readonly deps: { authorize: Authorizer },
  ) {}

  async grantLive(principal: Principal, deviceId: string): Promise<PlaybackGrant> {
    await this.deps.authorize.watchCamera(principal, deviceId);
    const camera = await this.ctx.store.media.cameras.find(deviceId);
    if (!camera) throw new HestiaError('HESTIA_NOT_A_CAMERA');
    const server = camera.serverId ? await this.ctx.store.media.servers.find(camera.serverId) : undefined;
    if (!server || !camera.streaming) throw new HestiaError('HESTIA_NOT_STREAMING');
    const expiresS = this.expiresS();
    return {
      kind: 'live',
      url: livePlaylistUrl(server.playbackUrl, server.secret, deviceId, expiresS),
      expiresAtMs: expiresS * 1000,
      fromMs: null,
      durationMs: null,
    };
  }

  async grantArchive(
    principal: Principal,
    deviceId: string,
    fromMs: number,
    durationMs: number,
  ): Promise<PlaybackGrant> {
    await this.deps.authorize.watchCamera(principal, deviceId);
    const maxMs = this.ctx.config.media.maxPlaybackSeconds * 1000;
    if (!Number.isInteger(durationMs) || durationMs < 1000 || durationMs > maxMs)
      throw new HestiaError('HESTIA_VALIDATION_FAILED', `durationMs: from 1000 to ${maxMs}`);
    const files = await this.ctx.store.media.archive.overlapping(deviceId, fromMs, fromMs + durationMs, 1);
    if (files.length === 0) throw new HestiaError('HESTIA_NOTHING_RECORDED');
    const scope: ArchiveScope = { deviceId, fromMs, durationMs, expiresS: this.expiresS() };
    return {
      kind: 'archive',
      url: `/v1/playback/${await this.sign(scope)}/index.m3u8`,
      expiresAtMs: scope.expiresS * 1000,
      fromMs,
      durationMs,
    };
  }

  /** The HLS playlist behind an archive URL; an altered token is refused, an expired one is gone. */
  async archivePlaylist(token: string): Promise<string> {
    const scope = await this.verify(token);
    if (scope.durationMs <= 0) throw new HestiaError('HESTIA_PLAYBACK_URL_INVALID');
    const { media } = this.ctx.store;
    const toMs = scope.fromMs + scope.durationMs;
    const files = await media.archive.overlapping(scope.deviceId, scope.fromMs, toMs, MAX_PLAYLIST_FILES);
    if (files.length === 0) throw new HestiaError('HESTIA_NOTHING_RECORDED');
    const servers = new Map<string, MediaServerWithSecret | undefined>();
    for (const file of files)
      if (!servers.has(file.serverId)) servers.set(file.serverId, await media.servers.find(file.serverId));
    return archivePlaylist(files, scope, (file) => {
      const server = servers.get(file.serverId);
      if (!server)
        throw new HestiaError('HESTIA_NOTHING_RECORDED', 'The media server of this recording is gone');
      return archiveFileUrl(server.playbackUrl, server.secret, file.path, scope.expiresS);
    });
  }

  /**
   * A signed URL of one stored preview (a push notification's picture: the phone fetches it
   * without the person's token), relative to the API's base URL.
   */
  async previewImagePath(deviceId: string, tsMs: number): Promise<string> {
    const scope: ArchiveScope = { deviceId, fromMs: tsMs, durationMs: 0, expiresS: this.expiresS() };
    return `/v1/preview-images/${await this.sign(scope)}.jpg`;
  }

  /** The preview behind a signed preview URL. */
  async previewImage(token: string): Promise<{ contentType: string; image: Buffer; tsMs: number }> {
    const scope = await this.verify(token);
    if (scope.durationMs !== 0) throw new HestiaError('HESTIA_PLAYBACK_URL_INVALID');
    const preview = await this.ctx.store.media.previews.find(scope.deviceId, scope.fromMs);
    if (!preview) throw new HestiaError('HESTIA_NOT_FOUND', 'This preview is no longer kept');
    return preview;
  }

  private expiresS(): number {
    return Math.ceil(this.ctx.clock.now() / 1000) + this.ctx.config.media.playbackUrlTtlSeconds;
  }

  private key(): Promise<string> {
    // One key for every worker of the installation, made by whichever asks first.
    this.signingKey ??= this.ctx.store.media.secrets.getOrCreate(
      SIGNING_KEY_NAME,
      () => randomBytes(32).toString('base64url'),
      this.ctx.clock.now(),
    );
    return this.signingKey;
  }

  private async sign(scope: ArchiveScope): Promise<string> {
    const body = `${scope.deviceId}.${scope.fromMs}.${scope.durationMs}.${scope.expiresS}`;
    const mac = createHmac('sha256', await this.key())
      .update(body)
      .digest('base64url');
    return `${Buffer.from(body).toString('base64url')}.${mac}`;
  }

  private async verify(token: string): Promise<ArchiveScope> {
    const [encoded = '', mac = ''] = token.split('.');
    const body = Buffer.from(encoded, 'base64url').toString();
    const expected = createHmac('sha256', await this.key())
      .update(body)
      .digest('base64url');
    if (!sameCredential(mac, expected)) throw new HestiaError('HESTIA_PLAYBACK_URL_INVALID');
    const [deviceId = '', from, duration, expires] = body.split('.');
    const scope: ArchiveScope = {
      deviceId,
      fromMs: Number(from),
      durationMs: Number(duration),
      expiresS: Number(expires),
    };
    if (scope.expiresS * 1000 <= this.ctx.clock.now()) throw new HestiaError('HESTIA_PLAYBACK_URL_EXPIRED');
    return scope;
  }
}

/**
 * An HLS VOD playlist of the fragments of `files` that overlap the scope's range, by byte
 * range into each fMP4 file (EXT-X-MAP for its init section, a DISCONTINUITY between files).
 * Playback starts at the scope's instant inside the first fragment (EXT-X-START).
 */
export function archivePlaylist(
  files: readonly ArchiveSegment[],
  scope: { fromMs: number; durationMs: number },
  urlOf: (file: ArchiveSegment) => string,
): string {
  const toMs = scope.fromMs + scope.durationMs;
  const body: string[] = [];
  let maxDurationS = 1;
  let startOffsetS: number | null = null;
  let first = true;
  for (const file of files) {
    const url = urlOf(file);
    let atMs = file.startMs;
    const picked: string[] = [];
    for (const fragment of file.fragments) {
      const endMs = atMs + fragment.durationMs;
      if (endMs > scope.fromMs && atMs < toMs) {
        if (startOffsetS === null) startOffsetS = Math.max(scope.fromMs - atMs, 0) / 1000;
        if (picked.length === 0) picked.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(atMs).toISOString()}`);
        picked.push(`#EXTINF:${(fragment.durationMs / 1000).toFixed(3)},`);
        picked.push(`#EXT-X-BYTERANGE:${fragment.length}@${fragment.offset}`);
        picked.push(url);
        maxDurationS = Math.max(maxDurationS, Math.ceil(fragment.durationMs / 1000));
      }
      atMs = endMs;
    }
    if (picked.length === 0) continue;
    if (!first) body.push('#EXT-X-DISCONTINUITY');
    body.push(`#EXT-X-MAP:URI="${url}",BYTERANGE="${file.init.length}@${file.init.offset}"`);
    body.push(...picked);
    first = false;
  }
  if (body.length === 0) throw new HestiaError('HESTIA_NOTHING_RECORDED');
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${maxDurationS}`,
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-START:TIME-OFFSET=${(startOffsetS ?? 0).toFixed(3)},PRECISE=YES`,
    ...body,
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
}
