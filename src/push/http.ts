import type { SendOutcome } from '../core/ports/notification-provider.ts';

/** Provider answers are kept in the delivery log for diagnosis, cut to this length. */
const MAX_RESPONSE_CHARS = 500;

export function clip(text: string): string {
  return text.length > MAX_RESPONSE_CHARS ? `${text.slice(0, MAX_RESPONSE_CHARS)}…` : text;
}

export interface HttpAnswer {
  status: number;
  text: string;
  headers: Headers;
}

/**
 * One HTTP request to a provider. Network errors and timeouts come back as a `retry` outcome
 * (never thrown), so a provider's failure is always recorded on its delivery.
 */
export async function httpRequest(
  url: string,
  init: { method?: string; headers: Record<string, string>; body: string },
  signal: AbortSignal,
): Promise<HttpAnswer | SendOutcome> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method ?? 'POST',
      headers: init.headers,
      body: init.body,
      signal,
    });
  } catch (error) {
    return { status: 'retry', error: networkError(error, signal, url) };
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    return { status: 'retry', error: networkError(error, signal, url) };
  }
  return { status: response.status, text, headers: response.headers };
}

export function isAnswer(value: HttpAnswer | SendOutcome): value is HttpAnswer {
  return typeof value.status === 'number';
}

/**
 * The usual reading of an HTTP status: 2xx sent; 429 and 5xx may pass (retry, honouring
 * Retry-After); any other 4xx will not get better by repeating the same request.
 */
export function outcomeOfStatus(answer: HttpAnswer, what: string): SendOutcome {
  const providerResponse = clip(`${answer.status} ${answer.text}`.trim());
  if (answer.status >= 200 && answer.status < 300) return { status: 'sent', providerResponse };
  if (answer.status === 429 || answer.status >= 500 || answer.status === 408) {
    return {
      status: 'retry',
      error: `${what} answered ${answer.status}`,
      providerResponse,
      retryAfterMs: retryAfterMs(answer.headers.get('retry-after')),
    };
  }
  return { status: 'failed', error: `${what} refused the request (${answer.status})`, providerResponse };
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function networkError(error: unknown, signal: AbortSignal, url: string): string {
  const host = safeHost(url);
  if (signal.aborted) return `no answer from ${host} in time`;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const detail =
    typeof cause?.code === 'string' ? cause.code : error instanceof Error ? error.message : String(error);
  return `cannot reach ${host}: ${detail}`;
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the provider';
  }
}
