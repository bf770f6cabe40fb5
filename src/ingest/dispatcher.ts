import type { UplinkMessage } from './codec.ts';
import type { HandlerContext, HandlerResult } from './handlers/context.ts';
import { handleCommand } from './handlers/command.ts';
import { handleCommandResult } from './handlers/command-result.ts';
import { handleDeviceState } from './handlers/device-state.ts';
import { handleGatewayConfig } from './handlers/gateway-config.ts';
import { handlePreview } from './handlers/preview.ts';
import { handleSensorData } from './handlers/sensor-data.ts';

/** Routes a validated message to its handler; a new messageType fails to compile until handled here. */
export function dispatch(message: UplinkMessage, ctx: HandlerContext): Promise<HandlerResult> {
  switch (message.messageType) {
    case 'sensorData':
      return handleSensorData(message, ctx);
    case 'deviceState':
      return handleDeviceState(message, ctx);
    case 'preview':
      return handlePreview(message, ctx);
    case 'command':
      return handleCommand(message, ctx);
    case 'commandResult':
      return handleCommandResult(message, ctx);
    case 'gatewayConfig':
      return handleGatewayConfig(message, ctx);
    default:
      return unreachable(message);
  }
}

function unreachable(message: never): never {
  throw new Error(
    `unhandled messageType ${JSON.stringify((message as { messageType: unknown }).messageType)}`,
  );
}
