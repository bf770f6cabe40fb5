/**
 * Reads the HLS playlist ffmpeg writes beside a single-file fragmented MP4
 * (`-hls_segment_type fmp4 -hls_flags single_file`): where the initialization section and each
 * fragment lie in the file, which is what Hestia needs to play the file by byte ranges.
 */

/** One fragment: [durationMs, offset, length]. */
export type FragmentEntry = [number, number, number];

export interface FragmentIndex {
  init: { offset: number; length: number };
  fragments: FragmentEntry[];
}

/**
 * Parses the playlist. RFC 8216 §4.3.2.2: `#EXT-X-BYTERANGE:<n>[@<o>]` without an offset starts
 * where the previous range of the same file ended. Throws on a playlist without a map.
 */
export function parseFragmentIndex(playlist: string): FragmentIndex {
  let init: FragmentIndex['init'] | undefined;
  const fragments: FragmentEntry[] = [];
  let durationMs: number | undefined;
  let nextOffset = 0;
  for (const raw of playlist.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-MAP:')) {
      const range = /BYTERANGE="([0-9]+)(?:@([0-9]+))?"/.exec(line);
      if (!range) throw new Error(`the map has no byte range: ${line}`);
      init = { length: Number(range[1]), offset: Number(range[2] ?? 0) };
      nextOffset = init.offset + init.length;
    } else if (line.startsWith('#EXTINF:')) {
      const seconds = Number.parseFloat(line.slice('#EXTINF:'.length));
      if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`bad duration: ${line}`);
      durationMs = Math.round(seconds * 1000);
    } else if (line.startsWith('#EXT-X-BYTERANGE:')) {
      const range = /^#EXT-X-BYTERANGE:([0-9]+)(?:@([0-9]+))?$/.exec(line);
      if (!range || durationMs === undefined) throw new Error(`a byte range without a duration: ${line}`);
      const length = Number(range[1]);
      const offset = range[2] === undefined ? nextOffset : Number(range[2]);
      fragments.push([durationMs, offset, length]);
      nextOffset = offset + length;
      durationMs = undefined;
    }
  }
  if (!init) throw new Error('the playlist has no #EXT-X-MAP (not a fragmented MP4 playlist)');
  return { init, fragments };
}

/** The fragments' summed duration. */
export function totalDurationMs(index: FragmentIndex): number {
  return index.fragments.reduce((sum, [durationMs]) => sum + durationMs, 0);
}
