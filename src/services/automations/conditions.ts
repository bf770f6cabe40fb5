import type { HomeMode } from '../../core/domain/home.ts';
import type { Condition } from '../../core/domain/automation.ts';
import { isSunDown, isWithinClockWindow, type HomePlace } from './schedule.ts';
import { isActive, type ChannelValue } from './triggers.ts';

/** What conditions read: the time, the home's place and mode, current channel states. */
export interface ConditionEnv {
  nowMs: number;
  place: HomePlace;
  homeMode(): Promise<HomeMode>;
  channel(deviceId: string, label: string): Promise<ChannelValue | null>;
}

export type ConditionVerdict = { holds: true } | { holds: false; index: number; reason: string };

/**
 * Sun windows: after sunset and/or before sunrise is the night (from a sunset to the next
 * sunrise); after sunrise and/or before sunset the day. Validation refuses the same event on
 * both sides, so every sun condition names one of the two.
 */
function wantsNight(condition: Extract<Condition, { type: 'sun' }>): boolean {
  return condition.after === 'sunset' || condition.before === 'sunrise';
}

/** Checks conditions in order; all must hold (the first that does not is reported). */
export async function evaluateConditions(
  conditions: Condition[],
  env: ConditionEnv,
): Promise<ConditionVerdict> {
  for (const [index, condition] of conditions.entries()) {
    const reason = await failure(condition, env);
    if (reason !== null) return { holds: false, index, reason };
  }
  return { holds: true };
}

async function failure(condition: Condition, env: ConditionEnv): Promise<string | null> {
  switch (condition.type) {
    case 'time':
      return isWithinClockWindow(condition, env.place.timezone, env.nowMs)
        ? null
        : `the time is outside ${condition.after ?? '00:00'}–${condition.before ?? '24:00'} (${env.place.timezone})`;
    case 'sun': {
      const down = isSunDown(env.place, env.nowMs);
      if (down === null) return 'the home has no location (latitude, longitude) for sun conditions';
      const night = wantsNight(condition);
      return down === night ? null : night ? 'the sun is up' : 'the sun is down';
    }
    case 'mode': {
      const mode = await env.homeMode();
      return mode === condition.mode ? null : `the home is ${mode}, not ${condition.mode}`;
    }
    case 'device': {
      const state = await env.channel(condition.deviceId, condition.label);
      const value = state?.value ?? null;
      const subject = `${condition.label} of device ${condition.deviceId}`;
      if (value === null) return `${subject} has no numeric state`;
      switch (condition.op) {
        case 'above':
          return value > condition.value! ? null : `${subject} is ${value}, not above ${condition.value}`;
        case 'below':
          return value < condition.value! ? null : `${subject} is ${value}, not below ${condition.value}`;
        case 'equals':
          return value === condition.value ? null : `${subject} is ${value}, not ${condition.value}`;
        case 'active':
          return isActive(value) ? null : `${subject} is not active`;
        case 'inactive':
          return !isActive(value) ? null : `${subject} is active`;
      }
    }
  }
}
