import type { TenantStore } from '../../core/ports/directory.ts';
import { randomUUID } from 'node:crypto';
import type { Branding, Tenant, TenantStatus } from '../../core/domain/tenant.ts';
import { DEFAULT_TARIFFS } from '../../core/domain/tariff.ts';

import type { Row, SqlRunner } from '../../core/ports/sql.ts';
import { insertTariff } from './tariffs.ts';
import { jsonColumn } from '../rows.ts';

/**
 * Service providers (tenants): their settings, branding and push-provider credentials.
 * Written once in SQL both engines accept, against the `SqlRunner` port.
 */
export class SqlTenantStore implements TenantStore {
  constructor(private readonly sql: SqlRunner) {}

  async createTenant(input: {
    id: string;
    slug: string;
    name: string;
    createdAtMs: number;
    signupOpen?: boolean;
    branding?: Partial<Branding>;
  }): Promise<Tenant> {
    // Every path that makes a tenant (API, CLI, simulator, tests) comes through here, so a tenant
    // never exists without its tariffs, the seed's three, "Basic" being the default.
    await this.sql.transaction(async (tx) => {
      await tx.run(
        'INSERT INTO tenants (id, slug, name, created_at_ms, signup_open, branding) VALUES (?, ?, ?, ?, ?, ?)',
        [
          input.id,
          input.slug,
          input.name,
          input.createdAtMs,
          input.signupOpen === false ? 0 : 1,
          JSON.stringify(input.branding ?? {}),
        ],
      );
      for (const tariff of DEFAULT_TARIFFS) {
        await insertTariff(tx, {
          ...tariff,
          recordingModes: [...tariff.recordingModes],
          id: randomUUID(),
          tenantId: input.id,
          createdAtMs: input.createdAtMs,
          updatedAtMs: input.createdAtMs,
        });
      }
    });
    return (await this.findTenant(input.id))!;
  }

  async findTenant(id: string): Promise<Tenant | undefined> {
    const row = await this.sql.get('SELECT * FROM tenants WHERE id = ?', [id]);
    return row ? toTenant(row) : undefined;
  }

  async findTenantBySlug(slug: string): Promise<Tenant | undefined> {
    const row = await this.sql.get('SELECT * FROM tenants WHERE slug = ?', [slug]);
    return row ? toTenant(row) : undefined;
  }

  async listTenants(): Promise<Tenant[]> {
    return (await this.sql.all('SELECT * FROM tenants ORDER BY created_at_ms, id')).map(toTenant);
  }

  async updateTenant(
    id: string,
    patch: { name?: string | undefined; branding?: Branding | undefined; signupOpen?: boolean | undefined },
  ): Promise<Tenant | undefined> {
    await this.sql.run(
      `UPDATE tenants SET name = coalesce(?, name), branding = coalesce(?, branding),
         signup_open = coalesce(?, signup_open) WHERE id = ?`,
      [
        patch.name ?? null,
        patch.branding ? JSON.stringify(patch.branding) : null,
        patch.signupOpen === undefined ? null : patch.signupOpen ? 1 : 0,
        id,
      ],
    );
    return this.findTenant(id);
  }

  async setTenantStatus(id: string, status: TenantStatus, atMs: number): Promise<void> {
    await this.sql.run('UPDATE tenants SET status = ?, suspended_at_ms = ? WHERE id = ?', [
      status,
      status === 'suspended' ? atMs : null,
      id,
    ]);
  }

  /** Push-provider credentials as a JSON text, or null to remove them. */
  async setTenantPushCredentials(id: string, credentialsJson: string | null): Promise<void> {
    await this.sql.run('UPDATE tenants SET push_credentials = ? WHERE id = ?', [credentialsJson, id]);
  }

  async findTenantPushCredentials(id: string): Promise<string | null> {
    const row = await this.sql.get('SELECT push_credentials FROM tenants WHERE id = ?', [id]);
    return (row?.push_credentials as string | null | undefined) ?? null;
  }
}

export function toTenant(row: Row): Tenant {
  return {
    id: row.id as string,
    slug: row.slug as string,
    name: row.name as string,
    status: row.status as TenantStatus,
    branding: { ...EMPTY_BRANDING, ...jsonColumn<Partial<Branding>>(row.branding) },
    signupOpen: Number(row.signup_open) === 1,
    createdAtMs: row.created_at_ms as number,
    suspendedAtMs: row.suspended_at_ms as number | null,
  };
}

const EMPTY_BRANDING: Branding = { displayName: null, logoUrl: null, primaryColor: null, accentColor: null };
