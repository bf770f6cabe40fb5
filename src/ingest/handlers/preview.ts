import type { PreviewMessage } from '../codec.ts';
import type { HandlerContext, HandlerResult } from './context.ts';

/** messageType "preview" (seed 002: StorePreview): the camera's latest thumbnail for camera lists. */
export async function handlePreview(message: PreviewMessage, ctx: HandlerContext): Promise<HandlerResult> {
  const rejection = await ctx.claimDevice(message, message.tsMs);
  if (rejection) return rejection;
  ctx.writes.previews.push({
    deviceId: message.deviceId,
    tenantId: ctx.gateway.tenantId,
    tsMs: message.tsMs,
    contentType: message.contentType,
    image: message.image,
  });
  return null;
}
