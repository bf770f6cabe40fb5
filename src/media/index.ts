import type { MediaEngineFactory } from '../core/ports/media-engine.ts';
import { createNginxRtmpEngine } from './nginx-rtmp/adapter.ts';
import { createWowzaEngine } from './wowza/adapter.ts';

/** The adapter of a server's engine: what app.ts hands the camera services. */
export const createMediaEngine: MediaEngineFactory = (access) => {
  switch (access.server.engine) {
    case 'nginx-rtmp':
      return createNginxRtmpEngine(access);
    case 'wowza':
      return createWowzaEngine(access);
  }
};
