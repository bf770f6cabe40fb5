import type { AuditStore } from '../../core/ports/directory.ts';
import type { AuditActorType, AuditEntry } from '../../core/domain/audit.ts';
import { jsonColumn } from '../rows.ts';
import type { Row, SqlRunner } from '../../core/ports/sql.ts';

/**
 * The audit log, append-only, paged newest first, trimmed by age.
 * Written once in SQL both engines accept, against the `SqlRunner` port.
 */
export class SqlAuditStore implements AuditStore {
  constructor(private readonly sql: SqlRunner) {}

  async appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<number> {
    const row = await this.sql.get(
      `INSERT INTO audit_log (tenant_id, at_ms, actor_type, actor_id, action, target_type, target_id, home_id, ip, outcome, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [
        entry.tenantId,
        entry.atMs,
        entry.actorType,
        entry.actorId,
        entry.action,
        entry.targetType,
        entry.targetId,
        entry.homeId,
        entry.ip,
        entry.outcome,
        JSON.stringify(entry.detail),
      ],
    );
    return Number(row!.id);
  }

  /** Newest first. `tenantId` undefined lists every tenant's entries (platform admins). */
  async listAudit(query: {
    tenantId: string | null | undefined;
    limit: number;
    beforeId?: number | undefined;
    action?: string | undefined;
  }): Promise<AuditEntry[]> {
    const where = ['id < ?'];
    const params: unknown[] = [query.beforeId ?? Number.MAX_SAFE_INTEGER];
    if (query.tenantId !== undefined) {
      where.push("coalesce(tenant_id, '') = ?");
      params.push(query.tenantId ?? '');
    }
    if (query.action) {
      where.push('action = ?');
      params.push(query.action);
    }
    params.push(query.limit);
    const rows = await this.sql.all(
      `SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
      params,
    );
    return rows.map(toAuditEntry);
  }

  /** Retention: deletes up to `maxRows` of the oldest audit records before `beforeMs`. */
  async trimAuditLog(beforeMs: number, maxRows: number): Promise<number> {
    return this.sql.run(
      `DELETE FROM audit_log WHERE id IN (
         SELECT id FROM audit_log WHERE at_ms < ? ORDER BY id LIMIT ?)`,
      [beforeMs, maxRows],
    );
  }
}

function toAuditEntry(row: Row): AuditEntry {
  return {
    id: Number(row.id),
    tenantId: row.tenant_id as string | null,
    atMs: row.at_ms as number,
    actorType: row.actor_type as AuditActorType,
    actorId: row.actor_id as string | null,
    action: row.action as string,
    targetType: row.target_type as string | null,
    targetId: row.target_id as string | null,
    homeId: row.home_id as string | null,
    ip: row.ip as string | null,
    outcome: row.outcome as 'success' | 'failure',
    detail: jsonColumn<Record<string, unknown>>(row.detail),
  };
}
