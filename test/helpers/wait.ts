import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How long tests wait, in one place. Every wait is a deadline for something that will happen,
 * never an expectation of speed: a busy machine only makes a run slower, never red, and what
 * really does not happen still fails, with a message that says what was waited for.
 *
 * Waiting for something outside the test's own process to be ready (a server to accept a
 * connection, a child process to say it listens, a browser to start) polls with waitUntilReady
 * and fails naming the service, its address and the last error.
 */

/**
 * How long a test waits for an outside service. A busy 2-core CI machine has taken several
 * seconds to accept a local connection; the ceiling costs nothing when the service is quick.
 */
export const READY_TIMEOUT_MS = 30_000; // 30 seconds
/**
 * How long a test waits for something it caused to show (a stored reading, a mail, a message on
 * a feed, a connection closed by the server), e.g. eventually()'s default. The same ceiling.
 */
export const EVENT_TIMEOUT_MS = 30_000; // 30 seconds
/**
 * A test's own `timeout` where it sets one: only there so that a hung test fails rather than
 * hangs the run. The longest tests (a kill -9 and restart, a dozen CLI processes) take 10 to
 * 40 s, and several times that on a machine busy with other work.
 */
export const TEST_TIMEOUT_MS = 300_000; // 5 minutes
/** The same for a whole suite (`describe`), its setup included. */
export const SUITE_TIMEOUT_MS = 600_000; // 10 minutes
/** Pause between two attempts: short, as most services are ready within a few attempts. */
const POLL_INTERVAL_MS = 50;

/** The service did not become ready in time; `lastError` is what the last attempt saw. */
export class NotReadyError extends Error {
  constructor(
    readonly service: string,
    readonly address: string,
    readonly timeoutMs: number,
    readonly lastError: unknown,
    detail: string,
  ) {
    super(
      `${service} at ${address} was not ready within ${timeoutMs} ms; last error: ${describeError(lastError)}` +
        (detail ? `\n${detail}` : ''),
      { cause: lastError },
    );
    this.name = 'NotReadyError';
  }
}

export interface ReadyOptions {
  timeoutMs?: number;
  /**
   * Whether an error of `attempt` means "not ready yet" (try again) rather than a failure to
   * report at once (a refused password, a process that exited). Default: every error is retried.
   */
  retryable?: (error: unknown) => boolean;
  /** More context for the timeout message, read when it is given up (e.g. a child's output). */
  detail?: () => string;
}

/**
 * Calls `attempt` until it returns something other than `undefined`, and returns that. An
 * attempt that returns `undefined`, or throws an error `retryable` accepts, is tried again after
 * a short pause; any other error is thrown as it is. `attempt` gets the milliseconds left until
 * the deadline (for a timeout of its own, e.g. a connect). After `timeoutMs` it throws a
 * NotReadyError naming `service`, `address` and the last error.
 */
export async function waitUntilReady<T>(
  service: string,
  address: string,
  attempt: (remainingMs: number) => Promise<T | undefined> | T | undefined,
  options: ReadyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? READY_TIMEOUT_MS;
  const retryable = options.retryable ?? (() => true);
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = 'not ready yet';
  for (;;) {
    try {
      const value = await attempt(Math.max(deadline - Date.now(), 1));
      if (value !== undefined) return value;
    } catch (error) {
      if (!retryable(error)) throw error;
      lastError = error;
    }
    if (Date.now() >= deadline)
      throw new NotReadyError(service, address, timeoutMs, lastError, options.detail?.() ?? '');
    await sleep(Math.min(POLL_INTERVAL_MS, Math.max(deadline - Date.now(), 0)));
  }
}

/** An error's message with its code (ECONNREFUSED, a PostgreSQL SQLSTATE), for a one-line report. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const message = error.message || error.name;
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}
