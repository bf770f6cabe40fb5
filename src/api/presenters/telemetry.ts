/** How gateways, devices, their channels, readings and dead letters look in API answers. */

import { toImperial, capabilityOf } from '../../core/capabilities.ts';
import type { Channel, Device, DeviceWithChannels } from '../../core/domain/device.ts';
import type { Gateway } from '../../core/domain/gateway.ts';
import type { Reading, DeadLetter } from '../../core/domain/telemetry.ts';
import type { DevicePresence } from '../../services/presence.ts';
import type { Units } from './directory.ts';
import { iso, isoOrNull } from './time.ts';

export function presentGateway(gateway: Gateway) {
  return {
    id: gateway.id,
    tenantId: gateway.tenantId,
    name: gateway.name,
    homeId: gateway.homeId,
    registration: gateway.homeId ? ('registered' as const) : ('pending' as const),
    registeredAt: isoOrNull(gateway.registeredAtMs),
    unregisteredMessages: gateway.unregisteredMessages,
    credentialsRotatedAt: isoOrNull(gateway.credentialsRotatedAtMs),
    credentialsRevokedAt: isoOrNull(gateway.credentialsRevokedAtMs),
    status: gateway.status,
    lastSeenAt: isoOrNull(gateway.lastSeenAtMs),
    statusChangedAt: isoOrNull(gateway.statusChangedAtMs),
    firmware: gateway.firmware,
    vendor: gateway.vendor,
    createdAt: iso(gateway.createdAtMs),
  };
}

/** A value in the caller's units; only temperatures differ. */
export function valueInUnits(
  value: number | null,
  unit: string | null,
  units: Units,
): { value: number | null; unit: string | null } {
  if (units === 'metric' || value === null) return { value, unit };
  return toImperial(value, unit);
}

export function presentChannel(channel: Channel, units: Units = 'metric') {
  return {
    ...channel,
    ...valueInUnits(channel.value, channel.unit, units),
    capability: capabilityOf(channel.label, channel.sensorType),
    ts: iso(channel.tsMs),
  };
}

export function presentDevice(device: Device | DeviceWithChannels, units: Units = 'metric') {
  return {
    id: device.id,
    tenantId: device.tenantId,
    gatewayId: device.gatewayId,
    type: device.type,
    protocol: device.protocol,
    name: device.name,
    nodeId: device.nodeId,
    networkId: device.networkId,
    attributes: device.attributes,
    settings: device.settings,
    roomId: device.roomId,
    createdAt: iso(device.createdAtMs),
    lastSeenAt: isoOrNull(device.lastSeenAtMs),
    removedAt: isoOrNull(device.removedAtMs),
    channels: 'channels' in device ? device.channels.map((channel) => presentChannel(channel, units)) : [],
  };
}

/**
 * A device view with its presence. The channels of a device that is not online are still
 * shown — its last known state — but marked `current: false`, so that an app does not show a
 * stale value as the present one.
 */
export function presentDeviceWithPresence(
  device: Device | DeviceWithChannels,
  presence: DevicePresence | undefined,
  units: Units = 'metric',
) {
  const view = presentDevice(device, units);
  if (!presence) return view;
  const current = presence.availability === 'online';
  return {
    ...view,
    availability: presence.availability,
    reportIntervalSeconds: presence.reportIntervalSeconds,
    ownReportInterval: presence.ownReportInterval,
    lastHeardAt: isoOrNull(presence.lastHeardAtMs),
    channels: view.channels.map((channel) => ({ ...channel, current })),
  };
}

export function presentReading(reading: Reading) {
  return { ts: iso(reading.tsMs), tsMs: reading.tsMs, value: reading.value, text: reading.text };
}

export function presentDeadLetter(letter: DeadLetter) {
  return {
    id: letter.id,
    gatewayId: letter.gatewayId,
    receivedAt: iso(letter.receivedAtMs),
    reason: letter.reason,
    detail: letter.detail,
    payload: letter.payload,
    payloadBytes: letter.payloadBytes,
  };
}
