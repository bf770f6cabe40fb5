/**
 * What Hestia tells the agent about each stream before it starts recording it
 * (`PUT /v1/streams/:stream`): the camera number, which archive paths need (`number div 200`)
 * and the engine's record-done callback does not carry, and the length of its files. Kept in
 * `<stateDir>/streams.json`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMissing, writeFileAtomic } from './files.ts';

export interface StreamSettings {
  cameraNumber: number;
  /** Length of the recorded files; the agent's default when unset. */
  segmentMs?: number;
}

interface StreamsFile {
  streams: Record<string, StreamSettings>;
}

export class StreamRegistry {
  /** Writes one after the other, so that an older state never overwrites a newer one. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly streams: Map<string, StreamSettings>,
  ) {}

  static async open(stateDir: string): Promise<StreamRegistry> {
    const file = path.join(stateDir, 'streams.json');
    const streams = new Map<string, StreamSettings>();
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<StreamsFile>;
      for (const [stream, entry] of Object.entries(parsed.streams ?? {})) {
        if (!Number.isInteger(entry.cameraNumber)) continue;
        streams.set(stream, {
          cameraNumber: entry.cameraNumber,
          ...(Number.isInteger(entry.segmentMs) ? { segmentMs: entry.segmentMs } : {}),
        });
      }
    } catch (error) {
      if (!isMissing(error)) throw new Error(`${file}: ${(error as Error).message}`, { cause: error });
    }
    return new StreamRegistry(file, streams);
  }

  get(stream: string): StreamSettings | undefined {
    return this.streams.get(stream);
  }

  /** Records the stream's settings; persisted before it resolves. */
  async register(stream: string, settings: StreamSettings): Promise<void> {
    const known = this.streams.get(stream);
    if (known?.cameraNumber === settings.cameraNumber && known.segmentMs === settings.segmentMs) return;
    this.streams.set(stream, { ...settings });
    const write = this.writing.then(() => this.save());
    this.writing = write.catch(() => undefined); // the caller gets this write's error; the next one runs anyway
    await write;
  }

  private save(): Promise<void> {
    const file: StreamsFile = { streams: {} };
    for (const [stream, settings] of [...this.streams].sort(([a], [b]) => a.localeCompare(b))) {
      file.streams[stream] = settings;
    }
    return writeFileAtomic(this.file, JSON.stringify(file, null, 2) + '\n');
  }
}
