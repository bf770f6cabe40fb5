import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capabilityOf, toCanonical, toImperial } from '../../src/core/capabilities.ts';

describe('capabilities', () => {
  it('maps the seed and common Z-Wave/Zigbee labels to one vocabulary', () => {
    const cases: Array<[string, string | null, string | null]> = [
      ['Temperature', 'SENSOR MULTILEVEL', 'temperature'],
      ['Air temperature', null, 'temperature'],
      ['Relative Humidity', null, 'humidity'],
      ['Luminance', null, 'illuminance'],
      ['Electric - kWh', 'METER', 'energy'],
      ['Electric - W', 'METER', 'power'],
      ['Home Security - Motion', 'NOTIFICATION', 'motion'],
      ['Door/Window', 'SENSOR BINARY', 'contact'],
      ['Water Alarm', null, 'water_leak'],
      ['Smoke', null, 'smoke'],
      ['Carbon Monoxide', null, 'co'],
      ['Gas', null, 'gas'],
      ['Glass Break', null, 'glass_break'],
      ['Battery', null, 'battery'],
      ['Switch', 'SWITCH BINARY', 'switch'],
      ['Level', 'SWITCH MULTILEVEL', 'dimmer'],
      ['Door Lock', 'DOOR LOCK', 'lock'],
      ['Heating Setpoint', 'THERMOSTAT SETPOINT', 'thermostat'],
      ['Window Covering', null, 'curtain'],
      ['State', 'SWITCH BINARY', 'switch'],
      ['Mode', 'THERMOSTAT MODE', 'thermostat'],
      ['Firmware', null, null],
    ];
    for (const [label, sensorType, expected] of cases) {
      assert.equal(capabilityOf(label, sensorType), expected, `${label} (${sensorType})`);
    }
  });

  it('normalises units: °F and K to °C, Wh to kWh, kW to W; unknown units kept', () => {
    assert.deepEqual(toCanonical(77, 'F'), { value: 25, unit: 'C' });
    assert.deepEqual(toCanonical(77, '°F'), { value: 25, unit: 'C' });
    assert.deepEqual(toCanonical(300, 'K'), { value: 300 - 273.15, unit: 'C' });
    assert.deepEqual(toCanonical(1500, 'Wh'), { value: 1.5, unit: 'kWh' });
    assert.deepEqual(toCanonical(1.2, 'kW'), { value: 1200, unit: 'W' });
    assert.deepEqual(toCanonical(26.1, 'C'), { value: 26.1, unit: 'C' });
    assert.deepEqual(toCanonical(3, 'ppm'), { value: 3, unit: 'ppm' });
    assert.deepEqual(toCanonical(3, null), { value: 3, unit: null });
    assert.deepEqual(toImperial(25, 'C'), { value: 77, unit: 'F' });
    assert.deepEqual(toImperial(40, '%'), { value: 40, unit: '%' });
  });
});
