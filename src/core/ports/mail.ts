/**
 * Outgoing mail port. Adapters: `SmtpMailer` (a real SMTP server) and `FileMailer` (.eml files under
 * `<dataDir>/mail`, the embedded default). Mails carry one-time tokens, so adapters never log a
 * body or a subject; the recipient and the message id are safe to log.
 */

/** One mail to one recipient; the adapter adds From, Date and Message-ID. */
export interface MailMessage {
  /** A single address, e.g. `ada@example.com` or `Ada <ada@example.com>`. */
  to: string;
  subject: string;
  /** The text/plain part; every mail has one, so clients without HTML still show the link. */
  text: string;
  /** Optional text/html alternative; its interpolated values must already be escaped. */
  html?: string;
}

/** Sends mail. Failures reject with `HestiaError('HESTIA_MAIL_FAILED')`, never with a library error. */
export interface MailPort {
  /** Delivers (or, for the file adapter, stores) one message; resolves with its Message-ID header. */
  send(message: MailMessage): Promise<{ messageId: string }>;
  /** Releases connections; the port must not be used afterwards. */
  close(): Promise<void>;
}
