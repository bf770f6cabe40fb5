import type { CommandMessage } from '../codec.ts';
import type { HandlerContext, HandlerResult } from './context.ts';

/**
 * messageType "command": a setting changed on the controller itself (seed 002), e.g. a camera's
 * recordingMode. It is stored in the device's settings; acting on it (recording) follows them.
 */
export async function handleCommand(message: CommandMessage, ctx: HandlerContext): Promise<HandlerResult> {
  const rejection = await ctx.claimDevice(message, message.tsMs);
  if (rejection) return rejection;
  ctx.writes.deviceSettings.push({
    deviceId: message.deviceId,
    settings: { [message.command]: message.value },
    tsMs: message.tsMs,
  });
  return null;
}
