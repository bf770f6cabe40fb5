import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { publishKey } from '../../src/core/media-signing.ts';
import { createNginxRtmpEngine } from '../../src/media/nginx-rtmp/adapter.ts';
import { publishCamera, type CameraPublication } from '../helpers/camera-stream.ts';
import { APPLICATION, startMediaHost, startPublishHooks, testMediaServer } from '../helpers/nginx-rtmp.ts';
import { freePort } from '../helpers/process.ts';
import { READY_TIMEOUT_MS } from '../helpers/wait.ts';
import { runMediaEngineConformance } from './conformance.ts';

/**
 * The media engine conformance suite against the real nginx with the RTMP module and the real
 * media agent. Hestia's publish hooks are stood in for by a small server that checks the hook
 * token and the publish key as Hestia does.
 */
runMediaEngineConformance('nginx-rtmp', async () => {
  let secret: string | undefined;
  let serverId: string | undefined;
  const hooks = await startPublishHooks((id) => (id === serverId ? secret : undefined));
  // The receiver of segment reports is not this suite's subject: the hooks server answers them 403.
  const host = await startMediaHost({ hestiaUrl: hooks.url }).catch(async (error: unknown) => {
    await hooks.close();
    throw error;
  });
  secret = host.secret;
  serverId = host.serverId;
  // Per request, on a machine that may be busy: a deadline, not an expectation of speed.
  const access = { secret: host.secret, timeoutMs: READY_TIMEOUT_MS };
  const closedPort = await freePort();
  const nowhere = `http://127.0.0.1:${closedPort}`;
  const cameras = new Set<CameraPublication>();
  return {
    engine: createNginxRtmpEngine({ server: host.server, ...access }),
    application: APPLICATION,
    async publish(stream) {
      const camera = await publishCamera(
        `${host.nginx.rtmpUrl}/${stream}?key=${publishKey(host.secret, stream)}`,
      );
      cameras.add(camera);
      return {
        async stop() {
          cameras.delete(camera);
          await camera.stop();
        },
      };
    },
    unreachable: () =>
      createNginxRtmpEngine({ server: testMediaServer('unreachable', nowhere, nowhere), ...access }),
    async createArchiveFile(relativePath) {
      const file = path.join(host.dirs.contentRoot, relativePath);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, 'not really a video');
    },
    async archiveFileExists(relativePath) {
      return existsSync(path.join(host.dirs.contentRoot, relativePath));
    },
    async close() {
      await Promise.all([...cameras].map((camera) => camera.stop()));
      await host.stop();
      await hooks.close();
    },
  };
});
