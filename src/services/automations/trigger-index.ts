import type { Automation } from '../../core/domain/automation.ts';

/** The key of a (device, label) channel in the engine's maps. */
export function channelKey(deviceId: string, label: string): string {
  return `${deviceId}\u0000${label}`;
}

/**
 * Enabled rules indexed by what fires them: (device, label) for device triggers, home for alarm
 * and mode triggers. A reading of a device no rule watches costs one Map lookup.
 */
export class TriggerIndex {
  readonly automations = new Map<string, Automation>();
  readonly byChannel = new Map<string, Array<{ automation: Automation; index: number }>>();
  readonly byHome = new Map<string, Automation[]>();

  set(automation: Automation): void {
    this.remove(automation.id);
    if (!automation.enabled) return;
    this.automations.set(automation.id, automation);
    let homeWide = false;
    automation.triggers.forEach((trigger, index) => {
      if (trigger.type === 'device') {
        const key = channelKey(trigger.deviceId, trigger.label);
        const entries = this.byChannel.get(key) ?? [];
        entries.push({ automation, index });
        this.byChannel.set(key, entries);
      } else if (trigger.type === 'alarm' || trigger.type === 'mode') {
        homeWide = true;
      }
    });
    if (homeWide)
      this.byHome.set(automation.homeId, [...(this.byHome.get(automation.homeId) ?? []), automation]);
  }

  remove(id: string): void {
    const automation = this.automations.get(id);
    if (!automation) return;
    this.automations.delete(id);
    for (const trigger of automation.triggers) {
      if (trigger.type !== 'device') continue;
      const key = channelKey(trigger.deviceId, trigger.label);
      const entries = (this.byChannel.get(key) ?? []).filter((entry) => entry.automation.id !== id);
      if (entries.length > 0) this.byChannel.set(key, entries);
      else this.byChannel.delete(key);
    }
    const homeWide = (this.byHome.get(automation.homeId) ?? []).filter((other) => other.id !== id);
    if (homeWide.length > 0) this.byHome.set(automation.homeId, homeWide);
    else this.byHome.delete(automation.homeId);
  }
}
