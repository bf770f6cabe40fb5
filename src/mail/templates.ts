/**
 * The mails Hestia sends, as pure functions of their data. Each carries the tenant's brand name,
 * so a provider's customers see the provider and not "Hestia". Every value is escaped in the
 * HTML part: brand and home names are chosen by users.
 */

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
}): RenderedMail {
  const link = tokenLink(input.appUrl, 'reset-password', input.token);
  const validity = plural(input.expiresInMinutes, 'minute');
  const request = `Someone asked to reset the password of your ${input.brandName} account.`;
  const action = `To choose a new password, open this link within ${validity}:`;
  const notYou = 'If you did not ask for this, ignore this mail: your password stays as it is.';
  return {
    subject: oneLine(`Reset your ${input.brandName} password`),
    text: [request, '', action, '', link, '', notYou, '', signature(input.brandName)].join('\n'),
    html: htmlDocument([
      paragraph(request),
      paragraph(action),
      button(link, 'Choose a new password'),
      paragraph(notYou),
      paragraph(signature(input.brandName)),
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
}): RenderedMail {
  const link = tokenLink(input.appUrl, 'accept-invitation', input.token);
  const role = input.role.replaceAll('_', ' ');
  const invited =
    input.homeName === null
      ? `${input.inviterEmail} invited you to join ${input.brandName} as ${role}.`
      : `${input.inviterEmail} invited you to the home “${input.homeName}” on ${input.brandName} as ${role}.`;
  const subject =
    input.homeName === null
      ? `You are invited to ${input.brandName}`
      : `You are invited to the home “${input.homeName}” on ${input.brandName}`;
  const action = `To accept, open this link within ${plural(input.expiresInDays, 'day')}:`;
  const notExpected = 'If you do not expect this invitation, ignore this mail.';
  return {
    subject: oneLine(subject),
    text: [invited, '', action, '', link, '', notExpected, '', signature(input.brandName)].join('\n'),
    html: htmlDocument([
      paragraph(invited),
      paragraph(action),
      button(link, 'Accept the invitation'),
      paragraph(notExpected),
      paragraph(signature(input.brandName)),
    ]),
  };
}

/** Security notice after a password change; no link, so it cannot be mistaken for phishing bait. */
export function passwordChangedMail(input: { brandName: string }): RenderedMail {
  const changed = `The password of your ${input.brandName} account was just changed.`;
  const ifYou = 'If you changed it, there is nothing to do.';
  const ifNotYou =
    'If you did not, someone else may know your password: reset it at once from the login page ' +
    'and tell your administrator.';
  return {
    subject: oneLine(`Your ${input.brandName} password was changed`),
    text: [changed, ifYou, '', ifNotYou, '', signature(input.brandName)].join('\n'),
    html: htmlDocument([
      paragraph(changed + ' ' + ifYou),
      paragraph(ifNotYou),
      paragraph(signature(input.brandName)),
    ]),
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

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

function signature(brandName: string): string {
  return `— ${brandName}`;
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

function htmlDocument(blocks: string[]): string {
  return [
    '<!doctype html>',
    '<html>',
    '<head><meta charset="utf-8"></head>',
    '<body style="font-family:system-ui,sans-serif;line-height:1.5">',
    ...blocks,
    '</body>',
    '</html>',
  ].join('\n');
}
