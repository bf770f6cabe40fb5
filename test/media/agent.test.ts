import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFile, mkdir, open, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { archivePath } from '../../src/core/domain/media.ts';
import {
  archiveFileUrl,
  hookToken,
  livePlaylistUrl,
  publishKey,
  secureLinkSignature,
} from '../../src/core/media-signing.ts';
import { MediaAgentClient } from '../../src/media/agent/client.ts';
import type { MediaSegmentReport } from '../../src/media/agent/reporter.ts';
import { createNginxRtmpEngine } from '../../src/media/nginx-rtmp/adapter.ts';
import { eventually } from '../helpers/app.ts';
import { cameraClip, publishCamera } from '../helpers/camera-stream.ts';
import {
  createMediaHostDirs,
  mediaSecret,
  startMediaHost,
  startPublishHooks,
  startTestAgent,
  type MediaHost,
  type PublishHooks,
} from '../helpers/nginx-rtmp.ts';
import { READY_TIMEOUT_MS, SUITE_TIMEOUT_MS } from '../helpers/wait.ts';

/**
 * The Hestia media agent on a real media host: nginx with the RTMP module records a published
 * stream, the agent remuxes it with the real ffmpeg, places it on the disk with the most free
 * space in the seed's layout and reports it to a receiver standing in for Hestia; nginx serves
 * the archive and the live stream through signed URLs.
 */

interface ReceivedReport {
  authorization: string | undefined;
  report: MediaSegmentReport;
  status: number;
}

/** Stands in for Hestia's POST /v1/media/agent/segments; `answer` decides each status. */
async function startReportReceiver() {
  const received: ReceivedReport[] = [];
  let answer: (report: MediaSegmentReport, attempt: number) => number = () => 201;
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/media/agent/segments') {
        response.writeHead(404).end();
        return;
      }
      const report = JSON.parse(body) as MediaSegmentReport;
      const attempt = received.filter((r) => r.report.path === report.path).length + 1;
      const status = answer(report, attempt);
      received.push({ authorization: request.headers.authorization, report, status });
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    answerWith(decide: typeof answer) {
      answer = decide;
    },
    /** The reports of `stream` answered 2xx. */
    delivered(stream: string): ReceivedReport[] {
      return received.filter((r) => r.report.stream === stream && r.status < 300);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type Receiver = Awaited<ReturnType<typeof startReportReceiver>>;

function ffprobeDurationS(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      'ffprobe',
      ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file],
      (error, stdout, stderr) =>
        error ? reject(new Error(`ffprobe: ${stderr}`)) : resolve(Number(stdout.trim())),
    );
  });
}

/** The 4-character type of the MP4 box at `offset`. */
async function boxTypeAt(file: string, offset: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(8);
    await handle.read(buffer, 0, 8, offset);
    return buffer.subarray(4, 8).toString('latin1');
  } finally {
    await handle.close();
  }
}

/** A GET that keeps the path as written (fetch would resolve `..` itself). */
function rawGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const rawPath = url.slice(url.indexOf('/', target.protocol.length + 2));
    http
      .get({ host: target.hostname, port: target.port, path: rawPath }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

const MB = 1_000_000;

describe('media agent on nginx-rtmp', { timeout: SUITE_TIMEOUT_MS }, () => {
  let receiver: Receiver;
  let hooks: PublishHooks;
  let host: MediaHost;
  let agentClient: MediaAgentClient;
  /** The secret of each media host started, for the publish hooks. */
  const secrets = new Map<string, string>();

  before(async () => {
    receiver = await startReportReceiver();
    hooks = await startPublishHooks((id) => secrets.get(id));
    // Two servers play Hestia: one receives the agent's segment reports, one nginx's publish hooks.
    host = await startMediaHost({
      hestiaUrl: receiver.url,
      hooksUrl: hooks.url,
      disks: [
        { id: 'small', capacityBytes: 200 * MB },
        { id: 'large', capacityBytes: 400 * MB },
      ],
      agentOverrides: { reportRetryInitialMs: 100, reportRetryMaxMs: 400 },
    });
    secrets.set(host.serverId, host.secret);
    agentClient = new MediaAgentClient({
      url: host.agent.url,
      secret: host.secret,
      timeoutMs: READY_TIMEOUT_MS,
    });
  });

  after(async () => {
    await host?.stop();
    await hooks?.close();
    await receiver?.close();
  });

  /** Places the camera clip as if nginx had just recorded it, through the agent's hook. */
  async function recordClipThroughHook(stream: string, cameraNumber: number): Promise<void> {
    await agentClient.registerStream(stream, cameraNumber);
    const file = path.join(host.dirs.spoolDir, `${stream}-${Math.floor(Date.now() / 1000)}.flv`);
    await copyFile(await cameraClip(), file);
    const response = await fetch(`${host.agent.url}/v1/hooks/record-done?token=${hookToken(host.secret)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ app: 'live', name: stream, recorder: 'archive', path: file }).toString(),
    });
    assert.equal(response.status, 200, await response.text());
  }

  it('places a recording on the disk with the most free space, in the seed layout, and reports it', async () => {
    const engine = createNginxRtmpEngine({
      server: host.server,
      secret: host.secret,
      timeoutMs: READY_TIMEOUT_MS,
    });
    const stream = randomUUID();
    const cameraNumber = 401;
    const camera = await publishCamera(
      `${host.nginx.rtmpUrl}/${stream}?key=${publishKey(host.secret, stream)}`,
    );
    let openedAtMs = 0;
    try {
      await eventually(`${stream} published (${camera.output()})`, async () =>
        (await engine.status()).publishing.includes(stream) ? true : undefined,
      );
      openedAtMs = Math.floor(Date.now() / 1000) * 1000;
      await engine.startRecording({ application: 'live', stream, cameraNumber }, { segmentMs: 1_800_000 });
      // A few seconds of video: at 1 Mbit/s, 400 kB is three of them.
      await eventually('400 kB recorded', async () => {
        const names = (await readdir(host.dirs.spoolDir)).filter((name) => name.startsWith(stream));
        const sizes = await Promise.all(
          names.map(async (name) => (await stat(path.join(host.dirs.spoolDir, name))).size),
        );
        return sizes.some((size) => size > 400_000) ? true : undefined;
      });
      await engine.stopRecording({ application: 'live', stream, cameraNumber });
    } finally {
      await camera.stop();
    }

    const [delivery] = await eventually('the segment report', async () =>
      receiver.delivered(stream).length > 0 ? receiver.delivered(stream) : undefined,
    );
    const { report } = delivery!;
    assert.equal(
      delivery!.authorization,
      `Basic ${Buffer.from(`${host.serverId}:${host.secret}`).toString('base64')}`,
    );
    assert.equal(report.diskId, 'large', 'the disk with the most free space');
    assert.equal(report.path, archivePath('large', cameraNumber, stream, report.startMs));
    assert.match(
      report.path,
      new RegExp(`^large/2/${stream}/\\d{4}/\\d{2}/\\d{2}/${stream}_\\d{2}_\\d{2}_\\d{2}\\.mp4$`),
    );
    assert.ok(report.startMs >= openedAtMs - 1000 && report.endMs <= Date.now(), JSON.stringify(report));

    const file = path.join(host.dirs.contentRoot, report.path);
    assert.equal((await stat(file)).size, report.sizeBytes);
    const durationMs = report.fragments.reduce((sum, [ms]) => sum + ms, 0);
    assert.equal(report.endMs - report.startMs, durationMs);
    assert.ok(durationMs >= 2000, `at least one key frame interval recorded, got ${durationMs} ms`);
    const probed = await ffprobeDurationS(file);
    assert.ok(
      Math.abs(probed - durationMs / 1000) <= 1,
      `ffprobe says ${probed} s, the report ${durationMs} ms`,
    );

    // The index covers the file exactly: the init section, then the fragments back to back.
    assert.deepEqual(report.init.offset, 0);
    assert.equal(await boxTypeAt(file, 0), 'ftyp');
    let offset = report.init.length;
    for (const [ms, fragmentOffset, length] of report.fragments) {
      assert.ok(ms > 0 && length > 0);
      assert.equal(fragmentOffset, offset);
      // ffmpeg starts each fragment with its index (sidx), then moof + mdat.
      assert.match(await boxTypeAt(file, fragmentOffset), /^(sidx|styp|moof)$/);
      offset += length;
    }
    assert.equal(offset, report.sizeBytes);

    await eventually('the spool emptied', async () =>
      (await readdir(host.dirs.spoolDir)).some((name) => name.startsWith(stream)) ? undefined : true,
    );
    const status = await agentClient.status();
    const large = status.disks.find((disk) => disk.id === 'large')!;
    assert.equal(large.totalBytes, 400 * MB);
    assert.equal(large.freeBytes, 400 * MB - report.sizeBytes, 'the placed file counts against the capacity');
    assert.ok(!status.recording.includes(stream));
  });

  it('cuts a recording into files of its segmentMs without a gap, each reported while recording goes on', async () => {
    const engine = createNginxRtmpEngine({
      server: host.server,
      secret: host.secret,
      timeoutMs: READY_TIMEOUT_MS,
    });
    const stream = randomUUID();
    const ref = { application: 'live', stream, cameraNumber: 12 };
    const camera = await publishCamera(
      `${host.nginx.rtmpUrl}/${stream}?key=${publishKey(host.secret, stream)}`,
    );
    try {
      await eventually(`${stream} published`, async () =>
        (await engine.status()).publishing.includes(stream) ? true : undefined,
      );
      // The server's default is 30 minutes; this stream asks for 3 s files.
      await engine.startRecording(ref, { segmentMs: 3000 });
      await eventually('two files cut and reported', async () =>
        receiver.delivered(stream).length >= 2 ? true : undefined,
      );
      assert.ok((await engine.status()).recording.includes(stream), 'still recording after the cuts');
      // Starting again while the second recorder runs does not record the stream twice.
      await engine.startRecording(ref, { segmentMs: 3000 });
      await engine.stopRecording(ref);
      await eventually('no longer recording', async () =>
        (await engine.status()).recording.includes(stream) ? undefined : true,
      );
    } finally {
      await camera.stop();
    }
    const reports = await eventually('the last file reported', async () =>
      (await agentClient.status()).backlog.placements === 0 &&
      (await agentClient.status()).backlog.reports === 0
        ? receiver
            .delivered(stream)
            .map((r) => r.report)
            .sort((a, b) => a.startMs - b.startMs)
        : undefined,
    );
    assert.ok(reports.length >= 2, `${reports.length} files`);
    assert.equal(new Set(reports.map((r) => r.path)).size, reports.length, 'one path each');
    for (const [index, report] of reports.entries()) {
      assert.ok(report.endMs > report.startMs);
      const previous = reports[index - 1];
      if (!previous) continue;
      // The next file starts at a key frame the previous one has too: they overlap a little.
      // Cut by stopping and starting one recorder, the frames up to the next key frame (up to
      // 2 s here) would be lost; the times are estimated from the files, hence the margin.
      assert.ok(
        report.startMs <= previous.endMs + 1000,
        `a gap before ${report.path}: ${JSON.stringify(reports)}`,
      );
      assert.ok(report.startMs > previous.startMs, 'files in order');
    }
  });

  it('sends a report again after Hestia answered 503, until it is delivered', async () => {
    const stream = randomUUID();
    receiver.answerWith((report, attempt) => (report.stream === stream && attempt === 1 ? 503 : 201));
    await recordClipThroughHook(stream, 7);
    await eventually('the report delivered', async () =>
      receiver.delivered(stream).length ? true : undefined,
    );
    const attempts = receiver.received.filter((r) => r.report.stream === stream).map((r) => r.status);
    assert.deepEqual(attempts, [503, 201]);
    await eventually('the outbox emptied', async () =>
      (await agentClient.status()).backlog.reports === 0 ? true : undefined,
    );
  });

  it('sets a report Hestia refuses (4xx) aside instead of sending it again', async () => {
    const stream = randomUUID();
    receiver.answerWith((report) => (report.stream === stream ? 422 : 201));
    await recordClipThroughHook(stream, 8);
    const rejectedDir = path.join(host.dirs.stateDir, 'rejected');
    const rejected = await eventually('the report set aside', async () => {
      for (const name of await readdir(rejectedDir)) {
        const report = JSON.parse(await readFile(path.join(rejectedDir, name), 'utf8')) as MediaSegmentReport;
        if (report.stream === stream) return report;
      }
      return undefined;
    });
    assert.equal(rejected.stream, stream);
    assert.equal(receiver.received.filter((r) => r.report.stream === stream).length, 1, 'sent once');
  });

  it('keeps reports it could not deliver across a restart and delivers them then', async () => {
    const dirs = createMediaHostDirs(['disk1']);
    const secret = mediaSecret();
    const options = {
      dirs,
      secret,
      serverId: 'media-restart',
      hestiaUrl: receiver.url,
      disks: [{ id: 'disk1' }],
    };
    const stream = randomUUID();
    receiver.answerWith((report) => (report.stream === stream ? 503 : 201));
    let agent = await startTestAgent({
      ...options,
      overrides: { reportRetryInitialMs: 100, reportRetryMaxMs: 400 },
    });
    try {
      const client = new MediaAgentClient({ url: agent.url, secret, timeoutMs: READY_TIMEOUT_MS });
      await client.registerStream(stream, 9);
      const file = path.join(dirs.spoolDir, `${stream}-${Math.floor(Date.now() / 1000)}.flv`);
      await copyFile(await cameraClip(), file);
      const hook = await fetch(`${agent.url}/v1/hooks/record-done?token=${hookToken(secret)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name: stream, path: file }).toString(),
      });
      assert.equal(hook.status, 200);
      await eventually('a refused attempt', async () =>
        receiver.received.some((r) => r.report.stream === stream) ? true : undefined,
      );
      await agent.close();
      assert.equal(
        (await readdir(path.join(dirs.stateDir, 'outbox'))).length,
        1,
        'the report waits in the outbox',
      );

      receiver.answerWith(() => 201);
      agent = await startTestAgent(options);
      await eventually('the report delivered after the restart', async () =>
        receiver.delivered(stream).length ? true : undefined,
      );
      assert.equal(receiver.delivered(stream)[0]!.report.diskId, 'disk1');
      await eventually('the outbox emptied', async () =>
        (await readdir(path.join(dirs.stateDir, 'outbox'))).length === 0 ? true : undefined,
      );
    } finally {
      await agent.close();
      await rm(dirs.root, { recursive: true, force: true });
    }
  });

  it('refuses to start with a disk that is not mounted, naming it (nothing fills the root file system)', async () => {
    const dirs = createMediaHostDirs(['disk1']);
    try {
      await assert.rejects(
        startTestAgent({
          dirs,
          secret: mediaSecret(),
          serverId: 'media-missing-disk',
          hestiaUrl: receiver.url,
          disks: [{ id: 'disk1' }, { id: 'disk9' }],
        }),
        /disk disk9: .*disk9 is not readable/,
      );
    } finally {
      await rm(dirs.root, { recursive: true, force: true });
    }
  });

  it('refuses the hook without its token and the API without the secret', async () => {
    const hook = (token: string, body: Record<string, string>) =>
      fetch(`${host.agent.url}/v1/hooks/record-done${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body).toString(),
      });
    const inSpool = path.join(host.dirs.spoolDir, `${randomUUID()}-1796688718.flv`);
    assert.equal((await hook('?token=wrong', { path: inSpool })).status, 403);
    assert.equal((await hook('', { path: inSpool })).status, 403);
    assert.equal(
      (await hook(`?token=${secureLinkSignature(host.secret, 1, '/x')}`, { path: inSpool })).status,
      403,
    );
    // With the token, only recordings in the spool are taken.
    const token = `?token=${hookToken(host.secret)}`;
    assert.equal((await hook(token, { path: '/etc/passwd' })).status, 400);
    assert.equal(
      (await hook(token, { path: path.join(host.dirs.spoolDir, '../x-1796688718.flv') })).status,
      400,
    );
    // A camera's own publish arguments come after nginx's fields and cannot replace them.
    const spoofed = await fetch(`${host.agent.url}/v1/hooks/record-done${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `path=${encodeURIComponent('/etc/passwd')}&path=${encodeURIComponent(inSpool)}`,
    });
    assert.equal(spoofed.status, 400);

    for (const authorization of [undefined, 'Bearer wrong', `Basic ${host.secret}`]) {
      const response = await fetch(`${host.agent.url}/v1/status`, {
        headers: authorization ? { authorization } : {},
      });
      assert.equal(response.status, 401, `with ${authorization}`);
      assert.equal(
        ((await response.json()) as { error: { code: string } }).error.code,
        'HESTIA_UNAUTHENTICATED',
      );
    }
    assert.equal((await fetch(`${host.agent.url}/healthz`)).status, 200);
  });

  it('refuses to delete anything outside the disks, and deletes nothing of such a batch', async () => {
    const kept = `large/0/${randomUUID()}/2026/12/08/kept_10_00_00.mp4`;
    await mkdir(path.join(host.dirs.contentRoot, path.dirname(kept)), { recursive: true });
    await writeFile(path.join(host.dirs.contentRoot, kept), 'video');
    for (const bad of [
      'large/../../etc/passwd',
      '/etc/passwd',
      'large/0/x/../../../x.mp4',
      'nodisk/0/a.mp4',
      'large/a.flv',
    ]) {
      const response = await fetch(`${host.agent.url}/v1/files/delete`, {
        method: 'POST',
        headers: { authorization: `Bearer ${host.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ paths: [kept, bad] }),
      });
      assert.equal(response.status, 400, bad);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'HESTIA_BAD_REQUEST');
    }
    assert.ok(
      (await stat(path.join(host.dirs.contentRoot, kept))).isFile(),
      'nothing of a refused batch is deleted',
    );
    assert.deepEqual(await agentClient.deleteFiles([kept]), { deleted: 1, missing: 0 });
    // The empty folders up to the disk go with the last file.
    await assert.rejects(stat(path.join(host.dirs.contentRoot, kept.split('/').slice(0, 3).join('/'))), {
      code: 'ENOENT',
    });
    assert.ok((await stat(path.join(host.dirs.contentRoot, 'large'))).isDirectory());
  });

  it('serves an archive file through a valid signed URL only, with byte ranges', async () => {
    const relativePath = `small/0/${randomUUID()}/2026/12/08/clip_10_00_00.mp4`;
    const content = randomBytes(100_000);
    await mkdir(path.join(host.dirs.contentRoot, path.dirname(relativePath)), { recursive: true });
    await writeFile(path.join(host.dirs.contentRoot, relativePath), content);
    const playbackUrl = host.server.playbackUrl;
    const expiresS = Math.floor(Date.now() / 1000) + 600;
    const url = archiveFileUrl(playbackUrl, host.secret, relativePath, expiresS);

    const whole = await fetch(url, { headers: { origin: 'https://app.example' } });
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('access-control-allow-origin'), '*');
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), content);

    const range = await fetch(url, { headers: { range: 'bytes=100-199' } });
    assert.equal(range.status, 206);
    assert.equal(range.headers.get('content-range'), `bytes 100-199/${content.length}`);
    assert.match(range.headers.get('access-control-expose-headers') ?? '', /Content-Range/);
    assert.deepEqual(Buffer.from(await range.arrayBuffer()), content.subarray(100, 200));

    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-headers': 'range' },
    });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Range/);

    const signature = url.split('/')[4]!;
    const tampered = url.replace(signature, `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`);
    assert.equal((await fetch(tampered)).status, 403);
    const otherFile = url.replace('clip_10_00_00.mp4', 'clip_10_00_01.mp4');
    assert.equal((await fetch(otherFile)).status, 403, 'a signature does not open another file');
    const later = url.replace(`/${expiresS}/`, `/${expiresS + 1}/`);
    assert.equal((await fetch(later)).status, 403, 'the expiry is signed');
    const expired = archiveFileUrl(
      playbackUrl,
      host.secret,
      relativePath,
      Math.floor(Date.now() / 1000) - 60,
    );
    assert.equal((await fetch(expired)).status, 410);
    // A path that climbs out is not served, whatever it is signed with.
    assert.equal(await rawGet(url.replace('small/0/', 'small/0/../../../../etc/')), 404);
    assert.equal(
      (await fetch(`${playbackUrl}/stat`)).status,
      200,
      'the control API is open to the loopback only',
    );
  });

  it('plays the live stream through a signed playlist URL', async () => {
    const stream = randomUUID();
    const camera = await publishCamera(
      `${host.nginx.rtmpUrl}/${stream}?key=${publishKey(host.secret, stream)}`,
    );
    try {
      const url = livePlaylistUrl(
        host.server.playbackUrl,
        host.secret,
        stream,
        Math.floor(Date.now() / 1000) + 600,
      );
      const playlist = await eventually(`a live playlist with a fragment (${camera.output()})`, async () => {
        const response = await fetch(url);
        const text = response.status === 200 ? await response.text() : '';
        return /^\d+\.ts$/m.test(text) ? { text, type: response.headers.get('content-type') } : undefined;
      });
      assert.match(playlist.text, /^#EXTM3U/);
      assert.equal(playlist.type, 'application/vnd.apple.mpegurl');
      // The fragments are named relatively, so their URLs keep the playlist's signature.
      const fragment = /^(\d+\.ts)$/m.exec(playlist.text)![1]!;
      const response = await fetch(new URL(fragment, url));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'video/mp2t');
      assert.ok((await response.arrayBuffer()).byteLength > 0);
      const signature = url.split('/')[4]!;
      assert.equal((await fetch(url.replace(signature, 'A'.repeat(22)))).status, 403);
      const refused = await publishCamera(`${host.nginx.rtmpUrl}/${randomUUID()}?key=wrong`);
      await eventually('a publication with a wrong key refused', async () =>
        refused.exited() ? true : undefined,
      );
    } finally {
      await camera.stop();
    }
  });
});
