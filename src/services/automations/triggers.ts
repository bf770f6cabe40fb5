import type { Alarm } from '../../core/domain/alarm.ts';
import type { AlarmTrigger, DeviceTrigger, ModeTrigger } from '../../core/domain/automation.ts';

/** One channel state: a number, or a text for non-numeric labels, at the device's time. */
export interface ChannelValue {
  value: number | null;
  text: string | null;
  tsMs: number;
}

/** Binary sensors and switches: 1 (or any value above 0) is active (motion, open, leak, on). */
export function isActive(value: number | null): boolean {
  return value !== null && value > 0;
}

function inBand(trigger: DeviceTrigger, value: number | null): boolean {
  if (value === null) return false;
  switch (trigger.op) {
    case 'above':
      return value > trigger.value!;
    case 'below':
      return value < trigger.value!;
    case 'equals':
      return value === trigger.value;
    case 'becomes_active':
      return isActive(value);
    case 'becomes_inactive':
      return !isActive(value);
    case 'changes':
      return true;
  }
}

/**
 * Whether a new reading fires a device trigger, given the channel's previous state. Every op
 * but `changes` fires on entering its band (crossing a threshold, becoming active), not on each
 * reading inside it: a motion sensor repeating 1 fires once, until a 0 comes between. Without a
 * previous value (the channel's first reading ever) the channel counts as outside the band;
 * `changes` needs a previous value to differ from.
 */
export function deviceTriggerFires(
  trigger: DeviceTrigger,
  previous: ChannelValue | null,
  next: ChannelValue,
): boolean {
  if (trigger.op === 'changes') {
    if (previous === null) return false;
    return (previous.value ?? previous.text) !== (next.value ?? next.text);
  }
  if (!inBand(trigger, next.value)) return false;
  return previous === null || !inBand(trigger, previous.value);
}

/**
 * How a run names a device: its name, else its type and the start of its id ("sensor 3f2a1b2c"),
 * as people see it listed; a device no longer stored keeps its id.
 */
export function deviceDisplayName(
  device: { id: string; type: string; name: string | null } | undefined,
  deviceId: string,
): string {
  if (!device) return `device ${deviceId}`;
  return device.name ?? `${device.type} ${device.id.slice(0, 8)}`;
}

/** E.g. "Temperature of Living room thermometer rose above 25 (26)"; `deviceName` from deviceDisplayName. */
export function describeDeviceTrigger(
  trigger: DeviceTrigger,
  next: ChannelValue,
  deviceName: string,
): string {
  const value = next.value ?? next.text;
  const device = `${trigger.label} of ${deviceName}`;
  switch (trigger.op) {
    case 'changes':
      return `${device} changed to ${String(value)}`;
    case 'above':
      return `${device} rose above ${trigger.value} (${String(value)})`;
    case 'below':
      return `${device} fell below ${trigger.value} (${String(value)})`;
    case 'equals':
      return `${device} became ${trigger.value}`;
    case 'becomes_active':
      return `${device} became active (${String(value)})`;
    case 'becomes_inactive':
      return `${device} became inactive (${String(value)})`;
  }
}

export function alarmTriggerFires(trigger: AlarmTrigger, alarm: Alarm): boolean {
  return (
    (trigger.cause === undefined || trigger.cause === alarm.cause) &&
    (trigger.severity === undefined || trigger.severity === alarm.severity)
  );
}

export function modeTriggerFires(trigger: ModeTrigger, mode: string): boolean {
  return trigger.mode === undefined || trigger.mode === mode;
}
