/** Cameras, the media servers they stream to, and what they record (DESIGN.md §6). */

import type { RecordingMode } from './tariff.ts';

/** The media-server engines Hestia drives; each has an adapter in src/media/<engine>/. */
export type MediaEngineKind = 'nginx-rtmp' | 'wowza';
export const MEDIA_ENGINES: readonly MediaEngineKind[] = ['nginx-rtmp', 'wowza'];

/** `draining`: kept running for the streams it has, never chosen for a new one. */
export type MediaServerState = 'active' | 'draining';
export const MEDIA_SERVER_STATES: readonly MediaServerState[] = ['active', 'draining'];

/** One disk of a media server, mounted at `<contentRoot>/<id>` on the media host. */
export interface MediaDisk {
  id: string;
  totalBytes: number;
  freeBytes: number;
}

/** A media server's load as its engine reports it. */
export interface MediaLoad {
  /** Streams being published to it (cameras). */
  publishing: number;
  /** Connections playing from it (RTMP players; HLS is plain HTTP and not counted by engines). */
  playing: number;
  bwInBitsPerSec: number;
  bwOutBitsPerSec: number;
}

export interface MediaServerHealth {
  healthy: boolean;
  /** Consecutive failed polls; the server is unhealthy from `media.unhealthyAfterFailures` on. */
  failures: number;
  reason: string | null;
  checkedAtMs: number | null;
}

/**
 * A media server of the cluster (platform-wide: providers' cameras share it). Its secret signs
 * the publish keys and playback URLs it checks and authenticates its agent to Hestia; it is
 * shown once, at registration.
 */
export interface MediaServer {
  id: string;
  name: string;
  engine: MediaEngineKind;
  /** The engine's control API (nginx: the http server with rtmp_control and rtmp_stat; Wowza: REST). */
  controlUrl: string;
  /** The Hestia media agent on the media host (disks, placement, deletion); null for none. */
  agentUrl: string | null;
  /** Where cameras publish, e.g. rtmp://media-1.example:1935/live. */
  ingestUrl: string;
  /** Base URL that players fetch live and archive HLS from. */
  playbackUrl: string;
  /** The engine's live application (nginx-rtmp `application`, Wowza application name). */
  application: string;
  region: string | null;
  state: MediaServerState;
  health: MediaServerHealth;
  load: MediaLoad | null;
  disks: MediaDisk[];
  /** Disks above the fill threshold: they receive no new recordings. */
  fullDiskIds: string[];
  createdAtMs: number;
}

export type RecordingState = 'idle' | 'recording' | 'failed';
export const RECORDING_STATES: readonly RecordingState[] = ['idle', 'recording', 'failed'];

/**
 * A camera as Hestia drives it. `number` is its stable per-installation number (the seed's
 * `cameraId`, used in archive paths as `number div 200`); the stream name is the device id.
 */
export interface Camera {
  deviceId: string;
  tenantId: string;
  homeId: string;
  gatewayId: string;
  number: number;
  mode: RecordingMode;
  /** The server the camera was told to stream to; null before it asked. */
  serverId: string | null;
  streaming: boolean;
  /** Whether Hestia wants it recorded now (by mode and events); the reconciler works towards it. */
  wantRecording: boolean;
  /** Motion keeps the recording until this instant (post-roll); null outside motion recording. */
  recordUntilMs: number | null;
  recording: { state: RecordingState; reason: string | null; sinceMs: number };
  lastMotionAtMs: number | null;
  createdAtMs: number;
}

/** One fragment of an archived file: HLS plays the file by byte ranges. */
export interface ArchiveFragment {
  durationMs: number;
  offset: number;
  length: number;
}

/**
 * One finished recording file, indexed: where it lies (server, disk, path relative to the
 * content root, in the seed's layout) and when it was recorded.
 */
export interface ArchiveSegment {
  id: string;
  deviceId: string;
  tenantId: string;
  homeId: string;
  serverId: string;
  diskId: string;
  path: string;
  startMs: number;
  endMs: number;
  sizeBytes: number;
  /** The fMP4 initialization section (ftyp + moov) at the start of the file. */
  init: { offset: number; length: number };
  fragments: ArchiveFragment[];
  createdAtMs: number;
}

export type CameraEventKind = 'motion' | 'doorbell';
export const CAMERA_EVENT_KINDS: readonly CameraEventKind[] = ['motion', 'doorbell'];

/** Something a camera saw, on its timeline whether or not the home was armed. */
export interface CameraEvent {
  id: string;
  deviceId: string;
  tenantId: string;
  homeId: string;
  kind: CameraEventKind;
  atMs: number;
}

/** One stored preview of a camera's history (the image itself is fetched separately). */
export interface PreviewEntry {
  deviceId: string;
  tsMs: number;
  contentType: string;
  sizeBytes: number;
}

/**
 * The seed's archive path of a recording started at `startMs` (UTC):
 * `<diskId>/<number div 200>/<stream>/<yyyy>/<mm>/<dd>/<stream>_<HH_MM_SS>.mp4`, relative to
 * the media host's content root (`/content`).
 */
export function archivePath(diskId: string, cameraNumber: number, stream: string, startMs: number): string {
  const at = new Date(startMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  const day = `${at.getUTCFullYear()}/${two(at.getUTCMonth() + 1)}/${two(at.getUTCDate())}`;
  const time = `${two(at.getUTCHours())}_${two(at.getUTCMinutes())}_${two(at.getUTCSeconds())}`;
  return `${diskId}/${Math.floor(cameraNumber / 200)}/${stream}/${day}/${stream}_${time}.mp4`;
}
