/**
 * Deletion of archive files by Hestia (retention, a removed camera): paths relative to the
 * content root, each an .mp4 on one of the configured disks. A path that could reach anything
 * else is refused before any file is touched.
 */
import { lstat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { HestiaError } from '../../core/errors.ts';
import { isArchivePath } from '../../core/media-signing.ts';
import type { DiskSet } from './disks.ts';
import { isInside, isMissing, removeEmptyParents } from './files.ts';

interface ArchiveFile {
  diskId: string;
  diskDir: string;
  file: string;
}

/**
 * Resolves a relative archive path to its file, or throws HESTIA_BAD_REQUEST naming it. The
 * pattern already excludes `..` and absolute paths; the containment check below is the second
 * lock on the same door.
 */
export function resolveArchiveFile(disks: DiskSet, contentRoot: string, relativePath: string): ArchiveFile {
  const refuse = (why: string): never => {
    throw new HestiaError('HESTIA_BAD_REQUEST', `${JSON.stringify(relativePath)}: ${why}`);
  };
  if (!isArchivePath(relativePath)) refuse('not an archive path (<diskId>/…/<name>.mp4)');
  const diskId = relativePath.slice(0, relativePath.indexOf('/'));
  const diskDir = disks.dirOf(diskId) ?? refuse(`no disk ${diskId} on this server`);
  const file = path.resolve(contentRoot, relativePath);
  if (!isInside(file, path.resolve(diskDir))) refuse('outside its disk');
  return { diskId, diskDir, file };
}

/** Deletes the files; those already gone count as missing. All paths are checked first. */
export async function deleteArchiveFiles(
  disks: DiskSet,
  contentRoot: string,
  relativePaths: readonly string[],
): Promise<{ deleted: number; missing: number }> {
  const files = relativePaths.map((relativePath) => resolveArchiveFile(disks, contentRoot, relativePath));
  let deleted = 0;
  let missing = 0;
  for (const { diskId, diskDir, file } of files) {
    try {
      // lstat: a link in the archive is removed itself, never what it points to.
      const info = await lstat(file);
      await unlink(file);
      if (info.isFile()) disks.adjustUsed(diskId, -info.size);
      deleted++;
      await removeEmptyParents(path.dirname(file), diskDir);
    } catch (error) {
      if (!isMissing(error)) throw error;
      missing++;
    }
  }
  return { deleted, missing };
}
