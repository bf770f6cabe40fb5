import type { MediaDisk, MediaEngineKind, MediaLoad, MediaServer } from '../domain/media.ts';

/** A camera's stream on a media server: the engine's application and the stream name. */
export interface MediaStreamRef {
  application: string;
  /** The stream name: the camera's device id (the seed's streamUuid / recorderName). */
  stream: string;
  /** The camera's stable number; archive paths use `number div 200`. */
  cameraNumber: number;
}

/** What one poll of a media server tells. */
export interface MediaEngineStatus {
  load: MediaLoad;
  /** Disks with their free space; empty where the engine has no agent to report them. */
  disks: MediaDisk[];
  /** Names of the streams being published now. */
  publishing: string[];
  /** Names of the streams being recorded now. */
  recording: string[];
}

/**
 * Why an engine call failed. `retryable`: the server was unreachable, timed out or answered
 * 5xx (try again later); otherwise it refused the request (4xx, unknown stream) and repeating
 * it unchanged will not help.
 */
export class MediaEngineError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'MediaEngineError';
  }
}

/**
 * One media server as Hestia drives it: its load, and recording on and off. Each engine has an
 * adapter under src/media/<engine>/ that passes the one conformance suite in test/media/.
 * Every method may throw `MediaEngineError`.
 */
export interface MediaEngine {
  readonly kind: MediaEngineKind;
  status(): Promise<MediaEngineStatus>;
  /**
   * Starts recording the stream, cut into files of `segmentMs`. Starting a recording that is
   * already running is not an error.
   */
  startRecording(stream: MediaStreamRef, options: { segmentMs: number }): Promise<void>;
  /** Stops recording; the file in progress is finished and reported. Idempotent. */
  stopRecording(stream: MediaStreamRef): Promise<void>;
  /** Deletes archive files (paths relative to the content root); files already gone are counted. */
  deleteFiles(paths: readonly string[]): Promise<{ deleted: number; missing: number }>;
}

/** What an adapter needs to reach one server. */
export interface MediaServerAccess {
  server: MediaServer;
  /** The server's shared secret (agent authentication). */
  secret: string;
  /** Per request; adapters abort a call that takes longer. */
  timeoutMs: number;
}

export type MediaEngineFactory = (access: MediaServerAccess) => MediaEngine;
