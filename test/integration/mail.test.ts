import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/core/config.ts';
import { isHestiaError } from '../../src/core/errors.ts';
import { FileMailer } from '../../src/mail/file-mailer.ts';
import { openMailer } from '../../src/mail/open-mailer.ts';
import { SmtpMailer } from '../../src/mail/smtp-mailer.ts';
import {
  escapeHtml,
  invitationMail,
  passwordChangedMail,
  passwordResetMail,
} from '../../src/services/mail-templates.ts';
import { freePort } from '../helpers/process.ts';
import { extractToken, parseMail, startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';

const FROM = 'Hestia Test <no-reply@hestia.test>';
const APP_URL = 'https://app.example.com';

/** A token with characters that must be URL-encoded, so a missing encodeURIComponent shows. */
function newTestToken(): string {
  return `hrt_${randomBytes(12).toString('hex')}+/=&`;
}

describe('SmtpMailer against a real SMTP server', () => {
  let sink: SmtpSink;
  let mailer: SmtpMailer;

  before(async () => {
    sink = await startSmtpSink();
    mailer = new SmtpMailer({ smtpUrl: sink.url, from: FROM });
  });
  after(async () => {
    await mailer?.close();
    await sink?.stop();
  });

  test('delivers a password-reset mail whose link carries the token unchanged', async () => {
    const token = newTestToken();
    const mail = passwordResetMail({
      brandName: 'Acme Home',
      appUrl: `${APP_URL}/`,
      token,
      expiresInMinutes: 60,
    });
    const { messageId } = await mailer.send({ to: 'ada@example.com', ...mail });

    const received = await sink.waitForMail((m) => m.to.includes('ada@example.com'));
    assert.equal(received.from, 'no-reply@hestia.test');
    assert.deepEqual(received.to, ['ada@example.com']);
    assert.equal(received.subject, 'Reset your Acme Home password');
    assert.equal(extractToken(received), token);
    assert.ok(received.text.includes(`${APP_URL}/reset-password?token=${encodeURIComponent(token)}`));
    assert.ok(!received.text.includes(token), 'the raw token (with + / = &) must not appear unencoded');
    assert.match(received.text, /within 60 minutes/);
    assert.match(received.raw, new RegExp(`^Message-ID: ${escapeRegExp(messageId)}\\r$`, 'mi'));
    assert.match(received.raw, /^Content-Type: text\/html/m, 'the HTML alternative is sent too');
  });

  test('a UTF-8 brand and home name survive subject and text', async () => {
    const brandName = 'Hestia Zuhause — Müller';
    const token = newTestToken();
    const mail = invitationMail({
      brandName,
      appUrl: APP_URL,
      token,
      inviterEmail: 'jörg@example.com',
      homeName: 'Wohnküche 🏠',
      role: 'home_member',
      expiresInDays: 7,
    });
    await mailer.send({ to: 'bea@example.com', ...mail });

    const received = await sink.waitForMail((m) => m.to.includes('bea@example.com'));
    assert.equal(received.subject, 'You are invited to the home “Wohnküche 🏠” on Hestia Zuhause — Müller');
    // the header went out RFC 2047-encoded, so the decoder, not luck, produced the subject above
    assert.match(received.raw, /^Subject: =\?UTF-8\?[BQ]\?/im);
    assert.ok(received.text.includes(brandName));
    assert.ok(received.text.includes('jörg@example.com invited you to the home “Wohnküche 🏠”'));
    assert.ok(received.text.includes(`${APP_URL}/accept-invitation?token=`));
    assert.equal(extractToken(received), token);
  });

  test('a server that cannot be reached gives HESTIA_MAIL_FAILED without the password', async () => {
    const port = await freePort(); // free a moment ago: nothing listens there
    const password = 'S3cret/p@ss:word';
    const unreachable = new SmtpMailer({
      smtpUrl: `smtp://hestia-mailer:${encodeURIComponent(password)}@127.0.0.1:${port}`,
      from: FROM,
    });
    try {
      await assert.rejects(
        unreachable.send({ to: 'ada@example.com', subject: 'x', text: 'x' }),
        (error: unknown) => {
          assert.ok(isHestiaError(error), `not a HestiaError: ${String(error)}`);
          assert.equal(error.code, 'HESTIA_MAIL_FAILED');
          assert.equal(error.status, 502);
          assert.ok(error.message.includes(`127.0.0.1:${port}`), error.message);
          const exposed = error.message + JSON.stringify(error.details) + (error.stack ?? '');
          for (const secret of [password, encodeURIComponent(password), 'hestia-mailer']) {
            assert.ok(!exposed.includes(secret), `error exposes ${secret}: ${exposed}`);
          }
          return true;
        },
      );
    } finally {
      await unreachable.close();
    }
  });
});

describe('FileMailer', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hestia-mail-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('writes an owner-only .eml with the To header and the link', async () => {
    const mailDir = path.join(dataDir, 'mail');
    mkdirSync(mailDir, { mode: 0o755 }); // too open: the mailer must tighten it
    const mailer = new FileMailer({
      dataDir,
      from: FROM,
      clock: { now: () => Date.parse('2024-05-01T12:00:00.000Z') },
    });
    const token = newTestToken();
    const mail = passwordResetMail({ brandName: 'Acme Home', appUrl: APP_URL, token, expiresInMinutes: 30 });
    const { messageId } = await mailer.send({ to: 'cy@example.com', ...mail });
    await mailer.send({ to: 'dan@example.com', ...passwordChangedMail({ brandName: 'Acme Home' }) });
    await mailer.close();

    const files = readdirSync(mailDir).sort();
    assert.equal(files.length, 2);
    const file = files.find((name) =>
      readFileSync(path.join(mailDir, name), 'utf8').includes('cy@example.com'),
    );
    assert.ok(file, `no file for cy@example.com among ${files.join(', ')}`);
    assert.match(file, /^2024-05-01T12-00-00-000Z-[A-Za-z0-9._-]+\.eml$/);
    assert.equal(statSync(path.join(mailDir, file)).mode & 0o777, 0o600);
    assert.equal(statSync(mailDir).mode & 0o777, 0o700);

    const eml = readFileSync(path.join(mailDir, file), 'utf8');
    assert.match(eml, /^To: cy@example\.com\r$/m);
    assert.match(eml, /^From: Hestia Test <no-reply@hestia\.test>\r$/m);
    assert.match(eml, new RegExp(`^Message-ID: ${escapeRegExp(messageId)}\\r$`, 'm'));
    const parsed = parseMail(eml);
    assert.equal(parsed.subject, 'Reset your Acme Home password');
    assert.ok(parsed.text.includes(`${APP_URL}/reset-password?token=${encodeURIComponent(token)}`));
  });

  test('openMailer picks the adapter named by mail.transport', async () => {
    const fileConfig = loadConfig({ env: {}, overrides: { dataDir } });
    const fileMailer = openMailer(fileConfig);
    assert.ok(fileMailer instanceof FileMailer);
    const smtpConfig = loadConfig({
      env: {},
      overrides: { dataDir, mail: { transport: 'smtp', smtpUrl: 'smtp://127.0.0.1:2525' } },
    });
    const smtpMailer = openMailer(smtpConfig);
    assert.ok(smtpMailer instanceof SmtpMailer);
    await fileMailer.close();
    await smtpMailer.close();
  });
});

describe('mail templates', () => {
  test('HTML escapes interpolated values; the text part keeps them as written', () => {
    const brandName = '<script>alert("x")</script>';
    const mail = passwordResetMail({ brandName, appUrl: APP_URL, token: 't', expiresInMinutes: 1 });
    assert.ok(!mail.html.includes('<script>'), mail.html);
    assert.ok(mail.html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
    assert.ok(mail.text.includes(brandName));
    assert.match(mail.text, /within 1 minute:/);

    const invitation = invitationMail({
      brandName: 'Acme',
      appUrl: APP_URL,
      token: 't',
      inviterEmail: 'a@example.com',
      homeName: `Tom's "<b>" home`,
      role: 'home_member',
      expiresInDays: 1,
    });
    assert.ok(invitation.html.includes('Tom&#39;s &quot;&lt;b&gt;&quot; home'), invitation.html);
    assert.ok(!invitation.html.includes('<b>'));
    assert.equal(escapeHtml(`&<>"'`), '&amp;&lt;&gt;&quot;&#39;');
  });

  test('links are built from appUrl with the token URL-encoded, in text and HTML alike', () => {
    const mail = passwordResetMail({
      brandName: 'Acme',
      appUrl: 'https://example.com/app/',
      token: 'a+b/c=&d',
      expiresInMinutes: 15,
    });
    const link = 'https://example.com/app/reset-password?token=a%2Bb%2Fc%3D%26d';
    assert.ok(mail.text.includes(`\n${link}\n`), mail.text);
    assert.ok(mail.html.includes(`href="${link}"`), mail.html);
  });

  test('an invitation to a home reads differently from one to the provider', () => {
    const common = {
      brandName: 'Acme',
      appUrl: APP_URL,
      token: 'tok',
      inviterEmail: 'boss@example.com',
      expiresInDays: 7,
    };
    const toHome = invitationMail({ ...common, homeName: 'Lake House', role: 'home_member' });
    const toProvider = invitationMail({ ...common, homeName: null, role: 'tenant_admin' });
    assert.equal(toHome.subject, 'You are invited to the home “Lake House” on Acme');
    assert.equal(toProvider.subject, 'You are invited to Acme');
    assert.match(
      toHome.text,
      /boss@example\.com invited you to the home “Lake House” on Acme as home member\./,
    );
    assert.match(toProvider.text, /boss@example\.com invited you to join Acme as tenant admin\./);
    assert.ok(!toProvider.text.includes('home'));
    for (const mail of [toHome, toProvider]) {
      assert.ok(mail.text.includes(`${APP_URL}/accept-invitation?token=tok`));
      assert.match(mail.text, /within 7 days/);
    }
  });

  test('the password-changed notice has no link, and no subject takes a line break from a name', () => {
    const notice = passwordChangedMail({ brandName: 'Acme\r\nBcc: victim@example.com' });
    assert.equal(notice.subject, 'Your Acme Bcc: victim@example.com password was changed');
    assert.ok(!/https?:|token/i.test(notice.text + notice.html), notice.text);
    assert.match(notice.text, /was just changed/);
  });
});

describe('smtp sink decoder', () => {
  test('decodes RFC 2047 words and a base64 ISO-8859-1 text part inside nested multiparts', () => {
    const raw = [
      'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= =?ISO-8859-1?B?YXVzIEv2bG4=?= und Bonn',
      'Content-Type: multipart/mixed; boundary="outer"',
      '',
      '--outer',
      'Content-Type: multipart/alternative; boundary=inner',
      '',
      '--inner',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>not this</p>',
      '--inner',
      'Content-Type: text/plain; charset=ISO-8859-1',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('Tür zu\r\nhttps://x.test/?token=a%2Bb', 'latin1').toString('base64'),
      '--inner--',
      '--outer--',
      '',
    ].join('\r\n');
    const parsed = parseMail(raw);
    assert.equal(parsed.subject, 'Grüßeaus Köln und Bonn');
    assert.equal(parsed.text, 'Tür zu\nhttps://x.test/?token=a%2Bb');
    assert.equal(extractToken({ from: '', to: [], raw, ...parsed }), 'a+b');
  });

  test('decodes quoted-printable with soft line breaks and multi-byte escapes', () => {
    const raw = [
      'Subject: plain',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'M=C3=BCller =E2=80=94 a long line that was so=',
      'ft-wrapped',
    ].join('\r\n');
    assert.deepEqual(parseMail(raw), {
      subject: 'plain',
      text: 'Müller — a long line that was soft-wrapped',
    });
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
