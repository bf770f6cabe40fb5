import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { gatewayTopic } from '../src/ingest/topics.ts';
import { readCredentialsFile, readInitialAdmin } from '../src/simulator/files.ts';
import { gatewayConfigMessage, sensorDataMessage } from '../src/simulator/messages.ts';
import type { SimulatedCamera } from '../src/simulator/model.ts';
import { callApi, login, prepareSimulation } from '../src/simulator/provision.ts';
import { publishCamera, type CameraPublication } from '../test/helpers/camera-stream.ts';
import { startMediaHost } from '../test/helpers/nginx-rtmp.ts';
import { round, summary, type Summary } from './histogram.ts';
import { measureDiskWrite, recordingCapacity, type CapacityLevel } from './media-capacity.ts';
import { collectHestiaEnv, environmentOf, resultHead } from './options.ts';
import { killChildren, progress, removeAtExit, startHestia, waitForExit } from './processes.ts';
import { timelineFigures, type TimelineFigures } from './media-timeline.ts';
import { assignStream, setMode, type BenchContext } from './media-context.ts';

/**
 * `npm run bench:media`: the camera path on a real nginx-rtmp server and the media agent.
 *   1. the disk's sequential write bandwidth (the physical limit of streams recorded at 1 Mbps);
 *   2. recording capacity: 1 Mbps cameras (ffmpeg, stream copy) publish through Hestia's
 *      balancer and publish-key check and record continuously, at rising counts; a level passes
 *      when every camera's indexed recording covers the window and nginx dropped nothing;
 *   3. motion → recording started: a camera's Motion=1 over MQTT until the live feed says
 *      `recording` (the user's path), p50/p99;
 *   4. the timeline of 30 days of a continuous camera and of a motion camera, over HTTP;
 *   5. the balancer's decision (a gateway's POST …/stream) among 20 servers.
 * The reference figures of each phase are measured in the same run. Progress on stderr, one
 * JSON document on stdout; everything on 127.0.0.1, and every process started is stopped.
 */

interface Options {
  levels: number[];
  recordSeconds: number;
  motionCameras: number;
  motionSamples: number;
  timelineDays: number;
  servers: number;
  keep: boolean;
  hestiaEnv: string[];
}

const SEED_CAMERAS_PER_SERVER = 400;
const STREAM_BITS_PER_SEC = 1_000_000;
const CAMERAS_PER_GATEWAY = 3;

function camera(index: number): SimulatedCamera {
  const hex = index.toString(16).padStart(12, '0');
  return {
    kind: 'camera',
    deviceType: 'camera',
    protocol: 'onvif',
    slot: index,
    deviceId: `1616453d-30cd-44b7-9bf0-${hex}`,
    name: `Camera ${index}`,
    label: 'Motion',
    sensorType: 'VIDEO MOTION',
    units: '',
  };
}

/** Live-feed messages of the home, with their arrival times on this process's clock. */
class LiveFeed {
  private readonly waiters: Array<{
    match: (m: Record<string, unknown>) => boolean;
    resolve: (at: number) => void;
  }> = [];

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const at = performance.now();
      const message = JSON.parse((data as Buffer).toString()) as Record<string, unknown>;
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const waiter = this.waiters[i]!;
        if (waiter.match(message)) {
          this.waiters.splice(i, 1);
          waiter.resolve(at);
        }
      }
    });
  }

  static async open(ctx: BenchContext): Promise<LiveFeed> {
    const socket = new WebSocket(`${ctx.apiUrl.replace('http', 'ws')}/v1/homes/${ctx.homeId}/live`, {
      headers: { authorization: `Bearer ${ctx.ownerToken}` },
    });
    const feed = new LiveFeed(socket);
    await feed.next((m) => m.type === 'ready', 10_000);
    return feed;
  }

  next(match: (m: Record<string, unknown>) => boolean, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('live feed: timed out')), timeoutMs);
      this.waiters.push({
        match,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** Motion → recording started, as the live feed tells the home's app. */
async function motionLatency(
  ctx: BenchContext,
  options: Options,
): Promise<{ latencyMs: Summary; samples: number; failures: number }> {
  const feed = await LiveFeed.open(ctx);
  const cameras = ctx.gateways
    .flatMap((g) => g.cameras.map((c) => ({ gateway: g, camera: c })))
    .slice(0, options.motionCameras);
  const publications: CameraPublication[] = [];
  for (const { gateway, camera: cam } of cameras) {
    await setMode(ctx, cam.deviceId, 'motion');
    publications.push(
      await publishCamera(await assignStream(ctx, gateway.gatewayId, gateway.token, cam.deviceId)),
    );
  }
  const streaming = async (deviceId: string): Promise<boolean> =>
    (
      await callApi<{ streaming: boolean }>(
        ctx.apiUrl,
        'GET',
        `/v1/cameras/${deviceId}`,
        undefined,
        ctx.ownerToken,
      )
    ).streaming;
  for (const { camera: cam } of cameras) {
    const deadline = Date.now() + 30_000;
    while (!(await streaming(cam.deviceId))) {
      if (Date.now() > deadline) throw new Error(`camera ${cam.deviceId} never streamed`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const latencies: number[] = [];
  let failures = 0;
  const perCamera = Math.ceil(options.motionSamples / cameras.length);
  await Promise.all(
    cameras.map(async ({ gateway, camera: cam }) => {
      for (let i = 0; i < perCamera; i++) {
        const started = feed.next(
          (m) => m.type === 'recording' && m.deviceId === cam.deviceId && m.state === 'recording',
          15_000,
        );
        const idle = started.then(() =>
          feed.next(
            (m) => m.type === 'recording' && m.deviceId === cam.deviceId && m.state === 'idle',
            30_000,
          ),
        );
        const sentAt = performance.now();
        gateway.client.publish(
          gatewayTopic(gateway.gatewayId, 'up'),
          JSON.stringify(sensorDataMessage(gateway.gatewayId, cam, '1', Date.now())),
          { qos: 1 },
        );
        try {
          latencies.push((await started) - sentAt);
          await idle; // the post-roll ends and the recording stops before the next sample
        } catch {
          failures++;
        }
        progress(`motion sample ${latencies.length + failures}/${perCamera * cameras.length}`);
      }
    }),
  );
  feed.close();
  for (const publication of publications) await publication.stop();
  return { latencyMs: summary(latencies), samples: latencies.length, failures };
}

/** The balancer: a gateway's POST …/stream among `servers` healthy servers, and GET /readyz beside it. */
async function balancerFigures(ctx: BenchContext, options: Options): Promise<Record<string, unknown>> {
  for (let i = 1; i < options.servers; i++) {
    await callApi(
      ctx.apiUrl,
      'POST',
      '/v1/media-servers',
      {
        name: `media-extra-${i}`,
        engine: 'nginx-rtmp',
        controlUrl: ctx.host.nginx.httpUrl,
        ingestUrl: ctx.host.nginx.rtmpUrl,
        playbackUrl: ctx.host.nginx.httpUrl,
      },
      ctx.adminToken,
    );
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    const list = await callApi<{ items: Array<{ health: { healthy: boolean } }> }>(
      ctx.apiUrl,
      'GET',
      '/v1/media-servers',
      undefined,
      ctx.adminToken,
    );
    if (list.items.filter((s) => s.health.healthy).length >= options.servers) break;
    if (Date.now() > deadline) throw new Error('the extra media servers never became healthy');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const asks: number[] = [];
  const ready: number[] = [];
  // The gateway endpoint allows 120 requests a minute per gateway: spread over the gateways.
  for (let round_ = 0; round_ < 10; round_++) {
    for (const gateway of ctx.gateways.slice(0, 10)) {
      const cam = gateway.cameras[0]!;
      let started = performance.now();
      await assignStream(ctx, gateway.gatewayId, gateway.token, cam.deviceId);
      asks.push(performance.now() - started);
      started = performance.now();
      await fetch(`${ctx.apiUrl}/readyz`);
      ready.push(performance.now() - started);
    }
  }
  return {
    servers: options.servers,
    decisions: asks.length,
    assignMs: summary(asks),
    referenceReadyzMs: summary(ready),
  };
}

async function main(): Promise<void> {
  const program = new Command()
    .name('bench:media')
    .description(
      'Cameras on nginx-rtmp: recording capacity, motion → recording latency, timeline and balancer speed',
    )
    .option('--levels <list>', 'camera counts recorded at once, rising', '25,50,100,150,200')
    .option('--record-seconds <s>', 'recording window per level', '20')
    .option('--motion-cameras <n>', 'cameras sampled for motion → recording', '4')
    .option('--motion-samples <n>', 'motion samples in all', '40')
    .option('--timeline-days <n>', 'days of archive behind each timeline camera', '30')
    .option('--servers <n>', 'media servers the balancer chooses among', '20')
    .option('--keep', 'keep the data directories')
    .option('--hestia-env <KEY=VALUE>', 'extra environment for Hestia (repeatable)', collectHestiaEnv, [])
    .parse();
  const raw = program.opts<Record<string, string | boolean | string[]>>();
  const options: Options = {
    levels: String(raw.levels)
      .split(',')
      .map(Number)
      .filter((n) => n > 0),
    recordSeconds: Number(raw.recordSeconds),
    motionCameras: Number(raw.motionCameras),
    motionSamples: Number(raw.motionSamples),
    timelineDays: Number(raw.timelineDays),
    servers: Number(raw.servers),
    keep: raw.keep === true,
    hestiaEnv: raw.hestiaEnv as string[],
  };
  const head = resultHead('media');
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'hestia-bench-media-'));
  if (!options.keep) removeAtExit(workDir);
  const dataDir = path.join(workDir, 'data');
  const maxCameras = Math.max(...options.levels, options.motionCameras) + 2;

  progress('measuring the disk’s sequential write bandwidth');
  const disk = await measureDiskWrite(workDir);

  progress(`starting Hestia (data in ${dataDir})`);
  const hestia = await startHestia(dataDir, null, {
    HESTIA_MEDIA_POLL_INTERVAL_SECONDS: '1',
    HESTIA_MEDIA_MOTION_POST_ROLL_SECONDS: '2',
    HESTIA_MEDIA_RECONCILE_INTERVAL_SECONDS: '1',
    ...environmentOf(options.hestiaEnv),
  });
  const apiUrl = `http://127.0.0.1:${hestia.ports.http}`;
  const admin = readInitialAdmin(dataDir);
  if (!admin) throw new Error('Hestia wrote no initial-admin.json');
  const adminToken = await login(apiUrl, admin.email, admin.password);
  const gatewayCount = Math.ceil(maxCameras / CAMERAS_PER_GATEWAY) + 2;
  progress(`provisioning ${gatewayCount} gateways with ${CAMERAS_PER_GATEWAY} cameras each`);
  const credentialsFile = path.join(workDir, 'credentials.json');
  const prepared = await prepareSimulation({
    apiUrl,
    file: credentialsFile,
    count: gatewayCount,
    register: true,
    adminToken: async () => adminToken,
    concurrency: 8,
  });
  const state = readCredentialsFile(credentialsFile);
  if (!state.owner || !state.tenant || !state.homeId) throw new Error('the simulation has no owner or home');
  const ownerToken = await login(apiUrl, state.owner.email, state.owner.password, state.tenant.slug);
  // The bench home records continuously and holds more cameras than a real home's tariff.
  const tariffs = await callApi<{ items: Array<{ id: string; isDefault: boolean }> }>(
    apiUrl,
    'GET',
    `/v1/tariffs?tenantId=${state.tenant.id}`,
    undefined,
    adminToken,
  );
  // Every tariff of the tenant: the simulated home has a tariff of its own.
  for (const tariff of tariffs.items) {
    await callApi(
      apiUrl,
      'PATCH',
      `/v1/tariffs/${tariff.id}`,
      { recordingModes: ['off', 'motion', 'continuous'], maxCamerasPerHome: 1000, videoRetentionDays: 60 },
      adminToken,
    );
  }

  progress('registering the media server and starting nginx-rtmp and the media agent');
  const registered = await callApi<{ server: { id: string }; secret: string }>(
    apiUrl,
    'POST',
    '/v1/media-servers',
    {
      name: 'media-1',
      engine: 'nginx-rtmp',
      controlUrl: 'http://127.0.0.1:9',
      ingestUrl: 'rtmp://127.0.0.1:9/live',
      playbackUrl: 'http://127.0.0.1:9',
    },
    adminToken,
  );
  const host = await startMediaHost({
    hestiaUrl: apiUrl,
    serverId: registered.server.id,
    secret: registered.secret,
    disks: [{ id: 'disk1' }, { id: 'disk2' }],
  });
  await callApi(
    apiUrl,
    'PATCH',
    `/v1/media-servers/${registered.server.id}`,
    {
      controlUrl: host.nginx.httpUrl,
      agentUrl: host.agent.url,
      ingestUrl: host.nginx.rtmpUrl,
      playbackUrl: host.nginx.httpUrl,
    },
    adminToken,
  );

  const gateways: BenchContext['gateways'] = [];
  let index = 0;
  for (const g of prepared.gateways) {
    const cameras = Array.from({ length: CAMERAS_PER_GATEWAY }, () => camera(++index));
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${hestia.ports.mqtt}`, {
      clientId: g.gatewayId,
      username: g.gatewayId,
      password: g.token,
    });
    await client.publishAsync(
      gatewayTopic(g.gatewayId, 'up'),
      JSON.stringify(gatewayConfigMessage(g.gatewayId, cameras, Date.now())),
      { qos: 1 },
    );
    gateways.push({ gatewayId: g.gatewayId, token: g.token, cameras, client });
  }
  const ctx: BenchContext = {
    apiUrl,
    mqttUrl: `mqtt://127.0.0.1:${hestia.ports.mqtt}`,
    adminToken,
    ownerToken,
    homeId: state.homeId,
    host,
    serverId: registered.server.id,
    serverSecret: registered.secret,
    gateways,
  };
  // The server is chosen once its first poll has answered.
  await new Promise((resolve) => setTimeout(resolve, 2000));

  let levels: CapacityLevel[] = [];
  let motion: Awaited<ReturnType<typeof motionLatency>> | null = null;
  let timeline: TimelineFigures | null = null;
  let balancer: Record<string, unknown> | null = null;
  try {
    progress('motion → recording started');
    motion = await motionLatency(ctx, options);
    progress('timelines of 30 days');
    timeline = await timelineFigures(ctx, options.timelineDays);
    progress('recording capacity');
    levels = await recordingCapacity(ctx, options.levels, options.recordSeconds, hestia.pid);
    progress('balancer decisions');
    balancer = await balancerFigures(ctx, options);
  } finally {
    for (const gateway of gateways) gateway.client.end(true);
    await host.stop();
    hestia.child.kill('SIGTERM');
    await waitForExit(hestia.child, 30_000);
  }
  const passed = levels.filter((level) => level.passed);
  const recordedWithoutLoss = passed.length > 0 ? Math.max(...passed.map((level) => level.cameras)) : 0;
  const physicalLimit = Math.floor((disk.bytesPerSec * 8) / STREAM_BITS_PER_SEC);
  const result = {
    ...head,
    config: options,
    disk: { ...disk, physicalLimitStreamsAt1Mbps: physicalLimit },
    recording: {
      levels,
      maxCamerasRecordedWithoutLoss: recordedWithoutLoss,
      highestLevelTried: Math.max(...options.levels),
      seedCamerasPerServer: SEED_CAMERAS_PER_SERVER,
      ratioToSeed: round(recordedWithoutLoss / SEED_CAMERAS_PER_SERVER, 3),
      ratioToDiskLimit: round(recordedWithoutLoss / physicalLimit, 4),
    },
    motionToRecording: motion
      ? { ...motion, targetP99Ms: 1000, met: (motion.latencyMs.p99 ?? Infinity) < 1000 }
      : null,
    timeline,
    balancer,
  };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main().then(
  () => {
    killChildren();
    process.exit(0);
  },
  (error: unknown) => {
    progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    killChildren();
    process.exit(1);
  },
);
