/**
 * The Hestia media agent as the engine adapters (nginx-rtmp, Wowza) call it from Hestia: disks
 * and recordings, stream registration, deletion. Its HTTP contract is in server.ts.
 */
import type { MediaDisk } from '../../core/domain/media.ts';
import { MediaEngineError } from '../../core/ports/media-engine.ts';
import { callMedia, parseJson } from './http.ts';

/** What `GET /v1/status` answers. */
export interface MediaAgentStatus {
  disks: MediaDisk[];
  /** Streams whose recording file the engine has open now. */
  recording: string[];
  /** Work not done yet: finished recordings to place, segment reports to deliver. */
  backlog: { placements: number; reports: number };
}

export interface MediaAgentClientOptions {
  /** The agent's base URL, e.g. http://media-1.internal:8089. */
  url: string;
  /** The media server's secret (the agent's bearer token). */
  secret: string;
  timeoutMs: number;
}

export class MediaAgentClient {
  private readonly baseUrl: string;

  constructor(private readonly options: MediaAgentClientOptions) {
    this.baseUrl = options.url.replace(/\/+$/, '');
  }

  async status(): Promise<MediaAgentStatus> {
    const what = 'media agent status';
    const body = parseJson(await this.call('GET', '/v1/status', what), what);
    if (!isStatus(body))
      throw new MediaEngineError(`${what}: unexpected answer ${JSON.stringify(body)}`, false);
    return body;
  }

  /**
   * Tells the agent the camera number of `stream`, which its archive paths use
   * (`number div 200`), and the length of its recorded files (the agent's default without).
   */
  async registerStream(stream: string, cameraNumber: number, segmentMs?: number): Promise<void> {
    await this.call('PUT', `/v1/streams/${encodeURIComponent(stream)}`, 'media agent stream registration', {
      cameraNumber,
      ...(segmentMs === undefined ? {} : { segmentMs }),
    });
  }

  /** Deletes archive files (paths relative to the content root); files already gone count as missing. */
  async deleteFiles(paths: readonly string[]): Promise<{ deleted: number; missing: number }> {
    const what = 'media agent file deletion';
    const body = parseJson(await this.call('POST', '/v1/files/delete', what, { paths }), what);
    const result = body as { deleted?: unknown; missing?: unknown };
    if (typeof result.deleted !== 'number' || typeof result.missing !== 'number')
      throw new MediaEngineError(`${what}: unexpected answer ${JSON.stringify(body)}`, false);
    return { deleted: result.deleted, missing: result.missing };
  }

  private call(method: string, path: string, what: string, json?: unknown) {
    return callMedia(`${this.baseUrl}${path}`, {
      what,
      method,
      timeoutMs: this.options.timeoutMs,
      headers: { authorization: `Bearer ${this.options.secret}` },
      ...(json === undefined ? {} : { json }),
    });
  }
}

function isStatus(body: unknown): body is MediaAgentStatus {
  const status = body as Partial<MediaAgentStatus> | null;
  return (
    typeof status === 'object' &&
    status !== null &&
    Array.isArray(status.disks) &&
    status.disks.every(
      (disk) =>
        typeof disk.id === 'string' &&
        typeof disk.totalBytes === 'number' &&
        typeof disk.freeBytes === 'number',
    ) &&
    Array.isArray(status.recording) &&
    status.recording.every((stream) => typeof stream === 'string') &&
    typeof status.backlog === 'object' &&
    status.backlog !== null
  );
}
