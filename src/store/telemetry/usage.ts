import { splitByMonth } from '../../core/domain/telemetry.ts';
import type { SqlRunner } from '../../core/ports/sql.ts';

/** Adds an online period of a gateway to its monthly usage, split at UTC month boundaries. */
export async function addOnlineTime(
  sql: SqlRunner,
  gatewayId: string,
  tenantId: string,
  fromMs: number,
  toMs: number,
): Promise<void> {
  for (const part of splitByMonth(fromMs, toMs)) {
    await sql.run(
      `INSERT INTO gateway_usage (gateway_id, month, tenant_id, online_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (gateway_id, month) DO UPDATE SET online_ms = gateway_usage.online_ms + excluded.online_ms`,
      [gatewayId, part.month, tenantId, part.ms],
    );
  }
}
