import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { callApi } from '../src/simulator/provision.ts';
import { publishCamera, type CameraPublication } from '../test/helpers/camera-stream.ts';
import { round } from './histogram.ts';
import { assignStream, setMode, type BenchContext } from './media-context.ts';
import { progress } from './processes.ts';
import { cpuPercent, machineCpuTicks, processCpuSeconds } from './system.ts';

const MB = 1024 * 1024;

/**
 * The disk's sequential write bandwidth: 256 MiB in 4 MiB writes and one fsync, the way a
 * recorder writes (appends, synced by the kernel). Streams at 1 Mbps it could hold at most.
 */
export async function measureDiskWrite(
  dir: string,
): Promise<{ bytesPerSec: number; mbPerSec: number; bytes: number }> {
  const file = path.join(dir, 'disk-write-probe.bin');
  const chunk = Buffer.alloc(4 * MB, 0x5a);
  const total = 256 * MB;
  const started = performance.now();
  const handle = await open(file, 'w');
  try {
    for (let written = 0; written < total; written += chunk.length) await handle.write(chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
  const seconds = (performance.now() - started) / 1000;
  await rm(file, { force: true });
  return { bytesPerSec: Math.round(total / seconds), mbPerSec: round(total / MB / seconds, 1), bytes: total };
}

export interface CapacityLevel {
  cameras: number;
  /** Recorded time found in the archive index ÷ the time each camera was asked to record. */
  coveredRatioMin: number;
  coveredRatioMedian: number;
  /** Frames nginx dropped for its publishers (slow disk or CPU shows here first). */
  droppedFrames: number;
  recordSeconds: number;
  hestiaCpuPctOfOneCore: number | null;
  machineBusyPctOfAllCores: number | null;
  passed: boolean;
  /** Why the level failed, when it did not finish (e.g. the server stopped answering). */
  error?: string;
  /** The end of nginx's error log at a failure. */
  nginxLogTail?: string;
}

interface CameraView {
  deviceId: string;
  streaming: boolean;
  recording: { state: string; since: string };
}

async function homeCameras(ctx: BenchContext): Promise<CameraView[]> {
  return (
    await callApi<{ items: CameraView[] }>(
      ctx.apiUrl,
      'GET',
      `/v1/homes/${ctx.homeId}/cameras`,
      undefined,
      ctx.ownerToken,
    )
  ).items;
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Seconds of recording indexed for a camera within [fromMs, toMs]. */
async function coveredSeconds(
  ctx: BenchContext,
  deviceId: string,
  fromMs: number,
  toMs: number,
): Promise<number> {
  const timeline = await callApi<{ spans: Array<{ start: string; end: string }> }>(
    ctx.apiUrl,
    'GET',
    `/v1/cameras/${deviceId}/timeline?from=${fromMs}&to=${toMs}&limit=2000`,
    undefined,
    ctx.ownerToken,
  );
  return (
    timeline.spans.reduce((sum, span) => sum + (Date.parse(span.end) - Date.parse(span.start)), 0) / 1000
  );
}

async function droppedFrames(ctx: BenchContext): Promise<number> {
  const xml = await (await fetch(`${ctx.host.nginx.httpUrl}/stat`)).text();
  return [...xml.matchAll(/<dropped>(\d+)<\/dropped>/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/**
 * Rising numbers of cameras publish (through the balancer and the publish-key check) and record
 * continuously for `recordSeconds`; a level passes when each camera's indexed recording covers
 * its window (less the key-frame interval it may start late) and nginx dropped no frame.
 */
export async function recordingCapacity(
  ctx: BenchContext,
  levels: readonly number[],
  recordSeconds: number,
  hestiaPid: number,
): Promise<CapacityLevel[]> {
  const cameras = ctx.gateways.flatMap((g) => g.cameras.map((c) => ({ gateway: g, camera: c })));
  const publications = new Map<string, CameraPublication>();
  const results: CapacityLevel[] = [];
  try {
    for (const count of [...levels].sort((a, b) => a - b)) {
      let level: CapacityLevel;
      try {
        level = await recordLevel(
          ctx,
          cameras.slice(0, count),
          count,
          recordSeconds,
          hestiaPid,
          publications,
        );
      } catch (error) {
        level = {
          cameras: count,
          coveredRatioMin: 0,
          coveredRatioMedian: 0,
          droppedFrames: 0,
          recordSeconds,
          hestiaCpuPctOfOneCore: null,
          machineBusyPctOfAllCores: null,
          passed: false,
          error: error instanceof Error ? error.message : String(error),
          nginxLogTail: ctx.host.nginx.logTail().slice(-1500),
        };
      }
      results.push(level);
      progress(
        `${count} cameras: covered ≥ ${level.coveredRatioMin}, dropped ${level.droppedFrames}: ${level.passed ? 'pass' : `FAIL ${level.error ?? ''}`}`,
      );
      if (!level.passed) break;
    }
  } finally {
    for (const publication of publications.values()) await publication.stop();
  }
  return results;
}

/** One level: `count` cameras publish, record for `recordSeconds`, stop; what was indexed. */
async function recordLevel(
  ctx: BenchContext,
  chosen: Array<{
    gateway: BenchContext['gateways'][number];
    camera: BenchContext['gateways'][number]['cameras'][number];
  }>,
  count: number,
  recordSeconds: number,
  hestiaPid: number,
  publications: Map<string, CameraPublication>,
): Promise<CapacityLevel> {
  if (chosen.length < count) throw new Error(`only ${chosen.length} cameras provisioned`);
  for (const { gateway, camera } of chosen) {
    if (publications.has(camera.deviceId)) continue;
    publications.set(
      camera.deviceId,
      await publishCamera(await assignStream(ctx, gateway.gatewayId, gateway.token, camera.deviceId)),
    );
  }
  const ids = new Set(chosen.map((c) => c.camera.deviceId));
  await until(
    `${count} cameras streaming`,
    60_000,
    async () => (await homeCameras(ctx)).filter((c) => ids.has(c.deviceId) && c.streaming).length >= count,
  );
  const droppedBefore = await droppedFrames(ctx);
  for (const { camera } of chosen) await setMode(ctx, camera.deviceId, 'continuous');
  await until(
    `${count} cameras recording`,
    60_000,
    async () =>
      (await homeCameras(ctx)).filter((c) => ids.has(c.deviceId) && c.recording.state === 'recording')
        .length >= count,
  );
  const starts = new Map(
    (await homeCameras(ctx))
      .filter((c) => ids.has(c.deviceId))
      .map((c) => [c.deviceId, Date.parse(c.recording.since)]),
  );
  progress(`${count} cameras recording; ${recordSeconds} s`);
  const cpuBefore = processCpuSeconds(hestiaPid);
  const machineBefore = machineCpuTicks();
  const windowStart = performance.now();
  await new Promise((resolve) => setTimeout(resolve, recordSeconds * 1000));
  const elapsedMs = performance.now() - windowStart;
  const cpuAfter = processCpuSeconds(hestiaPid);
  const machineAfter = machineCpuTicks();
  const dropped = (await droppedFrames(ctx)) - droppedBefore;
  const stoppedAt = Date.now();
  for (const { camera } of chosen) await setMode(ctx, camera.deviceId, 'off');
  // Key frames every 2 s: a recording starts at the next one and its file ends at the last one.
  const ratios: number[] = [];
  for (const { camera } of chosen) {
    const startMs = starts.get(camera.deviceId)!;
    const wanted = (stoppedAt - startMs) / 1000 - 4;
    let covered = 0;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      covered = await coveredSeconds(ctx, camera.deviceId, startMs - 10_000, stoppedAt + 10_000);
      if (covered >= wanted) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    ratios.push(Math.min(covered / wanted, 1));
  }
  ratios.sort((a, b) => a - b);
  const busy =
    machineBefore && machineAfter
      ? (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)
      : null;
  const level: CapacityLevel = {
    cameras: count,
    coveredRatioMin: round(ratios[0] ?? 0, 3),
    coveredRatioMedian: round(ratios[Math.floor(ratios.length / 2)] ?? 0, 3),
    droppedFrames: dropped,
    recordSeconds,
    hestiaCpuPctOfOneCore: cpuPercent(cpuBefore, cpuAfter, elapsedMs),
    machineBusyPctOfAllCores: busy === null ? null : Math.round(busy * 100),
    passed: (ratios[0] ?? 0) >= 0.95 && dropped === 0,
  };
  return level;
}
