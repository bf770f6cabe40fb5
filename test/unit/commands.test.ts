import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capabilityOf, commandsFor, validateCommand, type Capability } from '../../src/core/capabilities.ts';
import { decodeMessage } from '../../src/ingest/codec.ts';
import { HomeRateLimiter } from '../../src/services/commands.ts';

const thermostat = {
  capabilities: [capabilityOf('Thermostat', 'THERMOSTAT SETPOINT')],
  deviceType: 'actuator',
};
const plug = {
  capabilities: [capabilityOf('Switch', 'SWITCH BINARY'), capabilityOf('Power')],
  deviceType: 'actuator',
};
const actions = (capabilities: Array<Capability | null>, deviceType = 'actuator') =>
  commandsFor(capabilities, deviceType).map((spec) => spec.action);

describe('command specs', () => {
  it('lists the actions of each capability, and a camera’s by its device type', () => {
    assert.deepEqual(actions(['switch']), ['turnOn', 'turnOff', 'toggle']);
    assert.deepEqual(actions(['dimmer']), ['turnOn', 'turnOff', 'setLevel']);
    assert.deepEqual(actions(['lock']), ['lock', 'unlock']);
    assert.deepEqual(actions(['thermostat']), ['setTemperature', 'setMode']);
    assert.deepEqual(actions(['curtain']), ['open', 'close', 'stop', 'setPosition']);
    assert.deepEqual(actions(['motion'], 'camera'), ['startRecording', 'stopRecording', 'changeMediaServer']);
    assert.deepEqual(actions(['temperature', 'humidity', 'water_leak', null], 'sensor'), []);
    // A dimmer that is also a switch: turnOn once.
    assert.deepEqual(actions(['switch', 'dimmer']), ['turnOn', 'turnOff', 'toggle', 'setLevel']);
  });
});

describe('validateCommand', () => {
  it('returns canonical params: °F setpoints in °C, the unit dropped', () => {
    assert.deepEqual(validateCommand(thermostat, 'setTemperature', { temperature: 21.5 }), {
      ok: true,
      action: 'setTemperature',
      params: { temperature: 21.5 },
    });
    assert.deepEqual(validateCommand(thermostat, 'setTemperature', { temperature: 21.5, unit: 'C' }), {
      ok: true,
      action: 'setTemperature',
      params: { temperature: 21.5 },
    });
    assert.deepEqual(validateCommand(thermostat, 'setTemperature', { temperature: 70, unit: 'F' }), {
      ok: true,
      action: 'setTemperature',
      params: { temperature: 21.11 },
    });
    assert.deepEqual(validateCommand(plug, 'turnOn', undefined), { ok: true, action: 'turnOn', params: {} });
    assert.deepEqual(
      validateCommand({ capabilities: [], deviceType: 'camera' }, 'startRecording', { durationSeconds: 60 }),
      { ok: true, action: 'startRecording', params: { durationSeconds: 60 } },
    );
    assert.deepEqual(validateCommand({ capabilities: [], deviceType: 'camera' }, 'startRecording', {}), {
      ok: true,
      action: 'startRecording',
      params: {},
    });
  });

  it('accepts the bounds themselves', () => {
    for (const temperature of [5, 35]) {
      assert.equal(validateCommand(thermostat, 'setTemperature', { temperature }).ok, true);
    }
    for (const level of [0, 100]) {
      assert.equal(
        validateCommand({ capabilities: ['dimmer'], deviceType: 'actuator' }, 'setLevel', { level }).ok,
        true,
      );
    }
    // 41 °F is 5 °C: inside once converted.
    assert.equal(validateCommand(thermostat, 'setTemperature', { temperature: 41, unit: 'F' }).ok, true);
  });

  it('refuses, with a message naming the problem', () => {
    const cases: Array<[typeof thermostat, string, unknown, string, RegExp]> = [
      [
        plug,
        'setTemperature',
        { temperature: 20 },
        'HESTIA_COMMAND_UNSUPPORTED',
        /does not support setTemperature.*turnOn, turnOff, toggle/,
      ],
      [plug, 'explode', {}, 'HESTIA_COMMAND_UNSUPPORTED', /Unknown action "explode"/],
      [thermostat, 'setTemperature', {}, 'HESTIA_VALIDATION_FAILED', /params.temperature: required/],
      [thermostat, 'setTemperature', { temperature: '21' }, 'HESTIA_VALIDATION_FAILED', /expected a number/],
      [
        thermostat,
        'setTemperature',
        { temperature: 4.9 },
        'HESTIA_VALIDATION_FAILED',
        /4.9 °C is outside 5..35 °C/,
      ],
      [thermostat, 'setTemperature', { temperature: 35.1 }, 'HESTIA_VALIDATION_FAILED', /outside/],
      [
        thermostat,
        'setTemperature',
        { temperature: 100, unit: 'F' },
        'HESTIA_VALIDATION_FAILED',
        /converted from 100 °F/,
      ],
      [
        thermostat,
        'setTemperature',
        { temperature: 20, unit: 'K' },
        'HESTIA_VALIDATION_FAILED',
        /params.unit: expected one of C, F/,
      ],
      [
        thermostat,
        'setTemperature',
        { temperature: 20, extra: 1 },
        'HESTIA_VALIDATION_FAILED',
        /params.extra: setTemperature takes temperature, unit/,
      ],
      [thermostat, 'setMode', { mode: 'eco' }, 'HESTIA_VALIDATION_FAILED', /off, heat, cool, auto/],
      [thermostat, 'setMode', [], 'HESTIA_VALIDATION_FAILED', /expected an object/],
      [plug, 'turnOn', { now: true }, 'HESTIA_VALIDATION_FAILED', /turnOn takes no parameters/],
      [
        { capabilities: ['dimmer'], deviceType: 'actuator' },
        'setLevel',
        { level: 50.5 },
        'HESTIA_VALIDATION_FAILED',
        /integer/,
      ],
      [
        { capabilities: ['curtain'], deviceType: 'actuator' },
        'setPosition',
        { position: 101 },
        'HESTIA_VALIDATION_FAILED',
        /outside 0..100 %/,
      ],
      [
        { capabilities: [], deviceType: 'camera' },
        'startRecording',
        { durationSeconds: 3601 },
        'HESTIA_VALIDATION_FAILED',
        /outside 1..3600 s/,
      ],
    ];
    for (const [device, action, params, code, message] of cases) {
      const result = validateCommand(device, action, params);
      assert.equal(result.ok, false, `${action} ${JSON.stringify(params)} was accepted`);
      if (result.ok) continue;
      assert.equal(result.code, code, `${action} ${JSON.stringify(params)}`);
      assert.match(result.message, message);
    }
  });
});

describe('HomeRateLimiter', () => {
  it('allows a burst of perMinute, then answers how long to wait, per home', () => {
    const limiter = new HomeRateLimiter(6); // one token every 10 seconds
    const t0 = 1_700_000_000_000;
    for (let i = 0; i < 6; i++) assert.equal(limiter.take('h1', t0), 0);
    assert.equal(limiter.take('h1', t0), 10);
    assert.equal(limiter.take('h2', t0), 0, 'another home has its own bucket');
    assert.equal(limiter.take('h1', t0 + 4_000), 6);
    assert.equal(limiter.take('h1', t0 + 10_000), 0);
    assert.equal(limiter.take('h1', t0 + 10_000), 10);
  });

  it('forgets buckets once they are full again', () => {
    const limiter = new HomeRateLimiter(2);
    const t0 = 1_700_000_000_000;
    limiter.take('h1', t0);
    limiter.take('h1', t0);
    limiter.forgetFull(t0 + 1000);
    assert.ok(limiter.take('h1', t0 + 1000) > 0, 'not yet refilled: kept');
    limiter.forgetFull(t0 + 120_000);
    for (let i = 0; i < 2; i++) assert.equal(limiter.take('h1', t0 + 120_000), 0);
  });
});

describe('commandResult uplink', () => {
  const limits = { nowMs: Date.UTC(2024, 10, 24), maxFutureSkewMs: 60_000, maxDevicesPerGateway: 100 };
  const base = {
    vendor: 'acme',
    version: '3.0.0',
    timestampMs: String(Date.UTC(2024, 10, 24) - 1000),
    clientType: 'gateway',
    gatewayId: 'gw-1',
    deviceId: 'dev-1',
    messageType: 'commandResult',
    commandId: '0b0f4e43-8a36-4d0c-9a5e-6bb0c8a1f001',
  };

  it('decodes a result without deviceType or protocol', () => {
    const decoded = decodeMessage({ ...base, status: 'failed', error: 'valve stuck' }, limits);
    assert.deepEqual(decoded, {
      ok: true,
      message: {
        messageType: 'commandResult',
        gatewayId: 'gw-1',
        tsMs: Date.UTC(2024, 10, 24) - 1000,
        vendor: 'acme',
        version: '3.0.0',
        deviceId: 'dev-1',
        commandId: base.commandId,
        status: 'failed',
        error: 'valve stuck',
      },
    });
  });

  it('refuses a bad status, command id, missing device or an overlong error', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...base, status: 'ok' }, /status: expected "succeeded" or "failed"/],
      [{ ...base, status: 'succeeded', commandId: 'x'.repeat(65) }, /commandId: expected 1 to 64/],
      [{ ...base, status: 'succeeded', commandId: 'a/b' }, /commandId: only letters/],
      [{ ...base, status: 'succeeded', deviceId: undefined }, /deviceId: expected a string/],
      [{ ...base, status: 'failed', error: 'e'.repeat(501) }, /error: longer than 500/],
    ];
    for (const [message, detail] of cases) {
      const decoded = decodeMessage(message, limits);
      assert.equal(decoded.ok, false, JSON.stringify(message));
      if (!decoded.ok) {
        assert.equal(decoded.rejection.code, 'HESTIA_INGEST_SCHEMA');
        assert.match(decoded.rejection.detail, detail);
      }
    }
  });
});
