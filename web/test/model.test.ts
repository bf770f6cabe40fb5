import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Alarm, Command, Device } from '../src/api.ts';
import type { LiveMessage } from '../src/live-feed.ts';
import {
  applyToDevice,
  canControl,
  chartableChannels,
  deviceName,
  groupByRoom,
  mergeDevice,
  newerCommand,
  sortAlarms,
  startOfLocalDay,
  upsertAlarm,
} from '../src/model.ts';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');

function device(overrides: Partial<Device> = {}): Device {
  return {
    id: 'd1b2c3d4-0000-0000-0000-000000000001',
    gatewayId: 'g1',
    type: 'sensor',
    protocol: 'zwave',
    name: 'Thermometer',
    roomId: null,
    availability: 'online',
    lastHeardAt: null,
    channels: [
      {
        label: 'Temperature',
        capability: 'temperature',
        unit: 'C',
        sensorType: 'SENSOR MULTILEVEL',
        value: 21,
        text: null,
        ts: new Date(T0).toISOString(),
        tsMs: T0,
        current: true,
      },
    ],
    ...overrides,
  };
}

function state(deviceId: string, label: string, value: number, tsMs: number): LiveMessage {
  return {
    type: 'state',
    homeId: 'h1',
    deviceId,
    label,
    capability: label === 'Temperature' ? 'temperature' : 'humidity',
    value,
    text: null,
    unit: label === 'Temperature' ? 'C' : '%',
    ts: new Date(tsMs).toISOString(),
  };
}

function alarm(id: string, overrides: Partial<Alarm> = {}): Alarm {
  return {
    id,
    homeId: 'h1',
    deviceId: 'd1',
    cause: 'water_leak',
    severity: 'critical',
    state: 'active',
    label: 'Water',
    value: 1,
    raisedAt: '2026-11-20T10:00:00.000Z',
    occurrences: 1,
    lastOccurrenceAt: '2026-11-20T10:00:00.000Z',
    acknowledgedAt: null,
    acknowledgedBy: null,
    ...overrides,
  };
}

function command(status: Command['status'], id = 'c1'): Command {
  return {
    id,
    homeId: 'h1',
    deviceId: 'd1',
    action: 'set',
    params: { value: 21 },
    status,
    detail: null,
    createdAt: '2026-11-20T10:00:00.000Z',
    completedAt: null,
  };
}

describe('dashboard model: live updates', () => {
  it('a newer reading replaces the channel value; an older one arriving late does not', () => {
    const shown = device();
    const newer = applyToDevice(shown, state(shown.id, 'Temperature', 22.5, T0 + 1000));
    assert.equal(newer.channels[0]?.value, 22.5);
    assert.equal(newer.channels[0]?.current, true);
    assert.equal(newer.channels[0]?.sensorType, 'SENSOR MULTILEVEL', 'what the feed does not carry is kept');
    const late = applyToDevice(newer, state(shown.id, 'Temperature', 19, T0 + 500));
    assert.equal(late, newer, 'the same object: nothing to re-render');
  });

  it('a reading of a new channel is added; one for another device changes nothing', () => {
    const shown = device();
    const added = applyToDevice(shown, state(shown.id, 'Humidity', 40, T0));
    assert.deepEqual(
      added.channels.map((c) => [c.label, c.value]),
      [
        ['Temperature', 21],
        ['Humidity', 40],
      ],
    );
    assert.equal(applyToDevice(shown, state('another', 'Temperature', 30, T0 + 1)), shown);
  });

  it('availability marks every channel as current or as the last known value', () => {
    const shown = device();
    const stale = applyToDevice(shown, {
      type: 'availability',
      homeId: 'h1',
      deviceId: shown.id,
      availability: 'stale',
      at: new Date(T0).toISOString(),
    });
    assert.equal(stale.availability, 'stale');
    assert.deepEqual(
      stale.channels.map((c) => c.current),
      [false],
    );
    const back = applyToDevice(stale, {
      type: 'availability',
      homeId: 'h1',
      deviceId: shown.id,
      availability: 'online',
      at: new Date(T0 + 1).toISOString(),
    });
    assert.deepEqual(
      back.channels.map((c) => c.current),
      [true],
    );
  });

  it('a reload keeps values that came over the feed after its answer was made', () => {
    const live = applyToDevice(device(), state(device().id, 'Temperature', 25, T0 + 5000));
    const fresh = device(); // the reload's answer: the value of T0
    assert.equal(mergeDevice(live, fresh).channels[0]?.value, 25);
    const fresher = device({
      channels: [
        { ...device().channels[0]!, value: 26, tsMs: T0 + 9000, ts: new Date(T0 + 9000).toISOString() },
      ],
    });
    assert.equal(mergeDevice(live, fresher).channels[0]?.value, 26);
    assert.equal(mergeDevice(undefined, fresh), fresh);
  });
});

describe('dashboard model: alarms and commands', () => {
  it('active alarms: an update replaces, a cleared alarm leaves the list', () => {
    const list = upsertAlarm([alarm('a1')], alarm('a1', { occurrences: 3 }));
    assert.deepEqual(
      list.map((a) => [a.id, a.occurrences]),
      [['a1', 3]],
    );
    assert.deepEqual(upsertAlarm(list, alarm('a1', { state: 'cleared' })), []);
  });

  it('alarms sort most severe first, then newest', () => {
    const sorted = sortAlarms([
      alarm('old-warning', { severity: 'warning', raisedAt: '2026-11-20T09:00:00.000Z' }),
      alarm('old-critical', { raisedAt: '2026-11-20T08:00:00.000Z' }),
      alarm('new-critical', { raisedAt: '2026-11-20T11:00:00.000Z' }),
      alarm('info', { severity: 'info', raisedAt: '2026-11-20T12:00:00.000Z' }),
    ]);
    assert.deepEqual(
      sorted.map((a) => a.id),
      ['new-critical', 'old-critical', 'old-warning', 'info'],
    );
  });

  it('a command status never moves backwards', () => {
    const succeeded = command('succeeded');
    assert.equal(newerCommand(succeeded, command('sent')), succeeded, 'a late poll answer');
    assert.equal(newerCommand(command('pending'), command('sent')).status, 'sent');
    assert.equal(newerCommand(command('sent'), command('timed_out')).status, 'timed_out');
    assert.equal(newerCommand(succeeded, command('pending', 'c2')).id, 'c2', 'another command');
    assert.equal(newerCommand(null, command('pending')).status, 'pending');
  });

  it('guests may not control a home; members, owners and staff may', () => {
    assert.equal(canControl({ role: 'guest' }), false);
    assert.equal(canControl({ role: 'member' }), true);
    assert.equal(canControl({ role: 'owner' }), true);
    assert.equal(canControl({ role: null }), true);
  });
});

describe('dashboard model: grouping and charts', () => {
  it('rooms by name with their devices by name, then the devices in no (known) room', () => {
    const rooms = [
      { id: 'r2', homeId: 'h1', name: 'Kitchen' },
      { id: 'r1', homeId: 'h1', name: 'Bedroom' },
      { id: 'r3', homeId: 'h1', name: 'Empty room' },
    ];
    const groups = groupByRoom(
      [
        device({ id: 'a', name: 'Zeta', roomId: 'r2' }),
        device({ id: 'b', name: 'Alpha', roomId: 'r2' }),
        device({ id: 'c', name: 'Lamp', roomId: 'r1' }),
        device({ id: 'd', name: 'Loose', roomId: null }),
        device({ id: 'e', name: 'Gone room', roomId: 'r9' }),
      ],
      rooms,
    );
    assert.deepEqual(
      groups.map((g) => [g.room?.name ?? null, g.devices.map((d) => d.name)]),
      [
        ['Bedroom', ['Lamp']],
        ['Kitchen', ['Alpha', 'Zeta']],
        [null, ['Gone room', 'Loose']],
      ],
    );
  });

  it('a device without a name is named by its type and id', () => {
    assert.equal(deviceName({ name: null, type: 'plug', id: '0123456789abcdef' }), 'plug 01234567');
  });

  it('chartable channels: numbers only, temperature before humidity before the rest', () => {
    const base = device().channels[0]!;
    const channels = chartableChannels(
      device({
        channels: [
          { ...base, label: 'Battery', capability: 'battery', value: 90 },
          { ...base, label: 'Note', capability: null, value: null, text: 'hello' },
          { ...base, label: 'Humidity', capability: 'humidity', value: 40 },
          { ...base, label: 'Custom', capability: null, value: 3 },
          { ...base, label: 'Temperature', capability: 'temperature', value: 21 },
        ],
      }),
    );
    assert.deepEqual(
      channels.map((c) => c.label),
      ['Temperature', 'Humidity', 'Battery', 'Custom'],
    );
  });

  it('the start of a local day, across a DST change', () => {
    // Berlin, the day summer time ends (2026-10-25 has 25 hours): midnight is 22:00Z the day before.
    assert.equal(
      startOfLocalDay(Date.parse('2026-10-25T20:00:00Z'), 'Europe/Berlin'),
      Date.parse('2026-10-24T22:00:00Z'),
    );
    assert.equal(
      startOfLocalDay(Date.parse('2026-10-26T00:30:00Z'), 'Europe/Berlin'),
      Date.parse('2026-10-25T23:00:00Z'),
    );
    assert.equal(
      startOfLocalDay(Date.parse('2026-11-20T15:59:59Z'), 'Asia/Shanghai'),
      Date.parse('2026-11-19T16:00:00Z'),
    );
    assert.equal(
      startOfLocalDay(Date.parse('2026-11-20T16:00:00Z'), 'Asia/Shanghai'),
      Date.parse('2026-11-20T16:00:00Z'),
    );
  });
});
