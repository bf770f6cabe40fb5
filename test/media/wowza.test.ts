import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MediaServer } from '../../src/core/domain/media.ts';
import {
  MediaEngineError,
  type MediaEngine,
  type MediaStreamRef,
} from '../../src/core/ports/media-engine.ts';
import { createWowzaEngine } from '../../src/media/wowza/adapter.ts';
import { createMediaHostDirs, mediaSecret, startTestAgent } from '../helpers/nginx-rtmp.ts';
import { freePort, REPO_ROOT } from '../helpers/process.ts';
import { FakeWowzaServer, type WowzaAuth } from '../helpers/wowza-server.ts';
import { runMediaEngineConformance } from './conformance.ts';

/** The seed's application (source document 002). */
const APPLICATION = 'rtp-live-iot';
/** Per request; the stalled-server test lowers it. */
const TIMEOUT_MS = 10_000; // 10 seconds
/** Characters that must survive the control URL's percent-encoding and the digest quoting. */
const DIGEST = {
  method: 'digest',
  username: 'hestia',
  password: 'p@ss: w0rd/"x"',
} as const satisfies WowzaAuth;

interface SeedFixture {
  wowzaStartRecording: { url: string; body: Record<string, string> };
}
const seed = JSON.parse(
  readFileSync(path.join(REPO_ROOT, '../shared/fixtures/seed-messages.json'), 'utf8'),
) as SeedFixture;

function mediaServer(controlUrl: string, agentUrl: string | null = null): MediaServer {
  return {
    id: randomUUID(),
    name: 'media-wowza',
    engine: 'wowza',
    controlUrl,
    agentUrl,
    ingestUrl: `rtmp://127.0.0.1:1935/${APPLICATION}`,
    playbackUrl: 'https://127.0.0.1:8443',
    application: APPLICATION,
    region: null,
    state: 'active',
    health: { healthy: true, failures: 0, reason: null, checkedAtMs: null },
    load: null,
    disks: [],
    fullDiskIds: [],
    createdAtMs: Date.now(),
  };
}

function engineFor(
  controlUrl: string,
  timeoutMs = TIMEOUT_MS,
  agent?: { url: string; secret: string },
): MediaEngine {
  return createWowzaEngine({
    server: mediaServer(controlUrl, agent?.url ?? null),
    secret: agent?.secret ?? 'media-secret',
    timeoutMs,
  });
}

function ref(stream: string, cameraNumber = 401): MediaStreamRef {
  return { application: APPLICATION, stream, cameraNumber };
}

async function failure(call: () => Promise<unknown>): Promise<MediaEngineError> {
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof MediaEngineError, `expected a MediaEngineError, got ${String(error)}`);
  return error;
}

runMediaEngineConformance('wowza', async () => {
  const server = await FakeWowzaServer.start({ application: APPLICATION, auth: DIGEST });
  const closedPort = await freePort();
  // The Hestia media agent beside Wowza (docs/cameras.md): disks and deletion.
  const dirs = createMediaHostDirs(['disk1']);
  const secret = mediaSecret();
  const agent = await startTestAgent({
    dirs,
    secret,
    serverId: 'wowza-conformance',
    hestiaUrl: 'http://127.0.0.1:9',
    disks: [{ id: 'disk1' }],
  });
  return {
    engine: engineFor(server.controlUrl(), TIMEOUT_MS, { url: agent.url, secret }),
    application: APPLICATION,
    async publish(stream) {
      server.publish(stream);
      return { stop: async () => server.unpublish(stream) };
    },
    unreachable: () => engineFor(`http://hestia:secret@127.0.0.1:${closedPort}`),
    async createArchiveFile(relativePath) {
      const file = path.join(dirs.contentRoot, relativePath);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, 'not really a video');
    },
    async archiveFileExists(relativePath) {
      return existsSync(path.join(dirs.contentRoot, relativePath));
    },
    async close() {
      await server.close();
      await agent.close();
      rmSync(dirs.root, { recursive: true, force: true });
      assert.deepEqual(server.violations, [], 'requests that deviate from Wowza REST shapes');
    },
  };
});

describe('wowza adapter', () => {
  let server: FakeWowzaServer;
  let engine: MediaEngine;

  before(async () => {
    server = await FakeWowzaServer.start({ application: APPLICATION, auth: DIGEST });
    engine = engineFor(server.controlUrl());
  });
  after(async () => {
    await server?.close();
  });

  it('creates the recorder with the seed URL and body for a 30-minute segment', async () => {
    const stream = '1616453d-30cd-44b7-9bf0-3a1e5c7d9b20';
    server.publish(stream);
    const before = server.requests.length;
    await engine.startRecording(ref(stream), { segmentMs: 30 * 60 * 1000 });

    const posts = server.requests.slice(before).filter((r) => r.method === 'POST');
    assert.equal(posts.length, 1);
    const post = posts[0]!;
    const expectedUrl = seed.wowzaStartRecording.url.replaceAll('<streamUuid>', stream);
    assert.equal(`http://<mediaserverIp>:<port>${post.url}`, expectedUrl);
    assert.match(post.headers.accept ?? '', /^application\/json/);
    assert.match(post.headers['content-type'] ?? '', /^application\/json/);

    const body = JSON.parse(post.body) as Record<string, unknown>;
    assert.equal(body.segmentDuration, '1800000', '30 minutes in ms, as a string');
    const fixtureBody = Object.fromEntries(
      Object.entries(seed.wowzaStartRecording.body).map(([key, value]) => [
        key,
        value.replaceAll('<streamUuid>', stream),
      ]),
    );
    // The fixture keeps the fields that carry a value; the seed's request sends the others empty.
    assert.deepEqual(body, {
      ...fixtureBody,
      serverName: '',
      segmentSchedule: '',
      outputPath: '',
      currentFile: '',
      fileTemplate: '',
      recorderState: '',
      option: '',
      currentSize: '0',
      segmentSize: '0',
      backBufferTime: '0',
      currentDuration: '0',
    });
    // Field order as in the seed's request, so the body reads the same in a packet capture.
    assert.deepEqual(Object.keys(body).slice(0, 4), [
      'instanceName',
      'fileVersionDelegateName',
      'serverName',
      'recorderName',
    ]);
    assert.equal(server.recorders.get(stream)?.recorderState, 'Recording in Progress');

    await engine.stopRecording(ref(stream));
    const put = server.requests.at(-1)!;
    assert.equal(put.method, 'PUT');
    assert.equal(
      put.url,
      `/v2/servers/_defaultServer_/vhosts/_defaultVHost_/applications/${APPLICATION}/instances/_definst_/streamrecorders/${stream}/actions/stopRecording`,
    );
    assert.equal(server.recorders.has(stream), false);
    server.unpublish(stream);
  });

  it('reports load from monitoring/current in bits per second', async () => {
    const streams = [randomUUID(), randomUUID()];
    for (const stream of streams) server.publish(stream);
    server.players = 3;
    try {
      const status = await engine.status();
      assert.deepEqual(status.publishing.toSorted(), streams.toSorted());
      assert.deepEqual(status.load, {
        publishing: 2,
        playing: 3,
        bwInBitsPerSec: 2 * 1_000_000,
        bwOutBitsPerSec: 3 * 1_000_000,
      });
      assert.deepEqual(status.disks, []);
    } finally {
      server.players = 0;
      for (const stream of streams) server.unpublish(stream);
    }
  });

  it('counts only recorders that are recording, not those waiting for their stream', async () => {
    const stream = randomUUID();
    server.publish(stream);
    await engine.startRecording(ref(stream), { segmentMs: 60_000 });
    assert.deepEqual((await engine.status()).recording, [stream]);
    // The camera drops: Wowza ends its recorder, and Hestia sees it no longer recording.
    server.unpublish(stream);
    assert.deepEqual((await engine.status()).recording, []);
    await engine.stopRecording(ref(stream));
  });

  it('authenticates with digest, reusing the nonce with a growing nc', async () => {
    const before = server.requests.length;
    await engine.status();
    await engine.status();
    const authorizations = server.requests.slice(before).map((r) => r.headers.authorization ?? '');
    assert.equal(authorizations.length, 6);
    for (const header of authorizations) assert.match(header, /^Digest .*qop=auth/);
    const nonces = new Set(authorizations.map((h) => /nonce="([^"]+)"/.exec(h)?.[1]));
    assert.ok(nonces.size < authorizations.length, 'a nonce is reused on later calls');
  });

  it('authenticates with SHA-256 digest and with basic', async () => {
    for (const auth of [
      { method: 'digest', username: 'admin', password: 'sha-secret', algorithm: 'SHA-256' },
      { method: 'basic', username: 'admin', password: 'basic secret' },
    ] satisfies WowzaAuth[]) {
      const other = await FakeWowzaServer.start({ application: APPLICATION, auth });
      try {
        const status = await engineFor(other.controlUrl()).status();
        assert.equal(status.load.publishing, 0);
        const scheme = auth.method === 'basic' ? /^Basic / : /^Digest .*algorithm=SHA-256/;
        assert.match(other.requests.at(-1)?.headers.authorization ?? '', scheme);
        assert.deepEqual(other.violations, []);
      } finally {
        await other.close();
      }
    }
  });

  it('reports wrong or missing credentials as a permanent error', async () => {
    const wrong = engineFor(server.controlUrl({ username: DIGEST.username, password: 'wrong' }));
    const refused = await failure(() => wrong.status());
    assert.equal(refused.retryable, false);
    assert.match(refused.message, /refused the credentials/);
    assert.doesNotMatch(refused.message, /wrong/, 'the password is not in the message');

    const anonymous = engineFor(`http://127.0.0.1:${server.port}`);
    const missing = await failure(() => anonymous.startRecording(ref(randomUUID()), { segmentMs: 60_000 }));
    assert.equal(missing.retryable, false);
  });

  it('reports 503 and 500 as retryable, and recovers after', async () => {
    server.fail(1, 503);
    const unavailable = await failure(() => engine.status());
    assert.equal(unavailable.retryable, true);
    assert.match(unavailable.message, /503/);

    const stream = randomUUID();
    server.publish(stream);
    server.fail(1, 500);
    const broken = await failure(() => engine.startRecording(ref(stream), { segmentMs: 60_000 }));
    assert.equal(broken.retryable, true);
    await engine.startRecording(ref(stream), { segmentMs: 60_000 });
    assert.ok(server.recorders.has(stream));
    server.unpublish(stream);
  });

  it('gives up on a server that does not answer in time, as retryable', async () => {
    const impatient = engineFor(server.controlUrl(), 300);
    server.stall(1);
    const error = await failure(() => impatient.stopRecording(ref(randomUUID())));
    assert.equal(error.retryable, true);
    assert.match(error.message, /within 300 ms/);
  });

  it('has no agent to delete files with', async () => {
    const error = await failure(() => engine.deleteFiles(['disk1/2/x/2026/12/07/x_10_00_00.mp4']));
    assert.equal(error.retryable, false);
  });

  it('the fake server catches a request that deviates from the documented shape', async () => {
    const stream = randomUUID();
    const url = `http://127.0.0.1:${server.port}/v2/servers/_defaultServer_/vhosts/_defaultVHost_/applications/${APPLICATION}/instances/_definst_/streamrecorders/${stream}`;
    const open = await FakeWowzaServer.start({ application: APPLICATION, auth: { method: 'none' } });
    try {
      const response = await fetch(url.replace(String(server.port), String(open.port)), {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        // Numbers where Wowza (and the seed) send strings.
        body: JSON.stringify({
          recorderName: stream,
          applicationName: APPLICATION,
          instanceName: '_definst_',
          segmentationType: 'SegmentByDuration',
          fileFormat: 'MP4',
          segmentDuration: 1800000,
        }),
      });
      assert.equal(response.status, 400);
      assert.ok(
        open.violations.some((line) => /segmentDuration is a number/.test(line)),
        open.violations.join('\n'),
      );
      assert.equal(open.recorders.size, 0, 'a refused body creates no recorder');
    } finally {
      await open.close();
    }
  });

  it('sent nothing that deviates from Wowza REST shapes', () => {
    assert.deepEqual(server.violations, []);
  });
});
