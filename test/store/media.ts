import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { Store } from '../../src/core/ports/store.ts';
import { emptyBatch } from '../../src/core/domain/telemetry.ts';

/**
 * Conformance of the media store (cameras, servers, archive index, deletion queue, events,
 * preview history, shared secrets). Runs inside the store conformance suite, on each adapter.
 */
export function mediaSuite(getStore: () => Store, tenantId: string, gatewayId: string): void {
  describe('media', () => {
    const t0 = Date.UTC(2026, 11, 1);
    let store: Store;
    let serverId: string;
    const cameraId = randomUUID();
    const homeId = randomUUID();

    before(async () => {
      store = getStore();
      const batch = emptyBatch();
      batch.devices.push({
        id: cameraId,
        tenantId,
        gatewayId,
        type: 'camera',
        protocol: 'onvif',
        nodeId: null,
        networkId: null,
        name: 'Door',
        seenAtMs: t0,
      });
      await store.telemetry.applyIngest(batch);
      serverId = randomUUID();
      await store.media.servers.create({
        id: serverId,
        name: `media-${serverId.slice(0, 8)}`,
        engine: 'nginx-rtmp',
        controlUrl: 'http://127.0.0.1:1/',
        agentUrl: null,
        ingestUrl: 'rtmp://127.0.0.1:1/live',
        playbackUrl: 'http://127.0.0.1:1',
        application: 'live',
        region: 'eu',
        secret: 's3cret',
        maxStreams: 400,
        maxBitsPerSec: 400_000_000,
        createdAtMs: t0,
      });
    });

    it('servers: a new one is unhealthy until polled; a poll records health, load and disks', async () => {
      const created = (await store.media.servers.find(serverId))!;
      assert.equal(created.health.healthy, false);
      assert.equal(created.secret, 's3cret');
      await store.media.servers.recordPoll(serverId, {
        health: { healthy: true, failures: 0, reason: null, checkedAtMs: t0 + 1 },
        load: { publishing: 3, playing: 1, bwInBitsPerSec: 3e6, bwOutBitsPerSec: 1e6 },
        disks: [{ id: 'disk1', totalBytes: 100, freeBytes: 5 }],
        fullDiskIds: ['disk1'],
      });
      // A failed poll keeps the last figures.
      await store.media.servers.recordPoll(serverId, {
        health: { healthy: true, failures: 1, reason: 'timeout', checkedAtMs: t0 + 2 },
        load: null,
        disks: null,
        fullDiskIds: ['disk1'],
      });
      const polled = (await store.media.servers.find(serverId))!;
      assert.deepEqual(polled.health, { healthy: true, failures: 1, reason: 'timeout', checkedAtMs: t0 + 2 });
      assert.equal(polled.load?.publishing, 3);
      assert.deepEqual(polled.fullDiskIds, ['disk1']);
      assert.equal((await store.media.servers.update(serverId, { state: 'draining' }))?.state, 'draining');
      await store.media.servers.update(serverId, { state: 'active' });
    });

    it('cameras: numbered once, stable, patched field by field', async () => {
      const home = {
        deviceId: cameraId,
        tenantId,
        homeId,
        gatewayId,
        mode: 'motion' as const,
        createdAtMs: t0,
      };
      const first = await store.media.cameras.ensure(home);
      const again = await store.media.cameras.ensure({ ...home, mode: 'off' });
      assert.equal(again.number, first.number);
      assert.equal(again.mode, 'motion');
      assert.ok(first.number >= 1);
      const updated = await store.media.cameras.update(cameraId, {
        serverId,
        streaming: true,
        wantRecording: true,
        recording: { state: 'failed', reason: 'down', sinceMs: t0 + 5 },
      });
      assert.equal(updated?.serverId, serverId);
      assert.deepEqual(updated?.recording, { state: 'failed', reason: 'down', sinceMs: t0 + 5 });
      assert.deepEqual(
        (await store.media.cameras.listNeedingAttention(t0)).map((c) => c.deviceId),
        [cameraId],
      );
      assert.deepEqual(
        (await store.media.cameras.listByServer(serverId)).map((c) => c.deviceId),
        [cameraId],
      );
      assert.ok((await store.media.cameras.listPage(null, 1000)).some((c) => c.deviceId === cameraId));
    });

    it('archive: indexed once per path, found by overlap, expired into the deletion queue', async () => {
      const file = (startMs: number, n: number) => ({
        id: randomUUID(),
        deviceId: cameraId,
        tenantId,
        homeId,
        gatewayId,
        serverId,
        diskId: 'disk1',
        path: `disk1/0/${cameraId}/2026/12/01/${cameraId}_${n}.mp4`,
        startMs,
        endMs: startMs + 60_000,
        sizeBytes: 1000,
        init: { offset: 0, length: 100 },
        fragments: [{ durationMs: 60_000, offset: 100, length: 900 }],
        createdAtMs: startMs,
      });
      const a = await store.media.archive.insert(file(t0, 1));
      assert.equal(a.created, true);
      const dup = await store.media.archive.insert({ ...file(t0, 1), id: randomUUID() });
      assert.equal(dup.created, false);
      assert.equal(dup.segment.id, a.segment.id);
      assert.deepEqual(dup.segment.fragments, [{ durationMs: 60_000, offset: 100, length: 900 }]);
      await store.media.archive.insert(file(t0 + 120_000, 2));
      await store.media.archive.insert(file(t0 + 240_000, 3));
      const hits = await store.media.archive.overlapping(cameraId, t0 + 30_000, t0 + 150_000, 10);
      assert.deepEqual(
        hits.map((s) => s.startMs),
        [t0, t0 + 120_000],
      );
      const page2 = await store.media.archive.overlapping(cameraId, t0, t0 + 999_999, 10, {
        startMs: hits[0]!.startMs,
        id: hits[0]!.id,
      });
      assert.deepEqual(
        page2.map((s) => s.startMs),
        [t0 + 120_000, t0 + 240_000],
      );
      assert.equal(await store.media.archive.countByServer(serverId), 3);
      assert.equal(await store.media.servers.delete(serverId), false, 'a server with files stays');

      assert.equal(await store.media.archive.expire(cameraId, t0 + 200_000, 1, t0), 1);
      assert.equal(await store.media.archive.expire(cameraId, t0 + 200_000, 10, t0), 1);
      assert.equal(await store.media.archive.countByServer(serverId), 1);
      const due = await store.media.deletions.due(serverId, t0, 10);
      assert.equal(due.length, 2);
      assert.deepEqual((await store.media.deletions.pendingByServer()).get(serverId), 2);
      await store.media.deletions.retryLater([due[0]!.id], 'down', t0 + 10_000);
      assert.equal((await store.media.deletions.due(serverId, t0, 10)).length, 1);
      await store.media.deletions.done(due.map((d) => d.id));
      assert.equal((await store.media.deletions.due(serverId, t0 + 20_000, 10)).length, 0);

      assert.equal(await store.media.archive.expireGateway(gatewayId, t0), 1);
      assert.equal(await store.media.archive.countByServer(serverId), 0);
      const removed = await store.media.deletions.due(serverId, t0, 10);
      assert.equal(removed[0]?.reason, 'removed');
      await store.media.deletions.done(removed.map((d) => d.id));
    });

    it('events and previews: listed in time order, expired by age', async () => {
      for (const [kind, atMs] of [
        ['motion', t0 + 2000],
        ['doorbell', t0 + 1000],
      ] as const) {
        await store.media.events.add({
          id: randomUUID(),
          deviceId: cameraId,
          tenantId,
          homeId,
          gatewayId,
          kind,
          atMs,
        });
      }
      assert.deepEqual(
        (await store.media.events.list(cameraId, t0, t0 + 5000, 10)).map((e) => e.kind),
        ['doorbell', 'motion'],
      );
      assert.equal(await store.media.events.expire(cameraId, t0 + 1500), 1);

      const batch = emptyBatch();
      for (const tsMs of [t0 + 10, t0 + 20, t0 + 20])
        batch.previews.push({
          deviceId: cameraId,
          tenantId,
          tsMs,
          contentType: 'image/jpeg',
          image: Buffer.from([tsMs % 256, 1, 2]),
        });
      await store.telemetry.applyIngest(batch);
      const history = await store.media.previews.list(cameraId, t0, t0 + 100, 10);
      assert.deepEqual(
        history.map((p) => [p.tsMs, p.sizeBytes]),
        [
          [t0 + 10, 3],
          [t0 + 20, 3],
        ],
      );
      assert.equal((await store.media.previews.latestAtOrBefore(cameraId, t0 + 15))?.tsMs, t0 + 10);
      assert.deepEqual(
        [...(await store.media.previews.find(cameraId, t0 + 10))!.image],
        [(t0 + 10) % 256, 1, 2],
      );
      assert.equal(await store.media.previews.expire(cameraId, t0 + 15), 1);
    });

    it('secrets: the first writer wins', async () => {
      const name = `key-${randomUUID()}`;
      const first = await store.media.secrets.getOrCreate(name, () => 'one', t0);
      const second = await store.media.secrets.getOrCreate(name, () => 'two', t0);
      assert.equal(first, 'one');
      assert.equal(second, 'one');
    });
  });
}
