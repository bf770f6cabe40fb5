import type { Logger } from 'pino';
import type { HestiaConfig } from '../core/config.ts';
import { HestiaError } from '../core/errors.ts';
import { FileMailer } from './file-mailer.ts';
import type { MailPort } from '../core/ports/mail.ts';
import { SmtpMailer } from './smtp-mailer.ts';

/** Opens the configured outgoing-mail adapter (`mail.transport`). */
export function openMailer(config: Readonly<HestiaConfig>, logger?: Logger): MailPort {
  const transport = config.mail.transport;
  switch (transport) {
    case 'file':
      return new FileMailer({ dataDir: config.dataDir, from: config.mail.from, logger });
    case 'smtp': {
      // loadConfig already refuses this; a hand-built config must not reach nodemailer with null
      if (!config.mail.smtpUrl) {
        throw new HestiaError(
          'HESTIA_CONFIG_INVALID',
          'HESTIA_MAIL_SMTP_URL (mail.smtpUrl): required when mail.transport is "smtp"',
        );
      }
      return new SmtpMailer({ smtpUrl: config.mail.smtpUrl, from: config.mail.from, logger });
    }
    default: {
      const unhandled: never = transport;
      throw new HestiaError(
        'HESTIA_CONFIG_INVALID',
        `mail.transport: unknown transport ${String(unhandled)}`,
      );
    }
  }
}
