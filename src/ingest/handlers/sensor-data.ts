import type { SensorDataMessage } from '../codec.ts';
import type { HandlerContext, HandlerResult } from './context.ts';

/**
 * messageType "sensorData" (seed 002: StoreSensorDataMySQL + StoreSensorDataInfluxDB): the
 * reading becomes the channel's current state if it is the newest, and a history point.
 * A camera's motion detector arrives the same way (label "Motion").
 */
export async function handleSensorData(
  message: SensorDataMessage,
  ctx: HandlerContext,
): Promise<HandlerResult> {
  const rejection = await ctx.claimDevice(message, message.tsMs);
  if (rejection) return rejection;
  ctx.writes.readings.push({
    tenantId: ctx.gateway.tenantId,
    gatewayId: ctx.gateway.id,
    deviceId: message.deviceId,
    label: message.label,
    unit: message.unit,
    sensorType: message.sensorType,
    tsMs: message.tsMs,
    value: message.value,
    text: message.text,
  });
  return null;
}
