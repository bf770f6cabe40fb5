import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../src/api.ts';
import {
  channelName,
  errorText,
  formatChannelValue,
  formatDateTime,
  formatMeasure,
  isBinaryCapability,
  rawValue,
  unitOf,
} from '../src/format.ts';
import { messageKeys, translate, type Language, type Translate } from '../src/i18n.ts';

const tIn =
  (lang: Language): Translate =>
  (key, params) =>
    translate(lang, key, params);
const en = tIn('en');
const zh = tIn('zh');

describe('dashboard formatting: values', () => {
  it('measures carry their unit and sensible decimals, in the person locale', () => {
    assert.equal(formatMeasure(21.456, 'temperature', 'C', 'en'), '21.5 °C');
    assert.equal(formatMeasure(6576.0412, 'energy', 'kWh', 'en'), '6,576.04 kWh');
    assert.equal(formatMeasure(6576.0412, 'energy', 'kWh', 'de'), '6.576,04 kWh');
    assert.equal(formatMeasure(55.4, 'humidity', '%', 'en'), '55 %');
    assert.equal(formatMeasure(3.14159, null, 'ppm', 'en'), '3.14 ppm');
    assert.equal(formatMeasure(7, null, null, 'en'), '7');
    assert.equal(unitOf(null, 'F'), '°F');
    assert.equal(unitOf('power', 'kW'), 'W', 'the stored unit of the capability wins');
  });

  it('binary capabilities read as words, in English and Chinese', () => {
    const leak = { capability: 'water_leak', unit: null, value: 1, text: null };
    assert.equal(formatChannelValue(leak, en, 'en'), 'Leak');
    assert.equal(formatChannelValue({ ...leak, value: 0 }, en, 'en'), 'Dry');
    assert.equal(formatChannelValue({ ...leak, capability: 'contact' }, en, 'en'), 'Open');
    assert.equal(formatChannelValue({ ...leak, capability: 'switch', value: 0 }, zh, 'zh-CN'), '关');
    assert.equal(isBinaryCapability('lock'), true);
    assert.equal(isBinaryCapability('temperature'), false);
    assert.equal(isBinaryCapability(null), false);
  });

  it('a channel without a number shows its text, or a dash', () => {
    const text = { capability: null, unit: null, value: null, text: 'firmware 1.2' };
    assert.equal(formatChannelValue(text, en, 'en'), 'firmware 1.2');
    assert.equal(formatChannelValue({ ...text, text: null }, en, 'en'), '—');
    assert.equal(rawValue(text), 'firmware 1.2');
    assert.equal(rawValue({ value: 0, text: 'ignored' }), '0');
  });

  it('a channel is named by its capability in the person language, else by its label', () => {
    assert.equal(channelName({ capability: 'temperature', label: 'Temp 1' }, en), 'Temperature');
    assert.notEqual(channelName({ capability: 'temperature', label: 'Temp 1' }, zh), 'Temperature');
    assert.equal(channelName({ capability: null, label: 'Temp 1' }, en), 'Temp 1');
    assert.equal(channelName({ capability: 'not-a-capability', label: 'Odd' }, en), 'Odd');
  });
});

describe('dashboard formatting: times and errors', () => {
  it('a time of another day carries its date; in the home time zone', () => {
    const text = formatDateTime('2020-01-02T03:04:00Z', 'en-GB', 'UTC');
    assert.match(text, /2 Jan/);
    assert.match(text, /03:04/);
    assert.match(formatDateTime('2020-01-02T03:04:00Z', 'en-GB', 'Asia/Shanghai'), /11:04/);
    assert.equal(formatDateTime('not a date', 'en'), '');
  });

  it('API errors read as sentences; unknown codes keep the API message', () => {
    assert.equal(
      errorText(new ApiError(409, 'HESTIA_GATEWAY_OFFLINE', 'gateway g1 is offline'), en),
      "The device's gateway is offline. Try again when it is back.",
    );
    assert.equal(
      errorText(new ApiError(400, 'HESTIA_VALIDATION_FAILED', 'body/name: must not be empty'), en),
      'Please check the values: body/name: must not be empty',
    );
    assert.equal(
      errorText(new ApiError(418, 'HESTIA_SOMETHING_NEW', 'a new kind of error'), en),
      'Something went wrong: a new kind of error',
    );
    assert.match(errorText(new TypeError('boom'), en), /boom/);
    assert.notEqual(
      errorText(new ApiError(404, 'HESTIA_NOT_FOUND', 'x'), zh),
      errorText(new ApiError(404, 'HESTIA_NOT_FOUND', 'x'), en),
    );
  });

  it('every text of the catalogue is translated, with the same parameters in both languages', () => {
    const keys = messageKeys();
    assert.ok(keys.length > 250);
    const paramsOf = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of keys) {
      const english = translate('en', key);
      const chinese = translate('zh', key);
      assert.ok(chinese.trim().length > 0, `${key}: no Chinese text`);
      assert.deepEqual(paramsOf(chinese), paramsOf(english), `${key}: parameters differ`);
    }
    const text = translate('zh', 'header.signedInAs', { email: 'a@example.com' });
    assert.match(text, /a@example\.com/);
  });
});
