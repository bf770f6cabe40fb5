import type { ConfigInput } from '../../src/core/config.ts';
import { createTestDatabase } from './postgres.ts';

/** A storage backend an integration suite runs on; `open` makes a fresh store for one suite. */
export interface Backend {
  name: string;
  open(): Promise<{ storage?: ConfigInput['storage']; drop: () => Promise<void> }>;
}

export const SQLITE: Backend = { name: 'SQLite', open: async () => ({ drop: async () => undefined }) };

export const POSTGRES: Backend = {
  name: 'PostgreSQL',
  async open() {
    const database = await createTestDatabase();
    if ('skipped' in database) throw new Error(database.skipped);
    return { storage: { kind: 'postgres', databaseUrl: database.url }, drop: database.drop };
  },
};
