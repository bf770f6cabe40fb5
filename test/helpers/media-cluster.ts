import type { DiskOption } from '../../src/media/agent/options.ts';
import type { TestApp } from './app.ts';
import { startMediaHost, type MediaHost } from './nginx-rtmp.ts';

/** A media host (nginx-rtmp + the media agent) registered in a running Hestia through its API. */
export interface RegisteredMediaHost extends MediaHost {
  id: string;
  /** Stops nginx only: the server fails its polls, the agent and the files stay. */
  stopNginx(): Promise<void>;
}

/**
 * Registers a media server with the platform administrator's token, starts its agent and nginx
 * with the id and secret Hestia issued (nginx calls Hestia's publish hooks, the agent reports
 * segments to Hestia), then points the registration at their ports.
 */
export async function startRegisteredMediaHost(
  app: TestApp,
  adminToken: string,
  options: { name: string; disks?: DiskOption[]; region?: string; segmentMs?: number },
): Promise<RegisteredMediaHost> {
  const hestiaUrl = `http://127.0.0.1:${app.hestia.ports.http}`;
  const registered = await app.request(
    'POST',
    '/v1/media-servers',
    {
      name: options.name,
      engine: 'nginx-rtmp',
      controlUrl: 'http://127.0.0.1:9',
      ingestUrl: 'rtmp://127.0.0.1:9/live',
      playbackUrl: 'http://127.0.0.1:9',
      application: 'live',
      ...(options.region ? { region: options.region } : {}),
    },
    adminToken,
  );
  if (registered.status !== 201) throw new Error(`registration failed: ${JSON.stringify(registered.body)}`);
  const id = (registered.body.server as { id: string }).id;
  const host = await startMediaHost({
    hestiaUrl,
    serverId: id,
    secret: registered.body.secret as string,
    ...(options.disks ? { disks: options.disks } : {}),
    ...(options.segmentMs ? { segmentMs: options.segmentMs } : {}),
  });
  const patched = await app.request(
    'PATCH',
    `/v1/media-servers/${id}`,
    {
      controlUrl: host.nginx.httpUrl,
      agentUrl: host.agent.url,
      ingestUrl: host.nginx.rtmpUrl,
      playbackUrl: host.nginx.httpUrl,
    },
    adminToken,
  );
  if (patched.status !== 200) {
    await host.stop();
    throw new Error(`update failed: ${JSON.stringify(patched.body)}`);
  }
  let nginxStopped = false;
  const stopNginx = async (): Promise<void> => {
    if (nginxStopped) return;
    nginxStopped = true;
    await host.nginx.stop();
  };
  return {
    ...host,
    id,
    stopNginx,
    async stop() {
      await stopNginx();
      await host.agent.close();
      await host.stop().catch(() => undefined);
    },
  };
}
