import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  createTransport,
  type StreamSentMessageInfo,
  type StreamTransportOptions,
  type Transporter,
} from 'nodemailer';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../core/clock.ts';
import { HestiaError } from '../core/errors.ts';
import type { MailMessage, MailPort } from '../core/ports/mail.ts';

export interface FileMailerOptions {
  /** Messages go to `<dataDir>/mail`. */
  dataDir: string;
  /** The From header, e.g. `Hestia <no-reply@example.com>`. */
  from: string;
  /** Stamps the file names; injectable so tests can pin time. */
  clock?: Clock | undefined;
  logger?: Logger | undefined;
}

/**
 * Embedded mode's mailer: nothing to install, each message becomes an RFC 5322 `.eml` file that any
 * mail client opens. The files hold one-time tokens, so only the owner may read them.
 */
export class FileMailer implements MailPort {
  /** Where the .eml files go; created on the first send. */
  readonly mailDir: string;
  private readonly transporter: Transporter<StreamSentMessageInfo, StreamTransportOptions>;
  private readonly from: string;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private mailDirReady = false;

  constructor(options: FileMailerOptions) {
    this.mailDir = path.join(options.dataDir, 'mail');
    this.transporter = createStreamTransport();
    this.from = options.from;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
  }

  async send(message: MailMessage): Promise<{ messageId: string }> {
    let messageId: string;
    let eml: Buffer;
    try {
      const info = await this.transporter.sendMail({
        from: this.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.html === undefined ? {} : { html: message.html }),
      });
      messageId = info.messageId;
      if (!Buffer.isBuffer(info.message)) throw new Error('the stream transport returned no buffer');
      eml = info.message;
    } catch (error) {
      throw new HestiaError('HESTIA_MAIL_FAILED', `composing the mail failed: ${(error as Error).message}`);
    }
    const file = path.join(this.mailDir, `${fileStamp(this.clock.now())}-${fileSafe(messageId)}.eml`);
    try {
      await this.ensureMailDir();
      // 'wx': never overwrite, so a clash of names shows up instead of losing a mail
      await writeFile(file, eml, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      throw new HestiaError('HESTIA_MAIL_FAILED', `writing the mail to ${this.mailDir} failed: ${code}`);
    }
    this.logger?.info({ to: message.to, messageId, file }, 'mail written to file');
    return { messageId };
  }

  async close(): Promise<void> {
    this.transporter.close();
  }

  private async ensureMailDir(): Promise<void> {
    if (this.mailDirReady) return;
    await mkdir(this.mailDir, { recursive: true, mode: 0o700 });
    // mkdir's mode does not apply to a directory that already exists
    await chmod(this.mailDir, 0o700);
    this.mailDirReady = true;
  }
}

function createStreamTransport(): Transporter<StreamSentMessageInfo, StreamTransportOptions> {
  // CRLF line ends: RFC 5322 §2.1 requires them in a message, and .eml files are messages
  return createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
}

/** `2024-05-01T12-00-00-000Z`: sorts by time and holds no `:` (not allowed in Windows names). */
function fileStamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/[:.]/g, '-');
}

/** `<a1b2@hestia.local>` → `a1b2_hestia.local`. */
function fileSafe(messageId: string): string {
  return messageId.replace(/^<|>$/g, '').replace(/[^A-Za-z0-9._-]/g, '_');
}
