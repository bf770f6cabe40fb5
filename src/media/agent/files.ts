/** File helpers of the media agent: writes that a crash cannot leave half done, tidy deletes. */
import { randomUUID } from 'node:crypto';
import { open, rename, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes `text` to `file` through a temporary file in the same directory, flushed before the
 * rename: after a crash the file holds either the old or the new content, never a part.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined); // the rename's error is the one to report
    throw error;
  }
}

/**
 * Removes the directories from `dir` up to, not including, `stopAt`, as long as they are empty:
 * deleting a day's last file leaves no empty day, month and camera folders behind.
 */
export async function removeEmptyParents(dir: string, stopAt: string): Promise<void> {
  const root = path.resolve(stopAt);
  for (let current = path.resolve(dir); isInside(current, root); current = path.dirname(current)) {
    try {
      await rmdir(current);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return;
      throw error;
    }
  }
}

/** Whether `candidate` lies strictly inside `root` (both absolute and resolved). */
export function isInside(candidate: string, root: string): boolean {
  const relative = path.relative(root, candidate);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** Whether an error is "no such file". */
export function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
