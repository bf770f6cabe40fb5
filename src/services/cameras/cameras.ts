import type { AppContext } from '../../core/context.ts';
import type { Device } from '../../core/domain/device.ts';
import type { Camera } from '../../core/domain/media.ts';
import { RECORDING_MODES, type RecordingMode } from '../../core/domain/tariff.ts';
import { isPublishKey, publishKey } from '../../core/media-signing.ts';
import type { MediaServerWithSecret } from '../../core/ports/media.ts';
import { HestiaError } from '../../core/errors.ts';
import type { AuditService } from '../audit.ts';
import type { Authorizer } from '../authorization.ts';
import { SYSTEM_ORIGIN, type Principal, type RequestOrigin } from '../principal.ts';
import type { MediaCluster } from './cluster.ts';

/** Where a camera publishes: the gateway's answer when it asks (the seed's balancer answer). */
export interface StreamAssignment {
  serverId: string;
  serverName: string;
  /** rtmp://host:port/<application>/<stream>?key=<publishKey>: what the gateway pushes to. */
  rtmpUrl: string;
  ingestUrl: string;
  application: string;
  stream: string;
  publishKey: string;
  region: string | null;
}

/** A camera with what its lists and pages show. */
export interface CameraView extends Camera {
  name: string | null;
  serverName: string | null;
  latestPreviewAtMs: number | null;
}

/**
 * Cameras as Hestia drives them: the row of each camera device (its stable number, mode,
 * server and recording state), the balancer's answer to a gateway, and the media server's
 * check of a publish key. A camera's row is created the first time Hestia needs it.
 */
export class CameraService {
  constructor(
    private readonly ctx: AppContext,
    private readonly deps: { authorize: Authorizer; audit: AuditService; cluster: MediaCluster },
  ) {}

  /** The camera row of a device of a registered gateway, created with the next free number; undefined otherwise. */
  async ensureFor(device: Device): Promise<Camera | undefined> {
    const { store, clock } = this.ctx;
    if (device.type !== 'camera') return undefined;
    const existing = await store.media.cameras.find(device.id);
    if (existing) return existing;
    const gateway = await store.directory.gateways.findGateway(device.gatewayId);
    if (!gateway?.homeId || device.removedAtMs !== null) return undefined;
    return store.media.cameras.ensure({
      deviceId: device.id,
      tenantId: device.tenantId,
      homeId: gateway.homeId,
      gatewayId: gateway.id,
      mode: await this.initialMode(gateway.homeId, device.settings.recordingMode),
      createdAtMs: clock.now(),
    });
  }

  /** The controller's own setting when it reported one, else motion where the tariff allows it. */
  private async initialMode(homeId: string, reported: string | undefined): Promise<RecordingMode> {
    const tariff = await this.ctx.store.directory.tariffs.tariffForHome(homeId);
    const allowed = tariff?.recordingModes ?? RECORDING_MODES;
    if (reported && (allowed as readonly string[]).includes(reported)) return reported as RecordingMode;
    return allowed.includes('motion') ? 'motion' : 'off';
  }

  async ensureById(deviceId: string): Promise<Camera | undefined> {
    const device = await this.ctx.store.devices.findDevice(deviceId);
    return device ? this.ensureFor(device) : undefined;
  }

  /** A camera for whoever may read its home (guests included: they see that it records, not the video). */
  async get(principal: Principal, deviceId: string): Promise<CameraView> {
    const device = await this.deps.authorize.device(principal, deviceId, 'read');
    const camera = await this.ensureFor(device);
    if (!camera) throw new HestiaError('HESTIA_NOT_A_CAMERA');
    return this.view(camera, device);
  }

  async listForHome(principal: Principal, homeId: string): Promise<CameraView[]> {
    await this.deps.authorize.home(principal, homeId, 'read');
    const { store } = this.ctx;
    const gateways = await store.directory.gateways.listHomeGateways(homeId);
    const views: CameraView[] = [];
    for (const gateway of gateways) {
      for (const device of await store.devices.listGatewayDevices(gateway.id)) {
        if (device.type !== 'camera' || device.removedAtMs !== null) continue;
        const camera = await this.ensureFor(device);
        if (camera) views.push(await this.view(camera, device));
      }
    }
    return views.sort((a, b) => (a.name ?? a.deviceId).localeCompare(b.name ?? b.deviceId));
  }

  private async view(camera: Camera, device: Device): Promise<CameraView> {
    const server = camera.serverId ? await this.ctx.store.media.servers.find(camera.serverId) : undefined;
    const preview = await this.ctx.store.devices.findPreview(camera.deviceId);
    return {
      ...camera,
      name: device.name,
      serverName: server?.name ?? null,
      latestPreviewAtMs: preview?.tsMs ?? null,
    };
  }

  /** Sets how a camera records (home members and owners), within the home's tariff. */
  async setMode(
    principal: Principal,
    deviceId: string,
    mode: RecordingMode,
    origin: RequestOrigin = SYSTEM_ORIGIN,
  ): Promise<Camera> {
    const device = await this.deps.authorize.device(principal, deviceId, 'control');
    const camera = await this.ensureFor(device);
    if (!camera) throw new HestiaError('HESTIA_NOT_A_CAMERA');
    const tariff = await this.ctx.store.directory.tariffs.tariffForHome(camera.homeId);
    if (tariff && !tariff.recordingModes.includes(mode))
      throw new HestiaError(
        'HESTIA_TARIFF_LIMIT',
        `recordingMode ${mode} is not in tariff ${tariff.name} (${tariff.recordingModes.join(', ')})`,
      );
    const updated = await this.ctx.store.media.cameras.update(deviceId, { mode });
    await this.deps.audit.record({
      tenantId: camera.tenantId,
      action: 'camera.mode_changed',
      actor: principal,
      origin,
      target: { type: 'device', id: deviceId },
      homeId: camera.homeId,
      detail: { from: camera.mode, to: mode },
    });
    this.ctx.bus.emit('camera.changed', { deviceId, reason: 'mode' });
    return updated!;
  }

  /**
   * The gateway asks where its camera should stream (authenticated as that gateway): the
   * camera's current server while it is still a good choice, else the least-loaded one.
   */
  async assignStream(gatewayId: string, deviceId: string, region: string | null): Promise<StreamAssignment> {
    const device = await this.ctx.store.devices.findDevice(deviceId);
    // Another gateway's camera is answered like an unknown one: ids cannot be probed.
    if (!device || device.gatewayId !== gatewayId)
      throw new HestiaError('HESTIA_NOT_FOUND', 'No such camera');
    const camera = await this.ensureFor(device);
    if (!camera) throw new HestiaError('HESTIA_NOT_A_CAMERA');
    const server = await this.deps.cluster.choose(region, camera.serverId);
    if (server.id !== camera.serverId) {
      await this.ctx.store.media.cameras.update(deviceId, { serverId: server.id });
      this.ctx.logger.info({ camera: deviceId, server: server.name }, 'camera assigned to a media server');
    }
    return assignment(server, deviceId);
  }

  /**
   * The media server asks whether a publication may go on (nginx-rtmp on_publish). Only a
   * camera of this installation, assigned to this server, with the key derived from this
   * server's secret, whose gateway is not revoked nor its provider suspended, may publish.
   */
  async checkPublish(server: MediaServerWithSecret, stream: string, key: string): Promise<Camera> {
    if (!isPublishKey(server.secret, stream, key))
      throw new HestiaError('HESTIA_FORBIDDEN', 'The publish key is wrong');
    const camera = await this.ctx.store.media.cameras.find(stream);
    if (!camera) throw new HestiaError('HESTIA_NOT_FOUND', 'No such camera');
    if (camera.serverId !== server.id)
      throw new HestiaError('HESTIA_FORBIDDEN', 'This camera is assigned to another media server');
    const gateway = await this.ctx.store.directory.gateways.findGateway(camera.gatewayId);
    if (!gateway || gateway.credentialsRevokedAtMs !== null || gateway.homeId !== camera.homeId)
      throw new HestiaError('HESTIA_FORBIDDEN', 'The camera’s gateway may not publish');
    const tenant = await this.ctx.store.directory.tenants.findTenant(camera.tenantId);
    if (!tenant || tenant.suspendedAtMs !== null) throw new HestiaError('HESTIA_TENANT_SUSPENDED');
    await this.ctx.store.media.cameras.update(stream, { streaming: true });
    this.ctx.bus.emit('camera.changed', { deviceId: stream, reason: 'streaming' });
    return camera;
  }

  /** The publication ended (nginx-rtmp on_publish_done). */
  async publishDone(server: MediaServerWithSecret, stream: string): Promise<void> {
    const camera = await this.ctx.store.media.cameras.find(stream);
    if (!camera || camera.serverId !== server.id) return;
    await this.ctx.store.media.cameras.update(stream, { streaming: false });
    this.ctx.bus.emit('camera.changed', { deviceId: stream, reason: 'streaming' });
  }
}

export function assignment(server: MediaServerWithSecret, stream: string): StreamAssignment {
  const key = publishKey(server.secret, stream);
  const ingestUrl = server.ingestUrl.replace(/\/+$/, '');
  return {
    serverId: server.id,
    serverName: server.name,
    rtmpUrl: `${ingestUrl}/${stream}?key=${key}`,
    ingestUrl,
    application: server.application,
    stream,
    publishKey: key,
    region: server.region,
  };
}
