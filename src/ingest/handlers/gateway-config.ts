import type { GatewayConfigMessage } from '../codec.ts';
import type { HandlerContext, HandlerResult } from './context.ts';

/**
 * messageType "gatewayConfig" (seed 002: SendBackend): the gateway's full device list. Listed
 * devices are created or refreshed; devices of this gateway missing from the list are marked
 * removed (their history stays). A device owned by another gateway rejects the whole message.
 */
export async function handleGatewayConfig(
  message: GatewayConfigMessage,
  ctx: HandlerContext,
): Promise<HandlerResult> {
  const start = ctx.writes.devices.length;
  for (const device of message.devices) {
    const rejection = await ctx.claimDevice(device, message.tsMs, true);
    if (rejection) {
      ctx.writes.devices.splice(start);
      return rejection;
    }
  }
  ctx.writes.deviceLists.push({
    gatewayId: ctx.gateway.id,
    deviceIds: message.devices.map((d) => d.deviceId),
    atMs: message.tsMs,
  });
  return null;
}
