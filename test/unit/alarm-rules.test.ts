import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capabilityOf } from '../../src/core/capabilities.ts';
import type { HomeMode } from '../../src/core/domain/home.ts';
import {
  CapabilityCache,
  HYSTERESIS_C,
  alarmMessage,
  binaryState,
  evaluateReading,
  type AlarmDecision,
  type HomeAlarmSettings,
} from '../../src/services/alarm-rules.ts';

const home = (mode: HomeMode = 'disarmed', heatThresholdC = 57, freezeThresholdC = 4): HomeAlarmSettings => ({
  mode,
  heatThresholdC,
  freezeThresholdC,
});

/** The decisions for a reading of `label` (as a gateway spells it), as "raise:cause/severity" strings. */
function decide(
  label: string,
  reading: { value?: number | null; text?: string | null },
  settings: HomeAlarmSettings = home(),
  sensorType: string | null = null,
): string[] {
  const decisions: readonly AlarmDecision[] = evaluateReading(
    capabilityOf(label, sensorType),
    { value: reading.value ?? null, text: reading.text ?? null },
    settings,
  );
  return decisions.map((d) => (d.kind === 'raise' ? `raise:${d.cause}/${d.severity}` : `clear:${d.cause}`));
}

describe('alarm rules', () => {
  it('raises hazards as critical in every mode, from numbers and from words', () => {
    const hazards: Array<[string, string]> = [
      ['Smoke', 'smoke'],
      ['Carbon Monoxide', 'co'],
      ['Gas', 'gas'],
      ['Water Leak', 'water_leak'],
      ['Flood', 'water_leak'],
      ['Glass Break', 'glass_break'],
    ];
    for (const mode of ['disarmed', 'home', 'armed'] as const) {
      for (const [label, cause] of hazards) {
        assert.deepEqual(
          decide(label, { value: 1 }, home(mode)),
          [`raise:${cause}/critical`],
          `${label} ${mode}`,
        );
        assert.deepEqual(decide(label, { value: 255 }, home(mode)), [`raise:${cause}/critical`]);
        assert.deepEqual(decide(label, { text: 'Detected' }, home(mode)), [`raise:${cause}/critical`]);
        assert.deepEqual(decide(label, { value: 0 }, home(mode)), [`clear:${cause}`], `${label} normal`);
        assert.deepEqual(decide(label, { text: 'clear' }, home(mode)), [`clear:${cause}`]);
      }
    }
  });

  it('makes no decision from a value it cannot read', () => {
    assert.deepEqual(decide('Water Leak', { text: 'maybe' }), []);
    assert.deepEqual(decide('Water Leak', {}), []);
    assert.deepEqual(decide('Smoke', { value: Number.NaN }), []);
    assert.equal(binaryState({ value: null, text: '  OPEN ' }), true);
    assert.equal(binaryState({ value: null, text: 'dry' }), false);
    assert.equal(binaryState({ value: -1, text: null }), false);
  });

  it('raises intrusion only while armed: motion and doors when armed, doors only at home, nothing disarmed', () => {
    assert.deepEqual(decide('Motion', { value: 1 }, home('disarmed')), []);
    assert.deepEqual(decide('Door/Window', { value: 1 }, home('disarmed')), []);
    assert.deepEqual(decide('Motion', { value: 1 }, home('armed')), ['raise:intrusion_motion/critical']);
    assert.deepEqual(decide('Home Security - Motion', { value: 1 }, home('armed'), 'NOTIFICATION'), [
      'raise:intrusion_motion/critical',
    ]);
    assert.deepEqual(decide('Door/Window', { value: 1 }, home('armed')), ['raise:intrusion_door/critical']);
    assert.deepEqual(decide('Motion', { value: 1 }, home('home')), []);
    assert.deepEqual(decide('Door', { text: 'open' }, home('home')), ['raise:intrusion_door/critical']);
  });

  it('never clears intrusion from a quiet sensor', () => {
    for (const mode of ['disarmed', 'home', 'armed'] as const) {
      assert.deepEqual(decide('Motion', { value: 0 }, home(mode)), []);
      assert.deepEqual(decide('Door/Window', { value: 0 }, home(mode)), []);
    }
  });

  it('raises heat and freeze as warnings at the thresholds, in any mode', () => {
    assert.deepEqual(decide('Temperature', { value: 57 }, home('armed')), ['raise:heat/warning']);
    assert.deepEqual(decide('Temperature', { value: 80 }), ['raise:heat/warning']);
    assert.deepEqual(decide('Temperature', { value: 4 }), ['raise:freeze/warning']);
    assert.deepEqual(decide('Air temperature', { value: -10 }), ['raise:freeze/warning']);
    // The home's own thresholds decide.
    assert.deepEqual(decide('Temperature', { value: 30 }, home('disarmed', 30, 10)), ['raise:heat/warning']);
    assert.deepEqual(decide('Temperature', { value: 10 }, home('disarmed', 30, 10)), [
      'raise:freeze/warning',
    ]);
  });

  it(`clears heat and freeze only ${HYSTERESIS_C} °C back inside (hysteresis)`, () => {
    const settings = home('disarmed', 30, 10);
    // Just below the heat threshold: inside the band, neither raise nor clear heat.
    assert.deepEqual(decide('Temperature', { value: 29.5 }, settings), ['clear:freeze']);
    assert.deepEqual(decide('Temperature', { value: 29 }, settings), ['clear:freeze']);
    assert.deepEqual(decide('Temperature', { value: 28.9 }, settings), ['clear:heat', 'clear:freeze']);
    assert.deepEqual(decide('Temperature', { value: 10.5 }, settings), ['clear:heat']);
    assert.deepEqual(decide('Temperature', { value: 11 }, settings), ['clear:heat']);
    assert.deepEqual(decide('Temperature', { value: 11.1 }, settings), ['clear:heat', 'clear:freeze']);
    assert.deepEqual(decide('Temperature', { value: null, text: 'n/a' }, settings), []);
  });

  it('ignores readings that are no alarm: thermostat setpoints, energy, unknown labels', () => {
    assert.deepEqual(decide('Heating Setpoint', { value: 90 }, home('armed'), 'THERMOSTAT SETPOINT'), []);
    assert.deepEqual(decide('Energy', { value: 1000 }, home('armed')), []);
    assert.deepEqual(decide('Firmware', { text: 'detected' }, home('armed')), []);
    assert.deepEqual(decide('Switch', { value: 1 }, home('armed'), 'SWITCH BINARY'), []);
  });

  it('caches capabilities per label and sensor type, and stays bounded', () => {
    const cache = new CapabilityCache(3);
    assert.equal(cache.of('Water Leak', 'SENSOR BINARY'), 'water_leak');
    assert.equal(cache.of('Water Leak', 'SENSOR BINARY'), 'water_leak');
    assert.equal(cache.of('State', 'SWITCH BINARY'), 'switch');
    assert.equal(cache.of('State', 'DOOR LOCK'), 'lock');
    assert.equal(cache.of('Firmware', null), null);
    // Past the bound it starts over and still answers right.
    assert.equal(cache.of('Smoke', null), 'smoke');
    assert.equal(cache.of('State', 'SWITCH BINARY'), 'switch');
  });

  it('writes titles people read, with the device and the home', () => {
    assert.deepEqual(
      alarmMessage({ cause: 'water_leak', deviceName: 'Kitchen sensor', homeName: 'Flat', value: 1 }),
      { title: 'Water leak — Kitchen sensor', body: 'Water leak detected: Kitchen sensor at Flat.' },
    );
    assert.match(
      alarmMessage({ cause: 'heat', deviceName: 'Attic', homeName: 'Flat', value: 61.26 }).body,
      /Heat detected \(61\.3 °C\): Attic at Flat\./,
    );
    assert.match(
      alarmMessage({ cause: 'intrusion_door', deviceName: 'Front door', homeName: 'Flat', value: 1 }).title,
      /^Intrusion \(door opened\) — Front door$/,
    );
  });
});
