import { randomBytes, randomUUID } from 'node:crypto';
import type { AppContext } from '../../core/context.ts';
import { MEDIA_ENGINES, type MediaEngineKind, type MediaServerState } from '../../core/domain/media.ts';
import type { MediaServerPatch, MediaServerWithSecret } from '../../core/ports/media.ts';
import { HestiaError } from '../../core/errors.ts';
import type { AuditService } from '../audit.ts';
import type { CommandService } from '../commands.ts';
import { SYSTEM_ORIGIN, type Principal, type RequestOrigin } from '../principal.ts';

/** The seed's media server: 400 cameras at 1 Mbps on a 400 Mbps uplink. */
const DEFAULT_MAX_STREAMS = 400;
const DEFAULT_MAX_BITS_PER_SEC = 400_000_000;

export interface MediaServerInput {
  name: string;
  engine: MediaEngineKind;
  controlUrl: string;
  agentUrl?: string | null;
  ingestUrl: string;
  playbackUrl: string;
  application?: string;
  region?: string | null;
  maxStreams?: number;
  maxBitsPerSec?: number;
}

export type MediaServerUpdate = Partial<Omit<MediaServerInput, 'engine'>> & { state?: MediaServerState };

function assertUrl(value: string, field: string, protocols: readonly string[]): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new HestiaError('HESTIA_VALIDATION_FAILED', `${field}: not a URL`);
  }
  if (!protocols.includes(url.protocol))
    throw new HestiaError(
      'HESTIA_VALIDATION_FAILED',
      `${field}: must be ${protocols.map((p) => p.replace(':', '')).join(' or ')}`,
    );
}

function validate(input: MediaServerUpdate & { engine?: MediaEngineKind }): void {
  if (input.engine !== undefined && !MEDIA_ENGINES.includes(input.engine))
    throw new HestiaError('HESTIA_VALIDATION_FAILED', `engine: one of ${MEDIA_ENGINES.join(', ')}`);
  if (input.name !== undefined && !/^[\w.-]{1,64}$/.test(input.name))
    throw new HestiaError('HESTIA_VALIDATION_FAILED', 'name: 1 to 64 letters, digits, dots, dashes');
  if (input.controlUrl !== undefined) assertUrl(input.controlUrl, 'controlUrl', ['http:', 'https:']);
  if (input.agentUrl) assertUrl(input.agentUrl, 'agentUrl', ['http:', 'https:']);
  if (input.playbackUrl !== undefined) assertUrl(input.playbackUrl, 'playbackUrl', ['http:', 'https:']);
  if (input.ingestUrl !== undefined) assertUrl(input.ingestUrl, 'ingestUrl', ['rtmp:', 'rtmps:']);
  if (input.application !== undefined && !/^[\w-]{1,64}$/.test(input.application))
    throw new HestiaError('HESTIA_VALIDATION_FAILED', 'application: 1 to 64 letters, digits, dashes');
  for (const [field, value] of [
    ['maxStreams', input.maxStreams],
    ['maxBitsPerSec', input.maxBitsPerSec],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1))
      throw new HestiaError('HESTIA_VALIDATION_FAILED', `${field}: a whole number above 0`);
  }
}

/**
 * The media servers of the cluster, registered by the platform administrator. A server's
 * secret (publish keys, playback URLs, its agent's and hooks' credentials) is returned once,
 * at registration, to be put in its agent's and nginx's configuration.
 */
export class MediaServerService {
  constructor(
    private readonly ctx: AppContext,
    private readonly deps: { audit: AuditService; commands: CommandService },
  ) {}

  private assertAdmin(principal: Principal): void {
    if (principal.kind !== 'user' || principal.role !== 'platform_admin')
      throw new HestiaError('HESTIA_FORBIDDEN', 'Media servers are run by the platform administrator');
  }

  async register(
    principal: Principal,
    input: MediaServerInput,
    origin: RequestOrigin = SYSTEM_ORIGIN,
  ): Promise<{ server: MediaServerWithSecret; secret: string }> {
    this.assertAdmin(principal);
    validate(input);
    const secret = randomBytes(32).toString('base64url');
    const server = await this.ctx.store.media.servers.create({
      id: randomUUID(),
      name: input.name,
      engine: input.engine,
      controlUrl: input.controlUrl,
      agentUrl: input.agentUrl ?? null,
      ingestUrl: input.ingestUrl,
      playbackUrl: input.playbackUrl,
      application: input.application ?? 'live',
      region: input.region ?? null,
      secret,
      maxStreams: input.maxStreams ?? DEFAULT_MAX_STREAMS,
      maxBitsPerSec: input.maxBitsPerSec ?? DEFAULT_MAX_BITS_PER_SEC,
      createdAtMs: this.ctx.clock.now(),
    });
    await this.audit(principal, origin, 'media_server.registered', server.id, { name: server.name });
    return { server, secret };
  }

  async list(principal: Principal): Promise<MediaServerWithSecret[]> {
    this.assertAdmin(principal);
    return this.ctx.store.media.servers.list();
  }

  async get(principal: Principal, id: string): Promise<MediaServerWithSecret> {
    this.assertAdmin(principal);
    const server = await this.ctx.store.media.servers.find(id);
    if (!server) throw new HestiaError('HESTIA_NOT_FOUND', 'No such media server');
    return server;
  }

  /** Changes a server; draining it sends its cameras elsewhere at once. */
  async update(
    principal: Principal,
    id: string,
    patch: MediaServerUpdate,
    origin: RequestOrigin = SYSTEM_ORIGIN,
  ): Promise<MediaServerWithSecret> {
    const current = await this.get(principal, id);
    validate(patch);
    if (patch.state !== undefined && patch.state !== 'active' && patch.state !== 'draining')
      throw new HestiaError('HESTIA_VALIDATION_FAILED', 'state: active or draining');
    const changes: MediaServerPatch = { ...patch };
    const updated = (await this.ctx.store.media.servers.update(id, changes))!;
    await this.audit(principal, origin, 'media_server.updated', id, { fields: Object.keys(patch) });
    if (current.state === 'active' && updated.state === 'draining') await this.moveCameras(id);
    return updated;
  }

  async delete(principal: Principal, id: string, origin: RequestOrigin = SYSTEM_ORIGIN): Promise<void> {
    const server = await this.get(principal, id);
    if (!(await this.ctx.store.media.servers.delete(id))) throw new HestiaError('HESTIA_MEDIA_SERVER_IN_USE');
    await this.audit(principal, origin, 'media_server.deleted', id, { name: server.name });
  }

  /**
   * Tells every camera of a server that fails or is drained to ask for another one (a
   * `changeMediaServer` command, queued while its gateway is offline). The camera keeps no
   * server until it asks, so nothing records on the old one any more.
   */
  async moveCameras(serverId: string): Promise<number> {
    const { store, logger } = this.ctx;
    const cameras = await store.media.cameras.listByServer(serverId);
    for (const camera of cameras) {
      await store.media.cameras.update(camera.deviceId, {
        serverId: null,
        streaming: false,
        recording: { state: 'idle', reason: 'media server left the cluster', sinceMs: this.ctx.clock.now() },
      });
      await this.deps.commands
        .sendForSystem({ deviceId: camera.deviceId, action: 'changeMediaServer', systemId: 'media-cluster' })
        .catch((error: unknown) =>
          logger.warn({ err: error, camera: camera.deviceId }, 'could not tell the camera to move'),
        );
    }
    if (cameras.length > 0)
      logger.warn({ serverId, cameras: cameras.length }, 'cameras told to move to another media server');
    return cameras.length;
  }

  private audit(
    principal: Principal,
    origin: RequestOrigin,
    action: 'media_server.registered' | 'media_server.updated' | 'media_server.deleted',
    id: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    return this.deps.audit.record({
      tenantId: null,
      action,
      actor: principal,
      origin,
      target: { type: 'media_server', id },
      detail,
    });
  }
}
