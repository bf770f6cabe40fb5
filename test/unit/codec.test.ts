import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { decodeMessage, type DecodeLimits } from '../../src/ingest/codec.ts';

const fixtures = JSON.parse(
  readFileSync(path.join(import.meta.dirname, '../../../shared/fixtures/seed-messages.json'), 'utf8'),
) as {
  sensorData: Record<string, string>;
  cameraDeviceState: Record<string, string>;
};
const limits: DecodeLimits = {
  nowMs: Date.UTC(2026, 0, 1),
  maxFutureSkewMs: 86_400_000,
  maxDevicesPerGateway: 10,
};

function rejected(value: unknown) {
  const result = decodeMessage(value, limits);
  assert.equal(result.ok, false, `expected a rejection for ${JSON.stringify(value)}`);
  return (result as { ok: false; rejection: { code: string; detail: string } }).rejection;
}

describe('uplink codec', () => {
  it("accepts the seed's sensorData message verbatim, numbers as strings", () => {
    const result = decodeMessage(fixtures.sensorData, limits);
    assert.deepEqual(result, {
      ok: true,
      message: {
        messageType: 'sensorData',
        gatewayId: '6774f85a-0a5b-4059-9b68-00000000b001',
        tsMs: 1571754749561,
        vendor: 'acme',
        version: '3.0.0',
        deviceId: 'c8e8de37-d301-45f4-ba01-00000000a001',
        deviceType: 'sensor',
        protocol: 'zwave',
        nodeId: '19',
        networkId: '0xefa0cfa7',
        label: 'Temperature',
        unit: 'C',
        sensorType: 'SENSOR MULTILEVEL',
        value: 26.1,
        text: null,
      },
    });
  });

  it("accepts the seed's camera deviceState message and keeps the media server", () => {
    const result = decodeMessage(fixtures.cameraDeviceState, limits);
    assert.ok(result.ok);
    assert.equal(result.message.messageType, 'deviceState');
    if (result.message.messageType !== 'deviceState') return;
    assert.equal(result.message.deviceState, 'streamingOn');
    assert.equal(result.message.deviceType, 'camera');
    assert.deepEqual(result.message.attributes, {
      mediaserverIp: '127.0.0.1',
      applicationName: 'rtp-live-iot',
    });
  });

  it('accepts numbers as numbers too, and binary labels in their usual spellings', () => {
    const base = { ...fixtures.sensorData };
    const numeric = decodeMessage({ ...base, sensorData: 21.5, timestampMs: 1571754749561 }, limits);
    assert.ok(numeric.ok && numeric.message.messageType === 'sensorData' && numeric.message.value === 21.5);
    for (const [raw, bit] of [
      ['true', 1],
      ['false', 0],
      ['open', 1],
      ['closed', 0],
      ['ON', 1],
      ['0', 0],
    ] as const) {
      const motion = decodeMessage({ ...base, label: 'Motion', sensorData: raw }, limits);
      assert.ok(motion.ok && motion.message.messageType === 'sensorData');
      assert.equal(motion.message.value, bit, raw);
    }
    const text = decodeMessage({ ...base, label: 'Firmware status', sensorData: 'updating' }, limits);
    assert.ok(text.ok && text.message.messageType === 'sensorData');
    assert.equal(text.message.text, 'updating');
    assert.equal(text.message.value, null);
  });

  it('accepts preview, command and gatewayConfig messages', () => {
    const camera = { ...fixtures.cameraDeviceState };
    const preview = decodeMessage(
      { ...camera, messageType: 'preview', preview: Buffer.from('jpegbytes').toString('base64') },
      limits,
    );
    assert.ok(preview.ok && preview.message.messageType === 'preview');
    assert.equal(preview.message.image.toString(), 'jpegbytes');
    assert.equal(preview.message.contentType, 'image/jpeg');
    const command = decodeMessage(
      { ...camera, messageType: 'command', command: 'recordingMode', value: 'motion' },
      limits,
    );
    assert.ok(command.ok && command.message.messageType === 'command' && command.message.value === 'motion');
    const config = decodeMessage(
      {
        messageType: 'gatewayConfig',
        gatewayId: camera.gatewayId,
        timestampMs: camera.timestampMs,
        devices: [
          {
            deviceId: 'd-1',
            deviceType: 'sensor',
            protocol: 'zwave',
            nodeId: '19',
            name: 'Hall multisensor',
          },
          { deviceId: 'd-2', deviceType: 'camera', protocol: 'onvif' },
        ],
      },
      limits,
    );
    assert.ok(config.ok && config.message.messageType === 'gatewayConfig');
    assert.equal(config.message.devices.length, 2);
    assert.equal(config.message.devices[0]?.name, 'Hall multisensor');
  });

  it('rejects each kind of bad input with its code and a reason naming the field', () => {
    const base = fixtures.sensorData;
    const cases: Array<[unknown, string, RegExp]> = [
      [[1, 2], 'HESTIA_INGEST_SCHEMA', /JSON object/],
      ['text', 'HESTIA_INGEST_SCHEMA', /JSON object/],
      [{ ...base, messageType: 'bogus' }, 'HESTIA_INGEST_SCHEMA', /messageType/],
      [{ ...base, deviceId: undefined }, 'HESTIA_INGEST_SCHEMA', /deviceId/],
      [{ ...base, deviceId: 'a/b' }, 'HESTIA_INGEST_SCHEMA', /deviceId/],
      [{ ...base, deviceId: '#' }, 'HESTIA_INGEST_SCHEMA', /deviceId/],
      [{ ...base, deviceType: 'toaster' }, 'HESTIA_INGEST_SCHEMA', /deviceType/],
      [{ ...base, gatewayId: 42 }, 'HESTIA_INGEST_SCHEMA', /gatewayId/],
      [{ ...base, sensorData: 'warm' }, 'HESTIA_INGEST_NOT_NUMERIC', /Temperature/],
      [{ ...base, sensorData: '' }, 'HESTIA_INGEST_NOT_NUMERIC', /Temperature/],
      [{ ...base, sensorData: { v: 1 } }, 'HESTIA_INGEST_SCHEMA', /sensorData/],
      [{ ...base, label: 'Motion', sensorData: 'maybe' }, 'HESTIA_INGEST_NOT_NUMERIC', /Motion/],
      [{ ...base, timestampMs: 'yesterday' }, 'HESTIA_INGEST_SCHEMA', /timestampMs/],
      [{ ...base, timestampMs: '1.5' }, 'HESTIA_INGEST_SCHEMA', /timestampMs/],
      [
        { ...base, timestampMs: String(Date.UTC(1999, 11, 31)) },
        'HESTIA_INGEST_TIMESTAMP_RANGE',
        /before 2000/,
      ],
      [{ ...base, timestampMs: String(limits.nowMs + 86_400_001) }, 'HESTIA_INGEST_TIMESTAMP_RANGE', /ahead/],
      [{ ...base, clientType: 'app' }, 'HESTIA_INGEST_SCHEMA', /clientType/],
      [{ ...base, label: 'Note\u0000', sensorData: 'x' }, 'HESTIA_INGEST_SCHEMA', /label: contains a NUL/],
      [
        { ...base, label: 'Note', sensorData: 'a\u0000b' },
        'HESTIA_INGEST_SCHEMA',
        /sensorData: contains a NUL/,
      ],
      [
        { ...base, messageType: 'command', command: 'selfDestruct', value: 'now' },
        'HESTIA_INGEST_SCHEMA',
        /unknown setting/,
      ],
      [
        { ...base, messageType: 'command', command: 'recordingMode', value: 'sometimes' },
        'HESTIA_INGEST_SCHEMA',
        /not valid/,
      ],
      [{ ...base, messageType: 'preview', preview: '***' }, 'HESTIA_INGEST_SCHEMA', /base64/],
      [{ ...base, messageType: 'gatewayConfig', devices: 'all' }, 'HESTIA_INGEST_SCHEMA', /devices/],
      [
        {
          ...base,
          messageType: 'gatewayConfig',
          devices: Array.from({ length: 11 }, (_, i) => ({
            deviceId: `d${i}`,
            deviceType: 'sensor',
            protocol: 'zwave',
          })),
        },
        'HESTIA_INGEST_DEVICE_LIMIT',
        /limit/,
      ],
      [
        {
          ...base,
          messageType: 'gatewayConfig',
          devices: [
            { deviceId: 'x', deviceType: 'sensor', protocol: 'zwave' },
            { deviceId: 'x', deviceType: 'sensor', protocol: 'zwave' },
          ],
        },
        'HESTIA_INGEST_SCHEMA',
        /twice/,
      ],
    ];
    for (const [input, code, detail] of cases) {
      const rejection = rejected(input);
      assert.equal(rejection.code, code, `${JSON.stringify(input).slice(0, 120)} → ${rejection.detail}`);
      assert.match(rejection.detail, detail);
    }
  });
});
