import type { Gateway, GatewayWithSecret, GatewayStatus } from '../../core/domain/gateway.ts';
import type { TariffRegistration } from '../../core/domain/tariff.ts';

import type { GatewayStore, Page } from '../../core/ports/directory.ts';
import type { Row, SqlRunner } from '../../core/ports/sql.ts';
import { greatest, lockForUpdate, type Dialect } from '../dialect.ts';
import { addOnlineTime } from '../telemetry/usage.ts';
import { countGatewaysOfHome, findTariffOfHome } from './tariffs.ts';

/**
 * Gateways: provisioning, registration to a home (within its tariff), credentials, connection
 * state. Written once in SQL both engines accept, against the `SqlRunner` port.
 */
export class SqlGatewayStore implements GatewayStore {
  constructor(
    private readonly sql: SqlRunner,
    private readonly dialect: Dialect,
  ) {}

  async findGateway(id: string): Promise<GatewayWithSecret | undefined> {
    const row = await this.sql.get('SELECT * FROM gateways WHERE id = ?', [id]);
    return row ? toGatewayWithSecret(row) : undefined;
  }

  async listGateways(tenantId: string, page: Page): Promise<Gateway[]> {
    const rows = await this.sql.all(
      'SELECT * FROM gateways WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?',
      [tenantId, page.after ?? '', page.limit],
    );
    return rows.map(toGateway);
  }

  async setGatewayStatus(input: { gatewayId: string; status: GatewayStatus; atMs: number }): Promise<void> {
    await this.sql.transaction(async (tx) => {
      const row = await tx.get(
        `SELECT tenant_id, status, status_changed_at_ms FROM gateways WHERE id = ? ${lockForUpdate(this.dialect)}`,
        [input.gatewayId],
      );
      const changedAtMs = row?.status_changed_at_ms as number | null | undefined;
      if (!row || (changedAtMs != null && changedAtMs > input.atMs)) return;
      if (row.status === 'online' && changedAtMs != null) {
        await addOnlineTime(tx, input.gatewayId, row.tenant_id as string, changedAtMs, input.atMs);
      }
      await tx.run(
        `UPDATE gateways SET status = ?, status_changed_at_ms = ?,
           last_seen_at_ms = ${greatest(this.dialect)}(coalesce(last_seen_at_ms, 0), ?)
         WHERE id = ?`,
        [input.status, input.atMs, input.atMs, input.gatewayId],
      );
    });
  }

  async markAllGatewaysOffline(atMs: number): Promise<number> {
    return this.sql.transaction(async (tx) => {
      // Nobody knows when the unclean stop came: they were online until last heard from.
      const online = await tx.all(
        `SELECT id, tenant_id, status_changed_at_ms, last_seen_at_ms FROM gateways
         WHERE status = 'online' ORDER BY id ${lockForUpdate(this.dialect)}`,
      );
      for (const gateway of online) {
        const changedAtMs = gateway.status_changed_at_ms as number | null;
        if (changedAtMs === null) continue;
        const lastSeenAtMs = (gateway.last_seen_at_ms as number | null) ?? 0;
        await addOnlineTime(
          tx,
          gateway.id as string,
          gateway.tenant_id as string,
          changedAtMs,
          Math.min(atMs, Math.max(changedAtMs, lastSeenAtMs)),
        );
      }
      return tx.run(
        `UPDATE gateways SET status = 'offline', status_changed_at_ms = ? WHERE status = 'online'`,
        [atMs],
      );
    });
  }

  /** Creates gateways all or none (bulk import); a duplicate id fails the whole call with HESTIA_CONFLICT. */
  async createGateways(
    gateways: Array<{
      id: string;
      tenantId: string;
      name: string;
      tokenHash: string;
      claimCodeHash: string | null;
      createdAtMs: number;
    }>,
  ): Promise<Gateway[]> {
    return this.sql.transaction(async (tx) => {
      const created: Gateway[] = [];
      for (const gateway of gateways) {
        await tx.run(
          'INSERT INTO gateways (id, tenant_id, name, token_hash, claim_code_hash, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)',
          [
            gateway.id,
            gateway.tenantId,
            gateway.name,
            gateway.tokenHash,
            gateway.claimCodeHash,
            gateway.createdAtMs,
          ],
        );
        created.push(toGateway((await tx.get('SELECT * FROM gateways WHERE id = ?', [gateway.id]))!));
      }
      return created;
    });
  }

  /** Which of these ids already exist (any tenant): bulk import reports them per row. */
  async existingGatewayIds(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = await this.sql.all(
        `SELECT id FROM gateways WHERE id IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
      );
      for (const row of rows) found.add(row.id as string);
    }
    return found;
  }

  async listHomeGateways(homeId: string): Promise<Gateway[]> {
    return (await this.sql.all('SELECT * FROM gateways WHERE home_id = ? ORDER BY id', [homeId])).map(
      toGateway,
    );
  }

  /** Gateways registered to the home (what a tariff's `maxGatewaysPerHome` limits). */
  async countHomeGateways(homeId: string): Promise<number> {
    return countGatewaysOfHome(this.sql, homeId);
  }

  /** Cameras (devices of type camera, not removed) of the home's gateways: what `maxCamerasPerHome` limits. */
  async countHomeCameras(homeId: string): Promise<number> {
    const row = await this.sql.get(
      `SELECT count(*) AS n FROM devices d JOIN gateways g ON g.id = d.gateway_id
       WHERE g.home_id = ? AND d.type = 'camera' AND d.removed_at_ms IS NULL`,
      [homeId],
    );
    return Number(row!.n);
  }

  async listTenantGatewayIds(tenantId: string): Promise<string[]> {
    return (await this.sql.all('SELECT id FROM gateways WHERE tenant_id = ?', [tenantId])).map(
      (row) => row.id as string,
    );
  }

  /** Registers a pending gateway to a home; false if it is registered already (first claim wins). */
  async registerGateway(gatewayId: string, homeId: string, atMs: number): Promise<boolean> {
    return (
      (await this.sql.run(
        'UPDATE gateways SET home_id = ?, registered_at_ms = ? WHERE id = ? AND home_id IS NULL',
        [homeId, atMs, gatewayId],
      )) === 1
    );
  }

  /**
   * Registers a pending gateway to a home if the home's tariff allows one more gateway. The
   * home's row is locked first (PostgreSQL; SQLite's transaction is exclusive anyway), so two
   * claims into one home cannot both take its last place.
   */
  async registerGatewayWithinTariff(
    gatewayId: string,
    homeId: string,
    atMs: number,
  ): Promise<TariffRegistration> {
    return this.sql.transaction(async (tx) => {
      await tx.run('UPDATE homes SET tariff_id = tariff_id WHERE id = ?', [homeId]);
      const tariff = await findTariffOfHome(tx, homeId);
      const registered = await countGatewaysOfHome(tx, homeId);
      if (tariff && registered >= tariff.maxGatewaysPerHome) return { outcome: 'limit', tariff, registered };
      const changed = await tx.run(
        'UPDATE gateways SET home_id = ?, registered_at_ms = ? WHERE id = ? AND home_id IS NULL',
        [homeId, atMs, gatewayId],
      );
      return { outcome: changed === 1 ? 'registered' : 'taken' };
    });
  }

  /** Returns the gateway to pending (its data is deleted separately, by the telemetry store). */
  async unregisterGateway(gatewayId: string): Promise<void> {
    await this.sql.run('UPDATE gateways SET home_id = NULL, registered_at_ms = NULL WHERE id = ?', [
      gatewayId,
    ]);
  }

  /** New credentials: the old token stops working; a revoked gateway is usable again. */
  async setGatewayToken(gatewayId: string, tokenHash: string, atMs: number): Promise<void> {
    await this.sql.run(
      'UPDATE gateways SET token_hash = ?, credentials_rotated_at_ms = ?, credentials_revoked_at_ms = NULL WHERE id = ?',
      [tokenHash, atMs, gatewayId],
    );
  }

  async revokeGatewayCredentials(gatewayId: string, atMs: number): Promise<void> {
    await this.sql.run('UPDATE gateways SET credentials_revoked_at_ms = ? WHERE id = ?', [atMs, gatewayId]);
  }

  async setGatewayClaimCode(gatewayId: string, claimCodeHash: string): Promise<void> {
    await this.sql.run('UPDATE gateways SET claim_code_hash = ? WHERE id = ?', [claimCodeHash, gatewayId]);
  }
}

export function toGateway(row: Row): Gateway {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string,
    name: row.name as string,
    homeId: row.home_id as string | null,
    registeredAtMs: row.registered_at_ms as number | null,
    unregisteredMessages: row.unregistered_messages as number,
    credentialsRotatedAtMs: row.credentials_rotated_at_ms as number | null,
    credentialsRevokedAtMs: row.credentials_revoked_at_ms as number | null,
    status: row.status as GatewayStatus,
    lastSeenAtMs: row.last_seen_at_ms as number | null,
    statusChangedAtMs: row.status_changed_at_ms as number | null,
    firmware: row.firmware as string | null,
    vendor: row.vendor as string | null,
    createdAtMs: row.created_at_ms as number,
  };
}

export function toGatewayWithSecret(row: Row): GatewayWithSecret {
  return {
    ...toGateway(row),
    tokenHash: row.token_hash as string,
    claimCodeHash: row.claim_code_hash as string | null,
  };
}
