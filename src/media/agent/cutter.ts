/**
 * Cuts nginx-rtmp's recordings into files of the stream's segment length. nginx cannot do it
 * for manual recorders (record_interval applies to automatic ones only), so the agent does,
 * through the control API on this host, without losing a frame: it starts the stream's other
 * recorder, waits until that one has written its first key frame (nginx writes nothing to a
 * new file before one), and only then stops the running recorder. The two files overlap by the
 * moment between the two calls instead of leaving a gap of up to one key frame interval.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { RECORDERS, type RecorderName } from '../nginx-rtmp/config.ts';
import { callMedia } from './http.ts';
import { isBeingRecorded, listSpool, type SpoolFile } from './recordings.ts';
import type { StreamRegistry } from './streams.ts';

export interface RecordingCutterOptions {
  /** nginx's HTTP server with /control, e.g. http://127.0.0.1:8088. */
  controlUrl: string;
  application: string;
  /** Length of the files of a stream Hestia registered without one. */
  defaultSegmentMs: number;
  spoolDir: string;
  streams: StreamRegistry;
  timeoutMs: number;
  logger: Logger;
}

/** How often the recordings are looked at: the files come out this much longer at most. */
const CHECK_INTERVAL_MS = 1000; // 1 second
/** Pause between looks at the new file while waiting for its first key frame. */
const FIRST_FRAME_POLL_MS = 100;
/**
 * The longest wait for the new file's first key frame (cameras send one every few seconds);
 * past it the running file is closed all the same, a gap rather than one that never ends.
 */
const FIRST_FRAME_WAIT_MS = 15_000; // 15 seconds
/** After a failed cut (nginx unreachable), the stream's next attempt waits this long. */
const RETRY_AFTER_FAILURE_MS = 30_000; // 30 seconds

export class RecordingCutter {
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  /** Streams being cut now. */
  private readonly cutting = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private readonly retryAt = new Map<string, number>();
  private stopped = false;

  constructor(private readonly options: RecordingCutterOptions) {}

  start(): void {
    this.timer ??= setInterval(() => {
      this.checking ??= this.check().finally(() => (this.checking = undefined));
    }, CHECK_INTERVAL_MS);
  }

  /** Stops looking; a cut in progress is finished, so that no stream is left on two recorders. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.checking;
    await Promise.all(this.running);
  }

  private async check(): Promise<void> {
    const now = Date.now();
    let files: SpoolFile[];
    try {
      files = await listSpool(this.options.spoolDir);
    } catch (error) {
      this.options.logger.error({ err: error }, 'cannot read the spool to cut recordings');
      return;
    }
    for (const file of files) {
      if (this.stopped || this.cutting.has(file.stream) || !isBeingRecorded(file, now)) continue;
      if ((this.retryAt.get(file.stream) ?? 0) > now) continue;
      const segmentMs = this.options.streams.get(file.stream)?.segmentMs ?? this.options.defaultSegmentMs;
      if (now - file.openedAtMs < segmentMs) continue;
      this.cutting.add(file.stream);
      const cut: Promise<void> = this.cut(file)
        .then(
          () => {
            this.retryAt.delete(file.stream);
          },
          (error: unknown) => {
            this.retryAt.set(file.stream, Date.now() + RETRY_AFTER_FAILURE_MS);
            this.options.logger.warn({ err: error, stream: file.stream }, 'cutting a recording failed');
          },
        )
        .finally(() => {
          this.cutting.delete(file.stream);
          this.running.delete(cut);
        });
      this.running.add(cut);
    }
  }

  private async cut(file: SpoolFile): Promise<void> {
    const next = RECORDERS.find((recorder) => recorder !== file.recorder)!;
    const started = await this.control('start', next, file.stream);
    // 200 names the new file; 204: the other recorder runs already, or the stream is gone.
    if (started.status === 200) await this.firstFrame(started.text.trim());
    const stopped = await this.control('stop', file.recorder, file.stream);
    if (stopped.status === 204) {
      // Stopped by someone else meanwhile (Hestia's stopRecording): the new recorder must not
      // go on alone.
      await this.control('stop', next, file.stream);
      return;
    }
    this.options.logger.info({ stream: file.stream, from: file.recorder, to: next }, 'recording cut');
  }

  /** Waits until nginx has written to the new file (it starts with a key frame). */
  private async firstFrame(file: string): Promise<void> {
    if (path.dirname(path.resolve(file)) !== path.resolve(this.options.spoolDir)) return;
    const deadline = Date.now() + FIRST_FRAME_WAIT_MS;
    while (Date.now() < deadline && !this.stopped) {
      const size = await stat(file).then(
        (info) => info.size,
        () => 0,
      );
      if (size > 0) return;
      await new Promise((resolve) => setTimeout(resolve, FIRST_FRAME_POLL_MS));
    }
    this.options.logger.warn({ file }, 'no key frame in the new recording; cutting all the same');
  }

  private control(method: 'start' | 'stop', recorder: RecorderName, stream: string) {
    const query = new URLSearchParams({ app: this.options.application, name: stream, rec: recorder });
    return callMedia(
      `${this.options.controlUrl.replace(/\/+$/, '')}/control/record/${method}?${query.toString()}`,
      {
        what: `nginx-rtmp record/${method}`,
        timeoutMs: this.options.timeoutMs,
      },
    );
  }
}
