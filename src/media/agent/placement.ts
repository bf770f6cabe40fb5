/**
 * Places one finished recording: remuxes the engine's FLV from the spool into a fragmented MP4
 * on the disk with the most free space, at the seed's path, indexes its fragments and queues
 * its report to Hestia. A recording that cannot be made into a file (no video, a failed remux,
 * no camera number) is moved to `<spool>/failed/` with a note of why, never dropped.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { archivePath } from '../../core/domain/media.ts';
import type { DiskSet } from './disks.ts';
import { isMissing } from './files.ts';
import { parseFragmentIndex, totalDurationMs, type FragmentIndex } from './playlist.ts';
import { isLocked, parseSpoolName } from './recordings.ts';
import type { MediaSegmentReport, Outbox } from './reporter.ts';
import type { StreamRegistry } from './streams.ts';

export interface PlacementContext {
  disks: DiskSet;
  streams: StreamRegistry;
  outbox: Outbox;
  spoolDir: string;
  ffmpegPath: string;
  fragmentSeconds: number;
  remuxTimeoutMs: number;
  logger: Logger;
  /** Called once a report is in the outbox. */
  reported(): void;
}

/**
 * `placed`: on a disk and in the outbox; `failed`: set aside in failed/; `gone`: the spool file
 * no longer exists (placed by an earlier run); `held`: left in the spool to try again later
 * (every disk is full, or nginx is writing to the file again).
 */
export type PlacementOutcome = 'placed' | 'failed' | 'gone' | 'held';

/** Where temporary remux output goes on a disk (same file system as the target, for the rename). */
const TEMP_DIR = '.hestia-tmp';
const STDERR_KEPT_CHARS = 2000;

/** A recording that cannot become an archive file. */
class Unplaceable extends Error {}
/** ffmpeg could not remux the recording (a broken or empty file). */
class RemuxError extends Error {}

export async function placeRecording(ctx: PlacementContext, flvPath: string): Promise<PlacementOutcome> {
  const log = ctx.logger.child({ file: flvPath });
  const parsed = parseSpoolName(path.basename(flvPath));
  if (!parsed || path.dirname(path.resolve(flvPath)) !== path.resolve(ctx.spoolDir))
    throw new Error(`not a recording of the spool: ${flvPath}`);
  let info;
  try {
    info = await stat(flvPath);
    // nginx reopened the same name (a recording stopped and started within one second): this
    // file is being written again, and its record-done callback will come when it is closed.
    if (await isLocked(flvPath)) {
      log.warn('recording is being written again; it is placed when nginx closes it');
      return 'held';
    }
  } catch (error) {
    if (isMissing(error)) return 'gone';
    throw error;
  }
  let diskId: string;
  try {
    diskId = await ctx.disks.choose();
  } catch (error) {
    log.error({ err: error }, 'recording kept in the spool: no disk can take it');
    return 'held';
  }
  const diskDir = ctx.disks.dirOf(diskId)!;
  const work = path.join(diskDir, TEMP_DIR, randomUUID());
  try {
    const cameraNumber = ctx.streams.get(parsed.stream)?.cameraNumber;
    if (cameraNumber === undefined)
      throw new Unplaceable(
        `stream ${parsed.stream} has no camera number (PUT /v1/streams/${parsed.stream})`,
      );
    if (info.size === 0) throw new Unplaceable('the recording is empty (stopped before its first key frame)');
    await mkdir(work, { recursive: true });
    const mp4 = path.join(work, 'segment.mp4');
    const playlist = path.join(work, 'segment.m3u8');
    await remux(ctx, flvPath, mp4, playlist);
    let index: FragmentIndex;
    try {
      index = parseFragmentIndex(await readFile(playlist, 'utf8'));
    } catch (error) {
      throw new Unplaceable(`ffmpeg wrote no usable playlist: ${(error as Error).message}`);
    }
    const durationMs = totalDurationMs(index);
    if (durationMs <= 0) throw new Unplaceable('the recording has no duration');
    const sizeBytes = (await stat(mp4)).size;
    // nginx names the file after the second it opened it, but writes nothing before the
    // stream's next key frame; the last write (the close) less the duration is nearer the first
    // frame. Never before the opening: a publisher that sent a burst could make it look so.
    // Both come from the spool file, so placing the same file again gives the same path.
    const startMs = Math.max(parsed.openedAtMs, Math.round(info.mtimeMs) - durationMs);
    const relativePath = archivePath(diskId, cameraNumber, parsed.stream, startMs);
    const target = path.join(path.dirname(diskDir), relativePath);
    await mkdir(path.dirname(target), { recursive: true });
    // Placing the same spool file again (a crash before its deletion) replaces the file with
    // the same content, and Hestia takes the repeated report for the same path as one.
    const replaced = await stat(target).then(
      (existing) => existing.size,
      () => 0,
    );
    await rename(mp4, target);
    ctx.disks.adjustUsed(diskId, sizeBytes - replaced);
    const report: MediaSegmentReport = {
      stream: parsed.stream,
      diskId,
      path: relativePath,
      startMs,
      endMs: startMs + durationMs,
      sizeBytes,
      init: index.init,
      fragments: index.fragments,
    };
    await ctx.outbox.add(report);
    ctx.reported();
    await unlink(flvPath);
    log.info({ path: relativePath, diskId, durationMs, sizeBytes }, 'recording placed');
    return 'placed';
  } catch (error) {
    if (!(error instanceof Unplaceable || error instanceof RemuxError)) throw error;
    await setAside(ctx, flvPath, error.message);
    log.error({ reason: error.message }, 'recording set aside in failed/');
    return 'failed';
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Moves a spool file to failed/ with a note of why. */
async function setAside(ctx: PlacementContext, flvPath: string, reason: string): Promise<void> {
  const failedDir = path.join(ctx.spoolDir, 'failed');
  await mkdir(failedDir, { recursive: true });
  const target = path.join(failedDir, path.basename(flvPath));
  await rename(flvPath, target);
  await writeFile(`${target}.reason.txt`, `${new Date().toISOString()} ${reason}\n`);
}

/**
 * ffmpeg copies the streams (no re-encoding) into one fragmented MP4 and writes the playlist
 * that says where each fragment lies in it.
 */
function remux(ctx: PlacementContext, input: string, mp4: string, playlist: string): Promise<void> {
  const args = [
    ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', input, '-c', 'copy'],
    ...['-f', 'hls', '-hls_segment_type', 'fmp4', '-hls_flags', 'single_file'],
    ...['-hls_time', String(ctx.fragmentSeconds), '-hls_playlist_type', 'vod'],
    ...['-hls_segment_filename', mp4, playlist],
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(ctx.ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-STDERR_KEPT_CHARS);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), ctx.remuxTimeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      // ffmpeg missing or not executable: a fault of this host, not of the recording.
      reject(new Error(`cannot run ${ctx.ffmpegPath}: ${error.message}`, { cause: error }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new RemuxError(
            signal === 'SIGKILL'
              ? `remux took longer than ${ctx.remuxTimeoutMs} ms`
              : `ffmpeg exited with ${code ?? signal}: ${stderr.trim()}`,
          ),
        );
    });
  });
}
