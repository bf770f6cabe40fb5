import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Deadlines for a hung ffmpeg only: encoding takes about a second, a stop a few milliseconds. */
const ENCODE_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;

/**
 * A simulated camera: a short H.264/AAC clip (like a camera's: 25 fps, a key frame every 2 s),
 * encoded once per process, then published in a loop over RTMP with `-c copy`, which
 * costs almost no CPU however many cameras a test runs.
 */

/** Seconds of the clip: a few fragments long, quick to encode on a busy machine. */
const CLIP_SECONDS = 4;
/** The key frame interval of the clip, in frames (2 s at 25 fps), as the real cameras'. */
const GOP_FRAMES = 50;

let clip: Promise<string> | undefined;
let preview: Promise<string> | undefined;

/**
 * A JPEG of the clip's first second at 320 × 180, base64: the camera's preview (seed 002's
 * thumbnails are small pictures of what the camera sees).
 */
export function clipPreviewBase64(): Promise<string> {
  preview ??= cameraClip().then(async (file) => {
    const jpeg = path.join(path.dirname(file), 'preview.jpg');
    await new Promise<void>((resolve, reject) => {
      execFile(
        'ffmpeg',
        [
          '-hide_banner',
          '-nostdin',
          '-loglevel',
          'error',
          '-y',
          '-ss',
          '1',
          '-i',
          file,
          '-frames:v',
          '1',
          '-s',
          '320x180',
          '-q:v',
          '6',
          jpeg,
        ],
        { timeout: ENCODE_TIMEOUT_MS },
        (error, _stdout, stderr) =>
          error
            ? reject(new Error(`ffmpeg could not take a preview: ${stderr}`, { cause: error }))
            : resolve(),
      );
    });
    return readFileSync(jpeg).toString('base64');
  });
  return preview;
}

/** The clip (FLV), encoded at the first call and removed when the process exits. */
export function cameraClip(): Promise<string> {
  clip ??= encodeClip();
  return clip;
}

async function encodeClip(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hestia-camera-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'clip.flv');
  // Asynchronously: the servers under test run in this process and must go on answering.
  await new Promise<void>((resolve, reject) => {
    execFile(
      'ffmpeg',
      [
        ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'],
        ...['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25'],
        ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100'],
        ...['-t', String(CLIP_SECONDS), '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '1M'],
        ...['-g', String(GOP_FRAMES), '-keyint_min', String(GOP_FRAMES), '-sc_threshold', '0'],
        ...['-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', file],
      ],
      // A deadline for a hung encoder only: it takes about a second.
      { timeout: ENCODE_TIMEOUT_MS },
      (error, _stdout, stderr) =>
        error
          ? reject(new Error(`ffmpeg could not encode the camera clip: ${stderr}`, { cause: error }))
          : resolve(),
    );
  });
  return file;
}

export interface CameraPublication {
  /** ffmpeg's output so far (for a failure message). */
  output(): string;
  /** Whether ffmpeg has exited (the server refused or dropped the publication). */
  exited(): boolean;
  /** Ends the publication and waits for ffmpeg to exit. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Publishes the clip in a loop to `rtmpUrl` (…/live/<stream>?key=…) at its real pace, until stopped. */
export async function publishCamera(rtmpUrl: string): Promise<CameraPublication> {
  const input = await cameraClip();
  const child = spawn(
    'ffmpeg',
    [
      ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-stream_loop', '-1'],
      ...['-i', input, '-c', 'copy', '-f', 'flv', rtmpUrl],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  running.add(child);
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      resolve();
    }),
  );
  return {
    output: () => output,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // SIGTERM lets ffmpeg close the RTMP session, so the server ends the publication at once;
        // SIGKILL only if it does not exit within the deadline.
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exit;
        clearTimeout(timer);
      }
    },
  };
}
