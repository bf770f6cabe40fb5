import type { DeadLetter } from '../../core/domain/telemetry.ts';
import type { Row, SqlRunner } from '../../core/ports/sql.ts';
import type { DeadLetterStore } from '../../core/ports/telemetry.ts';

/** Rejected uplinks with their reason, newest kept per tenant. Portable SQL on the `SqlRunner` port. */
export class SqlDeadLetterStore implements DeadLetterStore {
  constructor(private readonly sql: SqlRunner) {}

  async listDeadLetters(
    tenantId: string | null,
    page: { limit: number; beforeId?: number | undefined },
  ): Promise<DeadLetter[]> {
    const beforeId = page.beforeId ?? Number.MAX_SAFE_INTEGER;
    // Two statements rather than IS NOT DISTINCT FROM, which cannot use the (tenant_id, id) index.
    const rows =
      tenantId === null
        ? await this.sql.all(
            'SELECT * FROM dead_letters WHERE tenant_id IS NULL AND id < ? ORDER BY id DESC LIMIT ?',
            [beforeId, page.limit],
          )
        : await this.sql.all(
            'SELECT * FROM dead_letters WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?',
            [tenantId, beforeId, page.limit],
          );
    return rows.map(toDeadLetter);
  }

  async trimDeadLetters(maxPerTenant: number): Promise<number> {
    return this.sql.run(
      `DELETE FROM dead_letters WHERE id IN (
         SELECT id FROM (
           SELECT id, row_number() OVER (PARTITION BY tenant_id ORDER BY id DESC) AS rank FROM dead_letters
         ) AS ranked WHERE rank > ?)`,
      [maxPerTenant],
    );
  }
}

export function toDeadLetter(row: Row): DeadLetter {
  return {
    id: row.id as number,
    tenantId: row.tenant_id as string | null,
    gatewayId: row.gateway_id as string | null,
    receivedAtMs: row.received_at_ms as number,
    reason: row.reason as string,
    detail: row.detail as string,
    payload: Buffer.isBuffer(row.payload) ? row.payload.toString('utf8') : (row.payload as string),
    payloadBytes: row.payload_bytes as number,
  };
}
