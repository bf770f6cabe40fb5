/** The audit log: who did what to which object, from where, with what outcome. */

export type AuditActorType = 'user' | 'api_key' | 'gateway' | 'system' | 'anonymous';

export interface AuditEntry {
  id: number;
  tenantId: string | null;
  atMs: number;
  actorType: AuditActorType;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  homeId: string | null;
  ip: string | null;
  outcome: 'success' | 'failure';
  detail: Record<string, unknown>;
}
