/**
 * The MediaEngine port for nginx with the RTMP module (DESIGN.md §6). nginx's HTTP server
 * (config.ts) offers /stat (load, published streams) and /control (recording on and off); the
 * Hestia media agent beside it tells disks and recording streams, places finished recordings
 * and deletes them.
 *
 * nginx-rtmp's control API answers:
 *   /control/record/start → 200 with the path of the new file; 204 when nothing was started
 *                            (already recording, or no such stream: it does not say which)
 *   /control/record/stop  → 200 with the path of the file closed; 204 when nothing was recording
 *
 * A recording runs on one of two manual recorders; the agent cuts it into files by switching
 * between them (src/media/agent/cutter.ts), so stopping stops both.
 */
import type {
  MediaEngine,
  MediaEngineFactory,
  MediaEngineStatus,
  MediaServerAccess,
  MediaStreamRef,
} from '../../core/ports/media-engine.ts';
import { MediaEngineError } from '../../core/ports/media-engine.ts';
import { MediaAgentClient } from '../agent/client.ts';
import { callMedia } from '../agent/http.ts';
import { RECORDERS, type RecorderName } from './config.ts';
import { parseRtmpStat, type RtmpStat } from './stat.ts';

export class NginxRtmpEngine implements MediaEngine {
  readonly kind = 'nginx-rtmp' as const;
  private readonly controlUrl: string;
  private readonly agent: MediaAgentClient | undefined;

  constructor(private readonly access: MediaServerAccess) {
    this.controlUrl = access.server.controlUrl.replace(/\/+$/, '');
    const { agentUrl } = access.server;
    this.agent = agentUrl
      ? new MediaAgentClient({ url: agentUrl, secret: access.secret, timeoutMs: access.timeoutMs })
      : undefined;
  }

  /**
   * Load and publishing streams from /stat; disks and recording streams from the agent. Without
   * an agent the server reports no disks and no recordings: nginx does not expose its recorders.
   */
  async status(): Promise<MediaEngineStatus> {
    const [stat, agent] = await Promise.all([this.stat(), this.agent?.status()]);
    return {
      load: stat.load,
      publishing: stat.publishing,
      disks: agent?.disks ?? [],
      recording: agent?.recording ?? [],
    };
  }

  /**
   * Starts recording on the first recorder. The agent cuts the recording into files of
   * `segmentMs`; without an agent nothing cuts it, and it makes one file until it stops.
   */
  async startRecording(stream: MediaStreamRef, options: { segmentMs: number }): Promise<void> {
    // record/start answers 204 alike for "already recording" and "no such stream"; only /stat
    // tells them apart, and a stream that is not published cannot be recorded at all.
    const stat = await this.stat(stream.application);
    if (!stat.publishing.includes(stream.stream))
      throw new MediaEngineError(
        `nginx-rtmp: stream ${stream.stream} is not published in ${stream.application} on ${this.access.server.id}`,
        false,
      );
    if (this.agent) {
      // The agent needs the camera number before the first file is finished.
      await this.agent.registerStream(stream.stream, stream.cameraNumber, options.segmentMs);
      // Recording already, maybe on the second recorder after a cut: starting the first one
      // would record the stream twice.
      if ((await this.agent.status()).recording.includes(stream.stream)) return;
    }
    await this.control('start', RECORDERS[0], stream);
  }

  /** Stops both recorders; nginx closes the file and calls the agent's record-done hook. */
  async stopRecording(stream: MediaStreamRef): Promise<void> {
    for (const recorder of RECORDERS) await this.control('stop', recorder, stream);
  }

  async deleteFiles(paths: readonly string[]): Promise<{ deleted: number; missing: number }> {
    if (!this.agent)
      throw new MediaEngineError(
        `nginx-rtmp: server ${this.access.server.id} has no media agent to delete files`,
        false,
      );
    if (paths.length === 0) return { deleted: 0, missing: 0 };
    return this.agent.deleteFiles(paths);
  }

  private async stat(application = this.access.server.application): Promise<RtmpStat> {
    const what = 'nginx-rtmp /stat';
    const answer = await callMedia(`${this.controlUrl}/stat`, { what, timeoutMs: this.access.timeoutMs });
    try {
      return parseRtmpStat(answer.text, application);
    } catch (error) {
      // Something else answers at the control URL: a configuration error, not a passing fault.
      throw new MediaEngineError(`${what}: ${(error as Error).message}`, false);
    }
  }

  private async control(
    method: 'start' | 'stop',
    recorder: RecorderName,
    stream: MediaStreamRef,
  ): Promise<void> {
    const query = new URLSearchParams({ app: stream.application, name: stream.stream, rec: recorder });
    await callMedia(`${this.controlUrl}/control/record/${method}?${query.toString()}`, {
      what: `nginx-rtmp record/${method}`,
      timeoutMs: this.access.timeoutMs,
    });
  }
}

export const createNginxRtmpEngine: MediaEngineFactory = (access) => new NginxRtmpEngine(access);
