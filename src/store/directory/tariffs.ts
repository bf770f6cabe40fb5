import type { TariffStore } from '../../core/ports/directory.ts';
import type { GatewayRetentionPolicy, RecordingMode, Tariff, TariffPatch } from '../../core/domain/tariff.ts';
import { jsonColumn } from '../rows.ts';
import type { Row, SqlRunner } from '../../core/ports/sql.ts';

/**
 * The tariff in force for the home `h`: its own, else its tenant's default. SQL both engines
 * accept, joined wherever a home's tariff is needed.
 */
export const TARIFF_OF_HOME = `t.tenant_id = h.tenant_id
  AND (t.id = h.tariff_id OR (h.tariff_id IS NULL AND t.is_default = 1))`;

/**
 * Tariffs of a tenant, the default one, a home's tariff, and the retention each gateway's data follows.
 * Written once in SQL both engines accept, against the `SqlRunner` port.
 */
export class SqlTariffStore implements TariffStore {
  constructor(private readonly sql: SqlRunner) {}

  /** A new tariff of a tenant; never the default at first (see `setDefaultTariff`). A taken name is HESTIA_CONFLICT. */
  async createTariff(input: Omit<Tariff, 'isDefault' | 'updatedAtMs'>): Promise<Tariff> {
    const tariff: Tariff = { ...input, isDefault: false, updatedAtMs: input.createdAtMs };
    await insertTariff(this.sql, tariff);
    return tariff;
  }

  async listTariffs(tenantId: string): Promise<Tariff[]> {
    return (
      await this.sql.all('SELECT * FROM tariffs WHERE tenant_id = ? ORDER BY name, id', [tenantId])
    ).map(toTariff);
  }

  async findTariff(id: string): Promise<Tariff | undefined> {
    const row = await this.sql.get('SELECT * FROM tariffs WHERE id = ?', [id]);
    return row ? toTariff(row) : undefined;
  }

  /** Changes the fields given; undefined when there is no such tariff. A taken name is HESTIA_CONFLICT. */
  async updateTariff(id: string, patch: TariffPatch, atMs: number): Promise<Tariff | undefined> {
    const current = await this.findTariff(id);
    if (!current) return undefined;
    const next: Tariff = { ...current, ...definedFields(patch), updatedAtMs: atMs };
    await this.sql.run(
      `UPDATE tariffs SET name = ?, sensor_retention_days = ?, video_retention_days = ?, raw_retention_days = ?,
         recording_modes = ?, max_gateways_per_home = ?, max_cameras_per_home = ?, updated_at_ms = ?
       WHERE id = ?`,
      [
        next.name,
        next.sensorRetentionDays,
        next.videoRetentionDays,
        next.rawRetentionDays,
        JSON.stringify(next.recordingModes),
        next.maxGatewaysPerHome,
        next.maxCamerasPerHome,
        next.updatedAtMs,
        id,
      ],
    );
    return next;
  }

  /**
   * Deletes a tariff that is neither its tenant's default nor set on any home; false otherwise
   * (or when there is no such tariff).
   */
  async deleteTariff(id: string): Promise<boolean> {
    return (
      (await this.sql.run(
        'DELETE FROM tariffs WHERE id = ? AND is_default = 0 AND NOT EXISTS (SELECT 1 FROM homes WHERE tariff_id = ?)',
        [id, id],
      )) === 1
    );
  }

  /**
   * Makes the tariff its tenant's default and every other one not, in one transaction; false
   * if the tenant has no such tariff. Every row of the tenant is written, so that on PostgreSQL
   * two concurrent calls queue on the same row locks and one default remains.
   */
  async setDefaultTariff(tenantId: string, tariffId: string, atMs: number): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const found = await tx.get('SELECT id FROM tariffs WHERE tenant_id = ? AND id = ?', [
        tenantId,
        tariffId,
      ]);
      if (!found) return false;
      await tx.run(
        `UPDATE tariffs SET
           updated_at_ms = CASE WHEN is_default <> (CASE WHEN id = ? THEN 1 ELSE 0 END) THEN ? ELSE updated_at_ms END,
           is_default = CASE WHEN id = ? THEN 1 ELSE 0 END
         WHERE tenant_id = ?`,
        [tariffId, atMs, tariffId, tenantId],
      );
      return true;
    });
  }

  /** Sets the home's tariff; null: the home follows its tenant's default. False if there is no such home. */
  async setHomeTariff(homeId: string, tariffId: string | null): Promise<boolean> {
    return (await this.sql.run('UPDATE homes SET tariff_id = ? WHERE id = ?', [tariffId, homeId])) === 1;
  }

  /** Homes whose own tariff this is (homes that follow the default are not counted). */
  async countTariffHomes(tariffId: string): Promise<number> {
    return Number((await this.sql.get('SELECT count(*) AS n FROM homes WHERE tariff_id = ?', [tariffId]))!.n);
  }

  /** The tariff in force for a home: its own, else its tenant's default; undefined if there is no such home. */
  async tariffForHome(homeId: string): Promise<Tariff | undefined> {
    return findTariffOfHome(this.sql, homeId);
  }

  /** The retention horizons of every gateway registered to a home, from the home's tariff in force. */
  async retentionPolicies(): Promise<GatewayRetentionPolicy[]> {
    const rows = await this.sql.all(
      `SELECT g.id AS gateway_id, g.tenant_id, g.home_id, t.raw_retention_days, t.sensor_retention_days,
         t.video_retention_days
       FROM gateways g JOIN homes h ON h.id = g.home_id JOIN tariffs t ON ${TARIFF_OF_HOME}
       ORDER BY g.id`,
    );
    return rows.map((row) => ({
      gatewayId: row.gateway_id as string,
      tenantId: row.tenant_id as string,
      homeId: row.home_id as string,
      rawRetentionDays: Number(row.raw_retention_days),
      sensorRetentionDays: Number(row.sensor_retention_days),
      videoRetentionDays: Number(row.video_retention_days),
    }));
  }
}

function definedFields<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function toTariff(row: Row): Tariff {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string,
    name: row.name as string,
    sensorRetentionDays: Number(row.sensor_retention_days),
    videoRetentionDays: Number(row.video_retention_days),
    rawRetentionDays: Number(row.raw_retention_days),
    recordingModes: jsonColumn<RecordingMode[]>(row.recording_modes),
    maxGatewaysPerHome: Number(row.max_gateways_per_home),
    maxCamerasPerHome: Number(row.max_cameras_per_home),
    isDefault: Number(row.is_default) === 1,
    createdAtMs: Number(row.created_at_ms),
    updatedAtMs: Number(row.updated_at_ms),
  };
}

export async function insertTariff(sql: SqlRunner, tariff: Tariff): Promise<void> {
  await sql.run(
    `INSERT INTO tariffs (id, tenant_id, name, sensor_retention_days, video_retention_days, raw_retention_days,
       recording_modes, max_gateways_per_home, max_cameras_per_home, is_default, created_at_ms, updated_at_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      tariff.id,
      tariff.tenantId,
      tariff.name,
      tariff.sensorRetentionDays,
      tariff.videoRetentionDays,
      tariff.rawRetentionDays,
      JSON.stringify(tariff.recordingModes),
      tariff.maxGatewaysPerHome,
      tariff.maxCamerasPerHome,
      tariff.isDefault ? 1 : 0,
      tariff.createdAtMs,
      tariff.updatedAtMs,
    ],
  );
}

export async function findTariffOfHome(sql: SqlRunner, homeId: string): Promise<Tariff | undefined> {
  const row = await sql.get(
    `SELECT t.* FROM homes h JOIN tariffs t ON ${TARIFF_OF_HOME} WHERE h.id = ? ORDER BY t.id LIMIT 1`,
    [homeId],
  );
  return row ? toTariff(row) : undefined;
}

export async function countGatewaysOfHome(sql: SqlRunner, homeId: string): Promise<number> {
  return Number((await sql.get('SELECT count(*) AS n FROM gateways WHERE home_id = ?', [homeId]))!.n);
}
