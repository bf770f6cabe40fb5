import type { CommandResultMessage } from '../codec.ts';
import type { HandlerContext, HandlerResult } from './context.ts';

/**
 * messageType "commandResult": the gateway's answer to a deviceCommand sent on its down topic.
 * The command must be one this gateway was sent, for this device; anything else is a dead
 * letter. A result for a command already final (a replay, or one that came after the timeout)
 * is accepted and changes nothing. The new state itself arrives as an ordinary sensorData.
 */
export async function handleCommandResult(
  message: CommandResultMessage,
  ctx: HandlerContext,
): Promise<HandlerResult> {
  const result = await ctx.recordCommandResult({
    gatewayId: ctx.gateway.id,
    deviceId: message.deviceId,
    commandId: message.commandId,
    status: message.status,
    error: message.error,
    receivedAtMs: ctx.receivedAtMs,
  });
  switch (result.outcome) {
    case 'recorded':
    case 'already_final':
      return null;
    case 'unknown':
    case 'wrong_device':
    case 'not_sent':
      return { code: 'HESTIA_INGEST_UNKNOWN_COMMAND', detail: result.detail };
  }
}
