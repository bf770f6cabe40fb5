import { canonicalUnitName, toCanonical } from '../../core/capabilities.ts';
import type { SensorDataMessage } from '../codec.ts';
import type { HandlerContext, HandlerResult } from './context.ts';

/**
 * messageType "sensorData" (seed 002: StoreSensorDataMySQL + StoreSensorDataInfluxDB): the
 * reading becomes the channel's current state if it is the newest, and a history point.
 * A camera's motion detector arrives the same way (label "Motion"). Values are stored in the
 * capability's canonical unit (core/capabilities.ts).
 */
export async function handleSensorData(
  message: SensorDataMessage,
  ctx: HandlerContext,
): Promise<HandlerResult> {
  const rejection = await ctx.claimDevice(message, message.tsMs);
  if (rejection) return rejection;
  // One unit per series: a thermometer reporting °F is stored in °C, a meter in Wh in kWh, so
  // that history, rollups and alarm thresholds compare like with like. Apps ask for °F.
  const { value, unit } =
    message.value === null
      ? { value: null, unit: canonicalUnitName(message.unit) }
      : toCanonical(message.value, message.unit);
  ctx.writes.readings.push({
    tenantId: ctx.gateway.tenantId,
    homeId: ctx.gateway.homeId ?? '',
    gatewayId: ctx.gateway.id,
    deviceId: message.deviceId,
    label: message.label,
    unit,
    sensorType: message.sensorType,
    tsMs: message.tsMs,
    value,
    text: message.text,
  });
  return null;
}
