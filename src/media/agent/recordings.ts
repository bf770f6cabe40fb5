/**
 * The engine's spool as the agent sees it: which files are still being recorded and which are
 * finished. nginx-rtmp names a recording `<stream>-<unix seconds><recorder's suffix>`
 * (`record_unique on`, src/media/nginx-rtmp/config.ts) and,
 * with `record_lock on`, holds a POSIX write lock on it until it closes the file. /stat does not
 * show recorders, so that lock is how a recording stream is told apart: Linux lists every lock
 * in /proc/locks with the inode it is on.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { RECORDERS, RECORDER_SUFFIXES, type RecorderName } from '../nginx-rtmp/config.ts';

export interface SpoolFile {
  path: string;
  stream: string;
  /** The engine's recorder that writes it. */
  recorder: RecorderName;
  /** When the engine opened the file (the unique suffix), in ms. */
  openedAtMs: number;
  /** Last write: the end of the recording once the file is closed. */
  modifiedAtMs: number;
  sizeBytes: number;
  /** Whether the engine holds its lock; undefined where locks cannot be read (not Linux). */
  locked: boolean | undefined;
}

/**
 * Without /proc/locks, a file written to within this long is taken as being recorded: a live
 * publisher writes several times a second, and nginx drops one idle for 10 s.
 */
const ACTIVE_WRITE_MS = 15_000; // 15 seconds
/**
 * A file is only taken from the spool by the sweep when it has not been written to for this
 * long, even when it is not locked: it covers the moment between nginx opening a file and
 * locking it, and guards against a lock this host's /proc/locks does not show.
 */
const QUIET_BEFORE_SWEEP_MS = 30_000; // 30 seconds

const SPOOL_NAME = /^([A-Za-z0-9_-]{1,128})-([0-9]{9,11})(\.[0-9a-z.]+)$/;

/** The stream, recorder and opening time named by a spool file, or undefined for another file. */
export function parseSpoolName(
  fileName: string,
): { stream: string; recorder: RecorderName; openedAtMs: number } | undefined {
  const match = SPOOL_NAME.exec(fileName);
  const recorder = RECORDERS.find((name) => RECORDER_SUFFIXES[name] === match?.[3]);
  if (!match || !recorder) return undefined;
  return { stream: match[1]!, recorder, openedAtMs: Number(match[2]) * 1000 };
}

/** The recordings in the spool (not its failed/ folder), with their lock state. */
export async function listSpool(spoolDir: string): Promise<SpoolFile[]> {
  const [names, locked] = await Promise.all([readdir(spoolDir), lockedInodes()]);
  const files: SpoolFile[] = [];
  for (const name of names) {
    const parsed = parseSpoolName(name);
    if (!parsed) continue;
    const full = path.join(spoolDir, name);
    const info = await stat(full, { bigint: true }).catch(() => undefined); // placed meanwhile
    if (!info?.isFile()) continue;
    files.push({
      path: full,
      ...parsed,
      modifiedAtMs: Number(info.mtimeMs),
      sizeBytes: Number(info.size),
      locked: locked ? locked.has(info.ino.toString()) : undefined,
    });
  }
  return files;
}

/** Whether the engine is still writing `file`. */
export function isBeingRecorded(file: SpoolFile, nowMs: number): boolean {
  return file.locked ?? nowMs - file.modifiedAtMs < ACTIVE_WRITE_MS;
}

/** Whether the sweep may take `file`: closed by the engine and quiet for a while. */
export function isFinished(file: SpoolFile, nowMs: number): boolean {
  return !isBeingRecorded(file, nowMs) && nowMs - file.modifiedAtMs >= QUIET_BEFORE_SWEEP_MS;
}

/** Whether the engine holds the lock of `file` now; undefined where locks cannot be read. */
export async function isLocked(file: string): Promise<boolean | undefined> {
  const [locked, info] = await Promise.all([lockedInodes(), stat(file, { bigint: true })]);
  return locked?.has(info.ino.toString());
}

/** The streams being recorded now, from the spool. */
export async function recordingStreams(spoolDir: string, nowMs: number): Promise<string[]> {
  const files = await listSpool(spoolDir);
  const streams = new Set(files.filter((file) => isBeingRecorded(file, nowMs)).map((file) => file.stream));
  return [...streams].sort();
}

/**
 * Inode numbers of the files write-locked on this machine, from /proc/locks
 * (`1: POSIX  ADVISORY  WRITE 9836 fe:00:2213117 0 EOF`), or undefined when it cannot be read.
 * Matched by inode alone: the device numbers there are the kernel's and may not be those stat()
 * reports inside a container, and a spool holds few files, so a clash is out of reach.
 */
export async function lockedInodes(): Promise<Set<string> | undefined> {
  let text: string;
  try {
    text = await readFile('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
  const inodes = new Set<string>();
  for (const line of text.split('\n')) {
    // "->" marks a process waiting for a lock, not holding one.
    if (line.includes('->') || !/\bWRITE\b/.test(line)) continue;
    const match = /\s[0-9a-f]+:[0-9a-f]+:([0-9]+)\s/.exec(line);
    if (match) inodes.add(match[1]!);
  }
  return inodes;
}
