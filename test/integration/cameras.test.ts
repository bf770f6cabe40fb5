import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { MqttClient } from 'mqtt';
import { archivePath } from '../../src/core/domain/media.ts';
import { secureLinkSignature } from '../../src/core/media-signing.ts';
import { gatewayTopic } from '../../src/ingest/topics.ts';
import {
  gatewayConfigMessage,
  previewMessage,
  sensorDataMessage,
  cameraStateMessage,
} from '../../src/simulator/messages.ts';
import { gatewayDevices, type SimulatedCamera } from '../../src/simulator/model.ts';
import { Simulator } from '../../src/simulator/simulator.ts';
import { clipPreviewBase64 } from '../../src/simulator/video.ts';
import { eventually, startTestApp, type TestApp } from '../helpers/app.ts';
import { publishCamera, type CameraPublication } from '../helpers/camera-stream.ts';
import { startRegisteredMediaHost, type RegisteredMediaHost } from '../helpers/media-cluster.ts';
import { SUITE_TIMEOUT_MS } from '../helpers/wait.ts';

const run = promisify(execFile);

/** The status of a request, its body read (a response left unread keeps its connection busy). */
async function statusOf(url: string, init?: RequestInit): Promise<number> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return response.status;
}

function camera(name: string): SimulatedCamera {
  return {
    kind: 'camera',
    deviceType: 'camera',
    protocol: 'onvif',
    slot: 0,
    deviceId: randomUUID(),
    name,
    label: 'Motion',
    sensorType: 'VIDEO MOTION',
    units: '',
  };
}

/**
 * Cameras end to end on real engines: Hestia (HTTP, MQTT), nginx with the RTMP module, the
 * media agent, ffmpeg as the camera. A camera asks for a server, streams, motion records it,
 * the file lands at the seed's path on the disk with the most free space, is indexed, plays
 * back from an offset through a signed URL; the balancer prefers the less-loaded server and
 * avoids a failed one; retention deletes files; the wrong people and URLs are refused.
 */
describe('cameras on nginx-rtmp', { timeout: SUITE_TIMEOUT_MS }, () => {
  let app: TestApp;
  let adminToken: string;
  let hostA: RegisteredMediaHost;
  let gateway: { id: string; token: string };
  let mqtt: MqttClient;
  const front = camera('Front door');
  const publications: CameraPublication[] = [];
  const hosts: RegisteredMediaHost[] = [];
  const api = (): string => `http://127.0.0.1:${app.hestia.ports.http}`;

  const send = async (message: object): Promise<void> => {
    await mqtt.publishAsync(gatewayTopic(gateway.id, 'up'), JSON.stringify(message), { qos: 1 });
  };
  const askForServer = async (deviceId: string): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${api()}/v1/gateway/cameras/${deviceId}/stream`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${gateway.id}:${gateway.token}`).toString('base64')}` },
    });
    return { status: response.status, body: await response.json() };
  };
  const cameraOf = async (deviceId: string): Promise<any> =>
    (await app.request('GET', `/v1/cameras/${deviceId}`, undefined, app.ownerToken)).body;

  before(async () => {
    app = await startTestApp({
      media: {
        pollIntervalSeconds: 1,
        unhealthyAfterFailures: 1,
        motionPostRollSeconds: 6,
        reconcileIntervalSeconds: 1,
        requestTimeoutMs: 3000,
      },
    });
    await app.hestia.services.accounts.createUser({
      tenantId: null,
      email: 'platform@example.com',
      password: 'correct horse battery staple',
      name: 'Platform',
      role: 'platform_admin',
    });
    const login = await app.request('POST', '/v1/auth/login', {
      email: 'platform@example.com',
      password: 'correct horse battery staple',
    });
    adminToken = login.body.accessToken;
    // Two disks; the archive goes to the one with the most free space (disk2 here).
    hostA = await startRegisteredMediaHost(app, adminToken, {
      name: 'media-a',
      disks: [
        { id: 'disk1', capacityBytes: 200_000_000 },
        { id: 'disk2', capacityBytes: 900_000_000 },
      ],
    });
    hosts.push(hostA);
    gateway = await app.createGateway();
    mqtt = await app.connectGateway(gateway);
    await send(gatewayConfigMessage(gateway.id, [front], Date.now()));
    await eventually('the camera is known', async () =>
      (await cameraOf(front.deviceId))?.deviceId ? true : undefined,
    );
  });

  after(async () => {
    for (const publication of publications) await publication.stop();
    mqtt?.end(true);
    for (const host of hosts) await host.stop();
    await app?.stop();
  });

  it('refuses a gateway without its credentials and a camera of another gateway', async () => {
    assert.equal(
      await statusOf(`${api()}/v1/gateway/cameras/${front.deviceId}/stream`, { method: 'POST' }),
      401,
    );
    const other = await app.createGateway();
    const status = await statusOf(`${api()}/v1/gateway/cameras/${front.deviceId}/stream`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${other.id}:${other.token}`).toString('base64')}` },
    });
    assert.equal(status, 404);
  });

  it('streams, records on motion to the seed path on the freest disk, and plays back from an offset', async () => {
    await eventually('media-a healthy', async () => {
      const server = await app.request('GET', `/v1/media-servers/${hostA.id}`, undefined, adminToken);
      return server.body.health?.healthy ? true : undefined;
    });
    const answer = await askForServer(front.deviceId);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const assigned = answer.body;
    assert.equal(assigned.serverId, hostA.id);
    assert.match(assigned.rtmpUrl, new RegExp(`/live/${front.deviceId}\\?key=`));

    // A wrong key is refused by the media server (nginx asks Hestia).
    const wrong = await publishCamera(assigned.rtmpUrl.replace(/key=[^&]+/, 'key=forged'));
    publications.push(wrong);
    await eventually('the forged publication to be refused', async () => (wrong.exited() ? true : undefined));

    const publication = await publishCamera(assigned.rtmpUrl);
    publications.push(publication);
    await send(cameraStateMessage(gateway.id, front, 'streamingOn', '127.0.0.1', Date.now()));
    await eventually('the camera to stream', async () =>
      (await cameraOf(front.deviceId)).streaming ? true : undefined,
    );
    assert.equal((await cameraOf(front.deviceId)).mode, 'motion');

    // Live HLS through a signed URL.
    const live = await app.request(
      'POST',
      `/v1/cameras/${front.deviceId}/playback`,
      { kind: 'live' },
      app.ownerToken,
    );
    assert.equal(live.status, 200, JSON.stringify(live.body));
    const livePlaylist = await eventually('the live playlist', async () => {
      const response = await fetch(live.body.url);
      const text = await response.text();
      return response.status === 200 && text.includes('.ts') ? text : undefined;
    });
    assert.match(livePlaylist, /#EXTM3U/);
    const tampered = live.body.url.replace(/\/live\/([^/]+)\//, '/live/AAAAAAAAAAAAAAAAAAAAAA/');
    assert.equal(await statusOf(tampered), 403);

    // Motion starts a recording; it ends after the post-roll and the file is indexed.
    await send(sensorDataMessage(gateway.id, front, '1', Date.now()));
    await eventually('recording', async () =>
      (await cameraOf(front.deviceId)).recording.state === 'recording' ? true : undefined,
    );
    await send(previewMessage(gateway.id, front, Date.now()));
    const timeline = await eventually('a recorded span on the timeline', async () => {
      const response = await app.request(
        'GET',
        `/v1/cameras/${front.deviceId}/timeline`,
        undefined,
        app.ownerToken,
      );
      return response.body.spans?.length > 0 ? response.body : undefined;
    });
    assert.equal((await cameraOf(front.deviceId)).recording.state, 'idle');
    assert.ok(timeline.events.some((event: { kind: string }) => event.kind === 'motion'));
    assert.ok(timeline.previews.length >= 1);
    const span = timeline.spans[0];
    const spanMs = Date.parse(span.end) - Date.parse(span.start);
    assert.ok(spanMs >= 1500, `span of ${spanMs} ms`);

    // The file: the seed layout, on disk2 (most free space), a valid MP4.
    const segments = await app.hestia.ctx.store.media.archive.overlapping(
      front.deviceId,
      0,
      Date.now() + 60_000,
      10,
    );
    assert.equal(segments.length, 1);
    const segment = segments[0]!;
    const cameraRow = await app.hestia.ctx.store.media.cameras.find(front.deviceId);
    assert.equal(segment.diskId, 'disk2');
    assert.equal(segment.path, archivePath('disk2', cameraRow!.number, front.deviceId, segment.startMs));
    const file = path.join(hostA.dirs.contentRoot, segment.path);
    assert.equal(statSync(file).size, segment.sizeBytes);
    const probe = JSON.parse(
      (
        await run('ffprobe', [
          '-v',
          'error',
          '-show_entries',
          'format=format_name,duration',
          '-of',
          'json',
          file,
        ])
      ).stdout,
    );
    assert.match(probe.format.format_name, /mp4/);

    // Archive playback from an offset, through Hestia's signed playlist and nginx's signed file URLs.
    const from = new Date(segment.startMs + 1000).toISOString();
    const archive = await app.request(
      'POST',
      `/v1/cameras/${front.deviceId}/playback`,
      { kind: 'archive', from, durationMs: 60_000 },
      app.ownerToken,
    );
    assert.equal(archive.status, 200, JSON.stringify(archive.body));
    const playlistUrl = `${api()}${archive.body.url}`;
    const playlist = await (await fetch(playlistUrl)).text();
    assert.match(playlist, /#EXT-X-START:TIME-OFFSET=/);
    assert.match(playlist, /#EXT-X-MAP:URI="http/);
    const fileUrl = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)![1]!;
    const ranged = await fetch(fileUrl, { headers: { range: 'bytes=0-99' } });
    assert.equal(ranged.status, 206);
    assert.equal((await ranged.arrayBuffer()).byteLength, 100);
    const played = JSON.parse(
      (
        await run('ffprobe', [
          ...['-v', 'error', '-protocol_whitelist', 'http,tcp,file,crypto'],
          ...['-show_entries', 'format=duration', '-of', 'json', playlistUrl],
        ])
      ).stdout,
    );
    assert.ok(Number(played.format.duration) > 0.5, `archive playlist plays ${played.format.duration} s`);

    // Altered and expired URLs are refused, by Hestia and by nginx.
    const token = archive.body.url.split('/')[3] as string;
    const altered = `${api()}/v1/playback/${token.slice(0, -2)}xx/index.m3u8`;
    assert.equal(await statusOf(altered), 403);
    const key = await app.hestia.ctx.store.media.secrets.getOrCreate(
      'playback-signing-key',
      () => 'unused',
      0,
    );
    const body = `${front.deviceId}.${segment.startMs}.60000.${Math.floor(Date.now() / 1000) - 10}`;
    const expiredToken = `${Buffer.from(body).toString('base64url')}.${createHmac('sha256', key).update(body).digest('base64url')}`;
    assert.equal(await statusOf(`${api()}/v1/playback/${expiredToken}/index.m3u8`), 410);
    const pastS = Math.floor(Date.now() / 1000) - 10;
    const expiredFile = `${hostA.nginx.httpUrl}/archive/${secureLinkSignature(hostA.secret, pastS, `/archive/${segment.path}`)}/${pastS}/${segment.path}`;
    assert.equal(await statusOf(expiredFile), 410);
  });

  it('a doorbell press is an event and a notification with the latest preview as its picture', async () => {
    const doorbell = {
      ...front,
      label: 'Doorbell' as const,
      sensorType: 'BUTTON',
    } as unknown as SimulatedCamera;
    const pressedAt = Date.now();
    await send(sensorDataMessage(gateway.id, doorbell, '1', pressedAt));
    const notification = await eventually('the doorbell notification', async () => {
      const list = await app.request('GET', '/v1/me/notifications', undefined, app.ownerToken);
      return list.body.items?.find((n: { data: Record<string, string> }) => n.data.event === 'doorbell');
    });
    assert.equal(notification.data.deviceId, front.deviceId);
    assert.match(notification.title, /Front door/);
    const imagePath = new URL(notification.data.imageUrl).pathname;
    const image = await fetch(`${api()}${imagePath}`);
    assert.equal(image.status, 200);
    assert.equal(image.headers.get('content-type'), 'image/jpeg');
    assert.ok((await image.arrayBuffer()).byteLength > 0);
    assert.equal(await statusOf(`${api()}${imagePath.replace(/\.([^.]+)\.jpg$/, '.AAAA$1.jpg')}`), 403);
    const timeline = await app.request(
      'GET',
      `/v1/cameras/${front.deviceId}/timeline`,
      undefined,
      app.ownerToken,
    );
    assert.ok(timeline.body.events.some((e: { kind: string }) => e.kind === 'doorbell'));
  });

  it('refuses bad segment reports with a reason and keeps the index intact', async () => {
    const number = (await cameraOf(front.deviceId)).number as number;
    const startMs = Date.now() - 120_000;
    const good = {
      stream: front.deviceId,
      diskId: 'disk1',
      path: archivePath('disk1', number, front.deviceId, startMs),
      startMs,
      endMs: startMs + 60_000,
      sizeBytes: 2000,
      init: { offset: 0, length: 1000 },
      fragments: [[60_000, 1000, 1000]],
    };
    const report = (body: object, credentials = `${hostA.id}:${hostA.secret}`) =>
      fetch(`${api()}/v1/media/agent/segments`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as { error?: { code: string; message: string } },
      }));
    const before = await app.hestia.ctx.store.media.archive.countByServer(hostA.id);
    assert.equal((await report(good, `${hostA.id}:wrong-secret`)).status, 401);
    const unknown = await report({ ...good, stream: randomUUID() });
    assert.equal(unknown.status, 404);
    const future = await report({ ...good, startMs: Date.now() + 3_600_000, endMs: Date.now() + 3_660_000 });
    assert.equal(future.status, 400);
    assert.match(future.body.error!.message, /future/);
    const escape = await report({ ...good, path: `disk1/../../etc/${front.deviceId}/x.mp4` });
    assert.equal(escape.status, 400);
    const badFragments = await report({ ...good, fragments: [[1000, 1000, 1000]] });
    assert.equal(badFragments.status, 400);
    assert.equal(await app.hestia.ctx.store.media.archive.countByServer(hostA.id), before);
    // The same file twice is one row (the agent retries until it hears 2xx).
    assert.equal((await report(good)).status, 201);
    assert.equal((await report(good)).status, 200);
    assert.equal(await app.hestia.ctx.store.media.archive.countByServer(hostA.id), before + 1);
  });

  it('refuses video to another home, to a guest, and to the provider; guests still see the camera', async () => {
    const stranger = await app.signUp(`stranger-${randomUUID()}@example.com`);
    const asStranger = await app.request(
      'POST',
      `/v1/cameras/${front.deviceId}/playback`,
      { kind: 'live' },
      stranger.token,
    );
    assert.equal(asStranger.status, 404);
    const guest = await app.signUp(`guest-${randomUUID()}@example.com`);
    await app.hestia.ctx.store.directory.homes.addMember({
      homeId: app.homeId,
      userId: guest.userId,
      tenantId: app.tenantId,
      role: 'guest',
      atMs: Date.now(),
    });
    const asGuest = await app.request(
      'POST',
      `/v1/cameras/${front.deviceId}/playback`,
      { kind: 'live' },
      guest.token,
    );
    assert.equal(asGuest.status, 403);
    assert.equal(
      (await app.request('GET', `/v1/cameras/${front.deviceId}`, undefined, guest.token)).status,
      200,
    );
    const asProvider = await app.request(
      'POST',
      `/v1/cameras/${front.deviceId}/playback`,
      { kind: 'live' },
      app.adminToken,
    );
    assert.equal(asProvider.status, 403);
    const modeByGuest = await app.request(
      'PATCH',
      `/v1/cameras/${front.deviceId}`,
      { mode: 'off' },
      guest.token,
    );
    assert.equal(modeByGuest.status, 403);
    const continuous = await app.request(
      'PATCH',
      `/v1/cameras/${front.deviceId}`,
      { mode: 'continuous' },
      app.ownerToken,
    );
    assert.equal(continuous.status, 409, 'Basic has no continuous recording');
  });

  it('sends a new camera to the less-loaded server and avoids a failed one', async () => {
    const hostB = await startRegisteredMediaHost(app, adminToken, { name: 'media-b' });
    hosts.push(hostB);
    const second = camera('Garden');
    const third = camera('Garage');
    await send(gatewayConfigMessage(gateway.id, [front, second, third], Date.now()));
    await eventually('both servers healthy', async () => {
      const list = await app.request('GET', '/v1/media-servers', undefined, adminToken);
      return list.body.items.every((s: { health: { healthy: boolean } }) => s.health.healthy)
        ? true
        : undefined;
    });
    await eventually('the second camera to be known', async () =>
      (await cameraOf(second.deviceId))?.deviceId ? true : undefined,
    );
    // media-a carries the front door's stream: the garden camera goes to media-b.
    const toB = await askForServer(second.deviceId);
    assert.equal(toB.status, 200);
    assert.equal(toB.body.serverId, hostB.id);

    await hostB.stopNginx();
    await eventually('media-b unhealthy', async () => {
      const server = await app.request('GET', `/v1/media-servers/${hostB.id}`, undefined, adminToken);
      return server.body.health.healthy === false ? true : undefined;
    });
    await eventually('the third camera to be known', async () =>
      (await cameraOf(third.deviceId))?.deviceId ? true : undefined,
    );
    const toA = await askForServer(third.deviceId);
    assert.equal(toA.body.serverId, hostA.id);
    // The garden camera was told to move.
    await eventually('the garden camera told to change its media server', async () => {
      const commands = await app.request(
        'GET',
        `/v1/devices/${second.deviceId}/commands`,
        undefined,
        app.ownerToken,
      );
      return commands.body.items?.some((c: { action: string }) => c.action === 'changeMediaServer')
        ? true
        : undefined;
    });
    assert.equal((await cameraOf(second.deviceId)).serverName, null);
  });

  it('the simulator’s cameras ask for a server and stream real video, with a picture of it as preview', async () => {
    const simulated = await app.createGateway();
    const simulator = Simulator.start({
      url: app.mqttUrl,
      gateways: [{ gatewayId: simulated.id, token: simulated.token }],
      speed: 1,
      video: { apiUrl: api(), previewBase64: await clipPreviewBase64() },
    });
    try {
      const cameras = gatewayDevices(simulated.id).filter((device) => device.deviceType === 'camera');
      assert.equal(cameras.length, 3);
      for (const cam of cameras)
        await eventually(`simulated camera ${cam.name} streaming to a media server`, async () => {
          const view = await cameraOf(cam.deviceId);
          return view?.streaming && view.serverName ? true : undefined;
        });
      const live = await app.request(
        'POST',
        `/v1/cameras/${cameras[0]!.deviceId}/playback`,
        { kind: 'live' },
        app.ownerToken,
      );
      assert.equal(live.status, 200, JSON.stringify(live.body));
      await eventually('the simulated camera’s live playlist', async () => {
        const response = await fetch(live.body.url);
        const text = await response.text();
        return response.status === 200 && text.includes('.ts') ? true : undefined;
      });
    } finally {
      await simulator.stop();
    }
  });

  it('deletes recordings past the tariff’s video retention from the disk and the index', async () => {
    // The recording of the motion test (on disk2); the bad-input test indexed a row on disk1.
    const segment = (
      await app.hestia.ctx.store.media.archive.overlapping(front.deviceId, 0, Date.now() + 60_000, 10)
    ).find((row) => row.diskId === 'disk2');
    assert.ok(segment);
    const file = path.join(hostA.dirs.contentRoot, segment.path);
    assert.equal(existsSync(file), true);
    // Basic keeps video 7 days: move the recording 8 days back.
    const eightDaysMs = 8 * 86_400_000;
    const sql = 'UPDATE archive_segments SET start_ms = start_ms - ?, end_ms = end_ms - ? WHERE id = ?';
    await runSql(app, sql, [eightDaysMs, eightDaysMs, segment.id]);
    const result = await app.hestia.services.media.retention.runPass();
    assert.equal(result.files, 1);
    await app.hestia.services.media.retention.drain();
    assert.equal(existsSync(file), false);
    assert.equal(await app.hestia.ctx.store.media.archive.find(segment.id), undefined);
    // What is younger than the tariff's days stays.
    const kept = await app.hestia.ctx.store.media.archive.overlapping(
      front.deviceId,
      0,
      Date.now() + 60_000,
      10,
    );
    assert.ok(
      kept
        .filter((file) => file.diskId === 'disk2')
        .every((file) => existsSync(path.join(hostA.dirs.contentRoot, file.path))),
    );
  });

  it('deletes a camera’s whole video on request, after the confirmation', async () => {
    const url = `/v1/cameras/${front.deviceId}/recordings`;
    const unconfirmed = await app.request('DELETE', url, undefined, app.ownerToken);
    assert.equal(unconfirmed.status, 409);
    assert.equal(unconfirmed.body.error.code, 'HESTIA_CONFIRMATION_REQUIRED');
    const files = await app.hestia.ctx.store.media.archive.overlapping(
      front.deviceId,
      0,
      Date.now() + 60_000,
      100,
    );
    assert.ok(files.length > 0);
    const deleted = await app.request(
      'DELETE',
      `${url}?confirm=${front.deviceId}`,
      undefined,
      app.ownerToken,
    );
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.equal(deleted.body.files, files.length);
    assert.ok(deleted.body.events > 0 && deleted.body.previews > 0);
    const timeline = await app.request(
      'GET',
      `/v1/cameras/${front.deviceId}/timeline`,
      undefined,
      app.ownerToken,
    );
    assert.deepEqual(
      [timeline.body.spans.length, timeline.body.events.length, timeline.body.previews.length],
      [0, 0, 0],
    );
  });
});

/** Direct SQL on the test's SQLite file, for moving data back in time. */
async function runSql(app: TestApp, sql: string, params: unknown[]): Promise<void> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path.join(app.dataDir, 'hestia.db'));
  try {
    db.pragma('busy_timeout = 10000');
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}
