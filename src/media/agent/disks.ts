/**
 * The media host's archive disks: `<contentRoot>/<id>` each, their free space, and the choice
 * of the disk a new recording goes to (the one with the most free space below the fill limit,
 * DESIGN.md §6).
 */
import { readdir, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { MediaDisk } from '../../core/domain/media.ts';
import type { DiskOption } from './options.ts';

interface Disk {
  id: string;
  dir: string;
  capacityBytes: number | undefined;
  /** Bytes of the files under `dir`: walked at start, then adjusted on every write and delete. */
  usedBytes: number;
}

/** No disk can take a new recording: all are above the fill limit. */
export class NoDiskError extends Error {
  constructor(detail: string) {
    super(`no disk below the fill limit: ${detail}`);
    this.name = 'NoDiskError';
  }
}

export class DiskSet {
  private constructor(
    private readonly disks: Map<string, Disk>,
    private readonly maxFillRatio: number,
  ) {}

  /**
   * Checks that every disk's directory exists (a missing mount must not silently fill the root
   * file system) and measures what the capped ones hold.
   */
  static async open(
    contentRoot: string,
    options: readonly DiskOption[],
    maxFillRatio: number,
  ): Promise<DiskSet> {
    const disks = new Map<string, Disk>();
    for (const option of options) {
      const dir = path.join(contentRoot, option.id);
      const info = await stat(dir).catch((error: unknown) => {
        throw new Error(`disk ${option.id}: ${dir} is not readable: ${(error as Error).message}`);
      });
      if (!info.isDirectory()) throw new Error(`disk ${option.id}: ${dir} is not a directory`);
      // Only a capped disk needs its usage: an uncapped one is measured by the file system.
      const usedBytes = option.capacityBytes === undefined ? 0 : await bytesUnder(dir);
      disks.set(option.id, { id: option.id, dir, capacityBytes: option.capacityBytes, usedBytes });
    }
    return new DiskSet(disks, maxFillRatio);
  }

  ids(): string[] {
    return [...this.disks.keys()];
  }

  /** The directory of disk `id`, or undefined for an unknown disk. */
  dirOf(id: string): string | undefined {
    return this.disks.get(id)?.dir;
  }

  /** Accounts for a file written (positive) or deleted (negative) on disk `id`. */
  adjustUsed(id: string, deltaBytes: number): void {
    const disk = this.disks.get(id);
    if (disk) disk.usedBytes = Math.max(0, disk.usedBytes + deltaBytes);
  }

  async status(): Promise<MediaDisk[]> {
    return Promise.all([...this.disks.values()].map((disk) => this.measure(disk)));
  }

  /** The disk with the most free space among those below the fill limit. */
  async choose(): Promise<string> {
    const disks = await this.status();
    const open = disks.filter((disk) => disk.totalBytes > 0 && fillRatio(disk) < this.maxFillRatio);
    const best = open.sort((a, b) => b.freeBytes - a.freeBytes)[0];
    if (!best) {
      const detail = disks.map((disk) => `${disk.id} ${Math.round(fillRatio(disk) * 100)}% full`).join(', ');
      throw new NoDiskError(`${detail} (limit ${Math.round(this.maxFillRatio * 100)}%)`);
    }
    return best.id;
  }

  private async measure(disk: Disk): Promise<MediaDisk> {
    const fs = await statfs(disk.dir);
    const fsTotal = fs.blocks * fs.bsize;
    // bavail, not bfree: the blocks reserved for root are not ours to fill.
    const fsFree = fs.bavail * fs.bsize;
    if (disk.capacityBytes === undefined) return { id: disk.id, totalBytes: fsTotal, freeBytes: fsFree };
    const capped = Math.max(0, disk.capacityBytes - disk.usedBytes);
    return { id: disk.id, totalBytes: disk.capacityBytes, freeBytes: Math.min(fsFree, capped) };
  }
}

function fillRatio(disk: MediaDisk): number {
  return disk.totalBytes > 0 ? (disk.totalBytes - disk.freeBytes) / disk.totalBytes : 1;
}

/** Sum of the sizes of the regular files under `dir` (links are not followed). */
async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  const pending = [dir];
  for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
    const entries = await readdir(current, { withFileTypes: true });
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) pending.push(full);
      else if (entry.isFile()) total += (await stat(full)).size;
    }
  }
  return total;
}
