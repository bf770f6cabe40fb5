/**
 * HTTP to the Wowza Streaming Engine REST API (port 8087, `/v2/...`): JSON headers, HTTP basic
 * or digest authentication, a timeout per call, and Hestia's reading of failures.
 *
 * Authentication follows Wowza's "Change the authentication method for the Wowza Streaming
 * Engine REST API" (Server.xml `<AuthenticationMethod>`: basic by default since 4.8.5.05, digest
 * before, digest passwords encoded md5 or sha256, or none). The client does what `curl --anyauth`
 * does: it sends no credentials until the server names a scheme in a 401, so a password never
 * travels as basic to a server that would take a digest, then keeps that scheme (and the digest
 * nonce, counting `nc`) for the following calls. Digest is RFC 7616 with qop=auth.
 */
import { createHash, randomBytes } from 'node:crypto';
import { MediaEngineError } from '../../core/ports/media-engine.ts';

/** What Wowza answered to one call, once authentication is settled and the status is not 5xx. */
export interface WowzaAnswer {
  status: number;
  /** The parsed JSON body; undefined when the body is empty or not JSON. */
  body: unknown;
  text: string;
}

/** An answer's text is kept in error messages for diagnosis, cut to this length. */
const MAX_DETAIL_CHARS = 300;

/**
 * Wowza's documented request headers (the curl examples of every REST article send both, on GET
 * too); without `Accept: application/json` the engine answers XML.
 */
const JSON_HEADERS = {
  accept: 'application/json; charset=utf-8',
  'content-type': 'application/json; charset=utf-8',
} as const;

interface Credentials {
  username: string;
  password: string;
}

/** A digest challenge kept between calls; `nc` counts the uses of its nonce (RFC 7616 §3.4). */
interface DigestState {
  realm: string;
  nonce: string;
  opaque: string | undefined;
  algorithm: DigestAlgorithm;
  /** Whether the server offered qop=auth; without it the RFC 2069 form is used. */
  qopAuth: boolean;
  nc: number;
}

type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';
const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'];

type Scheme = { kind: 'basic' } | { kind: 'digest'; state: DigestState };

export class WowzaRestClient {
  /** `host:port` for messages: the control URL without its credentials. */
  readonly host: string;
  private readonly origin: string;
  /** A path prefix of the control URL (a reverse proxy), without a trailing slash. */
  private readonly basePath: string;
  private readonly credentials: Credentials | null;
  private scheme: Scheme | null = null;

  constructor(
    controlUrl: string,
    private readonly timeoutMs: number,
  ) {
    let url: URL;
    try {
      url = new URL(controlUrl);
    } catch {
      throw new MediaEngineError(`the Wowza control URL is not a URL`, false);
    }
    this.host = url.host;
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    // The URL keeps user and password percent-encoded; fetch refuses a URL that carries them.
    this.credentials = url.username
      ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
      : null;
  }

  get(path: string): Promise<WowzaAnswer> {
    return this.call('GET', path, undefined);
  }

  post(path: string, body: unknown): Promise<WowzaAnswer> {
    return this.call('POST', path, JSON.stringify(body));
  }

  /** Wowza's `actions/...` calls are PUTs without a body. */
  put(path: string): Promise<WowzaAnswer> {
    return this.call('PUT', path, undefined);
  }

  /**
   * One call, with at most one more round trip to answer an authentication challenge. Throws a
   * retryable MediaEngineError for no answer, a timeout or a 5xx; a non-retryable one for refused
   * credentials (401, 403). Any other status is returned for the caller to read.
   */
  private async call(method: string, path: string, body: string | undefined): Promise<WowzaAnswer> {
    const uri = `${this.basePath}${path}`;
    // One deadline for the whole call, challenge included: the port promises `timeoutMs` per call.
    const signal = AbortSignal.timeout(this.timeoutMs);
    const what = `${method} ${path}`;
    let authorization = this.authorization(method, uri);
    let response = await this.send(method, uri, body, authorization, signal, what);
    if (response.status === 401) {
      if (!this.credentials) {
        throw new MediaEngineError(
          `Wowza at ${this.host} asks for credentials and its control URL has none (http://user:password@host:8087)`,
          false,
        );
      }
      // A challenge after credentials were sent may only mean a nonce that went stale: take the
      // new challenge and try once more; a second refusal is a wrong user or password.
      this.scheme = this.schemeOf(response.headers.get('www-authenticate'));
      authorization = this.authorization(method, uri);
      await response.body?.cancel();
      response = await this.send(method, uri, body, authorization, signal, what);
      if (response.status === 401) {
        this.scheme = null;
        throw new MediaEngineError(`Wowza at ${this.host} refused the credentials of its control URL`, false);
      }
    }
    const text = await this.readText(response, signal, what);
    if (response.status === 403) {
      throw new MediaEngineError(`Wowza at ${this.host} forbids ${what}: ${clip(text)}`, false);
    }
    if (response.status >= 500) {
      throw new MediaEngineError(
        `Wowza at ${this.host} answered ${response.status} to ${what}: ${clip(text)}`,
        true,
      );
    }
    return { status: response.status, body: parseJson(text), text };
  }

  private async send(
    method: string,
    uri: string,
    body: string | undefined,
    authorization: string | undefined,
    signal: AbortSignal,
    what: string,
  ): Promise<Response> {
    const headers: Record<string, string> = { ...JSON_HEADERS };
    if (authorization) headers.authorization = authorization;
    try {
      return await fetch(`${this.origin}${uri}`, { method, headers, body, signal, redirect: 'error' });
    } catch (error) {
      throw this.unreachable(error, signal, what);
    }
  }

  private async readText(response: Response, signal: AbortSignal, what: string): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      throw this.unreachable(error, signal, what);
    }
  }

  private unreachable(error: unknown, signal: AbortSignal, what: string): MediaEngineError {
    if (signal.aborted) {
      return new MediaEngineError(
        `Wowza at ${this.host} did not answer ${what} within ${this.timeoutMs} ms`,
        true,
      );
    }
    const cause = (error as { cause?: { code?: unknown } }).cause;
    const detail =
      typeof cause?.code === 'string' ? cause.code : error instanceof Error ? error.message : String(error);
    return new MediaEngineError(`Wowza at ${this.host} is unreachable (${detail})`, true);
  }

  /** The Authorization header for the scheme the server asked for last; none before it asked. */
  private authorization(method: string, uri: string): string | undefined {
    if (!this.credentials || !this.scheme) return undefined;
    if (this.scheme.kind === 'basic') {
      const token = Buffer.from(`${this.credentials.username}:${this.credentials.password}`, 'utf8');
      return `Basic ${token.toString('base64')}`;
    }
    return digestAuthorization(this.credentials, this.scheme.state, method, uri);
  }

  /** The scheme to answer a 401 with: digest (strongest algorithm offered) before basic. */
  private schemeOf(header: string | null): Scheme {
    const challenges = parseChallenges(header ?? '');
    const digests = challenges
      .filter((c) => c.scheme === 'digest')
      .map((c) => digestState(c.params))
      .filter((state): state is DigestState => state !== null)
      .sort((a, b) => DIGEST_ALGORITHMS.indexOf(b.algorithm) - DIGEST_ALGORITHMS.indexOf(a.algorithm));
    const digest = digests[0];
    if (digest) return { kind: 'digest', state: digest };
    if (challenges.some((c) => c.scheme === 'basic')) return { kind: 'basic' };
    throw new MediaEngineError(
      `Wowza at ${this.host} asks for an authentication scheme Hestia does not speak: ${clip(header ?? '(none)')}`,
      false,
    );
  }
}

/** RFC 7616 §3.4: the `response` of one request under a kept challenge. */
function digestAuthorization(
  credentials: Credentials,
  state: DigestState,
  method: string,
  uri: string,
): string {
  const hash = (text: string): string =>
    createHash(state.algorithm.startsWith('SHA-256') ? 'sha256' : 'md5')
      .update(text, 'utf8')
      .digest('hex');
  state.nc += 1;
  const nc = state.nc.toString(16).padStart(8, '0');
  const cnonce = randomBytes(16).toString('hex');
  let ha1 = hash(`${credentials.username}:${state.realm}:${credentials.password}`);
  if (state.algorithm.endsWith('-sess')) ha1 = hash(`${ha1}:${state.nonce}:${cnonce}`);
  const ha2 = hash(`${method}:${uri}`);
  const response = state.qopAuth
    ? hash(`${ha1}:${state.nonce}:${nc}:${cnonce}:auth:${ha2}`)
    : hash(`${ha1}:${state.nonce}:${ha2}`);
  const fields = [
    `username=${quote(credentials.username)}`,
    `realm=${quote(state.realm)}`,
    `nonce=${quote(state.nonce)}`,
    `uri=${quote(uri)}`,
    `algorithm=${state.algorithm}`,
    `response=${quote(response)}`,
  ];
  if (state.qopAuth) fields.push('qop=auth', `nc=${nc}`, `cnonce=${quote(cnonce)}`);
  if (state.opaque !== undefined) fields.push(`opaque=${quote(state.opaque)}`);
  return `Digest ${fields.join(', ')}`;
}

function digestState(params: Map<string, string>): DigestState | null {
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined || nonce === undefined) return null;
  // RFC 7616 §3.3: no algorithm means MD5; names compare case-insensitively.
  const named = (params.get('algorithm') ?? 'MD5').toUpperCase();
  const algorithm = DIGEST_ALGORITHMS.find((a) => a.toUpperCase() === named);
  if (!algorithm) return null;
  const qop = params.get('qop');
  const qops = qop === undefined ? [] : qop.split(',').map((q) => q.trim().toLowerCase());
  // auth-int alone (a hash of the body) is not offered by Wowza and not spoken here.
  if (qop !== undefined && !qops.includes('auth')) return null;
  return { realm, nonce, opaque: params.get('opaque'), algorithm, qopAuth: qops.includes('auth'), nc: 0 };
}

export interface Challenge {
  /** Lower case: `digest`, `basic`. */
  scheme: string;
  /** Parameter names in lower case; quoted values unescaped. */
  params: Map<string, string>;
}

/**
 * The challenges of a WWW-Authenticate value (RFC 9110 §11.6.1). fetch joins several header
 * lines with ", ", so one value may hold `Digest realm=..., nonce=..., Basic realm=...`: a token
 * not followed by `=` starts the next challenge.
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let current: Challenge | undefined;
  let i = 0;
  const skip = (pattern: RegExp): void => {
    while (i < header.length && pattern.test(header.charAt(i))) i++;
  };
  while (i < header.length) {
    skip(/[\s,]/);
    const tokenStart = i;
    skip(/[^\s,=]/);
    const token = header.slice(tokenStart, i);
    if (!token) break;
    skip(/\s/);
    if (header.charAt(i) !== '=') {
      current = { scheme: token.toLowerCase(), params: new Map() };
      challenges.push(current);
      continue;
    }
    i++; // '='
    skip(/\s/);
    let value: string;
    if (header.charAt(i) === '"') {
      i++;
      value = '';
      while (i < header.length && header.charAt(i) !== '"') {
        if (header.charAt(i) === '\\') i++;
        value += header.charAt(i);
        i++;
      }
      i++; // closing quote
    } else {
      const valueStart = i;
      skip(/[^\s,]/);
      value = header.slice(valueStart, i);
    }
    // A token68 (`Basic abc==`) or a parameter before any scheme is ignored.
    current?.params.set(token.toLowerCase(), value);
  }
  return challenges;
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function parseJson(text: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined; // not JSON (an HTML error page of a proxy): callers read `text`
  }
}

export function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_DETAIL_CHARS ? `${flat.slice(0, MAX_DETAIL_CHARS)}…` : flat;
}
