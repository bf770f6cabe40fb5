/**
 * Tells Hestia about every archive file placed: `POST <hestiaUrl>/v1/media/agent/segments`,
 * HTTP Basic `<serverId>:<secret>`, one report per file. Reports wait in `<stateDir>/outbox/`
 * as JSON files until Hestia has them, so a restart of the agent or an outage of Hestia loses
 * none: 2xx removes the report; 408, 429, 5xx and network errors try again later with
 * exponential backoff; any other 4xx moves it to `<stateDir>/rejected/` (sending it again
 * unchanged will not help) and is logged. Delivery is at least once: Hestia keys segments by path.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { isMissing, writeFileAtomic } from './files.ts';
import type { FragmentEntry } from './playlist.ts';

/** The body of a segment report. */
export interface MediaSegmentReport {
  stream: string;
  diskId: string;
  /** Relative to the content root, in the seed's layout (archivePath). */
  path: string;
  startMs: number;
  endMs: number;
  sizeBytes: number;
  /** The fMP4 initialization section (ftyp + moov). */
  init: { offset: number; length: number };
  /** [durationMs, offset, length] per fragment, in order. */
  fragments: FragmentEntry[];
}

/** How much of a refusal's body is logged. */
const LOGGED_BODY_CHARS = 500;

/** Reports waiting for delivery, one JSON file each, named so that they sort oldest first. */
export class Outbox {
  private constructor(
    private readonly dir: string,
    private readonly rejectedDir: string,
  ) {}

  static async open(stateDir: string): Promise<Outbox> {
    const dir = path.join(stateDir, 'outbox');
    const rejectedDir = path.join(stateDir, 'rejected');
    await mkdir(dir, { recursive: true });
    await mkdir(rejectedDir, { recursive: true });
    return new Outbox(dir, rejectedDir);
  }

  /** Stores a report; it is on disk when this resolves. */
  async add(report: MediaSegmentReport): Promise<void> {
    const name = `${String(Date.now()).padStart(15, '0')}-${randomUUID()}.json`;
    await writeFileAtomic(path.join(this.dir, name), JSON.stringify(report) + '\n');
  }

  /** Names of the waiting reports, oldest first. */
  async list(): Promise<string[]> {
    return (await readdir(this.dir)).filter((name) => /^[0-9]{15}-[0-9a-f-]{36}\.json$/.test(name)).sort();
  }

  read(name: string): Promise<string> {
    return readFile(path.join(this.dir, name), 'utf8');
  }

  async remove(name: string): Promise<void> {
    await unlink(path.join(this.dir, name)).catch((error: unknown) => {
      if (!isMissing(error)) throw error;
    });
  }

  async reject(name: string): Promise<void> {
    await rename(path.join(this.dir, name), path.join(this.rejectedDir, name));
  }

  rejectedPath(name: string): string {
    return path.join(this.rejectedDir, name);
  }
}

export interface SegmentReporterOptions {
  outbox: Outbox;
  hestiaUrl: string;
  serverId: string;
  secret: string;
  timeoutMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  logger: Logger;
}

type Delivery = 'delivered' | 'rejected' | 'retry';

/** Sends the outbox's reports in order, one at a time, until stopped. */
export class SegmentReporter {
  private readonly url: string;
  private readonly authorization: string;
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;

  constructor(private readonly options: SegmentReporterOptions) {
    this.url = `${options.hestiaUrl.replace(/\/+$/, '')}/v1/media/agent/segments`;
    this.authorization = `Basic ${Buffer.from(`${options.serverId}:${options.secret}`).toString('base64')}`;
  }

  start(): void {
    this.running ??= this.run().catch((error: unknown) => {
      this.options.logger.error({ err: error }, 'segment reporter stopped on an error');
    });
  }

  /** A report was added: send it now rather than at the next look. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops; a report being sent is abandoned and stays in the outbox for the next start. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wakeUp?.();
    await this.running;
  }

  private async run(): Promise<void> {
    const { outbox, logger } = this.options;
    let backoffMs = this.options.retryInitialMs;
    while (!this.stopping.signal.aborted) {
      this.woken = false;
      const names = await outbox.list();
      if (names.length === 0) {
        await this.idle();
        continue;
      }
      for (const name of names) {
        if (this.stopping.signal.aborted) return;
        const delivery = await this.deliver(name);
        if (delivery === 'retry') {
          logger.info(
            { report: name, retryInMs: backoffMs },
            'segment report not delivered; trying again later',
          );
          await this.pause(backoffMs);
          backoffMs = Math.min(backoffMs * 2, this.options.retryMaxMs);
          break;
        }
        backoffMs = this.options.retryInitialMs;
      }
    }
  }

  private async deliver(name: string): Promise<Delivery> {
    const { outbox, logger } = this.options;
    let text: string;
    try {
      text = await outbox.read(name);
      JSON.parse(text);
    } catch (error) {
      if (isMissing(error)) return 'delivered'; // taken care of meanwhile
      logger.error({ report: outbox.rejectedPath(name), err: error }, 'segment report unreadable; set aside');
      await outbox.reject(name);
      return 'rejected';
    }
    let response: Response;
    let body: string;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: this.authorization },
        body: text,
        signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs), this.stopping.signal]),
      });
      body = await response.text();
    } catch (error) {
      if (!this.stopping.signal.aborted)
        logger.warn({ report: name, url: this.url, err: error }, 'Hestia unreachable for a segment report');
      return 'retry';
    }
    if (response.ok) {
      await outbox.remove(name);
      logger.info({ report: name, status: response.status }, 'segment reported');
      return 'delivered';
    }
    // 408 and 429 are refusals for now, not of the report: like 5xx, they are worth a retry.
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      logger.warn({ report: name, status: response.status }, 'Hestia could not take a segment report now');
      return 'retry';
    }
    await outbox.reject(name);
    logger.error(
      { report: outbox.rejectedPath(name), status: response.status, body: body.slice(0, LOGGED_BODY_CHARS) },
      'Hestia refused a segment report; set aside',
    );
    return 'rejected';
  }

  /** Waits for a new report (or the stop). */
  private idle(): Promise<void> {
    if (this.woken) return Promise.resolve();
    return new Promise((resolve) => {
      this.wakeUp = () => {
        this.wakeUp = undefined;
        resolve();
      };
    });
  }

  /** Waits `ms` (or the stop), whatever is added meanwhile: a backoff is not cut short. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.stopping.signal;
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }
}
