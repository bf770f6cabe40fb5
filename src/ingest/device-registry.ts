import type { AppContext } from '../core/context.ts';
import type { IngestBatch } from '../core/domain/telemetry.ts';
import type { Rejection } from './codec.ts';
import type { GatewayIdentity } from './gateway-identity.ts';
import type { HomeTariffs } from './home-tariffs.ts';

export interface DeviceRef {
  deviceId: string;
  deviceType: 'sensor' | 'actuator' | 'camera';
  protocol: string;
  nodeId: string | null;
  networkId: string | null;
}

interface Owner {
  gatewayId: string;
  /** False until the commit that creates the device row succeeds. */
  committed: boolean;
}

/**
 * Which gateway owns each device, cached so the hot path needs no query. A device first seen
 * from a gateway is created by the commit that carries its first message; until that commit
 * succeeds every batch that mentions the device carries the (idempotent) create again, so
 * batches committed in any order never reference a missing device.
 */
export class DeviceRegistry {
  private readonly owners = new Map<string, Owner>();
  private readonly deviceCounts = new Map<string, number>();

  constructor(
    private readonly ctx: AppContext,
    private readonly deps: { homeTariffs: HomeTariffs },
  ) {}

  /**
   * Makes sure the device may be written by this gateway, adding its create to `writes` when
   * needed. Returns a rejection when it belongs to another gateway or the gateway is full.
   */
  async claim(
    gateway: GatewayIdentity,
    ref: DeviceRef & { name?: string | null },
    seenAtMs: number,
    writes: IngestBatch,
    refresh = false,
  ): Promise<Rejection | null> {
    let owner = this.owners.get(ref.deviceId);
    if (!owner) {
      const stored = await this.ctx.store.devices.findDevice(ref.deviceId);
      owner = this.owners.get(ref.deviceId);
      if (!owner && stored) {
        owner = { gatewayId: stored.gatewayId, committed: true };
        this.owners.set(ref.deviceId, owner);
        // A device removed by an earlier gatewayConfig comes back when it reports again.
        if (stored.removedAtMs !== null && stored.gatewayId === gateway.id) refresh = true;
      }
    }
    if (owner && owner.gatewayId !== gateway.id) {
      return {
        code: 'HESTIA_INGEST_DEVICE_FOREIGN',
        detail: `deviceId ${ref.deviceId} belongs to another gateway`,
      };
    }
    if (!owner) {
      const count = await this.deviceCount(gateway.id);
      if (count >= this.ctx.config.ingest.maxDevicesPerGateway) {
        return {
          code: 'HESTIA_INGEST_DEVICE_LIMIT',
          detail: `gateway already has ${count} devices (limit ${this.ctx.config.ingest.maxDevicesPerGateway})`,
        };
      }
      if (ref.deviceType === 'camera' && gateway.homeId !== null) {
        const rejection = await this.checkCameraLimit(gateway.homeId);
        if (rejection) return rejection;
      }
      owner = this.owners.get(ref.deviceId) ?? { gatewayId: gateway.id, committed: false };
      if (!this.owners.has(ref.deviceId)) {
        if (ref.deviceType === 'camera' && gateway.homeId !== null)
          this.deps.homeTariffs.cameraAdded(gateway.homeId);
        this.owners.set(ref.deviceId, owner);
        this.deviceCounts.set(gateway.id, count + 1);
      }
    }
    if (!owner.committed || refresh) {
      writes.devices.push({
        id: ref.deviceId,
        tenantId: gateway.tenantId,
        gatewayId: gateway.id,
        type: ref.deviceType,
        protocol: ref.protocol,
        nodeId: ref.nodeId,
        networkId: ref.networkId,
        name: ref.name ?? null,
        seenAtMs,
      });
    }
    return null;
  }

  /** A new camera must fit in its home's tariff. */
  private async checkCameraLimit(homeId: string): Promise<Rejection | null> {
    const tariff = await this.deps.homeTariffs.tariff(homeId);
    if (!tariff) return null;
    const cameras = await this.deps.homeTariffs.cameraCount(homeId);
    if (cameras < tariff.maxCamerasPerHome) return null;
    return {
      code: 'HESTIA_INGEST_TARIFF_LIMIT',
      detail: `home already has ${cameras} cameras; tariff ${tariff.name} allows ${tariff.maxCamerasPerHome}`,
    };
  }

  private async deviceCount(gatewayId: string): Promise<number> {
    const cached = this.deviceCounts.get(gatewayId);
    if (cached !== undefined) return cached;
    const count = await this.ctx.store.devices.countGatewayDevices(gatewayId);
    return this.deviceCounts.get(gatewayId) ?? (this.deviceCounts.set(gatewayId, count), count);
  }

  /** After a successful commit: the devices it created exist now. */
  markCommitted(batch: IngestBatch): void {
    for (const device of batch.devices) {
      const owner = this.owners.get(device.id);
      if (owner && owner.gatewayId === device.gatewayId) owner.committed = true;
    }
  }

  /** After a failed commit: forget devices that were never stored, so the next attempt recreates them. */
  forgetUncommitted(batch: IngestBatch): void {
    for (const device of batch.devices) {
      const owner = this.owners.get(device.id);
      if (owner && !owner.committed) {
        this.owners.delete(device.id);
        this.deviceCounts.delete(device.gatewayId);
      }
    }
  }

  /** The gateway's devices were deleted (removal from its home): forget them all. */
  forgetGateway(gatewayId: string): void {
    for (const [deviceId, owner] of this.owners) {
      if (owner.gatewayId === gatewayId) this.owners.delete(deviceId);
    }
    this.deviceCounts.delete(gatewayId);
  }

  /** A gatewayConfig replaced the device list: recount on next use. */
  invalidateCount(gatewayId: string): void {
    this.deviceCounts.delete(gatewayId);
  }
}
