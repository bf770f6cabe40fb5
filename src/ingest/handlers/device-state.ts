import type { DeviceStateMessage } from '../codec.ts';
import type { HandlerContext, HandlerResult } from './context.ts';

/** Label under which a device's reported state (e.g. a camera's streamingOn/Off) is kept. */
export const STATE_LABEL = 'State';

/**
 * messageType "deviceState" (seed 002: UpdateCameraState): the state is a text channel with
 * history, and the media server the camera streams to is kept in the device's attributes.
 */
export async function handleDeviceState(
  message: DeviceStateMessage,
  ctx: HandlerContext,
): Promise<HandlerResult> {
  const rejection = await ctx.claimDevice(message, message.tsMs);
  if (rejection) return rejection;
  ctx.writes.readings.push({
    tenantId: ctx.gateway.tenantId,
    homeId: ctx.gateway.homeId ?? '',
    gatewayId: ctx.gateway.id,
    deviceId: message.deviceId,
    label: STATE_LABEL,
    unit: null,
    sensorType: null,
    tsMs: message.tsMs,
    value: null,
    text: message.deviceState,
  });
  if (Object.keys(message.attributes).length > 0) {
    ctx.writes.deviceAttributes.push({
      deviceId: message.deviceId,
      attributes: message.attributes,
      tsMs: message.tsMs,
    });
  }
  return null;
}
