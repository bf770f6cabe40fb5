import type { ApiKeyStore } from '../../core/ports/directory.ts';
import type { ApiKey, ApiKeyScope } from '../../core/domain/tenant.ts';
import { jsonColumn } from '../rows.ts';
import type { Row, SqlRunner } from '../../core/ports/sql.ts';

/**
 * Tenants' API keys (hashed) with their scopes.
 * Written once in SQL both engines accept, against the `SqlRunner` port.
 */
export class SqlApiKeyStore implements ApiKeyStore {
  constructor(private readonly sql: SqlRunner) {}

  async createApiKey(
    input: Omit<ApiKey, 'lastUsedAtMs' | 'revokedAtMs'> & { keyHash: string },
  ): Promise<ApiKey> {
    await this.sql.run(
      'INSERT INTO api_keys (id, tenant_id, name, key_hash, scopes, created_by, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [
        input.id,
        input.tenantId,
        input.name,
        input.keyHash,
        JSON.stringify(input.scopes),
        input.createdBy,
        input.createdAtMs,
      ],
    );
    return (await this.findApiKey(input.tenantId, input.id))!;
  }

  async findApiKey(tenantId: string, id: string): Promise<ApiKey | undefined> {
    const row = await this.sql.get('SELECT * FROM api_keys WHERE tenant_id = ? AND id = ?', [tenantId, id]);
    return row ? toApiKey(row) : undefined;
  }

  /** A live key of an active tenant, by digest. */
  async findLiveApiKeyByHash(keyHash: string): Promise<ApiKey | undefined> {
    const row = await this.sql.get(
      `SELECT k.* FROM api_keys k JOIN tenants n ON n.id = k.tenant_id
       WHERE k.key_hash = ? AND k.revoked_at_ms IS NULL AND n.status = 'active'`,
      [keyHash],
    );
    return row ? toApiKey(row) : undefined;
  }

  async listApiKeys(tenantId: string): Promise<ApiKey[]> {
    return (
      await this.sql.all('SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY created_at_ms, id', [tenantId])
    ).map(toApiKey);
  }

  async revokeApiKey(tenantId: string, id: string, atMs: number): Promise<boolean> {
    return (
      (await this.sql.run(
        'UPDATE api_keys SET revoked_at_ms = ? WHERE tenant_id = ? AND id = ? AND revoked_at_ms IS NULL',
        [atMs, tenantId, id],
      )) === 1
    );
  }

  /** Records a use; written at most once a minute per key so busy backends do not write per call. */
  async touchApiKey(id: string, atMs: number): Promise<void> {
    await this.sql.run(
      'UPDATE api_keys SET last_used_at_ms = ? WHERE id = ? AND coalesce(last_used_at_ms, 0) < ?',
      [atMs, id, atMs - 60_000],
    );
  }
}

function toApiKey(row: Row): ApiKey {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string,
    name: row.name as string,
    scopes: jsonColumn<ApiKeyScope[]>(row.scopes),
    createdBy: row.created_by as string | null,
    createdAtMs: row.created_at_ms as number,
    lastUsedAtMs: row.last_used_at_ms as number | null,
    revokedAtMs: row.revoked_at_ms as number | null,
  };
}
