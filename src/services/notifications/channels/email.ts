import type { TenantStore } from '../../../core/ports/directory.ts';
import type { MailPort } from '../../../core/ports/mail.ts';
import { escapeHtml } from '../../mail-templates.ts';
import { isHestiaError } from '../../../core/errors.ts';
import { DEFAULT_LANGUAGE, translate, type Language } from '../../../core/messages.ts';
import type { NotificationRequest } from '../../../core/domain/notification.ts';
import { deliveryTexts } from '../../../core/domain/notification.ts';
import type {
  NotificationProvider,
  SendContext,
  SendOutcome,
} from '../../../core/ports/notification-provider.ts';

const SEVERITY_COLOUR = { critical: '#c62828', warning: '#ef6c00', info: '#1f6feb' } as const;

/**
 * A notification as a mail, in the tenant's brand (name and colour) and the person's language
 * (`request` holds the title and body already in it); every value escaped in HTML.
 */
export function notificationMail(input: {
  brandName: string;
  primaryColor: string | null;
  request: Pick<NotificationRequest, 'severity' | 'title' | 'body' | 'createdAtMs'>;
  language?: Language | undefined;
}): { subject: string; text: string; html: string } {
  const { request } = input;
  const language = input.language ?? DEFAULT_LANGUAGE;
  const brand = input.brandName;
  const word = translate(language, `mail.notification.${request.severity}`);
  const time = new Date(request.createdAtMs).toISOString().replace('T', ' ').slice(0, 16);
  const when = translate(language, 'mail.notification.time', { time });
  const subject = translate(language, 'mail.notification.subject', {
    brand,
    severity: word,
    title: request.title,
  }).replace(/[\r\n]+/g, ' ');
  const footer = translate(language, 'mail.notification.footer', { brand });
  const signature = translate(language, 'mail.signature', { brand });
  const text = [request.title, '', request.body, '', when, '', footer, '', signature].join('\n');
  const colour = input.primaryColor ?? SEVERITY_COLOUR[request.severity];
  const html = [
    '<!doctype html>',
    '<html>',
    '<head><meta charset="utf-8"></head>',
    '<body style="font-family:system-ui,sans-serif;line-height:1.5">',
    `<p style="font-weight:bold;color:${escapeHtml(colour)}">${escapeHtml(word)} — ${escapeHtml(input.brandName)}</p>`,
    `<h2>${escapeHtml(request.title)}</h2>`,
    `<p>${escapeHtml(request.body)}</p>`,
    `<p style="color:#666;font-size:small">${escapeHtml(when)}</p>`,
    `<p style="color:#666;font-size:small">${escapeHtml(footer)}</p>`,
    '</body>',
    '</html>',
  ].join('\n');
  return { subject, text, html };
}

/**
 * Notifications by mail through the same mailer as invitations. SMTP answers 4xx for what may
 * pass (mailbox busy, greylisting) and 5xx for what will not; no answer at all is retried too.
 */
export class EmailProvider implements NotificationProvider {
  readonly channel = 'email' as const;

  constructor(private readonly options: { mailer: MailPort; tenants: TenantStore }) {}

  async send({ delivery, signal }: SendContext): Promise<SendOutcome> {
    const tenant = await this.options.tenants.findTenant(delivery.tenantId);
    const brandName = tenant?.branding.displayName ?? tenant?.name ?? 'Hestia';
    const { title, body, language } = deliveryTexts(delivery);
    const mail = notificationMail({
      brandName,
      primaryColor: tenant?.branding.primaryColor ?? null,
      request: { ...delivery.request, title, body },
      language,
    });
    let stopWaiting: () => void = () => undefined;
    // The mail port cannot be aborted: past the timeout (or at shutdown) the attempt is
    // abandoned and retried, which may send the mail twice; better than never.
    const abandoned = new Promise<SendOutcome>((resolve) => {
      const onAbort = () => resolve({ status: 'retry', error: 'the mail server did not answer in time' });
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      stopWaiting = () => signal.removeEventListener('abort', onAbort);
    });
    const sent = this.options.mailer.send({ to: delivery.target, ...mail }).then(
      ({ messageId }): SendOutcome => ({ status: 'sent', providerResponse: messageId }),
      (error: unknown): SendOutcome => classifyMailError(error),
    );
    try {
      return await Promise.race([sent, abandoned]);
    } finally {
      stopWaiting();
    }
  }
}

function classifyMailError(error: unknown): SendOutcome {
  const message = error instanceof Error ? error.message : String(error);
  const details = isHestiaError(error)
    ? (error.details as { responseCode?: unknown } | undefined)
    : undefined;
  const code = typeof details?.responseCode === 'number' ? details.responseCode : undefined;
  if (code !== undefined && code >= 500) return { status: 'failed', error: message };
  return { status: 'retry', error: message };
}
