/**
 * HTTP calls from Hestia to a media host (the engine's control API, the media agent), with the
 * port's error contract: a server that cannot be reached, times out or answers 5xx is a
 * retryable MediaEngineError; one that answers 4xx refused the request, and repeating it
 * unchanged will not help. Shared by every adapter under src/media/.
 */
import { MediaEngineError } from '../../core/ports/media-engine.ts';

export interface MediaCall {
  /** What is being done, for the error message ("nginx-rtmp record/start"). */
  what: string;
  timeoutMs: number;
  method?: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
}

/** A successful (2xx) answer, read whole. */
export interface MediaAnswer {
  status: number;
  text: string;
}

/** How much of an error body goes into a message. */
const BODY_EXCERPT_CHARS = 300;

/**
 * Calls `url` and returns its 2xx answer; throws MediaEngineError otherwise. The URL must not
 * carry a credential: it appears in error messages.
 */
export async function callMedia(url: string, call: MediaCall): Promise<MediaAnswer> {
  const signal = AbortSignal.timeout(call.timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: call.method ?? 'GET',
      headers: {
        ...(call.json === undefined ? {} : { 'content-type': 'application/json' }),
        ...call.headers,
      },
      ...(call.json === undefined ? {} : { body: JSON.stringify(call.json) }),
      signal,
    });
    // The timeout covers the body too: a server that stalls mid-answer is as good as down.
    text = await response.text();
  } catch (error) {
    const reason = signal.aborted ? `no answer within ${call.timeoutMs} ms` : describeFetchError(error);
    throw new MediaEngineError(`${call.what}: ${url} unreachable: ${reason}`, true);
  }
  if (response.status >= 200 && response.status < 300) return { status: response.status, text };
  const detail = errorDetail(text);
  throw new MediaEngineError(
    `${call.what}: ${url} answered ${response.status}${detail ? `: ${detail}` : ''}`,
    response.status >= 500 || response.status === 408 || response.status === 429,
  );
}

/** Parses a JSON answer; an answer that is not JSON is the server's fault, not the network's. */
export function parseJson(answer: MediaAnswer, what: string): unknown {
  try {
    return JSON.parse(answer.text) as unknown;
  } catch {
    throw new MediaEngineError(
      `${what}: the answer is not JSON: ${answer.text.slice(0, BODY_EXCERPT_CHARS)}`,
      false,
    );
  }
}

/** The message of Hestia's error shape `{ error: { code, message } }`, else the text itself. */
function errorDetail(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (body.error && typeof body.error.message === 'string')
      return `${typeof body.error.code === 'string' ? `${body.error.code}: ` : ''}${body.error.message}`;
  } catch {
    // not JSON (nginx's HTML error pages): the text, cut short
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, BODY_EXCERPT_CHARS);
}

/** undici hides the socket error (ECONNREFUSED, ENOTFOUND) in `cause`. */
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && !cause.message.includes(code)
      ? `${cause.message} (${code})`
      : cause.message;
  }
  return error.message;
}
