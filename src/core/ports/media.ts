import type {
  ArchiveSegment,
  Camera,
  CameraEvent,
  MediaDisk,
  MediaLoad,
  MediaServer,
  MediaServerHealth,
  MediaServerState,
  PreviewEntry,
  RecordingState,
} from '../domain/media.ts';
import type { RecordingMode } from '../domain/tariff.ts';
import type { Preview } from '../domain/device.ts';

/** A media server with its secret, as only the media services see it. */
export interface MediaServerWithSecret extends MediaServer {
  secret: string;
  maxStreams: number;
  maxBitsPerSec: number;
}

export interface NewMediaServer {
  id: string;
  name: string;
  engine: MediaServer['engine'];
  controlUrl: string;
  agentUrl: string | null;
  ingestUrl: string;
  playbackUrl: string;
  application: string;
  region: string | null;
  secret: string;
  maxStreams: number;
  maxBitsPerSec: number;
  createdAtMs: number;
}

export type MediaServerPatch = Partial<
  Pick<
    MediaServerWithSecret,
    | 'name'
    | 'controlUrl'
    | 'agentUrl'
    | 'ingestUrl'
    | 'playbackUrl'
    | 'application'
    | 'region'
    | 'maxStreams'
    | 'maxBitsPerSec'
  > & { state: MediaServerState }
>;

/** One poll's outcome. */
export interface MediaServerPoll {
  health: MediaServerHealth;
  /** Null when the poll failed: the last known figures stay. */
  load: MediaLoad | null;
  disks: MediaDisk[] | null;
  fullDiskIds: string[];
}

/** The media servers of the cluster (platform-wide). */
export interface MediaServerStore {
  create(server: NewMediaServer): Promise<MediaServerWithSecret>;
  find(id: string): Promise<MediaServerWithSecret | undefined>;
  list(): Promise<MediaServerWithSecret[]>;
  update(id: string, patch: MediaServerPatch): Promise<MediaServerWithSecret | undefined>;
  recordPoll(id: string, poll: MediaServerPoll): Promise<void>;
  /** Deletes the server; false when cameras' archive files still lie on it. */
  delete(id: string): Promise<boolean>;
}

export interface NewCamera {
  deviceId: string;
  tenantId: string;
  homeId: string;
  gatewayId: string;
  mode: RecordingMode;
  createdAtMs: number;
}

export interface CameraPatch {
  mode?: RecordingMode;
  serverId?: string | null;
  streaming?: boolean;
  wantRecording?: boolean;
  recordUntilMs?: number | null;
  recording?: { state: RecordingState; reason: string | null; sinceMs: number };
  lastMotionAtMs?: number;
}

export interface CameraStore {
  /** The camera row of a device, created with the next free number when it has none. */
  ensure(camera: NewCamera): Promise<Camera>;
  find(deviceId: string): Promise<Camera | undefined>;
  listByHome(homeId: string): Promise<Camera[]>;
  listByServer(serverId: string): Promise<Camera[]>;
  /** Every camera in device-id order, a page at a time (retention passes). */
  listPage(afterDeviceId: string | null, limit: number): Promise<Camera[]>;
  /** Cameras whose recording the reconciler must look at: wanted and not recording, or the reverse, or due to stop. */
  listNeedingAttention(nowMs: number): Promise<Camera[]>;
  update(deviceId: string, patch: CameraPatch): Promise<Camera | undefined>;
}

export interface NewArchiveSegment extends Omit<ArchiveSegment, 'id'> {
  id: string;
  gatewayId: string;
}

export interface ArchiveStore {
  /** Indexes a finished file; the same (server, path) again returns the row already there. */
  insert(segment: NewArchiveSegment): Promise<{ segment: ArchiveSegment; created: boolean }>;
  find(id: string): Promise<ArchiveSegment | undefined>;
  /** Files of a camera that overlap [fromMs, toMs), in start order, after `afterStartMs` (paging). */
  overlapping(
    deviceId: string,
    fromMs: number,
    toMs: number,
    limit: number,
    after?: { startMs: number; id: string },
  ): Promise<ArchiveSegment[]>;
  /** The same files without their fragment lists: what a timeline needs (start, end, id). */
  spans(
    deviceId: string,
    fromMs: number,
    toMs: number,
    limit: number,
  ): Promise<Array<{ id: string; startMs: number; endMs: number }>>;
  /**
   * Moves files that ended before `cutoffMs` (of one camera) to the deletion queue and removes
   * their index rows, at most `limit` at a time; returns how many.
   */
  expire(deviceId: string, cutoffMs: number, limit: number, nowMs: number): Promise<number>;
  /** The same for every file of a gateway's cameras (removal): index rows go, files are queued. */
  expireGateway(gatewayId: string, nowMs: number): Promise<number>;
  /** Archive files per server still indexed, for the operator and for deleting a server. */
  countByServer(serverId: string): Promise<number>;
  /** Cameras with archive files, with their home (for the retention pass). */
  camerasWithArchive(): Promise<Array<{ deviceId: string; homeId: string; oldestEndMs: number }>>;
}

export interface MediaDeletion {
  id: number;
  serverId: string;
  path: string;
  reason: string;
  attempts: number;
}

/** Files to delete on media servers, drained when each server answers. */
export interface MediaDeletionStore {
  due(serverId: string, nowMs: number, limit: number): Promise<MediaDeletion[]>;
  done(ids: readonly number[]): Promise<void>;
  retryLater(ids: readonly number[], error: string, nextAttemptAtMs: number): Promise<void>;
  pendingByServer(): Promise<Map<string, number>>;
}

export interface CameraEventStore {
  add(event: CameraEvent & { gatewayId: string }): Promise<void>;
  /** Events of a camera in [fromMs, toMs), in time order, at most `limit`. */
  list(deviceId: string, fromMs: number, toMs: number, limit: number): Promise<CameraEvent[]>;
  /** Deletes a camera's events before `cutoffMs`; returns how many. */
  expire(deviceId: string, cutoffMs: number): Promise<number>;
  deleteGateway(gatewayId: string): Promise<number>;
}

export interface PreviewHistoryStore {
  list(deviceId: string, fromMs: number, toMs: number, limit: number): Promise<PreviewEntry[]>;
  find(deviceId: string, tsMs: number): Promise<Preview | undefined>;
  /** The latest preview of a camera at or before `tsMs`. */
  latestAtOrBefore(deviceId: string, tsMs: number): Promise<PreviewEntry | undefined>;
  expire(deviceId: string, cutoffMs: number): Promise<number>;
}

/** Secrets every worker of one installation shares (e.g. the playback-URL signing key). */
export interface PlatformSecretStore {
  /** The secret named `name`, created from `create()` the first time (first writer wins). */
  getOrCreate(name: string, create: () => string, nowMs: number): Promise<string>;
}

/** Cameras, the media servers and the archive. */
export interface Media {
  readonly servers: MediaServerStore;
  readonly cameras: CameraStore;
  readonly archive: ArchiveStore;
  readonly deletions: MediaDeletionStore;
  readonly events: CameraEventStore;
  readonly previews: PreviewHistoryStore;
  readonly secrets: PlatformSecretStore;
}
