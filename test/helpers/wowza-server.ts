/**
 * A local stand-in for the part of the Wowza Streaming Engine REST API (v2) that Hestia's Wowza
 * adapter calls, for tests on machines where Wowza cannot run. It checks every request against
 * Wowza's documented shapes and answers the way Wowza's articles show:
 *
 * - "Query the Wowza Streaming Engine REST API": `http://host:8087/v2/...`, headers
 *   `Accept: application/json; charset=utf-8` and `Content-Type: application/json; charset=utf-8`.
 * - "Change the authentication method for the Wowza Streaming Engine REST API": basic or digest
 *   (md5 or sha256) against the admin credentials, or none.
 * - "Create and manage stream recorders by using the Wowza Streaming Engine REST API": the
 *   recorder list (`streamrecorder`, `recorderState` "Waiting for stream" / "Recording in
 *   Progress"), create (POST, StreamRecorderConfig fields), stop (PUT .../actions/stopRecording);
 *   a recorder stops, and disappears, when its stream ends.
 * - "View stream statistics by using the Wowza Streaming Engine REST API": `monitoring/current`.
 * - The REST reference models InstanceConfig and IncomingStreamConfig. Error bodies
 *   `{"wowzaServer","code","success":false,"message"}` with the HTTP status phrase, and the
 *   create/stop answers, are as Wowza 4.7 answers them in the examples of public REST clients.
 *
 * A request that deviates (a path, method, header or body field Wowza does not document) is
 * answered 400 (404 for an unknown path) and recorded in `violations`, which tests assert empty.
 */
import { createHash, randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The engine version the seed runs (source document 002: Wowza Streaming Engine 4.7.2). */
const WOWZA_VERSION = '4.7.2';
const REALM = 'Wowza';
/** What one camera sends and one player receives in the seed's sizing: 1 Mbit/s. */
const BYTES_PER_SEC_PER_STREAM = 125_000;

const PHRASES: Record<number, string> = {
  400: 'The request could not be understood by the server due to malformed syntax',
  401: 'The request requires user authentication',
  404: 'The server has not found anything matching the request URI',
  409: 'The request could not be completed due to a conflict with the current state of the resource',
  500: 'The server encountered an unexpected condition which prevented it from fulfilling the request',
  503: 'The server is currently unable to handle the request due to a temporary overloading or maintenance of the server',
};

/** StreamRecorderConfig's fields (REST reference); the seed sends each of them as a string. */
const RECORDER_FIELDS = new Set([
  'instanceName',
  'fileVersionDelegateName',
  'serverName',
  'recorderName',
  'currentSize',
  'segmentSchedule',
  'startOnKeyFrame',
  'outputPath',
  'currentFile',
  'saveFieldList',
  'recordData',
  'applicationName',
  'moveFirstVideoFrameToZero',
  'recorderErrorString',
  'segmentSize',
  'defaultRecorder',
  'splitOnTcDiscontinuity',
  'version',
  'baseFile',
  'segmentDuration',
  'recordingStartTime',
  'fileTemplate',
  'segmentationType',
  'currentDuration',
  'fileFormat',
  'recorderState',
  'option',
  'backBufferTime',
]);
const BOOLEAN_FIELDS = [
  'startOnKeyFrame',
  'recordData',
  'moveFirstVideoFrameToZero',
  'defaultRecorder',
  'splitOnTcDiscontinuity',
];
const INTEGER_FIELDS = ['currentSize', 'segmentSize', 'segmentDuration', 'currentDuration', 'backBufferTime'];
const SEGMENTATION_TYPES = ['None', 'SegmentByDuration', 'SegmentBySize', 'SegmentBySchedule'];
const FILE_FORMATS = ['MP4', 'FLV'];

export type WowzaAuth =
  | { method: 'none' }
  | { method: 'basic'; username: string; password: string }
  | { method: 'digest'; username: string; password: string; algorithm?: 'MD5' | 'SHA-256' };

export interface RecordedRequest {
  method: string;
  /** The request target as sent (path and query). */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeRecorder {
  recorderName: string;
  recorderState: 'Waiting for stream' | 'Recording in Progress';
  /** The body it was created with. */
  config: Record<string, string>;
}

export class FakeWowzaServer {
  /** Deviations from Wowza's documented shapes, one line each. */
  readonly violations: string[] = [];
  /** Every request that passed authentication, in order. */
  readonly requests: RecordedRequest[] = [];
  readonly recorders = new Map<string, FakeRecorder>();
  /** Connections playing from the application (counted in totalConnections). */
  players = 0;
  private readonly published = new Set<string>();
  /** Digest nonces handed out, with the highest nc seen for each. */
  private readonly nonces = new Map<string, number>();
  private readonly opaque = randomBytes(8).toString('hex');
  private failures: { remaining: number; status: number } = { remaining: 0, status: 0 };
  private stalls = 0;
  private readonly startedAtMs = Date.now();

  private constructor(
    private readonly server: http.Server,
    readonly application: string,
    readonly auth: WowzaAuth,
  ) {}

  static async start(options: { application: string; auth: WowzaAuth }): Promise<FakeWowzaServer> {
    const server = http.createServer();
    const fake = new FakeWowzaServer(server, options.application, options.auth);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      fake.receive(request, response).catch((error: unknown) => {
        fake.violations.push(`the fake failed on ${request.method} ${request.url}: ${String(error)}`);
        if (!response.headersSent) response.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The control URL Hestia stores for this server; other credentials for the refusal tests. */
  controlUrl(credentials?: { username: string; password: string }): string {
    const own = this.auth.method === 'none' ? undefined : this.auth;
    const user = credentials ?? own;
    const userinfo = user ? `${encodeURIComponent(user.username)}:${encodeURIComponent(user.password)}@` : '';
    return `http://${userinfo}127.0.0.1:${this.port}`;
  }

  /** A camera starts publishing `stream`: a recorder waiting for it starts recording. */
  publish(stream: string): void {
    this.published.add(stream);
    const recorder = this.recorders.get(stream);
    if (recorder) recorder.recorderState = 'Recording in Progress';
  }

  /** The camera stops: Wowza stops its recorder, which is then gone (the recorder article). */
  unpublish(stream: string): void {
    this.published.delete(stream);
    this.recorders.delete(stream);
  }

  /** The next `count` authenticated requests are answered `status` with Wowza's error body. */
  fail(count: number, status: number): void {
    this.failures = { remaining: count, status };
  }

  /** The next `count` authenticated requests get no answer at all (until close). */
  stall(count: number): void {
    this.stalls = count;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async receive(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const method = request.method ?? '';
    const url = request.url ?? '';
    if (!this.authenticated(request, method, url, response)) return;
    this.requests.push({ method, url, headers: request.headers, body });
    const what = `${method} ${url}`;

    const route = this.route(method, url);
    if ('missing' in route) {
      this.violations.push(`${what}: ${route.missing}`);
      return answerError(response, 404);
    }
    const problems = [...checkHeaders(request.headers), ...route.check(body)];
    if (problems.length > 0) {
      for (const problem of problems) this.violations.push(`${what}: ${problem}`);
      return answerError(response, 400);
    }
    if (this.stalls > 0) {
      this.stalls--;
      return; // the socket stays open until the client gives up or the server closes
    }
    if (this.failures.remaining > 0) {
      this.failures.remaining--;
      return answerError(response, this.failures.status);
    }
    route.handle(response, body);
  }

  /** The documented endpoints the adapter may call; anything else is a deviation. */
  private route(
    method: string,
    url: string,
  ):
    | { missing: string }
    | { check: (body: string) => string[]; handle: (response: ServerResponse, body: string) => void } {
    const [pathname = '', query] = url.split('?');
    if (query !== undefined) return { missing: 'Wowza documents no query parameters here' };
    const prefix = '/v2/servers/_defaultServer_/vhosts/_defaultVHost_/applications/';
    if (!pathname.startsWith(prefix)) return { missing: 'not a documented Wowza REST path' };
    const segments = pathname.slice(prefix.length).split('/').map(decodeURIComponent);
    const [application, ...rest] = segments;
    if (application !== this.application) return { missing: `no application ${application}` };
    const path = rest.join('/');
    const expect = (wanted: string): string[] =>
      method === wanted ? [] : [`${method} instead of ${wanted}`];
    const noBody =
      (wanted: string) =>
      (body: string): string[] => [
        ...expect(wanted),
        ...(body.trim() === '' || body.trim() === '{}' ? [] : ['a body Wowza does not take']),
      ];

    if (path === 'monitoring/current') {
      return { check: noBody('GET'), handle: (response) => answer(response, 200, this.monitoring()) };
    }
    if (path === 'instances/_definst_') {
      return { check: noBody('GET'), handle: (response) => answer(response, 200, this.instance()) };
    }
    if (path === 'instances/_definst_/streamrecorders') {
      return { check: noBody('GET'), handle: (response) => answer(response, 200, this.recorderList()) };
    }
    const incoming = /^instances\/_definst_\/incomingstreams\/([^/]+)$/.exec(path);
    if (incoming?.[1] !== undefined) {
      const stream = incoming[1];
      return {
        check: noBody('GET'),
        handle: (response) =>
          this.published.has(stream)
            ? answer(response, 200, this.incomingStream(stream))
            : answerError(response, 404),
      };
    }
    const stop = /^instances\/_definst_\/streamrecorders\/([^/]+)\/actions\/stopRecording$/.exec(path);
    if (stop?.[1] !== undefined) {
      const name = stop[1];
      return {
        check: noBody('PUT'),
        handle: (response) => {
          if (!this.recorders.delete(name)) return answerError(response, 404);
          answer(response, 200, { success: true, message: `Recording (${name}) stopped`, data: null });
        },
      };
    }
    const recorder = /^instances\/_definst_\/streamrecorders\/([^/]+)$/.exec(path);
    if (recorder?.[1] !== undefined) {
      const name = recorder[1];
      return {
        check: (body) => [...expect('POST'), ...checkRecorderBody(body, name, application)],
        handle: (response, body) => {
          if (this.recorders.has(name)) return answerError(response, 409);
          const recorderState = this.published.has(name) ? 'Recording in Progress' : 'Waiting for stream';
          const config = JSON.parse(body) as Record<string, string>;
          this.recorders.set(name, { recorderName: name, recorderState, config });
          answer(response, 200, { success: true, message: 'Recorder Created', data: null });
        },
      };
    }
    return { missing: `no documented endpoint .../applications/${application}/${path}` };
  }

  private monitoring(): Record<string, unknown> {
    const publishing = this.published.size;
    const connections = publishing + this.players;
    return {
      serverName: '_defaultServer_',
      uptime: Math.floor((Date.now() - this.startedAtMs) / 1000),
      bytesIn: 0,
      bytesOut: 0,
      bytesInRate: publishing * BYTES_PER_SEC_PER_STREAM,
      bytesOutRate: this.players * BYTES_PER_SEC_PER_STREAM,
      totalConnections: connections,
      connectionCount: {
        WEBM: 0,
        DVRCHUNKS: 0,
        RTMP: connections,
        MPEGDASH: 0,
        CUPERTINO: 0,
        SANJOSE: 0,
        SMOOTH: 0,
        RTP: 0,
      },
    };
  }

  private instance(): Record<string, unknown> {
    return {
      serverName: '_defaultServer_',
      incomingStreams: [...this.published].map((stream) => this.incomingStream(stream)),
      outgoingStreams: [],
      recorders: [],
      streamGroups: [],
      name: '_definst_',
    };
  }

  private incomingStream(stream: string): Record<string, unknown> {
    return {
      sourceIp: 'rtmp://192.0.2.10:50000',
      isPTZEnabled: false,
      applicationInstance: '_definst_',
      name: stream,
      isRecordingSet: this.recorders.has(stream),
      isStreamManagerStream: false,
      isPublishedToVOD: false,
      isConnected: true,
      ptzPollingInterval: 2000,
      ptzPollingIntervalMinimum: 1000,
    };
  }

  /** The list as Wowza gives it: typed values (numbers, booleans), unlike the string request. */
  private recorderList(): Record<string, unknown> {
    return {
      serverName: '_defaultServer_',
      instanceName: '_definst_',
      streamrecorder: [...this.recorders.values()].map((recorder) => ({
        recorderName: recorder.recorderName,
        instanceName: '_definst_',
        recorderState: recorder.recorderState,
        defaultRecorder: recorder.config.defaultRecorder === 'true',
        segmentationType: recorder.config.segmentationType,
        outputPath: '/content',
        baseFile: '',
        fileFormat: recorder.config.fileFormat,
        fileVersionDelegateName: recorder.config.fileVersionDelegateName,
        fileTemplate: '${BaseFileName}_${RecordingStartTime}_${SegmentNumber}',
        segmentDuration: Number(recorder.config.segmentDuration),
        segmentSize: Number(recorder.config.segmentSize),
        segmentSchedule: '0 * * * * *',
        recordData: recorder.config.recordData === 'true',
        startOnKeyFrame: recorder.config.startOnKeyFrame === 'true',
        splitOnTcDiscontinuity: recorder.config.splitOnTcDiscontinuity === 'true',
        option: 'Version existing file',
        moveFirstVideoFrameToZero: recorder.config.moveFirstVideoFrameToZero === 'true',
        currentSize: 0,
        currentDuration: 0,
        recordingStartTime: '',
      })),
    };
  }

  /** Whether the request may go on; answers the 401 (with a challenge) itself otherwise. */
  private authenticated(
    request: IncomingMessage,
    method: string,
    url: string,
    response: ServerResponse,
  ): boolean {
    const auth = this.auth;
    if (auth.method === 'none') return true;
    const header = request.headers.authorization ?? '';
    if (auth.method === 'basic') {
      const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
      if (header === expected) return true;
      response.setHeader('www-authenticate', `Basic realm="${REALM}"`);
      answerError(response, 401);
      return false;
    }
    const algorithm = auth.algorithm ?? 'MD5';
    const challenge = (stale: boolean): void => {
      const nonce = randomBytes(16).toString('hex');
      this.nonces.set(nonce, 0);
      response.setHeader(
        'www-authenticate',
        `Digest realm="${REALM}", domain="/", nonce="${nonce}", opaque="${this.opaque}", algorithm=${algorithm}, qop="auth"` +
          (stale ? ', stale=true' : ''),
      );
      answerError(response, 401);
    };
    if (!header.startsWith('Digest ')) {
      if (header)
        this.violations.push(`${method} ${url}: ${header.split(' ')[0]} credentials to a digest server`);
      challenge(false);
      return false;
    }
    const params = digestParams(header.slice('Digest '.length));
    const missing = ['username', 'realm', 'nonce', 'uri', 'response', 'qop', 'nc', 'cnonce', 'opaque'].filter(
      (key) => params.get(key) === undefined,
    );
    const problems = missing.map((key) => `digest without ${key}`);
    if (params.get('uri') !== undefined && params.get('uri') !== url)
      problems.push(`digest uri ${params.get('uri')} is not ${url}`);
    if ((params.get('algorithm') ?? 'MD5') !== algorithm)
      problems.push(`digest algorithm ${params.get('algorithm')} is not ${algorithm}`);
    if (params.get('qop') !== undefined && params.get('qop') !== 'auth')
      problems.push(`digest qop ${params.get('qop')}`);
    if (params.get('opaque') !== undefined && params.get('opaque') !== this.opaque)
      problems.push('digest opaque not echoed');
    if (params.get('realm') !== undefined && params.get('realm') !== REALM)
      problems.push(`digest realm ${params.get('realm')}`);
    const ncText = params.get('nc') ?? '';
    if (params.get('nc') !== undefined && !/^[0-9a-f]{8}$/.test(ncText)) problems.push(`digest nc ${ncText}`);
    if (problems.length > 0) {
      for (const problem of problems) this.violations.push(`${method} ${url}: ${problem}`);
      answerError(response, 400);
      return false;
    }
    const nonce = params.get('nonce') ?? '';
    const lastNc = this.nonces.get(nonce);
    if (lastNc === undefined) {
      challenge(true); // not a nonce of ours (any more)
      return false;
    }
    const nc = parseInt(ncText, 16);
    if (nc <= lastNc) {
      this.violations.push(`${method} ${url}: digest nc ${ncText} reused for one nonce`);
      answerError(response, 400);
      return false;
    }
    this.nonces.set(nonce, nc);
    const hash = (text: string): string =>
      createHash(algorithm === 'SHA-256' ? 'sha256' : 'md5')
        .update(text, 'utf8')
        .digest('hex');
    const ha1 = hash(`${auth.username}:${REALM}:${auth.password}`);
    const ha2 = hash(`${method}:${url}`);
    const expected = hash(`${ha1}:${nonce}:${ncText}:${params.get('cnonce')}:auth:${ha2}`);
    if (params.get('username') === auth.username && params.get('response') === expected) return true;
    challenge(false); // wrong user or password: Wowza challenges again
    return false;
  }
}

function checkHeaders(headers: IncomingHttpHeaders): string[] {
  const problems: string[] = [];
  if (!/^application\/json\s*(;|$)/i.test(headers.accept ?? ''))
    problems.push(`Accept is ${headers.accept ?? 'missing'}`);
  const contentType = headers['content-type'] ?? '';
  if (!/^application\/json\s*(;\s*charset=utf-8\s*)?$/i.test(contentType))
    problems.push(`Content-Type is ${contentType || 'missing'}`);
  return problems;
}

/** The create-recorder body: StreamRecorderConfig fields, all strings as in the seed. */
function checkRecorderBody(body: string, recorderName: string, application: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return ['the recorder body is not JSON'];
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return ['the recorder body is not an object'];
  const config = parsed as Record<string, unknown>;
  const problems: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (!RECORDER_FIELDS.has(key)) problems.push(`${key} is not a StreamRecorderConfig field`);
    else if (typeof value !== 'string')
      problems.push(`${key} is a ${typeof value}, not a string as the seed sends it`);
  }
  const field = (key: string): string | undefined =>
    typeof config[key] === 'string' ? config[key] : undefined;
  if (field('recorderName') !== recorderName)
    problems.push(`recorderName ${field('recorderName')} is not ${recorderName}`);
  if (field('applicationName') !== application)
    problems.push(`applicationName ${field('applicationName')} is not ${application}`);
  if (field('instanceName') !== '_definst_') problems.push(`instanceName ${field('instanceName')}`);
  for (const key of BOOLEAN_FIELDS) {
    const value = field(key);
    if (value !== undefined && value !== 'true' && value !== 'false')
      problems.push(`${key} ${value} is not "true"/"false"`);
  }
  for (const key of INTEGER_FIELDS) {
    const value = field(key);
    if (value !== undefined && !/^\d+$/.test(value)) problems.push(`${key} ${value} is not a whole number`);
  }
  const segmentation = field('segmentationType');
  if (segmentation === undefined || !SEGMENTATION_TYPES.includes(segmentation))
    problems.push(`segmentationType ${segmentation}`);
  const format = field('fileFormat');
  if (format === undefined || !FILE_FORMATS.includes(format)) problems.push(`fileFormat ${format}`);
  if (segmentation === 'SegmentByDuration' && !(Number(field('segmentDuration')) > 0))
    problems.push('SegmentByDuration without a segmentDuration');
  return problems;
}

function digestParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const match of text.matchAll(/([A-Za-z]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    const [, key = '', quoted, bare] = match;
    params.set(key.toLowerCase(), quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare ?? ''));
  }
  return params;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.once('end', () => resolve(body));
    request.once('error', reject);
  });
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Wowza's error body (as Wowza 4.7 answers it). */
function answerError(response: ServerResponse, status: number): void {
  answer(response, status, {
    wowzaServer: WOWZA_VERSION,
    code: String(status),
    success: false,
    message: PHRASES[status] ?? `HTTP ${status}`,
  });
}
