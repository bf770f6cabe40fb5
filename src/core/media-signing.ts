/**
 * The signatures Hestia and its media hosts share (DESIGN.md §6), all derived from the media
 * server's secret: the publish key a camera presents, the token nginx's callbacks carry, and the
 * signed, expiring playback URLs that nginx checks with its secure_link module. Used by Hestia
 * (issuing) and by the media host (the agent; nginx through the config generated from the same
 * expressions), so both sides compute them in one place.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Characters of a publish key: base64url of an HMAC-SHA256, cut to a length cameras accept. */
export const PUBLISH_KEY_LENGTH = 32;

/**
 * The key a camera appends to its RTMP publish URL (`?key=…`) for `stream`. The label keeps the
 * HMAC input apart from the hook token's, so one can never be presented as the other.
 */
export function publishKey(secret: string, stream: string): string {
  return createHmac('sha256', secret)
    .update(`hestia-publish:${stream}`)
    .digest('base64url')
    .slice(0, PUBLISH_KEY_LENGTH);
}

/**
 * The token in the URLs nginx calls back (Hestia's publish hooks, the agent's record-done
 * hook). nginx-rtmp cannot send headers, so the token rides in the query string of the URL
 * written into nginx.conf.
 */
export function hookToken(secret: string): string {
  return createHmac('sha256', secret).update('hestia-media-hook').digest('base64url');
}

/** Constant-time comparison of a presented credential with the expected one. */
export function sameCredential(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether `key` is the publish key of `stream`. */
export function isPublishKey(secret: string, stream: string, key: string): boolean {
  return sameCredential(key, publishKey(secret, stream));
}

/**
 * What a signed URL can name. nginx's location regexes are built from the same patterns: no
 * dot outside the extension, so `..` can never be part of a signed path.
 */
export const STREAM_NAME_PATTERN = '[A-Za-z0-9_-]{1,128}';
/** An archive file relative to the content root: `<diskId>/…/<name>.mp4`. */
export const ARCHIVE_PATH_PATTERN = '[A-Za-z0-9_-]{1,64}(?:/[A-Za-z0-9_-]{1,128}){1,12}\\.mp4';
const STREAM_NAME = new RegExp(`^${STREAM_NAME_PATTERN}$`);
const ARCHIVE_PATH = new RegExp(`^${ARCHIVE_PATH_PATTERN}$`);

export function isStreamName(stream: string): boolean {
  return STREAM_NAME.test(stream);
}

export function isArchivePath(relativePath: string): boolean {
  return ARCHIVE_PATH.test(relativePath);
}

/**
 * nginx's `secure_link_md5` over `"$expires<signedPath> <secret>"`: base64url of the MD5,
 * without padding (nginx accepts both; 22 characters keep URLs short). MD5 is what the module
 * offers; the secret and the expiry make it a keyed check, not a content hash.
 */
export function secureLinkSignature(secret: string, expiresS: number, signedPath: string): string {
  return createHash('md5').update(`${expiresS}${signedPath} ${secret}`).digest('base64url');
}

/** The path the signature of a live stream covers (every playlist and fragment of it). */
export function liveSignedPath(stream: string): string {
  return `/live/${stream}`;
}

/** The path the signature of one archive file covers. */
export function archiveSignedPath(relativePath: string): string {
  return `/archive/${relativePath}`;
}

/**
 * The signed URL of a stream's live HLS playlist. The signature and expiry are path segments,
 * not query parameters: the playlist names its fragments relatively (`12.ts`), and a relative
 * URL keeps the path of the playlist but drops its query.
 */
export function livePlaylistUrl(
  playbackUrl: string,
  secret: string,
  stream: string,
  expiresS: number,
): string {
  if (!isStreamName(stream)) throw new RangeError(`not a stream name nginx serves: ${stream}`);
  const signature = secureLinkSignature(secret, expiresS, liveSignedPath(stream));
  return `${trimSlash(playbackUrl)}/live/${signature}/${expiresS}/${stream}/playlist.m3u8`;
}

/** The signed URL of one archive file (HLS plays it by byte ranges). */
export function archiveFileUrl(
  playbackUrl: string,
  secret: string,
  relativePath: string,
  expiresS: number,
): string {
  if (!isArchivePath(relativePath)) throw new RangeError(`not an archive path nginx serves: ${relativePath}`);
  const signature = secureLinkSignature(secret, expiresS, archiveSignedPath(relativePath));
  return `${trimSlash(playbackUrl)}/archive/${signature}/${expiresS}/${relativePath}`;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
