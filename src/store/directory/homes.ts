import type { HomeStore } from '../../core/ports/directory.ts';
import type { Home, HomeMember, HomeRole, Room } from '../../core/domain/home.ts';
import { isLanguage } from '../../core/messages.ts';
import type { Row, SqlRunner } from '../../core/ports/sql.ts';

/**
 * Homes, their rooms and members with their roles.
 * Written once in SQL both engines accept, against the `SqlRunner` port.
 */
export class SqlHomeStore implements HomeStore {
  constructor(private readonly sql: SqlRunner) {}

  /** Creates a home with its creator as owner, in one transaction; it follows its tenant's default tariff. */
  async createHome(home: Omit<Home, 'tariffId'>, ownerUserId: string): Promise<Home> {
    await this.sql.transaction(async (tx) => {
      await tx.run(
        'INSERT INTO homes (id, tenant_id, name, timezone, latitude, longitude, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [home.id, home.tenantId, home.name, home.timezone, home.latitude, home.longitude, home.createdAtMs],
      );
      await tx.run(
        'INSERT INTO home_members (home_id, user_id, tenant_id, role, joined_at_ms) VALUES (?, ?, ?, ?, ?)',
        [home.id, ownerUserId, home.tenantId, 'owner', home.createdAtMs],
      );
    });
    return { ...home, tariffId: null };
  }

  async findHome(id: string): Promise<Home | undefined> {
    const row = await this.sql.get('SELECT * FROM homes WHERE id = ?', [id]);
    return row ? toHome(row) : undefined;
  }

  /** Homes a person belongs to, with their role in each. */
  async listUserHomes(userId: string): Promise<Array<Home & { role: HomeRole }>> {
    const rows = await this.sql.all(
      `SELECT h.*, m.role AS member_role FROM homes h JOIN home_members m ON m.home_id = h.id
       WHERE m.user_id = ? ORDER BY h.created_at_ms, h.id`,
      [userId],
    );
    return rows.map((row) => ({ ...toHome(row), role: row.member_role as HomeRole }));
  }

  async listTenantHomes(
    tenantId: string,
    page: { limit: number; after?: string | undefined },
  ): Promise<Home[]> {
    const rows = await this.sql.all(
      'SELECT * FROM homes WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?',
      [tenantId, page.after ?? '', page.limit],
    );
    return rows.map(toHome);
  }

  async updateHome(
    id: string,
    patch: {
      name?: string | undefined;
      timezone?: string | undefined;
      latitude?: number | null | undefined;
      longitude?: number | null | undefined;
    },
  ): Promise<Home | undefined> {
    const home = await this.findHome(id);
    if (!home) return undefined;
    const next: Home = {
      ...home,
      name: patch.name ?? home.name,
      timezone: patch.timezone ?? home.timezone,
      latitude: patch.latitude === undefined ? home.latitude : patch.latitude,
      longitude: patch.longitude === undefined ? home.longitude : patch.longitude,
    };
    await this.sql.run('UPDATE homes SET name = ?, timezone = ?, latitude = ?, longitude = ? WHERE id = ?', [
      next.name,
      next.timezone,
      next.latitude,
      next.longitude,
      id,
    ]);
    return next;
  }

  async deleteHome(id: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM homes WHERE id = ?', [id])) === 1;
  }

  async findMemberRole(homeId: string, userId: string): Promise<HomeRole | undefined> {
    const row = await this.sql.get('SELECT role FROM home_members WHERE home_id = ? AND user_id = ?', [
      homeId,
      userId,
    ]);
    return row?.role as HomeRole | undefined;
  }

  /** A home's people, with the language each is written to in (null: unset). */
  async listMembers(homeId: string): Promise<HomeMember[]> {
    const rows = await this.sql.all(
      `SELECT m.home_id, m.user_id, m.role, m.joined_at_ms, u.email, u.name, u.language
       FROM home_members m JOIN users u ON u.id = m.user_id WHERE m.home_id = ? ORDER BY m.joined_at_ms, u.id`,
      [homeId],
    );
    return rows.map((row) => ({
      homeId: row.home_id as string,
      userId: row.user_id as string,
      email: row.email as string,
      name: row.name as string | null,
      role: row.role as HomeRole,
      language: isLanguage(row.language) ? row.language : null,
      joinedAtMs: row.joined_at_ms as number,
    }));
  }

  async addMember(input: {
    homeId: string;
    userId: string;
    tenantId: string;
    role: HomeRole;
    atMs: number;
  }): Promise<void> {
    await this.sql.run(
      'INSERT INTO home_members (home_id, user_id, tenant_id, role, joined_at_ms) VALUES (?, ?, ?, ?, ?)',
      [input.homeId, input.userId, input.tenantId, input.role, input.atMs],
    );
  }

  async setMemberRole(homeId: string, userId: string, role: HomeRole): Promise<boolean> {
    return (
      (await this.sql.run('UPDATE home_members SET role = ? WHERE home_id = ? AND user_id = ?', [
        role,
        homeId,
        userId,
      ])) === 1
    );
  }

  async removeMember(homeId: string, userId: string): Promise<boolean> {
    return (
      (await this.sql.run('DELETE FROM home_members WHERE home_id = ? AND user_id = ?', [homeId, userId])) ===
      1
    );
  }

  /** The owner hands the home to a member and stays on as a member; atomic, so there is always one owner. */
  async transferOwnership(homeId: string, fromUserId: string, toUserId: string): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const promoted = await tx.run(
        "UPDATE home_members SET role = 'owner' WHERE home_id = ? AND user_id = ? AND role <> 'owner'",
        [homeId, toUserId],
      );
      if (promoted !== 1) return false;
      await tx.run("UPDATE home_members SET role = 'member' WHERE home_id = ? AND user_id = ?", [
        homeId,
        fromUserId,
      ]);
      return true;
    });
  }

  async createRoom(room: Room & { tenantId: string }): Promise<Room> {
    await this.sql.run(
      'INSERT INTO rooms (id, tenant_id, home_id, name, created_at_ms) VALUES (?, ?, ?, ?, ?)',
      [room.id, room.tenantId, room.homeId, room.name, room.createdAtMs],
    );
    return { id: room.id, homeId: room.homeId, name: room.name, createdAtMs: room.createdAtMs };
  }

  async listRooms(homeId: string): Promise<Room[]> {
    return (
      await this.sql.all('SELECT * FROM rooms WHERE home_id = ? ORDER BY created_at_ms, id', [homeId])
    ).map(toRoom);
  }

  async findRoom(homeId: string, roomId: string): Promise<Room | undefined> {
    const row = await this.sql.get('SELECT * FROM rooms WHERE home_id = ? AND id = ?', [homeId, roomId]);
    return row ? toRoom(row) : undefined;
  }

  async renameRoom(homeId: string, roomId: string, name: string): Promise<boolean> {
    return (
      (await this.sql.run('UPDATE rooms SET name = ? WHERE home_id = ? AND id = ?', [
        name,
        homeId,
        roomId,
      ])) === 1
    );
  }

  async deleteRoom(homeId: string, roomId: string): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      await tx.run('UPDATE devices SET room_id = NULL WHERE room_id = ?', [roomId]);
      return (await tx.run('DELETE FROM rooms WHERE home_id = ? AND id = ?', [homeId, roomId])) === 1;
    });
  }
}

function toHome(row: Row): Home {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string,
    name: row.name as string,
    timezone: row.timezone as string,
    latitude: row.latitude as number | null,
    longitude: row.longitude as number | null,
    tariffId: (row.tariff_id as string | null | undefined) ?? null,
    createdAtMs: row.created_at_ms as number,
  };
}

function toRoom(row: Row): Room {
  return {
    id: row.id as string,
    homeId: row.home_id as string,
    name: row.name as string,
    createdAtMs: row.created_at_ms as number,
  };
}
