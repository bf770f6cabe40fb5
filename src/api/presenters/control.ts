/** How alarms, security modes, commands, automations, their runs and scenes look in API answers. */

import type { Alarm } from '../../core/domain/alarm.ts';
import type { SecurityView } from '../../services/alarms.ts';
import type { Command } from '../../core/domain/command.ts';
import type { AutomationWithLastRun, AutomationRun, Scene } from '../../core/domain/automation.ts';
import type { AutomationDetail } from '../../services/automations/service.ts';
import { iso, isoOrNull } from './time.ts';

export function presentAlarm(alarm: Alarm) {
  return {
    id: alarm.id,
    homeId: alarm.homeId,
    gatewayId: alarm.gatewayId,
    deviceId: alarm.deviceId,
    cause: alarm.cause,
    severity: alarm.severity,
    state: alarm.state,
    label: alarm.label,
    value: alarm.value,
    raisedAt: iso(alarm.raisedAtMs),
    occurrences: alarm.occurrences,
    lastOccurrenceAt: iso(alarm.lastOccurrenceAtMs),
    acknowledgedAt: alarm.acknowledgedAtMs === null ? null : iso(alarm.acknowledgedAtMs),
    acknowledgedBy: alarm.acknowledgedBy,
    clearedAt: alarm.clearedAtMs === null ? null : iso(alarm.clearedAtMs),
    clearedBy: alarm.clearedBy,
  };
}

export function presentSecurity(view: SecurityView) {
  return {
    homeId: view.homeId,
    mode: view.mode,
    changedAt: view.changedAtMs === null ? null : iso(view.changedAtMs),
    changedBy: view.changedBy,
    heatThresholdC: view.heatThresholdC,
    freezeThresholdC: view.freezeThresholdC,
    own: view.own,
  };
}

export function presentCommand(command: Command) {
  return {
    id: command.id,
    tenantId: command.tenantId,
    homeId: command.homeId,
    gatewayId: command.gatewayId,
    deviceId: command.deviceId,
    action: command.action,
    params: command.params,
    idempotencyKey: command.idempotencyKey,
    whenOffline: command.whenOffline,
    status: command.status,
    detail: command.detail,
    requestedBy: command.requestedBy,
    requestedByType: command.requestedByType,
    createdAt: iso(command.createdAtMs),
    sentAt: command.sentAtMs === null ? null : iso(command.sentAtMs),
    completedAt: command.completedAtMs === null ? null : iso(command.completedAtMs),
    expiresAt: iso(command.expiresAtMs),
  };
}

export function presentAutomation(automation: AutomationWithLastRun | AutomationDetail) {
  return {
    id: automation.id,
    tenantId: automation.tenantId,
    homeId: automation.homeId,
    name: automation.name,
    enabled: automation.enabled,
    triggers: automation.triggers,
    conditions: automation.conditions,
    actions: automation.actions,
    cooldownSeconds: automation.cooldownSeconds,
    flaggedAt: isoOrNull(automation.flaggedAtMs),
    flagReason: automation.flagReason,
    createdBy: automation.createdBy,
    createdAt: iso(automation.createdAtMs),
    updatedAt: iso(automation.updatedAtMs),
    lastRun:
      automation.lastRun === null
        ? null
        : {
            id: automation.lastRun.id,
            at: iso(automation.lastRun.atMs),
            outcome: automation.lastRun.outcome,
            error: automation.lastRun.error,
          },
    ...('schedule' in automation
      ? {
          schedule: automation.schedule.map((row) => ({
            triggerIndex: row.triggerIndex,
            nextFireAt: isoOrNull(row.nextFireAtMs),
          })),
        }
      : {}),
  };
}

export function presentRun(run: AutomationRun) {
  return {
    id: run.id,
    automationId: run.automationId,
    homeId: run.homeId,
    trigger: run.trigger,
    startedAt: iso(run.startedAtMs),
    finishedAt: isoOrNull(run.finishedAtMs),
    outcome: run.outcome,
    actions: run.actions,
    error: run.error,
    resumeAt: isoOrNull(run.resumeAtMs),
    causes: run.causes,
  };
}

export function presentScene(scene: Scene) {
  return {
    id: scene.id,
    tenantId: scene.tenantId,
    homeId: scene.homeId,
    name: scene.name,
    actions: scene.actions,
    createdBy: scene.createdBy,
    createdAt: iso(scene.createdAtMs),
    updatedAt: iso(scene.updatedAtMs),
  };
}
