import {
  createTransport,
  type SMTPPoolOptions,
  type SMTPPoolSentMessageInfo,
  type Transporter,
} from 'nodemailer';
import type { Logger } from 'pino';
import { HestiaError } from '../core/errors.ts';
import type { MailMessage, MailPort } from '../core/ports/mail.ts';

export interface SmtpMailerOptions {
  /** `smtp://user:pass@host:587` or `smtps://…`; query parameters become nodemailer options. */
  smtpUrl: string;
  /** The From header, e.g. `Hestia <no-reply@example.com>`. */
  from: string;
  logger?: Logger | undefined;
}

/**
 * Nodemailer waits 2 minutes for a connection and 10 for an idle socket by default; a user waiting
 * for a password-reset answer should hear of a dead server sooner. The URL's query can override.
 */
const CONNECTION_TIMEOUT_MS = 10_000;
const GREETING_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 60_000;

/** Sends mail through an SMTP server over a small pool of reused connections. */
export class SmtpMailer implements MailPort {
  private readonly transporter: Transporter<SMTPPoolSentMessageInfo, SMTPPoolOptions>;
  private readonly from: string;
  private readonly logger: Logger | undefined;
  /** `host:port` without user or password, for error messages. */
  private readonly endpoint: string;
  /** Strings that must never appear in an error message (user and password, raw and decoded). */
  private readonly credentials: string[];

  constructor(options: SmtpMailerOptions) {
    const url = parseSmtpUrl(options.smtpUrl);
    this.endpoint = url.port ? `${url.hostname}:${url.port}` : url.hostname;
    this.credentials = [url.password, url.username, safeDecode(url.password), safeDecode(url.username)]
      .filter((value) => value.length > 0)
      // longest first, so a password that contains the user name is removed whole
      .sort((a, b) => b.length - a.length);
    this.from = options.from;
    this.logger = options.logger;
    this.transporter = createTransport({
      url: options.smtpUrl,
      pool: true,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      greetingTimeout: GREETING_TIMEOUT_MS,
      socketTimeout: SOCKET_TIMEOUT_MS,
      // nodemailer's own logger would print the SMTP dialogue, AUTH and message bodies included
      logger: false,
      debug: false,
    });
  }

  async send(message: MailMessage): Promise<{ messageId: string }> {
    let messageId: string;
    try {
      const info = await this.transporter.sendMail({
        from: this.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.html === undefined ? {} : { html: message.html }),
      });
      messageId = info.messageId;
    } catch (error) {
      throw this.deliveryFailed(error);
    }
    this.logger?.info({ to: message.to, messageId }, 'mail sent');
    return { messageId };
  }

  async close(): Promise<void> {
    this.transporter.close();
  }

  /** Converts a nodemailer error into the catalogue's error, naming the server but no credentials. */
  private deliveryFailed(error: unknown): HestiaError {
    const { code, command, responseCode } = (error ?? {}) as {
      code?: unknown;
      command?: unknown;
      responseCode?: unknown;
    };
    const reason = this.redact(error instanceof Error ? error.message : String(error));
    return new HestiaError(
      'HESTIA_MAIL_FAILED',
      `SMTP server ${this.endpoint} did not take the mail: ${reason}`,
      {
        endpoint: this.endpoint,
        code: typeof code === 'string' ? code : undefined,
        command: typeof command === 'string' ? this.redact(command) : undefined,
        responseCode: typeof responseCode === 'number' ? responseCode : undefined,
      },
    );
  }

  /** A server may echo what it was sent; nothing of the URL's user info may leave through an error. */
  private redact(text: string): string {
    let result = text;
    for (const secret of this.credentials) result = result.split(secret).join('[redacted]');
    return result;
  }
}

function parseSmtpUrl(smtpUrl: string): URL {
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    // the URL is not echoed: it may hold the password
    throw new HestiaError('HESTIA_CONFIG_INVALID', 'mail.smtpUrl: not a URL');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new HestiaError('HESTIA_CONFIG_INVALID', 'mail.smtpUrl: must start with smtp:// or smtps://');
  }
  if (!url.hostname) throw new HestiaError('HESTIA_CONFIG_INVALID', 'mail.smtpUrl: no host');
  return url;
}

function safeDecode(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    // a malformed escape is used by nodemailer as written, which the raw form already covers
    return component;
  }
}
