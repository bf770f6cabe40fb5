import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AlarmCause } from '../../src/core/domain/alarm.ts';
import {
  CATALOGUES,
  LANGUAGES,
  countOf,
  renderNotification,
  translate,
  type MessageKey,
} from '../../src/core/messages.ts';
import { alarmMessage, alarmNotification } from '../../src/services/alarm-rules.ts';
import { invitationMail, passwordChangedMail, passwordResetMail } from '../../src/services/mail-templates.ts';
import { notificationMail } from '../../src/services/notifications/channels/email.ts';
import { deliveryTexts } from '../../src/core/domain/notification.ts';

const CAUSES: AlarmCause[] = [
  'smoke',
  'co',
  'gas',
  'water_leak',
  'glass_break',
  'intrusion_motion',
  'intrusion_door',
  'heat',
  'freeze',
];

const paramsOf = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

describe('message catalogue', () => {
  test('every language has every key, none empty, with the same parameters as English', () => {
    const keys = Object.keys(CATALOGUES.en).sort();
    for (const language of LANGUAGES) {
      const catalogue = CATALOGUES[language];
      assert.deepEqual(Object.keys(catalogue).sort(), keys, `${language} has the keys of en`);
      for (const key of keys as MessageKey[]) {
        assert.ok(catalogue[key].trim().length > 0, `${language} ${key} is not empty`);
        assert.deepEqual(
          paramsOf(catalogue[key]),
          paramsOf(CATALOGUES.en[key]),
          `${language} ${key} parameters`,
        );
      }
    }
  });

  test('Chinese texts are Chinese, not copies of the English ones', () => {
    const copied = (Object.keys(CATALOGUES.en) as MessageKey[]).filter(
      (key) => key !== 'mail.signature' && CATALOGUES.zh[key] === CATALOGUES.en[key],
    );
    assert.deepEqual(copied, []);
  });

  test('every alarm cause has a title and a body in every language', () => {
    for (const cause of CAUSES) {
      for (const value of [21.26, null]) {
        const message = alarmNotification({ cause, deviceName: 'Sensor', homeName: 'Flat', value });
        for (const language of LANGUAGES) {
          const rendered = renderNotification(message, language);
          assert.ok(rendered, `${cause} renders in ${language}`);
          assert.match(rendered.title, /Sensor/);
          assert.match(rendered.body, /Sensor/);
          assert.match(rendered.body, /Flat/);
          assert.doesNotMatch(`${rendered.title} ${rendered.body}`, /\{\w+\}/, 'no parameter left unfilled');
        }
      }
    }
  });

  test('the leak alarm in English and in Chinese; heat carries the temperature', () => {
    const leak = { cause: 'water_leak' as const, deviceName: 'Kitchen sensor', homeName: 'Flat', value: 1 };
    assert.deepEqual(alarmMessage(leak, 'en'), {
      title: 'Water leak — Kitchen sensor',
      body: 'Water leak detected: Kitchen sensor at Flat.',
    });
    assert.deepEqual(alarmMessage(leak, 'zh'), {
      title: '漏水 — Kitchen sensor',
      body: 'Flat的Kitchen sensor检测到漏水。',
    });
    const heat = alarmMessage({ cause: 'heat', deviceName: 'Attic', homeName: 'Flat', value: 61.26 }, 'zh');
    assert.match(heat.body, /61\.3 °C/);
  });

  test('a parameter left out stays visible; counts are singular or plural', () => {
    assert.equal(translate('en', 'mail.signature'), '— {brand}');
    assert.equal(countOf('en', 'minutes', 1), '1 minute');
    assert.equal(countOf('en', 'days', 7), '7 days');
    assert.equal(countOf('zh', 'days', 7), '7 天');
  });

  test('an unknown key renders nothing, and a delivery falls back to the request texts', () => {
    assert.equal(renderNotification({ key: 'alarm.meteor', params: {} }, 'zh'), undefined);
    const request = { title: 'Water leak — Tap', body: 'Water leak detected: Tap at Flat.' };
    assert.deepEqual(
      deliveryTexts({
        language: 'zh',
        request: { ...request, message: { key: 'alarm.meteor', params: {} } } as never,
      }),
      { ...request, language: 'zh' },
    );
    // a request stored before languages existed
    assert.deepEqual(deliveryTexts({ language: null, request: { ...request, message: null } as never }), {
      ...request,
      language: 'en',
    });
    assert.deepEqual(
      deliveryTexts({
        language: 'zh',
        request: {
          ...request,
          message: { key: 'alarm.water_leak', params: { device: 'Tap', home: 'Flat' } },
        } as never,
      }),
      { title: '漏水 — Tap', body: 'Flat的Tap检测到漏水。', language: 'zh' },
    );
  });
});

describe('mails in the recipient language', () => {
  const common = { brandName: 'Acme', appUrl: 'https://app.example.com', token: 'hpr_abc' };

  test('password reset, invitation and password changed in Chinese', () => {
    const reset = passwordResetMail({ ...common, expiresInMinutes: 30, language: 'zh' });
    assert.equal(reset.subject, '重置您的 Acme 密码');
    assert.match(reset.text, /请在 30 分钟内打开此链接/);
    assert.match(reset.html, /<html lang="zh-Hans">/);
    assert.match(reset.html, /设置新密码/);

    const invitation = invitationMail({
      ...common,
      inviterEmail: 'ada@example.com',
      homeName: 'Lake House',
      role: 'member',
      expiresInDays: 7,
      language: 'zh',
    });
    assert.equal(invitation.subject, '您受邀加入 Acme 上的家庭“Lake House”');
    assert.match(invitation.text, /ada@example\.com 邀请您以成员身份加入/);
    assert.match(invitation.text, /7 天/);

    const changed = passwordChangedMail({ brandName: 'Acme', language: 'zh' });
    assert.equal(changed.subject, '您的 Acme 密码已更改');
  });

  test('without a language they stay English', () => {
    const reset = passwordResetMail({ ...common, expiresInMinutes: 1 });
    assert.equal(reset.subject, 'Reset your Acme password');
    assert.match(reset.text, /within 1 minute:/);
    const invitation = invitationMail({
      ...common,
      inviterEmail: 'ada@example.com',
      homeName: null,
      role: 'tenant_admin',
      expiresInDays: 1,
      language: null,
    });
    assert.match(invitation.text, /join Acme as tenant admin\./);
  });

  test('a notification mail in Chinese', () => {
    const mail = notificationMail({
      brandName: 'Acme',
      primaryColor: null,
      request: { severity: 'critical', title: '漏水 — Tap', body: 'Flat的Tap检测到漏水。', createdAtMs: 0 },
      language: 'zh',
    });
    assert.equal(mail.subject, '[Acme] 警报：漏水 — Tap');
    assert.match(mail.text, /1970-01-01 00:00（UTC）/);
    assert.match(mail.text, /通知设置/);
  });
});
