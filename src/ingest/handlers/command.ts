import type { CommandMessage } from '../codec.ts';
import type { HandlerContext, HandlerResult } from './context.ts';

/**
 * messageType "command": a setting changed on the controller itself (seed 002), e.g. a camera's
 * recordingMode. It is stored in the device's settings; acting on it (recording) follows them.
 * A recording mode the home's tariff does not include is refused.
 */
export async function handleCommand(message: CommandMessage, ctx: HandlerContext): Promise<HandlerResult> {
  const rejection = await ctx.claimDevice(message, message.tsMs);
  if (rejection) return rejection;
  if (message.command === 'recordingMode') {
    const tariff = await ctx.tariff();
    if (tariff && !(tariff.recordingModes as readonly string[]).includes(message.value)) {
      return {
        code: 'HESTIA_INGEST_TARIFF_LIMIT',
        detail: `recordingMode ${message.value} is not in tariff ${tariff.name} (${tariff.recordingModes.join(', ')})`,
      };
    }
  }
  ctx.writes.deviceSettings.push({
    deviceId: message.deviceId,
    settings: { [message.command]: message.value },
    tsMs: message.tsMs,
  });
  return null;
}
