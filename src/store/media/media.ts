import type { Media } from '../../core/ports/media.ts';
import type { SqlRunner } from '../../core/ports/sql.ts';
import { SqlArchiveStore, SqlMediaDeletionStore } from './archive.ts';
import { SqlCameraStore } from './cameras.ts';
import { SqlCameraEventStore, SqlPlatformSecretStore, SqlPreviewHistoryStore } from './events.ts';
import { SqlMediaServerStore } from './servers.ts';

/** Cameras, media servers and the archive: portable SQL on the `SqlRunner` port. */
export class SqlMedia implements Media {
  readonly servers: SqlMediaServerStore;
  readonly cameras: SqlCameraStore;
  readonly archive: SqlArchiveStore;
  readonly deletions: SqlMediaDeletionStore;
  readonly events: SqlCameraEventStore;
  readonly previews: SqlPreviewHistoryStore;
  readonly secrets: SqlPlatformSecretStore;

  constructor(sql: SqlRunner) {
    this.servers = new SqlMediaServerStore(sql);
    this.cameras = new SqlCameraStore(sql);
    this.archive = new SqlArchiveStore(sql);
    this.deletions = new SqlMediaDeletionStore(sql);
    this.events = new SqlCameraEventStore(sql);
    this.previews = new SqlPreviewHistoryStore(sql);
    this.secrets = new SqlPlatformSecretStore(sql);
  }
}
