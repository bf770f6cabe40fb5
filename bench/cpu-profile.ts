import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * Summary of a V8 CPU profile (`node --cpu-prof`): self time per function and per area
 * (a package, a src/ folder, Node's core, the garbage collector), optionally restricted to a
 * window of the monotonic clock, which V8 and process.hrtime share on Linux.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  /** Whether only samples inside the window were counted (false: the whole process life). */
  windowApplied: boolean;
  sampledMs: number;
  idlePct: number;
  topSelf: Array<{ function: string; location: string; area: string; selfMs: number; selfPct: number }>;
  byArea: Array<{ area: string; selfMs: number; selfPct: number }>;
}

const SPECIAL = new Set(['(garbage collector)', '(program)', '(idle)', '(root)']);

/** Where a frame's code lives, short enough for a table. */
function areaOf(url: string, functionName: string): string {
  if (url === '') return SPECIAL.has(functionName) ? functionName : '(native / V8 builtin)';
  const nodeModules = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (nodeModules) return nodeModules[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/').slice(0, 2).join('/')}`;
  const source = /\/(src|bin)\/(.*)$/.exec(url);
  if (source) {
    const parts = `${source[1]}/${source[2]}`.split('/');
    return parts.slice(0, Math.min(2, parts.length - 1)).join('/') || parts[0]!;
  }
  return url;
}

function locationOf(url: string, line: number, repoRoot: string): string {
  if (url === '') return '';
  const path = url.replace(/^file:\/\//, '').replace(repoRoot + '/', '');
  // Lines of TypeScript files are those of tsx's transpiled output, not of the source: leave them out.
  return path.endsWith('.ts') ? path : `${path}:${line + 1}`;
}

/**
 * The main thread's profile among those `--cpu-prof` wrote to a directory (Node names them
 * CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; the module loader's thread is another).
 */
export function mainThreadProfile(files: readonly string[]): string | undefined {
  return (
    files.find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f)) ?? files.find((f) => f.endsWith('.cpuprofile'))
  );
}

export function summarizeCpuProfile(
  file: string,
  repoRoot: string,
  window?: { fromUs: number; toUs: number },
  top = 20,
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const sampleTimes: number[] = [];
  let t = profile.startTime;
  for (const delta of profile.timeDeltas) sampleTimes.push((t += delta));
  const inWindow = (i: number): boolean =>
    !window || (sampleTimes[i]! >= window.fromUs && sampleTimes[i]! < window.toUs);
  const windowApplied = window !== undefined && profile.samples.some((_id, i) => inWindow(i));

  const selfByFunction = new Map<string, { function: string; location: string; area: string; us: number }>();
  const selfByArea = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  profile.samples.forEach((id, i) => {
    if (windowApplied && !inWindow(i)) return;
    // A sample stands for the time until the next one (as Chrome DevTools counts it).
    const us = (sampleTimes[i + 1] ?? profile.endTime) - sampleTimes[i]!;
    const frame = nodes.get(id)?.callFrame;
    if (!frame || us <= 0) return;
    totalUs += us;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      return;
    }
    const name = frame.functionName || '(anonymous)';
    const location = locationOf(frame.url, frame.lineNumber, repoRoot);
    const area = areaOf(frame.url, frame.functionName);
    const key = `${name}@${location}`;
    const entry = selfByFunction.get(key) ?? { function: name, location, area, us: 0 };
    entry.us += us;
    selfByFunction.set(key, entry);
    selfByArea.set(area, (selfByArea.get(area) ?? 0) + us);
  });

  const busyUs = Math.max(1, totalUs - idleUs);
  const pct = (us: number): number => Math.round((us * 1000) / busyUs) / 10;
  return {
    file,
    windowApplied,
    sampledMs: Math.round(totalUs / 1000),
    idlePct: Math.round((idleUs * 1000) / Math.max(1, totalUs)) / 10,
    topSelf: [...selfByFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({
        function: e.function,
        location: e.location,
        area: e.area,
        selfMs: Math.round(e.us / 1000),
        selfPct: pct(e.us),
      })),
    byArea: [...selfByArea.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([area, us]) => ({ area, selfMs: Math.round(us / 1000), selfPct: pct(us) })),
  };
}

/**
 * The folder for `node --cpu-prof` output from a `--profile [dir]` option (null without it),
 * created and emptied of earlier profiles; the default is test-output/bench-profile.
 */
export function prepareProfileDir(option: string | boolean | undefined, repoRoot: string): string | null {
  if (option === undefined || option === false) return null;
  const dir = path.resolve(
    typeof option === 'string' ? option : path.join(repoRoot, 'test-output/bench-profile'),
  );
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(dir)) if (file.endsWith('.cpuprofile')) rmSync(path.join(dir, file));
  return dir;
}
