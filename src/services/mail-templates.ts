/**
 * The mails Hestia sends, as pure functions of their data. Each carries the tenant's brand name,
 * so a provider's customers see the provider and not "Hestia". Every value is escaped in the
 * HTML part: brand and home names are chosen by users. The texts come from the catalogue
 * (core/messages.ts), in the recipient's language.
 */
import {
  DEFAULT_LANGUAGE,
  countOf,
  isMessageKey,
  translate,
  type Language,
  type MessageKey,
  type MessageParams,
} from '../core/messages.ts';

const HTML_LANG: Record<Language, string> = { en: 'en', zh: 'zh-Hans' };

/** A rendered mail, ready for `MailPort.send` together with a recipient. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** The one-time link to choose a new password. */
export function passwordResetMail(input: {
  brandName: string;
  /** `config.mail.appUrl`, the app that opens the link. */
  appUrl: string;
  token: string;
  expiresInMinutes: number;
  /** The account's language; absent: the default. */
  language?: Language | null | undefined;
}): RenderedMail {
  const language = input.language ?? DEFAULT_LANGUAGE;
  const t = (key: MessageKey, params?: MessageParams) => translate(language, key, params);
  const brand = input.brandName;
  const link = tokenLink(input.appUrl, 'reset-password', input.token);
  const validity = countOf(language, 'minutes', input.expiresInMinutes);
  const request = t('mail.passwordReset.request', { brand });
  const action = t('mail.passwordReset.action', { validity });
  const notYou = t('mail.passwordReset.notYou');
  const signature = t('mail.signature', { brand });
  return {
    subject: oneLine(t('mail.passwordReset.subject', { brand })),
    text: [request, '', action, '', link, '', notYou, '', signature].join('\n'),
    html: htmlDocument(language, [
      paragraph(request),
      paragraph(action),
      button(link, t('mail.passwordReset.button')),
      paragraph(notYou),
      paragraph(signature),
    ]),
  };
}

/**
 * An invitation to a home (`homeName` set) or to the provider itself (`homeName` null, e.g. a new
 * tenant administrator). `role` is the role the invitee gets, as stored (`tenant_admin`).
 */
export function invitationMail(input: {
  brandName: string;
  appUrl: string;
  token: string;
  inviterEmail: string;
  homeName: string | null;
  role: string;
  expiresInDays: number;
  /** The invitation's language; absent: the default. */
  language?: Language | null | undefined;
}): RenderedMail {
  const language = input.language ?? DEFAULT_LANGUAGE;
  const t = (key: MessageKey, params?: MessageParams) => translate(language, key, params);
  const brand = input.brandName;
  const link = tokenLink(input.appUrl, 'accept-invitation', input.token);
  const roleKey = `role.${input.role}`;
  const role = isMessageKey(roleKey) ? t(roleKey) : input.role.replaceAll('_', ' ');
  const params = { inviter: input.inviterEmail, brand, role, home: input.homeName ?? '' };
  const invited =
    input.homeName === null
      ? t('mail.invitation.invited.provider', params)
      : t('mail.invitation.invited.home', params);
  const subject =
    input.homeName === null
      ? t('mail.invitation.subject.provider', params)
      : t('mail.invitation.subject.home', params);
  const action = t('mail.invitation.action', { validity: countOf(language, 'days', input.expiresInDays) });
  const notExpected = t('mail.invitation.notExpected');
  const signature = t('mail.signature', { brand });
  return {
    subject: oneLine(subject),
    text: [invited, '', action, '', link, '', notExpected, '', signature].join('\n'),
    html: htmlDocument(language, [
      paragraph(invited),
      paragraph(action),
      button(link, t('mail.invitation.button')),
      paragraph(notExpected),
      paragraph(signature),
    ]),
  };
}

/** Security notice after a password change; no link, so it cannot be mistaken for phishing bait. */
export function passwordChangedMail(input: {
  brandName: string;
  /** The account's language; absent: the default. */
  language?: Language | null | undefined;
}): RenderedMail {
  const language = input.language ?? DEFAULT_LANGUAGE;
  const t = (key: MessageKey, params?: MessageParams) => translate(language, key, params);
  const brand = input.brandName;
  const changed = t('mail.passwordChanged.changed', { brand });
  const ifYou = t('mail.passwordChanged.ifYou');
  const ifNotYou = t('mail.passwordChanged.ifNotYou');
  const signature = t('mail.signature', { brand });
  // Chinese sentences follow one another without a space.
  const joined = language === 'zh' ? changed + ifYou : changed + ' ' + ifYou;
  return {
    subject: oneLine(t('mail.passwordChanged.subject', { brand })),
    text: [changed, ifYou, '', ifNotYou, '', signature].join('\n'),
    html: htmlDocument(language, [paragraph(joined), paragraph(ifNotYou), paragraph(signature)]),
  };
}

/** Escapes the five characters that could open markup or leave an attribute value. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function tokenLink(appUrl: string, page: string, token: string): string {
  // a configured trailing slash must not turn into `//reset-password`
  return `${appUrl.replace(/\/+$/, '')}/${page}?token=${encodeURIComponent(token)}`;
}

/** Brand and home names are user input: a line break in them must not reach a header. */
function oneLine(value: string): string {
  return value.replace(/[\s\p{Cc}]+/gu, ' ').trim();
}

function paragraph(text: string): string {
  return `<p>${escapeHtml(text)}</p>`;
}

function button(href: string, label: string): string {
  return (
    `<p><a href="${escapeHtml(href)}" style="display:inline-block;padding:10px 16px;` +
    `background:#1f6feb;color:#ffffff;text-decoration:none;border-radius:6px">${escapeHtml(label)}</a></p>\n` +
    // some clients strip buttons; the address itself always works
    `<p style="font-size:small;word-break:break-all">${escapeHtml(href)}</p>`
  );
}

/** The document, its `lang` the language's tag (so that mail clients pick fitting fonts). */
function htmlDocument(language: Language, blocks: string[]): string {
  return [
    '<!doctype html>',
    `<html lang="${HTML_LANG[language]}">`,
    '<head><meta charset="utf-8"></head>',
    '<body style="font-family:system-ui,sans-serif;line-height:1.5">',
    ...blocks,
    '</body>',
    '</html>',
  ].join('\n');
}
