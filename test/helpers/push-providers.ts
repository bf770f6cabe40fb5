import { verify } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../../src/push/webhook.ts';

/**
 * Local HTTP servers standing in for the push providers at the edge of the test: each checks
 * the request shape the provider documents (paths, auth headers, body fields, signatures),
 * records every call, and can be scripted to answer 5xx, 4xx, 429 or not at all, so that the
 * outbox's retries, permanent failures and shutdown can be tested.
 */

export interface ProviderCall {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  raw: string;
  /** Parsed JSON body, or the form fields for a form-encoded body. */
  body: any;
  /** What was wrong with the request by the provider's documentation; empty when it was right. */
  problems: string[];
  /** The status it was answered with; null while it hangs (or if it never got an answer). */
  answeredWith: number | null;
}

/** A scripted answer for the next call: a status with a body, or no answer until the server stops. */
export type Scripted = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang';

type Check = (call: ProviderCall) => { status: number; body: unknown };

export class ProviderServer {
  readonly calls: ProviderCall[] = [];
  private readonly script: Scripted[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private server!: Server;
  url = '';

  constructor(private readonly checkRequest?: Check) {}

  /** Checks a call against the provider's documented shape and gives the normal answer. */
  protected check(call: ProviderCall): { status: number; body: unknown } {
    if (!this.checkRequest) throw new Error('a ProviderServer needs a check');
    return this.checkRequest(call);
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The next calls get these answers, in order, instead of the normal one. */
  answerNext(...answers: Scripted[]): void {
    this.script.push(...answers);
  }

  /** Calls that were answered 2xx. */
  accepted(): ProviderCall[] {
    return this.calls.filter((call) => call.answeredWith !== null && call.answeredWith < 300);
  }

  /** Every problem any call had: a test asserts this is empty. */
  problems(): string[] {
    return this.calls.flatMap((call) => call.problems.map((problem) => `${call.path}: ${problem}`));
  }

  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.hanging.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const contentType = request.headers['content-type'] ?? '';
      let body: unknown = null;
      if (contentType.startsWith('application/x-www-form-urlencoded')) {
        body = Object.fromEntries(new URLSearchParams(raw));
      } else {
        try {
          body = raw ? JSON.parse(raw) : null;
        } catch {
          body = null;
        }
      }
      const call: ProviderCall = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        raw,
        body,
        problems: [],
        answeredWith: null,
      };
      this.calls.push(call);
      const normal = this.check(call);
      // a malformed request is refused as the provider would, whatever the script says
      const scripted = call.problems.length === 0 ? this.script.shift() : undefined;
      if (scripted === 'hang') {
        this.hanging.add(response);
        response.on('close', () => this.hanging.delete(response));
        return;
      }
      const answer = scripted ?? normal;
      call.answeredWith = answer.status;
      response.writeHead(answer.status, {
        'content-type': 'application/json',
        ...(scripted?.headers ?? {}),
      });
      response.end(JSON.stringify(answer.body ?? {}));
    });
  }
}

function requireString(call: ProviderCall, value: unknown, what: string): void {
  if (typeof value !== 'string' || value.length === 0)
    call.problems.push(`${what} is not a non-empty string`);
}

/**
 * OneSignal, REST API v1 create notification: POST /api/v1/notifications, Authorization
 * "Basic <REST API key>", JSON with app_id, include_player_ids, headings and contents.
 */
export function oneSignalServer(expected: { appId: string; restApiKey: string }): ProviderServer {
  return new ProviderServer((call) => {
    if (call.method !== 'POST' || call.path !== '/api/v1/notifications')
      call.problems.push(`unexpected ${call.method} ${call.path}`);
    if (call.headers.authorization !== `Basic ${expected.restApiKey}`)
      call.problems.push(`authorization header is ${call.headers.authorization}`);
    if (!String(call.headers['content-type']).startsWith('application/json'))
      call.problems.push(`content-type is ${call.headers['content-type']}`);
    const body = call.body ?? {};
    if (body.app_id !== expected.appId) call.problems.push(`app_id is ${body.app_id}`);
    if (!Array.isArray(body.include_player_ids) || body.include_player_ids.length === 0)
      call.problems.push('include_player_ids is not a non-empty array');
    requireString(call, body.headings?.en, 'headings.en');
    requireString(call, body.contents?.en, 'contents.en');
    if (body.data !== undefined && (typeof body.data !== 'object' || Array.isArray(body.data)))
      call.problems.push('data is not an object');
    // Pictures: big_picture and chrome_web_image are URLs; ios_attachments maps ids to URLs and
    // needs mutable_content.
    for (const field of ['big_picture', 'chrome_web_image'] as const)
      if (body[field] !== undefined && !/^https?:\/\//.test(String(body[field])))
        call.problems.push(`${field} is not an http(s) URL`);
    if (body.ios_attachments !== undefined) {
      const urls = Object.values(body.ios_attachments ?? {});
      if (urls.length === 0 || urls.some((url) => !/^https?:\/\//.test(String(url))))
        call.problems.push('ios_attachments is not a map of URLs');
      if (body.mutable_content !== true) call.problems.push('ios_attachments without mutable_content');
    }
    if (call.problems.length > 0) return { status: 400, body: { errors: call.problems } };
    return {
      status: 200,
      body: { id: `os-${call.path.length}-${Date.now()}`, recipients: body.include_player_ids.length },
    };
  });
}

/** Decodes a JWT's part (base64url JSON). */
function jwtPart(part: string | undefined): any {
  try {
    return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

/**
 * Google's OAuth token endpoint (JWT bearer grant, RS256 assertion signed by the service
 * account, checked with its public key) and FCM HTTP v1 messages:send with the issued token.
 * Tokens in `unregistered` are answered 404 UNREGISTERED, as FCM does for an uninstalled app.
 */
export class FcmServer extends ProviderServer {
  readonly issuedTokens = new Set<string>();
  readonly unregistered = new Set<string>();
  tokenRequests = 0;

  constructor(private readonly expected: { projectId: string; clientEmail: string; publicKeyPem: string }) {
    super();
  }

  protected override check(call: ProviderCall): { status: number; body: unknown } {
    return this.answer(call, this.expected);
  }

  get tokenUrl(): string {
    return `${this.url}/token`;
  }

  /** messages:send calls that were accepted, by target token. */
  sentTo(token: string): ProviderCall[] {
    return this.accepted().filter(
      (call) => call.path.includes('messages:send') && call.body?.message?.token === token,
    );
  }

  private answer(
    call: ProviderCall,
    expected: { projectId: string; clientEmail: string; publicKeyPem: string },
  ): { status: number; body: unknown } {
    if (call.path === '/token') {
      this.tokenRequests += 1;
      const form = call.body ?? {};
      if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
        call.problems.push(`grant_type is ${form.grant_type}`);
      const [header, claims, signature] = String(form.assertion ?? '').split('.');
      const head = jwtPart(header);
      const claim = jwtPart(claims);
      if (head?.alg !== 'RS256') call.problems.push(`JWT alg is ${head?.alg}`);
      const valid =
        header !== undefined &&
        claims !== undefined &&
        signature !== undefined &&
        verify(
          'RSA-SHA256',
          Buffer.from(`${header}.${claims}`),
          expected.publicKeyPem,
          Buffer.from(signature, 'base64url'),
        );
      if (!valid) call.problems.push('JWT signature does not verify with the service account key');
      if (claim?.iss !== expected.clientEmail) call.problems.push(`JWT iss is ${claim?.iss}`);
      if (claim?.scope !== 'https://www.googleapis.com/auth/firebase.messaging')
        call.problems.push(`JWT scope is ${claim?.scope}`);
      if (claim?.aud !== this.tokenUrl) call.problems.push(`JWT aud is ${claim?.aud}`);
      const now = Date.now() / 1000;
      if (!(claim?.iat <= now + 60 && claim?.exp > now && claim.exp - claim.iat <= 3600))
        call.problems.push('JWT iat/exp are not a valid window of at most one hour');
      if (call.problems.length > 0) return { status: 400, body: { error: 'invalid_grant' } };
      const token = `ya29.test-${this.tokenRequests}`;
      this.issuedTokens.add(token);
      return { status: 200, body: { access_token: token, expires_in: 3599, token_type: 'Bearer' } };
    }
    if (call.path !== `/v1/projects/${expected.projectId}/messages:send`)
      call.problems.push(`unexpected path ${call.path}`);
    const bearer = /^Bearer (.+)$/.exec(String(call.headers.authorization ?? ''))?.[1];
    if (!bearer || !this.issuedTokens.has(bearer)) {
      call.problems.push('no access token issued by the token endpoint');
      return { status: 401, body: { error: { code: 401, status: 'UNAUTHENTICATED' } } };
    }
    const message = call.body?.message ?? {};
    requireString(call, message.token, 'message.token');
    requireString(call, message.notification?.title, 'message.notification.title');
    requireString(call, message.notification?.body, 'message.notification.body');
    if (message.notification?.image !== undefined && !/^https?:\/\//.test(String(message.notification.image)))
      call.problems.push('message.notification.image is not an http(s) URL');
    for (const [key, value] of Object.entries(message.data ?? {}))
      if (typeof value !== 'string') call.problems.push(`message.data.${key} is not a string`);
    if (call.problems.length > 0)
      return {
        status: 400,
        body: { error: { code: 400, status: 'INVALID_ARGUMENT', message: call.problems.join('; ') } },
      };
    if (this.unregistered.has(message.token)) {
      return {
        status: 404,
        body: {
          error: {
            code: 404,
            status: 'NOT_FOUND',
            details: [
              { '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' },
            ],
          },
        },
      };
    }
    return { status: 200, body: { name: `projects/${expected.projectId}/messages/${this.calls.length}` } };
  }
}

/** A tenant's webhook receiver: checks the signature and headers, and tells deliveries apart by X-Hestia-Delivery. */
export class WebhookServer extends ProviderServer {
  constructor(secret: string) {
    super((call: ProviderCall) => {
      const header = (name: string) => String(call.headers[name] ?? '');
      if (call.method !== 'POST') call.problems.push(`method ${call.method}`);
      if (
        !verifyWebhookSignature({
          secret,
          timestamp: header('x-hestia-timestamp'),
          rawBody: call.raw,
          signature: header('x-hestia-signature'),
        })
      )
        call.problems.push('X-Hestia-Signature does not verify');
      requireString(call, call.headers['x-hestia-delivery'], 'X-Hestia-Delivery');
      const body = call.body ?? {};
      if (header('x-hestia-event') !== body.type) call.problems.push('X-Hestia-Event is not the body type');
      for (const field of ['id', 'type', 'tenantId', 'severity', 'title', 'body', 'createdAt'])
        requireString(call, body[field], field);
      return call.problems.length > 0
        ? { status: 400, body: { problems: call.problems } }
        : { status: 200, body: { received: true } };
    });
  }

  /** Accepted calls per X-Hestia-Delivery: what a deduplicating receiver stored. */
  acceptedByDelivery(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const call of this.accepted()) {
      const id = String(call.headers['x-hestia-delivery']);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }
}
