import { HestiaError } from '../core/errors.ts';
import { MIGRATIONS } from './migrations/index.ts';

/**
 * Refuses a database that a newer Hestia has migrated: this version does not know its tables,
 * and writing to them could lose what the newer one relies on. Workers of one installation
 * upgrade together; one left on the old binary stops here with a message instead.
 */
export function assertSchemaKnown(applied: Iterable<number>): void {
  const known = MIGRATIONS.length;
  const unknown = [...applied].filter((version) => version > known).sort((a, b) => a - b);
  if (unknown.length > 0)
    throw new HestiaError(
      'HESTIA_SCHEMA_TOO_NEW',
      `The database has schema version ${unknown[unknown.length - 1]}, this Hestia knows up to ${known}: it was migrated by a newer Hestia. Run that version, or restore a backup from before the upgrade.`,
    );
}
