import type { InvitationStore } from '../../core/ports/directory.ts';
import type { Invitation } from '../../core/domain/person.ts';
import { isLanguage } from '../../core/messages.ts';
import type { Row, SqlRunner } from '../../core/ports/sql.ts';

/**
 * Invitations to a tenant or a home, accepted by a mailed token.
 * Written once in SQL both engines accept, against the `SqlRunner` port.
 */
export class SqlInvitationStore implements InvitationStore {
  constructor(private readonly sql: SqlRunner) {}

  async createInvitation(input: Omit<Invitation, 'acceptedAtMs' | 'revokedAtMs'> & { tokenHash: string }) {
    await this.sql.run(
      `INSERT INTO invitations (id, tenant_id, home_id, email, email_lower, role, token_hash, invited_by, language,
         created_at_ms, expires_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        input.id,
        input.tenantId,
        input.homeId,
        input.email,
        input.email.toLowerCase(),
        input.role,
        input.tokenHash,
        input.invitedBy,
        input.language,
        input.createdAtMs,
        input.expiresAtMs,
      ],
    );
  }

  async findInvitationByToken(tokenHash: string): Promise<Invitation | undefined> {
    const row = await this.sql.get('SELECT * FROM invitations WHERE token_hash = ?', [tokenHash]);
    return row ? toInvitation(row) : undefined;
  }

  async findInvitation(tenantId: string, id: string): Promise<Invitation | undefined> {
    const row = await this.sql.get('SELECT * FROM invitations WHERE tenant_id = ? AND id = ?', [
      tenantId,
      id,
    ]);
    return row ? toInvitation(row) : undefined;
  }

  /** Open invitations of a tenant (homeId null) or of one home. */
  async listOpenInvitations(tenantId: string, homeId: string | null, nowMs: number): Promise<Invitation[]> {
    const rows = await this.sql.all(
      `SELECT * FROM invitations WHERE tenant_id = ? AND coalesce(home_id, '') = ?
         AND accepted_at_ms IS NULL AND revoked_at_ms IS NULL AND expires_at_ms > ? ORDER BY created_at_ms, id`,
      [tenantId, homeId ?? '', nowMs],
    );
    return rows.map(toInvitation);
  }

  /** Compare-and-set: only one acceptance of an invitation succeeds. */
  async markInvitationAccepted(id: string, atMs: number): Promise<boolean> {
    return (
      (await this.sql.run(
        `UPDATE invitations SET accepted_at_ms = ?
         WHERE id = ? AND accepted_at_ms IS NULL AND revoked_at_ms IS NULL AND expires_at_ms > ?`,
        [atMs, id, atMs],
      )) === 1
    );
  }

  async revokeInvitation(id: string, atMs: number): Promise<boolean> {
    return (
      (await this.sql.run(
        'UPDATE invitations SET revoked_at_ms = ? WHERE id = ? AND accepted_at_ms IS NULL AND revoked_at_ms IS NULL',
        [atMs, id],
      )) === 1
    );
  }
}

function toInvitation(row: Row): Invitation {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string,
    homeId: row.home_id as string | null,
    email: row.email as string,
    role: row.role as Invitation['role'],
    invitedBy: row.invited_by as string | null,
    language: isLanguage(row.language) ? row.language : null,
    createdAtMs: row.created_at_ms as number,
    expiresAtMs: row.expires_at_ms as number,
    acceptedAtMs: row.accepted_at_ms as number | null,
    revokedAtMs: row.revoked_at_ms as number | null,
  };
}
