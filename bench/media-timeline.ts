import { performance } from 'node:perf_hooks';
import { archivePath } from '../src/core/domain/media.ts';
import { gatewayTopic } from '../src/ingest/topics.ts';
import { previewMessage, sensorDataMessage } from '../src/simulator/messages.ts';
import { callApi } from '../src/simulator/provision.ts';
import { summary, type Summary } from './histogram.ts';
import { basic, setMode, type BenchContext } from './media-context.ts';
import { progress } from './processes.ts';

const DAY_MS = 86_400_000;
const SEGMENT_MS = 30 * 60_000;
const FRAGMENT_MS = 2000;
const RUNS = 30;

export interface TimelineFigures {
  continuous: {
    segments: number;
    events: number;
    previews: number;
    dayMs: Summary;
    thirtyDaysMs: Summary;
    pagesFor30Days: number;
    requestMs: Summary;
  };
  motion: { segments: number; events: number; thirtyDaysMs: Summary; pagesFor30Days: number };
  referenceCameraGetMs: Summary;
  targetP99Ms: number;
}

/** A report as the media agent sends it, for a file of `durationMs` starting at `startMs`. */
function report(stream: string, number: number, startMs: number, durationMs: number) {
  const fragments: Array<[number, number, number]> = [];
  let offset = 1400;
  for (let at = 0; at < durationMs; at += FRAGMENT_MS) {
    fragments.push([Math.min(FRAGMENT_MS, durationMs - at), offset, 250_000]);
    offset += 250_000;
  }
  return {
    stream,
    diskId: 'disk1',
    path: archivePath('disk1', number, stream, startMs),
    startMs,
    endMs: startMs + durationMs,
    sizeBytes: offset,
    init: { offset: 0, length: 1400 },
    fragments,
  };
}

async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function walk(
  ctx: BenchContext,
  deviceId: string,
  fromMs: number,
  toMs: number,
): Promise<{ ms: number; pages: number; requestMs: number[] }> {
  const started = performance.now();
  const requestMs: number[] = [];
  let cursor = fromMs;
  let pages = 0;
  for (;;) {
    const at = performance.now();
    const page = await callApi<{ nextFrom: string | null }>(
      ctx.apiUrl,
      'GET',
      `/v1/cameras/${deviceId}/timeline?from=${cursor}&to=${toMs}&limit=2000`,
      undefined,
      ctx.ownerToken,
    );
    requestMs.push(performance.now() - at);
    pages++;
    if (!page.nextFrom) break;
    cursor = Date.parse(page.nextFrom);
  }
  return { ms: performance.now() - started, pages, requestMs };
}

/**
 * 30 days behind two cameras, stored through the paths the system uses (segment reports as
 * the agent sends them, motion and previews over MQTT), then their timelines over HTTP: one day
 * of the continuous camera, all 30 days of it (paged), and 30 days of a motion camera's clips.
 */
export async function timelineFigures(ctx: BenchContext, days: number): Promise<TimelineFigures> {
  const gateway = ctx.gateways[ctx.gateways.length - 1]!;
  const [continuous, motion] = gateway.cameras as [
    (typeof gateway.cameras)[number],
    (typeof gateway.cameras)[number],
  ];
  for (const camera of [continuous, motion]) await setMode(ctx, camera.deviceId, 'off');
  const number = async (deviceId: string): Promise<number> =>
    (
      await callApi<{ number: number }>(
        ctx.apiUrl,
        'GET',
        `/v1/cameras/${deviceId}`,
        undefined,
        ctx.ownerToken,
      )
    ).number;
  const endMs = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const fromMs = endMs - days * DAY_MS;
  const reports: object[] = [];
  const continuousNumber = await number(continuous.deviceId);
  for (let at = fromMs; at < endMs; at += SEGMENT_MS)
    reports.push(report(continuous.deviceId, continuousNumber, at, SEGMENT_MS));
  const motionNumber = await number(motion.deviceId);
  const clipStarts: number[] = [];
  for (let day = 0; day < days; day++)
    for (let clip = 0; clip < 20; clip++)
      clipStarts.push(fromMs + day * DAY_MS + clip * 70 * 60_000 + 7 * 60_000);
  for (const at of clipStarts) reports.push(report(motion.deviceId, motionNumber, at, 60_000));
  progress(`storing ${reports.length} archive files through the agent's report endpoint`);
  await inParallel(reports, 8, async (body) => {
    const response = await fetch(`${ctx.apiUrl}/v1/media/agent/segments`, {
      method: 'POST',
      headers: { authorization: basic(ctx.serverId, ctx.serverSecret), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status >= 300)
      throw new Error(`segment report: ${response.status} ${await response.text()}`);
  });
  progress('storing motion events and previews over MQTT');
  const up = gatewayTopic(gateway.gatewayId, 'up');
  const messages: string[] = [];
  for (let at = fromMs + 60_000; at < endMs; at += 30 * 60_000) {
    messages.push(JSON.stringify(sensorDataMessage(gateway.gatewayId, continuous, '1', at)));
    messages.push(JSON.stringify(sensorDataMessage(gateway.gatewayId, continuous, '0', at + 30_000)));
  }
  for (let at = fromMs + 120_000; at < endMs; at += 15 * 60_000)
    messages.push(JSON.stringify(previewMessage(gateway.gatewayId, continuous, at)));
  for (const at of clipStarts) {
    messages.push(JSON.stringify(sensorDataMessage(gateway.gatewayId, motion, '1', at)));
    messages.push(JSON.stringify(sensorDataMessage(gateway.gatewayId, motion, '0', at + 45_000)));
  }
  await inParallel(messages, 16, async (message) => {
    await gateway.client.publishAsync(up, message, { qos: 1 });
  });
  const expectEvents = Math.floor((endMs - fromMs - 60_000) / (30 * 60_000)) + 1;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const check = await walk(ctx, continuous.deviceId, fromMs, endMs);
    const last = await callApi<{ events: unknown[] }>(
      ctx.apiUrl,
      'GET',
      `/v1/cameras/${continuous.deviceId}/timeline?from=${endMs - DAY_MS}&to=${endMs}&limit=2000`,
      undefined,
      ctx.ownerToken,
    );
    if (check.pages >= 1 && last.events.length >= 48) break;
    if (Date.now() > deadline) throw new Error(`the events did not arrive (expected ${expectEvents})`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  progress('timing the timelines');
  const day: number[] = [];
  const thirty: number[] = [];
  const requests: number[] = [];
  const motionThirty: number[] = [];
  const reference: number[] = [];
  let pages = 0;
  let motionPages = 0;
  for (let run = 0; run < RUNS; run++) {
    let at = performance.now();
    await callApi(
      ctx.apiUrl,
      'GET',
      `/v1/cameras/${continuous.deviceId}/timeline?from=${endMs - DAY_MS}&to=${endMs}&limit=500`,
      undefined,
      ctx.ownerToken,
    );
    day.push(performance.now() - at);
    const full = await walk(ctx, continuous.deviceId, fromMs, endMs);
    thirty.push(full.ms);
    requests.push(...full.requestMs);
    pages = full.pages;
    const clips = await walk(ctx, motion.deviceId, fromMs, endMs);
    motionThirty.push(clips.ms);
    motionPages = clips.pages;
    at = performance.now();
    await callApi(ctx.apiUrl, 'GET', `/v1/cameras/${continuous.deviceId}`, undefined, ctx.ownerToken);
    reference.push(performance.now() - at);
  }
  return {
    continuous: {
      segments: (endMs - fromMs) / SEGMENT_MS,
      events: expectEvents,
      previews: Math.floor((endMs - fromMs - 120_000) / (15 * 60_000)) + 1,
      dayMs: summary(day),
      thirtyDaysMs: summary(thirty),
      pagesFor30Days: pages,
      requestMs: summary(requests),
    },
    motion: {
      segments: clipStarts.length,
      events: clipStarts.length,
      thirtyDaysMs: summary(motionThirty),
      pagesFor30Days: motionPages,
    },
    referenceCameraGetMs: summary(reference),
    targetP99Ms: 50,
  };
}
