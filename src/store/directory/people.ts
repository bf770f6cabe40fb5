import type { PersonStore } from '../../core/ports/directory.ts';
import type { Role, User, UserWithSecret } from '../../core/domain/person.ts';
import { isLanguage, type Language } from '../../core/messages.ts';
import type { Row, SqlRunner } from '../../core/ports/sql.ts';

/**
 * People's accounts: email (unique per tenant), password hash, role, name, language, disabled.
 * Written once in SQL both engines accept, against the `SqlRunner` port.
 */
export class SqlPersonStore implements PersonStore {
  constructor(private readonly sql: SqlRunner) {}

  async createUser(input: {
    id: string;
    tenantId: string | null;
    email: string;
    name?: string | null;
    passwordHash: string;
    role: Role;
    language?: Language | null;
    createdAtMs: number;
  }): Promise<User> {
    await this.sql.run(
      `INSERT INTO users (id, tenant_id, email, email_lower, name, password_hash, role, language, created_at_ms,
         password_changed_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        input.id,
        input.tenantId,
        input.email,
        input.email.toLowerCase(),
        input.name ?? null,
        input.passwordHash,
        input.role,
        input.language ?? null,
        input.createdAtMs,
        input.createdAtMs,
      ],
    );
    return (await this.findUser(input.id))!;
  }

  async findUser(id: string): Promise<UserWithSecret | undefined> {
    const row = await this.sql.get('SELECT * FROM users WHERE id = ?', [id]);
    return row ? withSecret(row) : undefined;
  }

  /** Emails are unique per tenant (null: platform accounts) and compared case-insensitively. */
  async findUserByEmail(tenantId: string | null, email: string): Promise<UserWithSecret | undefined> {
    const row = await this.sql.get(
      "SELECT * FROM users WHERE coalesce(tenant_id, '') = ? AND email_lower = ?",
      [tenantId ?? '', email.toLowerCase()],
    );
    return row ? withSecret(row) : undefined;
  }

  /** Every account with this email, across tenants (login without a tenant). */
  async findUsersByEmail(email: string): Promise<UserWithSecret[]> {
    const rows = await this.sql.all('SELECT * FROM users WHERE email_lower = ? ORDER BY id LIMIT 10', [
      email.toLowerCase(),
    ]);
    return rows.map(withSecret);
  }

  async listUsers(tenantId: string, page: { limit: number; after?: string | undefined }): Promise<User[]> {
    const rows = await this.sql.all(
      'SELECT * FROM users WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?',
      [tenantId, page.after ?? '', page.limit],
    );
    return rows.map(toUser);
  }

  async countUsers(): Promise<number> {
    return Number((await this.sql.get('SELECT count(*) AS n FROM users'))!.n);
  }

  async setUserPassword(userId: string, passwordHash: string, atMs: number): Promise<void> {
    await this.sql.run('UPDATE users SET password_hash = ?, password_changed_at_ms = ? WHERE id = ?', [
      passwordHash,
      atMs,
      userId,
    ]);
  }

  async setUserRole(userId: string, role: Role): Promise<void> {
    await this.sql.run('UPDATE users SET role = ? WHERE id = ?', [role, userId]);
  }

  async setUserDisabled(userId: string, disabledAtMs: number | null): Promise<void> {
    await this.sql.run('UPDATE users SET disabled_at_ms = ? WHERE id = ?', [disabledAtMs, userId]);
  }

  async setUserName(userId: string, name: string | null): Promise<void> {
    await this.sql.run('UPDATE users SET name = ? WHERE id = ?', [name, userId]);
  }

  async setUserLanguage(userId: string, language: Language | null): Promise<void> {
    await this.sql.run('UPDATE users SET language = ? WHERE id = ?', [language, userId]);
  }
}

function withSecret(row: Row): UserWithSecret {
  return { ...toUser(row), passwordHash: row.password_hash as string };
}

export function toUser(row: Row): User {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string | null,
    email: row.email as string,
    name: row.name as string | null,
    role: row.role as Role,
    language: isLanguage(row.language) ? row.language : null,
    createdAtMs: row.created_at_ms as number,
    disabledAtMs: row.disabled_at_ms as number | null,
  };
}
