import type { MqttClient } from 'mqtt';
import type { SimulatedCamera } from '../src/simulator/model.ts';
import { callApi } from '../src/simulator/provision.ts';
import type { MediaHost } from '../test/helpers/nginx-rtmp.ts';

/** What the phases of `bench:media` share: Hestia's addresses and tokens, the media host, the gateways. */
export interface BenchContext {
  apiUrl: string;
  mqttUrl: string;
  adminToken: string;
  ownerToken: string;
  homeId: string;
  host: MediaHost;
  serverId: string;
  serverSecret: string;
  gateways: Array<{ gatewayId: string; token: string; cameras: SimulatedCamera[]; client: MqttClient }>;
}

/** HTTP Basic credentials (a gateway's, a media server's). */
export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

/** Asks for a camera's server as its gateway does; returns the RTMP URL. */
export async function assignStream(
  ctx: BenchContext,
  gatewayId: string,
  token: string,
  deviceId: string,
): Promise<string> {
  const response = await fetch(`${ctx.apiUrl}/v1/gateway/cameras/${deviceId}/stream`, {
    method: 'POST',
    headers: { authorization: basic(gatewayId, token) },
  });
  const body = (await response.json()) as { rtmpUrl?: string };
  if (response.status !== 200 || !body.rtmpUrl)
    throw new Error(`stream assignment: ${response.status} ${JSON.stringify(body)}`);
  return body.rtmpUrl;
}

export async function setMode(ctx: BenchContext, deviceId: string, mode: string): Promise<void> {
  await callApi(ctx.apiUrl, 'PATCH', `/v1/cameras/${deviceId}`, { mode }, ctx.ownerToken);
}
