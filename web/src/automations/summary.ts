import type { Device } from '../api.ts';
import { channelName, formatMeasure } from '../format.ts';
import { hasMessage, type Translate } from '../i18n.ts';
import { deviceName } from '../model.ts';
import type { Action, Automation, Condition, Scene, Trigger } from './api.ts';
import { clockOfDailyCron } from './draft.ts';

/** Short sentences for a rule's parts, as the list and the run history show them. */
export interface Names {
  devices: Device[];
  scenes: Scene[];
  t: Translate;
  locale: string;
}

function deviceOf(names: Names, deviceId: string): string {
  const device = names.devices.find((candidate) => candidate.id === deviceId);
  return device ? deviceName(device) : names.t('automations.sum.removedDevice');
}

function channelOf(
  names: Names,
  deviceId: string,
  label: string,
): { name: string; capability: string | null; unit: string | null } {
  const channel = names.devices
    .find((candidate) => candidate.id === deviceId)
    ?.channels.find((candidate) => candidate.label === label);
  return channel
    ? { name: channelName(channel, names.t), capability: channel.capability, unit: channel.unit }
    : { name: label, capability: null, unit: null };
}

function threshold(names: Names, deviceId: string, label: string, value: number | undefined): string {
  if (value === undefined) return '';
  const channel = channelOf(names, deviceId, label);
  return formatMeasure(value, channel.capability, channel.unit, names.locale);
}

function actionName(action: string, t: Translate): string {
  const key = `command.action.${action}`;
  return hasMessage(key) ? t(key) : action;
}

export function triggerSummary(trigger: Trigger, names: Names): string {
  const { t } = names;
  switch (trigger.type) {
    case 'device':
      return t('automations.sum.device', {
        channel: channelOf(names, trigger.deviceId, trigger.label).name,
        device: deviceOf(names, trigger.deviceId),
        op: t(`automations.sumOp.${trigger.op}`, {
          value: threshold(names, trigger.deviceId, trigger.label, trigger.value),
        }),
      });
    case 'alarm': {
      const parts = [
        trigger.severity ? t(`alarms.severity.${trigger.severity}`) : '',
        trigger.cause ? t(`alarms.cause.${trigger.cause}`) : '',
      ].filter(Boolean);
      return parts.length > 0
        ? t('automations.sum.alarmOf', { what: parts.join(' · ') })
        : t('automations.sum.alarm');
    }
    case 'schedule': {
      const clock = clockOfDailyCron(trigger.cron);
      return clock
        ? t('automations.sum.daily', { time: clock })
        : t('automations.sum.schedule', { cron: trigger.cron });
    }
    case 'sun': {
      const event = t(`automations.event.${trigger.event}`);
      const offset = trigger.offsetMinutes ?? 0;
      if (offset === 0) return t('automations.sum.sun', { event });
      return t(offset < 0 ? 'automations.sum.sunBefore' : 'automations.sum.sunAfter', {
        minutes: Math.abs(offset),
        event,
      });
    }
    case 'mode':
      return trigger.mode
        ? t('automations.sum.modeTo', { mode: t(`mode.${trigger.mode}`) })
        : t('automations.sum.mode');
  }
}

export function conditionSummary(condition: Condition, names: Names): string {
  const { t } = names;
  switch (condition.type) {
    case 'time':
      if (condition.after && condition.before)
        return t('automations.sum.timeBetween', { after: condition.after, before: condition.before });
      return condition.after
        ? t('automations.sum.timeAfter', { time: condition.after })
        : t('automations.sum.timeBefore', { time: condition.before ?? '' });
    case 'sun': {
      const up = condition.after === 'sunrise' || condition.before === 'sunset';
      return t(up ? 'automations.sum.sunUp' : 'automations.sum.sunDown');
    }
    case 'device':
      return t('automations.sum.deviceIs', {
        channel: channelOf(names, condition.deviceId, condition.label).name,
        device: deviceOf(names, condition.deviceId),
        op: t(`automations.sumCond.${condition.op}`, {
          value: threshold(names, condition.deviceId, condition.label, condition.value),
        }),
      });
    case 'mode':
      return t('automations.sum.modeIs', { mode: t(`mode.${condition.mode}`) });
  }
}

export function actionSummary(action: Action, names: Names): string {
  const { t } = names;
  switch (action.type) {
    case 'command':
      return t('automations.sum.command', {
        action: actionName(action.action, t),
        device: deviceOf(names, action.deviceId),
      });
    case 'scene':
      return t('automations.sum.scene', {
        name:
          names.scenes.find((scene) => scene.id === action.sceneId)?.name ??
          t('automations.sum.removedScene'),
      });
    case 'notify':
      return t('automations.sum.notify', { title: action.title });
    case 'record':
      return t('automations.sum.record', {
        device: deviceOf(names, action.deviceId),
        seconds: action.durationSeconds,
      });
    case 'delay':
      return action.seconds % 60 === 0
        ? t('automations.sum.delayMinutes', { minutes: action.seconds / 60 })
        : t('automations.sum.delaySeconds', { seconds: action.seconds });
  }
}

/** "When … · if … · then …" in one line. */
export function ruleSummary(rule: Pick<Automation, 'triggers' | 'conditions' | 'actions'>, names: Names) {
  const { t } = names;
  return {
    when: rule.triggers.map((trigger) => triggerSummary(trigger, names)).join(t('automations.sum.or')),
    conditions: rule.conditions
      .map((condition) => conditionSummary(condition, names))
      .join(t('automations.sum.and')),
    then: rule.actions.map((action) => actionSummary(action, names)).join(t('automations.sum.then')),
  };
}

export function outcomeText(outcome: string, t: Translate): string {
  const key = `automations.outcome.${outcome}`;
  return hasMessage(key) ? t(key) : outcome;
}

/** The CSS tone of an outcome: good, bad, waiting or quiet. */
export function outcomeTone(outcome: string): 'ok' | 'bad' | 'wait' | 'quiet' {
  if (outcome === 'succeeded') return 'ok';
  if (outcome === 'failed' || outcome === 'throttled' || outcome === 'missed') return 'bad';
  if (outcome === 'running' || outcome === 'waiting') return 'wait';
  return 'quiet';
}
