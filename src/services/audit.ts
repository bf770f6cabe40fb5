import type { AppContext } from '../core/context.ts';
import type { AuditActorType, AuditEntry } from '../core/domain/audit.ts';
import type { Principal, RequestOrigin } from './principal.ts';

/** Actions written to the audit log; the names are part of the API (filterable), never reused. */
export type AuditAction =
  | 'auth.login'
  | 'auth.login_failed'
  | 'auth.login_locked'
  | 'auth.logout'
  | 'auth.refresh_reused'
  | 'auth.password_changed'
  | 'auth.password_reset_requested'
  | 'auth.password_reset'
  | 'user.signed_up'
  | 'user.invited'
  | 'user.joined'
  | 'user.role_changed'
  | 'user.disabled'
  | 'user.enabled'
  | 'user.updated'
  | 'tenant.created'
  | 'tenant.updated'
  | 'tenant.suspended'
  | 'tenant.resumed'
  | 'tenant.push_credentials_changed'
  | 'api_key.created'
  | 'api_key.revoked'
  | 'home.created'
  | 'home.deleted'
  | 'home.member_invited'
  | 'home.member_joined'
  | 'home.member_role_changed'
  | 'home.member_removed'
  | 'home.ownership_transferred'
  | 'home.tariff_changed'
  | 'gateway.provisioned'
  | 'gateway.imported'
  | 'gateway.registered'
  | 'gateway.claim_failed'
  | 'gateway.removed'
  | 'gateway.credentials_rotated'
  | 'gateway.credentials_revoked'
  | 'data.deleted'
  | 'tariff.created'
  | 'tariff.updated'
  | 'tariff.deleted'
  | 'notification.test_sent'
  | 'home.security_mode_changed'
  | 'home.alarm_thresholds_changed'
  | 'alarm.acknowledged'
  | 'alarm.cleared'
  | 'command.lock'
  | 'automation.created'
  | 'automation.updated'
  | 'automation.deleted'
  | 'scene.created'
  | 'scene.updated'
  | 'scene.deleted'
  | 'camera.mode_changed'
  | 'media_server.registered'
  | 'media_server.updated'
  | 'media_server.deleted'
  | 'media_server.disk_full';

export interface AuditRecord {
  tenantId: string | null;
  action: AuditAction;
  outcome?: 'success' | 'failure';
  actor: Principal | { kind: 'anonymous' | 'system'; id?: string | null };
  origin: RequestOrigin;
  target?: { type: string; id: string } | undefined;
  homeId?: string | null | undefined;
  /** Never a secret: ids, counts, roles, reasons. */
  detail?: Record<string, unknown>;
}

/**
 * The audit log of security-relevant actions, readable by the tenant's admins. A failure to
 * write it is logged and does not undo the action (which has happened), but is never silent.
 */
export class AuditService {
  constructor(private readonly ctx: AppContext) {}

  async record(record: AuditRecord): Promise<void> {
    const { actorType, actorId } = actorOf(record.actor);
    const entry: Omit<AuditEntry, 'id'> = {
      tenantId: record.tenantId,
      atMs: this.ctx.clock.now(),
      actorType,
      actorId,
      action: record.action,
      targetType: record.target?.type ?? null,
      targetId: record.target?.id ?? null,
      homeId: record.homeId ?? null,
      ip: record.origin.ip,
      outcome: record.outcome ?? 'success',
      detail: record.detail ?? {},
    };
    try {
      await this.ctx.store.directory.audit.appendAudit(entry);
    } catch (error) {
      this.ctx.logger.error({ err: error, action: record.action }, 'could not write the audit log');
    }
    this.ctx.metrics.auditEvents.inc({ action: record.action, outcome: entry.outcome });
  }
}

function actorOf(actor: AuditRecord['actor']): { actorType: AuditActorType; actorId: string | null } {
  switch (actor.kind) {
    case 'user':
      return { actorType: 'user', actorId: actor.userId };
    case 'api_key':
      return { actorType: 'api_key', actorId: actor.apiKeyId };
    case 'anonymous':
    case 'system':
      return { actorType: actor.kind, actorId: actor.id ?? null };
  }
}
