import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './process.ts';
import { EVENT_TIMEOUT_MS, READY_TIMEOUT_MS, waitUntilReady } from './wait.ts';

const SINK_PROCESS = path.join(REPO_ROOT, 'test/helpers/smtp-sink-process.ts');

/** A mail as the SMTP server received it, with the subject and text part decoded. */
export interface ReceivedMail {
  /** Envelope sender (MAIL FROM). */
  from: string;
  /** Envelope recipients (RCPT TO). */
  to: string[];
  /** The message exactly as transmitted (CRLF line ends). */
  raw: string;
  subject: string;
  /** The text/plain part, decoded, with `\n` line ends. */
  text: string;
}

/** A real SMTP server in a child process (test/helpers/smtp-sink-process.ts). */
export interface SmtpSink {
  port: number;
  /** `smtp://127.0.0.1:<port>`, ready for `SmtpMailer`. */
  url: string;
  /** Every mail received so far, oldest first. */
  messages(): ReceivedMail[];
  /** The first mail, received or yet to come, that matches; rejects after `timeoutMs`. */
  waitForMail(predicate: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  stop(): Promise<void>;
}

interface Waiter {
  predicate: (mail: ReceivedMail) => boolean;
  resolve: (mail: ReceivedMail) => void;
  reject: (error: Error) => void;
}

/** Starts the sink; give `port` to get a fixed one (e.g. to restart on the same port). */
export async function startSmtpSink(
  options: { port?: number; startTimeoutMs?: number } = {},
): Promise<SmtpSink> {
  const startTimeoutMs = options.startTimeoutMs ?? READY_TIMEOUT_MS;
  // stdin stays open: the sink exits when it closes, so a killed test run leaves no server behind
  const child = spawn(process.execPath, ['--import', 'tsx', SINK_PROCESS, String(options.port ?? 0)], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const received: ReceivedMail[] = [];
  const waiters = new Set<Waiter>();
  let diagnostics = '';
  let partialLine = '';
  let listeningPort: number | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  child.stdin.on('error', (error) => (diagnostics += `stdin: ${error.message}\n`));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (diagnostics += chunk));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    partialLine += chunk;
    for (let end = partialLine.indexOf('\n'); end >= 0; end = partialLine.indexOf('\n')) {
      handleLine(partialLine.slice(0, end));
      partialLine = partialLine.slice(end + 1);
    }
  });

  function handleLine(line: string): void {
    let event: { event?: string; port?: number; from?: string; to?: string[]; raw?: string };
    try {
      event = JSON.parse(line);
    } catch {
      diagnostics += `stdout (not JSON): ${line}\n`;
      return;
    }
    if (event.event === 'listening' && typeof event.port === 'number') listeningPort = event.port;
    if (event.event === 'message') {
      const raw = event.raw ?? '';
      const mail: ReceivedMail = { from: event.from ?? '', to: event.to ?? [], raw, ...parseMail(raw) };
      received.push(mail);
      for (const waiter of waiters) {
        if (waiter.predicate(mail)) waiter.resolve(mail);
      }
    }
  }

  void exited.then((code) => {
    const error = new Error(`smtp sink exited with ${code}: ${diagnostics}`);
    for (const waiter of waiters) waiter.reject(error);
  });

  let port: number;
  try {
    port = await waitUntilReady(
      'smtp sink',
      `127.0.0.1:${options.port ?? '(any port)'}`,
      () => {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(
            `smtp sink exited (${child.exitCode ?? child.signalCode}) before listening: ${diagnostics}`,
          );
        return listeningPort;
      },
      { timeoutMs: startTimeoutMs, retryable: () => false, detail: () => `its stderr: ${diagnostics}` },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages: () => [...received],
    waitForMail(predicate, timeoutMs = EVENT_TIMEOUT_MS) {
      const already = received.find(predicate);
      if (already) return Promise.resolve(already);
      return new Promise<ReceivedMail>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const subjects = received.map((mail) => JSON.stringify(mail.subject)).join(', ') || 'none';
          reject(new Error(`no matching mail within ${timeoutMs} ms; received: ${subjects}`));
        }, timeoutMs);
        const settle = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        const waiter: Waiter = {
          predicate,
          resolve: (mail) => (settle(), resolve(mail)),
          reject: (error) => (settle(), reject(error)),
        };
        waiters.add(waiter);
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      // the sink closes within its 0.5 s close timeout; SIGKILL only if it hangs regardless
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killTimer);
      child.stdin.destroy();
    },
  };
}

/** The value of `?token=` (or another query parameter) in the mail's text part, URL-decoded. */
export function extractToken(mail: ReceivedMail, param = 'token'): string {
  const pattern = new RegExp(`[?&]${escapeRegExp(param)}=([^\\s&#"'<>]+)`);
  const match = pattern.exec(mail.text);
  if (!match?.[1]) throw new Error(`no ${param}= link in the mail ${JSON.stringify(mail.subject)}`);
  return decodeURIComponent(match[1]);
}

/**
 * Decodes what the tests read of a MIME message: the Subject (RFC 2047 encoded words) and the first
 * text/plain part (RFC 2045 quoted-printable or base64, any charset TextDecoder knows), also
 * inside nested multipart bodies. Not a general MIME parser: no attachments, no RFC 2231.
 */
export function parseMail(raw: string): { subject: string; text: string } {
  const { headers, body } = splitEntity(raw);
  return {
    subject: decodeEncodedWords(headers.get('subject') ?? ''),
    text: findTextPart(headers, body)?.replace(/\r\n/g, '\n') ?? '',
  };
}

/** Header names lower-cased, folded lines unfolded (RFC 5322 §2.2.3); first occurrence wins. */
function splitEntity(entity: string): { headers: Map<string, string>; body: string } {
  const separator = /\r?\n\r?\n/.exec(entity);
  const headerBlock = separator ? entity.slice(0, separator.index) : entity;
  const body = separator ? entity.slice(separator.index + separator[0].length) : '';
  const headers = new Map<string, string>();
  for (const line of headerBlock.replace(/\r?\n(?=[ \t])/g, '').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function findTextPart(headers: Map<string, string>, body: string): string | undefined {
  const contentType = parseContentType(headers.get('content-type') ?? 'text/plain');
  if (contentType.type.startsWith('multipart/')) {
    const boundary = contentType.params.get('boundary');
    if (!boundary) return undefined;
    for (const part of splitMultipart(body, boundary)) {
      const entity = splitEntity(part);
      const text = findTextPart(entity.headers, entity.body);
      if (text !== undefined) return text;
    }
    return undefined;
  }
  if (contentType.type !== 'text/plain') return undefined;
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  return decodeBytes(decodeTransferEncoding(body, encoding), contentType.params.get('charset'));
}

/** RFC 2046 §5.1.1: the line break before a delimiter belongs to the delimiter, not to the part. */
function splitMultipart(body: string, boundary: string): string[] {
  const parts: string[] = [];
  let current: string[] | undefined;
  for (const line of body.split(/\r?\n/)) {
    const trimmed = line.trimEnd();
    if (trimmed === `--${boundary}--`) break;
    if (trimmed === `--${boundary}`) {
      if (current) parts.push(current.join('\r\n'));
      current = [];
    } else current?.push(line);
  }
  if (current) parts.push(current.join('\r\n'));
  return parts;
}

function parseContentType(value: string): { type: string; params: Map<string, string> } {
  const [type = '', ...rest] = value.split(';');
  const params = new Map<string, string>();
  for (const match of rest.join(';').matchAll(/([^=\s;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)/g)) {
    const raw = match[2] ?? '';
    params.set(
      (match[1] ?? '').toLowerCase(),
      raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw,
    );
  }
  return { type: type.trim().toLowerCase(), params };
}

function decodeTransferEncoding(body: string, encoding: string): Buffer {
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body.replace(/=\r?\n/g, ''));
  return Buffer.from(body, 'utf8');
}

/** `=XX` becomes the byte XX; everything else is taken as written (soft breaks already removed). */
function decodeQuotedPrintable(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length;) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 3;
    } else {
      const char = String.fromCodePoint(text.codePointAt(i)!);
      bytes.push(...Buffer.from(char, 'utf8'));
      i += char.length;
    }
  }
  return Buffer.from(bytes);
}

/** RFC 2047: `=?charset?B|Q?data?=`; white space between two encoded words is not part of the text. */
function decodeEncodedWords(value: string): string {
  return value
    .replace(/(\?=)\s+(?==\?)/g, '$1')
    .replace(
      /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g,
      (_word, charset: string, encoding: string, data: string) => {
        const bytes =
          encoding.toUpperCase() === 'B'
            ? Buffer.from(data, 'base64')
            : decodeQuotedPrintable(data.replaceAll('_', ' '));
        // RFC 2231 lets a language follow the charset: utf-8*en
        return decodeBytes(bytes, charset.split('*')[0]);
      },
    );
}

function decodeBytes(bytes: Buffer, charset = 'utf-8'): string {
  return new TextDecoder(charset).decode(bytes);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
