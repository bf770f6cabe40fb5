import type { Alarm, Channel, Command, CommandStatus, Device, Home, Room } from './api.ts';
import type { LiveMessage } from './live-feed.ts';

/** Pure rules of what the dashboard shows; the pages apply them to the API's answers and the live feed. */

export function deviceName(device: Pick<Device, 'name' | 'type' | 'id'>): string {
  return device.name ?? `${device.type} ${device.id.slice(0, 8)}`;
}

/** Whether a person with this role may control the home (guests read only; the provider's staff may). */
export function canControl(home: Pick<Home, 'role'>): boolean {
  return home.role !== 'guest';
}

/**
 * A device after one live-feed message, or the same object when the message changes nothing
 * for it. An older reading arriving late does not replace a newer one (as in the store).
 */
export function applyToDevice(device: Device, message: LiveMessage): Device {
  if (message.type === 'state' && message.deviceId === device.id) {
    const tsMs = Date.parse(message.ts);
    const index = device.channels.findIndex((c) => c.label === message.label);
    const existing = index >= 0 ? device.channels[index] : undefined;
    if (existing && existing.tsMs > tsMs) return device;
    const channel: Channel = {
      label: message.label,
      capability: message.capability,
      unit: message.unit,
      sensorType: existing?.sensorType ?? null,
      value: message.value,
      text: message.text,
      ts: message.ts,
      tsMs,
      current: true,
    };
    const channels = [...device.channels];
    if (existing) channels[index] = channel;
    else channels.push(channel);
    return { ...device, channels };
  }
  if (message.type === 'availability' && message.deviceId === device.id) {
    const current = message.availability === 'online';
    return {
      ...device,
      availability: message.availability,
      channels: device.channels.map((c) => ({ ...c, current })),
    };
  }
  return device;
}

/** Keeps channel values newer than a reloaded answer (they came over the feed meanwhile). */
export function mergeDevice(shown: Device | undefined, fresh: Device): Device {
  if (!shown) return fresh;
  return {
    ...fresh,
    channels: fresh.channels.map((channel) => {
      const live = shown.channels.find((c) => c.label === channel.label);
      return live && live.tsMs > channel.tsMs ? live : channel;
    }),
  };
}

/** Active alarms after a change to one: added or updated while active, gone once cleared. */
export function upsertAlarm(alarms: Alarm[], alarm: Alarm): Alarm[] {
  const others = alarms.filter((a) => a.id !== alarm.id);
  return alarm.state === 'active' ? [...others, alarm] : others;
}

const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 } as const;

/** Most severe first, then newest. */
export function sortAlarms(alarms: Alarm[]): Alarm[] {
  return [...alarms].sort(
    (a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || b.raisedAt.localeCompare(a.raisedAt),
  );
}

/** Rooms by name, then the devices in no room; devices by name inside each. */
export function groupByRoom(
  devices: Device[],
  rooms: Room[],
): Array<{ room: Room | null; devices: Device[] }> {
  const byName = (a: Device, b: Device) => deviceName(a).localeCompare(deviceName(b));
  const known = new Set(rooms.map((room) => room.id));
  const groups = [...rooms]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((room) => ({ room, devices: devices.filter((d) => d.roomId === room.id).sort(byName) }))
    .filter((group) => group.devices.length > 0);
  const loose = devices.filter((d) => d.roomId === null || !known.has(d.roomId)).sort(byName);
  return loose.length > 0 ? [...groups, { room: null, devices: loose }] : groups;
}

const STATUS_RANK: Record<CommandStatus, number> = {
  pending: 0,
  sent: 1,
  succeeded: 2,
  failed: 2,
  timed_out: 2,
};

/**
 * The newer view of one command: statuses only move forward (pending → sent → final), so a
 * poll answered late cannot undo what the live feed already said.
 */
export function newerCommand(shown: Command | null, next: Command): Command {
  if (!shown || shown.id !== next.id) return next;
  return STATUS_RANK[next.status] >= STATUS_RANK[shown.status] ? next : shown;
}

/** Capabilities shown first when choosing a device's chart. */
const CHART_PREFERENCE = [
  'temperature',
  'thermostat',
  'humidity',
  'power',
  'energy',
  'illuminance',
  'battery',
];

/** Channels with numbers to chart, the preferred first. */
export function chartableChannels(device: Device): Channel[] {
  const rank = (c: Channel) => {
    const i = CHART_PREFERENCE.indexOf(c.capability ?? '');
    return i < 0 ? CHART_PREFERENCE.length : i;
  };
  return device.channels.filter((c) => c.value !== null).sort((a, b) => rank(a) - rank(b));
}

/** The calendar date and the offset from UTC (ms) in `timeZone` at the instant `ms`. */
function zonedAt(
  ms: number,
  timeZone: string,
): { year: number; month: number; day: number; offsetMs: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const [year, month, day] = [part('year'), part('month'), part('day')];
  const wallClockAsUtc = Date.UTC(year, month - 1, day, part('hour'), part('minute'), part('second'));
  return { year, month, day, offsetMs: wallClockAsUtc - Math.floor(ms / 1000) * 1000 };
}

/**
 * The start of the local day containing `ms` in `timeZone` (UTC epoch milliseconds). The offset
 * is the one in force at that midnight, which differs from the one at `ms` on a day the clocks
 * change.
 */
export function startOfLocalDay(ms: number, timeZone: string): number {
  const { year, month, day, offsetMs } = zonedAt(ms, timeZone);
  const midnightAsUtc = Date.UTC(year, month - 1, day);
  const guess = midnightAsUtc - offsetMs;
  return midnightAsUtc - zonedAt(guess, timeZone).offsetMs;
}
