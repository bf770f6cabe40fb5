import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  MediaEngineError,
  type MediaEngine,
  type MediaStreamRef,
} from '../../src/core/ports/media-engine.ts';
import { eventually } from '../helpers/app.ts';

/** What one engine's test file provides to the conformance suite. */
export interface MediaEngineHarness {
  /** An adapter for a running server (nginx-rtmp on free ports; for Wowza the shape-checking server). */
  engine: MediaEngine;
  /** The live application streams publish to. */
  application: string;
  /** Starts publishing `stream` to the server; `stop` ends the publication. */
  publish(stream: string): Promise<{ stop(): Promise<void> }>;
  /** An adapter for the same engine whose server does not answer (a closed port). */
  unreachable(): MediaEngine;
  /** Creates an archive file on the media host's agent (path relative to the content root). */
  createArchiveFile(relativePath: string): Promise<void>;
  /** Whether an archive file exists. */
  archiveFileExists(relativePath: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The one suite every media-server adapter passes (DESIGN.md §6), run against its engine:
 * nginx-rtmp for real, Wowza against a server that checks the documented REST shapes; both
 * with the real Hestia media agent beside them (disks, deletion).
 */
export function runMediaEngineConformance(name: string, open: () => Promise<MediaEngineHarness>): void {
  describe(`media engine conformance: ${name}`, () => {
    let harness: MediaEngineHarness;
    let cameraNumber = 400;
    const ref = (stream: string): MediaStreamRef => ({
      application: harness.application,
      stream,
      cameraNumber: cameraNumber++,
    });

    before(async () => {
      harness = await open();
    });
    after(async () => {
      await harness?.close();
    });

    it('reports load, and its disks through the media agent', async () => {
      const status = await harness.engine.status();
      assert.equal(harness.engine.kind, name);
      for (const figure of [
        status.load.publishing,
        status.load.playing,
        status.load.bwInBitsPerSec,
        status.load.bwOutBitsPerSec,
      ]) {
        assert.ok(Number.isFinite(figure) && figure >= 0, `load figure ${figure}`);
      }
      assert.ok(status.disks.length > 0, 'the media agent reports at least one disk');
      for (const disk of status.disks) {
        assert.match(disk.id, /^[A-Za-z0-9_-]+$/);
        assert.ok(disk.totalBytes > 0 && disk.freeBytes >= 0 && disk.freeBytes <= disk.totalBytes);
      }
    });

    it('sees a published stream, records it on request, and stops', async () => {
      const stream = randomUUID();
      const publication = await harness.publish(stream);
      try {
        await eventually(
          `stream ${stream} published`,
          async () => (await harness.engine.status()).publishing.includes(stream) || undefined,
        );
        const status = await harness.engine.status();
        assert.ok(status.load.publishing >= 1);
        const camera = ref(stream);
        await harness.engine.startRecording(camera, { segmentMs: 1_800_000 });
        // Starting twice is not an error.
        await harness.engine.startRecording(camera, { segmentMs: 1_800_000 });
        await eventually(
          `stream ${stream} recording`,
          async () => (await harness.engine.status()).recording.includes(stream) || undefined,
        );
        await harness.engine.stopRecording(camera);
        await eventually(
          `stream ${stream} no longer recording`,
          async () => !(await harness.engine.status()).recording.includes(stream) || undefined,
        );
        // Stopping twice is not an error either.
        await harness.engine.stopRecording(camera);
      } finally {
        await publication.stop();
      }
    });

    it('refuses to record a stream that is not published, as a permanent error', async () => {
      const error = await harness.engine.startRecording(ref(randomUUID()), { segmentMs: 1_800_000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof MediaEngineError, `got ${String(error)}`);
      assert.equal(error.retryable, false);
    });

    it('reports an unreachable server as a retryable error', async () => {
      const engine = harness.unreachable();
      for (const call of [
        () => engine.status(),
        () => engine.startRecording(ref(randomUUID()), { segmentMs: 60_000 }),
        () => engine.stopRecording(ref(randomUUID())),
      ]) {
        const error = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(error instanceof MediaEngineError, `got ${String(error)}`);
        assert.equal(error.retryable, true);
      }
    });

    it('deletes archive files and counts those already gone', async () => {
      const status = await harness.engine.status();
      const disk = status.disks[0]!.id;
      const file = `${disk}/2/${randomUUID()}/2026/12/07/clip_10_00_00.mp4`;
      await harness.createArchiveFile(file);
      assert.equal(await harness.archiveFileExists(file), true);
      const result = await harness.engine.deleteFiles([file, `${disk}/2/gone/2026/12/07/gone_10_00_00.mp4`]);
      assert.deepEqual(result, { deleted: 1, missing: 1 });
      assert.equal(await harness.archiveFileExists(file), false);
      // A path outside the content root is refused, not followed.
      const escape = await harness.engine.deleteFiles([`${disk}/../../etc/passwd`]).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(escape instanceof MediaEngineError && !escape.retryable, `got ${String(escape)}`);
    });
  });
}
