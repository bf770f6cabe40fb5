/**
 * The Wowza Streaming Engine adapter (DESIGN.md §6): load, incoming streams and stream recorders
 * through Wowza's REST API v2 (`http://user:password@host:8087`, see rest.ts for authentication).
 *
 * Request and answer shapes followed, all under
 * `/v2/servers/_defaultServer_/vhosts/_defaultVHost_/applications/{app}`:
 * - `POST   .../instances/_definst_/streamrecorders/{recorderName}` with the StreamRecorderConfig
 *   body exactly as the seed (source document 002) sends it, every field a string. Wowza article
 *   "Create and manage stream recorders by using the Wowza Streaming Engine REST API"
 *   (wowza.com/docs/stream-recording-query-examples), the StreamRecorderConfig model of the REST
 *   reference, and Wowza's PHP REST library (wse-rest-library-php, Recording::create).
 * - `PUT    .../instances/_definst_/streamrecorders/{recorderName}/actions/stopRecording`, no
 *   body. Same article; wse-rest-library-php Recording::stop.
 * - The answers to those two, as Wowza 4.7 gives them in the examples of public REST clients
 *   (NNLRussia/WowzaJsApi and others): `{"success":true,"message":"Recorder Created","data":null}`;
 *   409 "...conflict with the current state of the resource" for a recorder that exists;
 *   `{"success":true,"message":"Recording (name) stopped","data":null}`; 404 "The server has not
 *   found anything matching the request URI" for no such recorder.
 * - `GET    .../instances/_definst_/streamrecorders`: `{"serverName", "instanceName",
 *   "streamrecorder": [{"recorderName", "recorderState": "Waiting for stream" | "Recording in
 *   Progress", ...}]}`. Same article.
 * - `GET    .../instances/_definst_`: the InstanceConfig, `{"incomingStreams": [{"name",
 *   "isConnected", "sourceIp", ...}], "outgoingStreams", "recorders", "streamGroups", "name"}`;
 *   `GET .../instances/_definst_/incomingstreams/{streamName}`: one IncomingStreamConfig, 404
 *   for a stream nobody publishes. REST reference (getInstanceConfig, getIncomingStreamConfig).
 * - `GET    .../monitoring/current`: `{"serverName", "uptime", "bytesIn", "bytesOut",
 *   "bytesInRate", "bytesOutRate", "totalConnections", "connectionCount": {"RTMP", ...}}`, byte
 *   rates per second. Article "View stream statistics by using the Wowza Streaming Engine REST
 *   API" (wowza.com/docs/statistics-query-examples).
 * Headers `Accept` and `Content-Type: application/json; charset=utf-8` on every call, as in
 * "Query the Wowza Streaming Engine REST API" (wowza.com/docs/how-to-query-the-wowza-streaming-engine-rest-api).
 */
import type { MediaEngineKind, MediaLoad } from '../../core/domain/media.ts';
import {
  MediaEngineError,
  type MediaEngine,
  type MediaEngineFactory,
  type MediaEngineStatus,
  type MediaServerAccess,
  type MediaStreamRef,
} from '../../core/ports/media-engine.ts';
import { MediaAgentClient } from '../agent/client.ts';
import { clip, WowzaRestClient, type WowzaAnswer } from './rest.ts';

/** Wowza's default server, virtual host and application instance: Hestia uses no others. */
const SERVER = '_defaultServer_';
const VHOST = '_defaultVHost_';
const INSTANCE = '_definst_';

/**
 * The Java class on the media host that names each recording file in the seed's archive layout
 * (`/content/<diskId>/<cameraId div 200>/<stream>/<yyyy>/<mm>/<dd>/<stream>_<HH_MM_SS>.mp4` on
 * the disk with most free space); the seed's CustomFileVersionDelegate.
 */
const FILE_VERSION_DELEGATE = 'CustomFileVersionDelegate';

/**
 * `recorderState` of a recorder writing a file, "Recording in Progress"; a recorder created
 * before its stream reads "Waiting for stream" (the recorder article) and records nothing yet.
 */
const RECORDING_STATE = /^recording/i;

export class WowzaEngine implements MediaEngine {
  readonly kind: MediaEngineKind = 'wowza';
  private readonly rest: WowzaRestClient;
  /** The Hestia media agent beside Wowza: disks and deletion (Wowza's API has neither). */
  private readonly agent: MediaAgentClient | null;

  constructor(private readonly access: MediaServerAccess) {
    this.rest = new WowzaRestClient(access.server.controlUrl, access.timeoutMs);
    this.agent = access.server.agentUrl
      ? new MediaAgentClient({
          url: access.server.agentUrl,
          secret: access.secret,
          timeoutMs: access.timeoutMs,
        })
      : null;
  }

  async status(): Promise<MediaEngineStatus> {
    const application = this.access.server.application;
    const [monitoring, instance, recorders, agent] = await Promise.all([
      this.rest.get(`${applicationPath(application)}/monitoring/current`),
      this.rest.get(instancePath(application)),
      this.rest.get(`${instancePath(application)}/streamrecorders`),
      this.agent?.status(),
    ]);
    const publishing = incomingStreamNames(this.expectOk(instance, 'the application instance'));
    return {
      load: loadOf(this.expectOk(monitoring, 'the application monitoring'), publishing.length),
      // Disks are the media agent's to report (DESIGN.md §6); Wowza's API has no view of them.
      disks: agent?.disks ?? [],
      publishing,
      recording: recordingNames(this.expectOk(recorders, 'the stream recorders')),
    };
  }

  async startRecording(stream: MediaStreamRef, options: { segmentMs: number }): Promise<void> {
    if (!Number.isSafeInteger(options.segmentMs) || options.segmentMs <= 0) {
      throw new MediaEngineError(
        `segment length ${options.segmentMs} ms is not a positive whole number`,
        false,
      );
    }
    // Wowza accepts a recorder for a stream that is not published and leaves it "Waiting for
    // stream" (the recorder article); Hestia wants to know at once that the camera is not there.
    const incoming = await this.rest.get(
      `${instancePath(stream.application)}/incomingstreams/${name(stream.stream)}`,
    );
    if (incoming.status === 404 || (incoming.status === 200 && !isConnected(incoming.body))) {
      throw new MediaEngineError(
        `stream ${stream.stream} is not published on Wowza at ${this.rest.host}`,
        false,
      );
    }
    this.expectOk(incoming, `incoming stream ${stream.stream}`);
    const created = await this.rest.post(recorderPath(stream), recorderBody(stream, options.segmentMs));
    // 409: the recorder exists already; starting a running recording is not an error (the port).
    if (created.status === 409) return;
    this.expectOk(created, `a recorder for ${stream.stream}`);
  }

  async stopRecording(stream: MediaStreamRef): Promise<void> {
    const stopped = await this.rest.put(`${recorderPath(stream)}/actions/stopRecording`);
    // 404: no such recorder, i.e. nothing is recorded; stopping is idempotent (the port).
    if (stopped.status === 404) return;
    this.expectOk(stopped, `stopping the recorder of ${stream.stream}`);
  }

  async deleteFiles(paths: readonly string[]): Promise<{ deleted: number; missing: number }> {
    // Files live on the media host and are deleted by the Hestia media agent beside Wowza;
    // Wowza's REST API deletes no recordings.
    if (!this.agent) throw new MediaEngineError('this media server has no agent', false);
    return this.agent.deleteFiles(paths);
  }

  /** The answer's body when it is a 2xx; a non-retryable error naming what was asked otherwise. */
  private expectOk(answer: WowzaAnswer, what: string): unknown {
    if (answer.status >= 200 && answer.status < 300) return answer.body;
    throw new MediaEngineError(
      `Wowza at ${this.rest.host} refused ${what} (${answer.status}): ${wowzaMessage(answer)}`,
      false,
    );
  }
}

export const createWowzaEngine: MediaEngineFactory = (access) => new WowzaEngine(access);

/**
 * The seed's recorder body (source document 002, "RecordMediaStream"): every field of Wowza's
 * StreamRecorderConfig, as strings, segmenting by duration into MP4 files named by the delegate.
 */
export function recorderBody(stream: MediaStreamRef, segmentMs: number): Record<string, string> {
  return {
    instanceName: INSTANCE,
    fileVersionDelegateName: FILE_VERSION_DELEGATE,
    serverName: '',
    recorderName: stream.stream,
    segmentSchedule: '',
    outputPath: '',
    currentFile: '',
    applicationName: stream.application,
    fileTemplate: '',
    segmentationType: 'SegmentByDuration',
    fileFormat: 'MP4',
    recorderState: '',
    option: '',
    currentSize: '0',
    segmentSize: '0',
    segmentDuration: String(segmentMs),
    backBufferTime: '0',
    currentDuration: '0',
    // A file that starts on a key frame at time zero plays from its first byte (archive HLS).
    startOnKeyFrame: 'true',
    recordData: 'false',
    moveFirstVideoFrameToZero: 'true',
    defaultRecorder: 'false',
    splitOnTcDiscontinuity: 'false',
  };
}

function name(segment: string): string {
  return encodeURIComponent(segment);
}

function applicationPath(application: string): string {
  return `/v2/servers/${SERVER}/vhosts/${VHOST}/applications/${name(application)}`;
}

function instancePath(application: string): string {
  return `${applicationPath(application)}/instances/${INSTANCE}`;
}

/** The seed names the recorder after the stream (the camera's id). */
function recorderPath(stream: MediaStreamRef): string {
  return `${instancePath(stream.application)}/streamrecorders/${name(stream.stream)}`;
}

/**
 * Load from `monitoring/current`. Wowza counts every connection of the application in
 * `totalConnections`, publishers (cameras over RTMP) included, and players of every protocol
 * (HLS sessions too); those that are not publishers are playing.
 */
function loadOf(body: unknown, publishing: number): MediaLoad {
  const stats = asRecord(body, 'the application monitoring');
  const totalConnections = count(stats.totalConnections, 'totalConnections');
  return {
    publishing,
    playing: Math.max(0, totalConnections - publishing),
    // Wowza reports bytes per second; the port wants bits.
    bwInBitsPerSec: count(stats.bytesInRate, 'bytesInRate') * 8,
    bwOutBitsPerSec: count(stats.bytesOutRate, 'bytesOutRate') * 8,
  };
}

function incomingStreamNames(body: unknown): string[] {
  const instance = asRecord(body, 'the application instance');
  return list(instance.incomingStreams, 'incomingStreams')
    .map((entry) => asRecord(entry, 'an incoming stream'))
    .filter((entry) => entry.isConnected !== false)
    .map((entry) => text(entry.name, 'an incoming stream name'));
}

function recordingNames(body: unknown): string[] {
  const answer = asRecord(body, 'the stream recorders');
  // An instance without recorders may leave the list out.
  if (answer.streamrecorder === undefined || answer.streamrecorder === null) return [];
  return list(answer.streamrecorder, 'streamrecorder')
    .map((entry) => asRecord(entry, 'a stream recorder'))
    .filter((entry) => typeof entry.recorderState === 'string' && RECORDING_STATE.test(entry.recorderState))
    .map((entry) => text(entry.recorderName, 'a recorder name'));
}

function isConnected(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as Record<string, unknown>).isConnected !== false;
}

/** Wowza's error bodies are `{"success":false,"message":...,"code":...,"wowzaServer":...}`. */
function wowzaMessage(answer: WowzaAnswer): string {
  if (typeof answer.body === 'object' && answer.body !== null) {
    const message = (answer.body as Record<string, unknown>).message;
    if (typeof message === 'string' && message) return clip(message);
  }
  return clip(answer.text) || '(no message)';
}

function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value))
    return value as Record<string, unknown>;
  throw unexpected(what);
}

function list(value: unknown, what: string): unknown[] {
  if (Array.isArray(value)) return value as unknown[];
  throw unexpected(what);
}

function text(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  throw unexpected(what);
}

/** A non-negative figure: a JSON number, or a numeric string (the form Wowza's request bodies use). */
function count(value: unknown, what: string): number {
  const figure = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof figure === 'number' && Number.isFinite(figure) && figure >= 0) return figure;
  throw unexpected(what);
}

/** An answer Hestia cannot read: another version or a proxy in between; repeating will not help. */
function unexpected(what: string): MediaEngineError {
  return new MediaEngineError(`Wowza answered ${what} in a shape Hestia does not know`, false);
}
