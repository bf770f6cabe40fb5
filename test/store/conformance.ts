import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { IngestBatch, ReadingWrite, Store } from '../../src/store/ports.ts';
import { emptyBatch } from '../../src/store/ports.ts';

/**
 * The one conformance suite every storage adapter must pass, run against the real engine.
 * `open` returns a migrated, empty store; `close` disposes of it.
 */
export function runStoreConformance(
  name: string,
  open: () => Promise<Store>,
  dispose: (store: Store) => Promise<void>,
): void {
  describe(`store conformance: ${name}`, () => {
    let store: Store;
    const tenantId = 'tenant-a';
    const otherTenantId = 'tenant-b';
    const gatewayId = 'gw-1';
    const t0 = Date.UTC(2024, 0, 1);

    before(async () => {
      store = await open();
      await store.createTenant({ id: tenantId, name: 'Acme', createdAtMs: t0 });
      await store.createTenant({ id: otherTenantId, name: 'Other', createdAtMs: t0 + 1 });
      await store.createGateway({ id: gatewayId, tenantId, name: 'Hall', tokenHash: 'h1', createdAtMs: t0 });
    });
    after(async () => {
      await dispose(store);
    });

    function batch(parts: Partial<IngestBatch>): IngestBatch {
      return { ...emptyBatch(), ...parts };
    }
    function reading(
      deviceId: string,
      label: string,
      tsMs: number,
      value: number | null,
      text: string | null = null,
    ): ReadingWrite {
      return {
        tenantId,
        gatewayId,
        deviceId,
        label,
        unit: 'C',
        sensorType: 'SENSOR MULTILEVEL',
        tsMs,
        value,
        text,
      };
    }
    async function newDevice(id = randomUUID()): Promise<string> {
      await store.applyIngest(
        batch({
          devices: [
            {
              id,
              tenantId,
              gatewayId,
              type: 'sensor',
              protocol: 'zwave',
              nodeId: '19',
              networkId: '0xefa0cfa7',
              name: null,
              seenAtMs: t0,
            },
          ],
        }),
      );
      return id;
    }

    it('migrate is idempotent and ping answers', async () => {
      await store.migrate();
      await store.ping();
    });

    it('tenants, users and access tokens round-trip', async () => {
      assert.equal((await store.findTenant(tenantId))?.name, 'Acme');
      assert.equal(await store.findTenant('nope'), undefined);
      assert.deepEqual(
        (await store.listTenants()).map((t) => t.id),
        [tenantId, otherTenantId],
      );
      const userId = randomUUID();
      await store.createUser({
        id: userId,
        tenantId,
        email: 'Admin@Example.com',
        passwordHash: 'scrypt$x',
        role: 'tenant_admin',
        createdAtMs: t0,
      });
      const found = await store.findUserByEmail('admin@example.COM');
      assert.equal(found?.id, userId);
      assert.equal(found?.passwordHash, 'scrypt$x');
      await assert.rejects(
        store.createUser({
          id: randomUUID(),
          tenantId,
          email: 'ADMIN@example.com',
          passwordHash: 'y',
          role: 'tenant_admin',
          createdAtMs: t0,
        }),
      );
      assert.ok((await store.countUsers()) >= 1);
      await store.createAccessToken({
        tokenHash: 'tok1',
        userId,
        tenantId,
        role: 'tenant_admin',
        expiresAtMs: t0 + 1000,
      });
      assert.deepEqual(await store.findAccessToken('tok1'), {
        userId,
        tenantId,
        role: 'tenant_admin',
        expiresAtMs: t0 + 1000,
      });
      assert.equal(await store.deleteExpiredAccessTokens(t0 + 1000), 1);
      assert.equal(await store.findAccessToken('tok1'), undefined);
      await store.createAccessToken({
        tokenHash: 'tok2',
        userId,
        tenantId,
        role: 'tenant_admin',
        expiresAtMs: t0 + 5000,
      });
      await store.deleteAccessToken('tok2');
      assert.equal(await store.findAccessToken('tok2'), undefined);
    });

    it('gateways: create, find with secret, list per tenant with keyset pages, duplicate id refused', async () => {
      const found = await store.findGateway(gatewayId);
      assert.equal(found?.tokenHash, 'h1');
      assert.equal(found?.status, 'never_connected');
      await assert.rejects(
        store.createGateway({ id: gatewayId, tenantId, name: 'dup', tokenHash: 'x', createdAtMs: t0 }),
      );
      for (const id of ['gw-2', 'gw-3'])
        await store.createGateway({ id, tenantId, name: id, tokenHash: 'h', createdAtMs: t0 });
      await store.createGateway({
        id: 'gw-other',
        tenantId: otherTenantId,
        name: 'x',
        tokenHash: 'h',
        createdAtMs: t0,
      });
      const first = await store.listGateways(tenantId, { limit: 2 });
      assert.deepEqual(
        first.map((g) => g.id),
        ['gw-1', 'gw-2'],
      );
      assert.equal('tokenHash' in first[0]!, false, 'listing must not carry the token hash');
      const second = await store.listGateways(tenantId, { limit: 2, after: 'gw-2' });
      assert.deepEqual(
        second.map((g) => g.id),
        ['gw-3'],
      );
    });

    it('gateway status: newer change wins, older ignored, all marked offline on demand', async () => {
      await store.setGatewayStatus({ gatewayId: 'gw-2', status: 'online', atMs: t0 + 100 });
      await store.setGatewayStatus({ gatewayId: 'gw-2', status: 'offline', atMs: t0 + 50 });
      let gw = await store.findGateway('gw-2');
      assert.equal(gw?.status, 'online');
      assert.equal(gw?.statusChangedAtMs, t0 + 100);
      assert.equal(gw?.lastSeenAtMs, t0 + 100);
      assert.equal(await store.markAllGatewaysOffline(t0 + 200), 1);
      gw = await store.findGateway('gw-2');
      assert.equal(gw?.status, 'offline');
    });

    it('devices are created from an ingest batch and listed with their channels', async () => {
      const deviceId = await newDevice();
      const device = await store.findDevice(deviceId);
      assert.equal(device?.gatewayId, gatewayId);
      assert.equal(device?.tenantId, tenantId);
      assert.equal(device?.type, 'sensor');
      assert.equal(device?.protocol, 'zwave');
      assert.equal(device?.nodeId, '19');
      assert.equal(device?.networkId, '0xefa0cfa7');
      assert.deepEqual(device?.attributes, {});
      await store.applyIngest(batch({ readings: [reading(deviceId, 'Temperature', t0 + 1000, 26.1)] }));
      const listed = (await store.listGatewayDevices(gatewayId)).find((d) => d.id === deviceId);
      assert.deepEqual(listed?.channels, [
        {
          label: 'Temperature',
          unit: 'C',
          sensorType: 'SENSOR MULTILEVEL',
          value: 26.1,
          text: null,
          tsMs: t0 + 1000,
        },
      ]);
      const detail = await store.findDeviceWithChannels(deviceId);
      assert.equal(detail?.channels.length, 1);
      assert.equal(await store.findDeviceWithChannels('missing'), undefined);
    });

    it('a device of another gateway is not taken over by an upsert', async () => {
      await store.createGateway({ id: 'gw-thief', tenantId, name: 't', tokenHash: 'h', createdAtMs: t0 });
      const deviceId = await newDevice();
      await store.applyIngest(
        batch({
          devices: [
            {
              id: deviceId,
              tenantId,
              gatewayId: 'gw-thief',
              type: 'camera',
              protocol: 'onvif',
              nodeId: null,
              networkId: null,
              name: 'x',
              seenAtMs: t0 + 5,
            },
          ],
        }),
      );
      const device = await store.findDevice(deviceId);
      assert.equal(device?.gatewayId, gatewayId);
      assert.equal(device?.type, 'sensor');
    });

    it('current state: newest device timestamp wins regardless of arrival order, ties are order-independent', async () => {
      const a = await newDevice();
      const b = await newDevice();
      const readings = [
        reading(a, 'Temperature', t0 + 3000, 23),
        reading(a, 'Temperature', t0 + 1000, 21),
        reading(a, 'Temperature', t0 + 2000, 22),
      ];
      // a: one batch each, in a scrambled order; b: the reverse order, then replayed twice.
      for (const r of readings) await store.applyIngest(batch({ readings: [r] }));
      const forB = readings.map((r) => ({ ...r, deviceId: b }));
      await store.applyIngest(batch({ readings: [...forB].reverse() }));
      await store.applyIngest(batch({ readings: forB }));
      for (const id of [a, b]) {
        const channel = (await store.findDeviceWithChannels(id))?.channels[0];
        assert.equal(channel?.value, 23);
        assert.equal(channel?.tsMs, t0 + 3000);
        assert.equal(await store.countReadings({ deviceId: id }), 3);
      }
      // equal timestamps with different values: the same winner whichever comes first
      const c = await newDevice();
      const d = await newDevice();
      await store.applyIngest(batch({ readings: [reading(c, 'Temperature', t0, 5)] }));
      await store.applyIngest(batch({ readings: [reading(c, 'Temperature', t0, 7)] }));
      await store.applyIngest(batch({ readings: [reading(d, 'Temperature', t0, 7)] }));
      await store.applyIngest(batch({ readings: [reading(d, 'Temperature', t0, 5)] }));
      assert.equal((await store.findDeviceWithChannels(c))?.channels[0]?.value, 7);
      assert.equal((await store.findDeviceWithChannels(d))?.channels[0]?.value, 7);
    });

    it('history append is idempotent on (device, label, timestamp) within and across batches', async () => {
      const id = await newDevice();
      const r = reading(id, 'Energy', t0 + 10, 0.05);
      await store.applyIngest(batch({ readings: [r, r, { ...r }] }));
      await store.applyIngest(batch({ readings: [r] }));
      assert.equal(await store.countReadings({ deviceId: id }), 1);
      const history = await store.readHistory({
        deviceId: id,
        label: 'Energy',
        fromMs: t0,
        toMs: t0 + 100,
        limit: 10,
        order: 'asc',
      });
      assert.deepEqual(history, [{ tsMs: t0 + 10, value: 0.05, text: null }]);
    });

    it('history reads: half-open range, both orders, keyset pages, text values, unknown series', async () => {
      const id = await newDevice();
      const points = Array.from({ length: 10 }, (_, i) => reading(id, 'Humidity', t0 + i * 60_000, 40 + i));
      await store.applyIngest(batch({ readings: points }));
      await store.applyIngest(batch({ readings: [reading(id, 'State', t0, null, 'streamingOn')] }));
      const all = await store.readHistory({
        deviceId: id,
        label: 'Humidity',
        fromMs: t0,
        toMs: t0 + 9 * 60_000,
        limit: 100,
        order: 'asc',
      });
      assert.equal(all.length, 9, 'to is exclusive');
      const page1 = await store.readHistory({
        deviceId: id,
        label: 'Humidity',
        fromMs: t0,
        toMs: t0 + 3_600_000,
        limit: 4,
        order: 'asc',
      });
      const page2 = await store.readHistory({
        deviceId: id,
        label: 'Humidity',
        fromMs: t0,
        toMs: t0 + 3_600_000,
        limit: 4,
        order: 'asc',
        afterMs: page1.at(-1)!.tsMs,
      });
      assert.deepEqual(
        [...page1, ...page2].map((p) => p.value),
        [40, 41, 42, 43, 44, 45, 46, 47],
      );
      const desc = await store.readHistory({
        deviceId: id,
        label: 'Humidity',
        fromMs: t0,
        toMs: t0 + 3_600_000,
        limit: 3,
        order: 'desc',
      });
      assert.deepEqual(
        desc.map((p) => p.value),
        [49, 48, 47],
      );
      const descNext = await store.readHistory({
        deviceId: id,
        label: 'Humidity',
        fromMs: t0,
        toMs: t0 + 3_600_000,
        limit: 3,
        order: 'desc',
        afterMs: desc.at(-1)!.tsMs,
      });
      assert.deepEqual(
        descNext.map((p) => p.value),
        [46, 45, 44],
      );
      const text = await store.readHistory({
        deviceId: id,
        label: 'State',
        fromMs: t0,
        toMs: t0 + 1,
        limit: 5,
        order: 'asc',
      });
      assert.deepEqual(text, [{ tsMs: t0, value: null, text: 'streamingOn' }]);
      assert.deepEqual(
        await store.readHistory({
          deviceId: id,
          label: 'Nope',
          fromMs: 0,
          toMs: t0 * 2,
          limit: 5,
          order: 'asc',
        }),
        [],
      );
    });

    it('bucket summaries: count, sum, min, max, first and last per bucket; empty buckets omitted; text ignored', async () => {
      const id = await newDevice();
      const hour = 3_600_000;
      const values = [
        [t0 + 10, 5],
        [t0 + 20, 1],
        [t0 + 30, 9],
        [t0 + 2 * hour + 5, -2],
        [t0 + 3 * hour, 100], // exactly at the last boundary: outside
        [t0 - 1, 50], // before the first boundary: outside
      ] as const;
      await store.applyIngest(
        batch({ readings: values.map(([ts, v]) => reading(id, 'Temperature', ts, v)) }),
      );
      await store.applyIngest(batch({ readings: [reading(id, 'Temperature', t0 + 40, null, 'n/a')] }));
      const summaries = await store.summarizeBuckets({
        deviceId: id,
        label: 'Temperature',
        boundariesMs: [t0, t0 + hour, t0 + 2 * hour, t0 + 3 * hour],
      });
      assert.deepEqual(summaries, [
        { index: 0, count: 3, sum: 15, min: 1, max: 9, first: 5, last: 9 },
        { index: 2, count: 1, sum: -2, min: -2, max: -2, first: -2, last: -2 },
      ]);
      assert.deepEqual(
        await store.summarizeBuckets({ deviceId: id, label: 'Nope', boundariesMs: [t0, t0 + hour] }),
        [],
      );
    });

    it('device attributes and settings merge; previews keep the newest', async () => {
      const id = await newDevice();
      await store.applyIngest(
        batch({
          deviceAttributes: [
            {
              deviceId: id,
              attributes: { mediaserverIp: '10.0.0.1', applicationName: 'rtp-live-iot' },
              tsMs: t0,
            },
            { deviceId: id, attributes: { mediaserverIp: '10.0.0.2' }, tsMs: t0 + 1 },
          ],
          deviceSettings: [{ deviceId: id, settings: { recordingMode: 'motion' }, tsMs: t0 }],
          previews: [
            {
              deviceId: id,
              tenantId,
              tsMs: t0 + 5,
              contentType: 'image/jpeg',
              image: Buffer.from([1, 2, 3]),
            },
          ],
        }),
      );
      await store.applyIngest(
        batch({
          previews: [
            { deviceId: id, tenantId, tsMs: t0 + 1, contentType: 'image/png', image: Buffer.from([9]) },
          ],
        }),
      );
      const device = await store.findDevice(id);
      assert.deepEqual(device?.attributes, { mediaserverIp: '10.0.0.2', applicationName: 'rtp-live-iot' });
      assert.deepEqual(device?.settings, { recordingMode: 'motion' });
      const preview = await store.findPreview(id);
      assert.equal(preview?.contentType, 'image/jpeg');
      assert.deepEqual([...preview.image], [1, 2, 3]);
    });

    it('a device list marks unlisted devices removed and revives listed ones', async () => {
      await store.createGateway({ id: 'gw-list', tenantId, name: 'l', tokenHash: 'h', createdAtMs: t0 });
      const mk = (id: string) => ({
        id,
        tenantId,
        gatewayId: 'gw-list',
        type: 'sensor' as const,
        protocol: 'zigbee',
        nodeId: null,
        networkId: null,
        name: `n-${id}`,
        seenAtMs: t0,
      });
      await store.applyIngest(batch({ devices: [mk('d1'), mk('d2'), mk('d3')] }));
      assert.equal(await store.countGatewayDevices('gw-list'), 3);
      await store.applyIngest(
        batch({
          devices: [mk('d1'), mk('d2')],
          deviceLists: [{ gatewayId: 'gw-list', deviceIds: ['d1', 'd2'], atMs: t0 + 1 }],
        }),
      );
      assert.deepEqual(
        (await store.listGatewayDevices('gw-list')).map((d) => d.id),
        ['d1', 'd2'],
      );
      assert.equal((await store.findDevice('d3'))?.removedAtMs, t0 + 1);
      await store.applyIngest(batch({ devices: [mk('d3')] }));
      assert.equal((await store.findDevice('d3'))?.removedAtMs, null);
      assert.equal((await store.findDevice('d1'))?.name, 'n-d1');
    });

    it('gateway last seen, firmware and vendor follow the batch', async () => {
      await store.applyIngest(
        batch({
          gatewaySeen: [
            { gatewayId: 'gw-3', atMs: t0 + 10, firmware: '3.0.0', vendor: 'acme' },
            { gatewayId: 'gw-3', atMs: t0 + 5, firmware: null, vendor: null },
          ],
        }),
      );
      const gw = await store.findGateway('gw-3');
      assert.equal(gw?.lastSeenAtMs, t0 + 10);
      assert.equal(gw?.firmware, '3.0.0');
      assert.equal(gw?.vendor, 'acme');
    });

    it('dead letters: per tenant, newest first, paged, trimmed to a bound per tenant', async () => {
      const letters = Array.from({ length: 5 }, (_, i) => ({
        tenantId,
        gatewayId,
        receivedAtMs: t0 + i,
        reason: 'HESTIA_INGEST_INVALID_JSON',
        detail: `bad ${i}`,
        payload: `{${i}`,
        payloadBytes: 2,
      }));
      await store.applyIngest(
        batch({
          deadLetters: [
            ...letters,
            {
              tenantId: otherTenantId,
              gatewayId: 'gw-other',
              receivedAtMs: t0,
              reason: 'R',
              detail: 'd',
              payload: '',
              payloadBytes: 0,
            },
            {
              tenantId: null,
              gatewayId: null,
              receivedAtMs: t0,
              reason: 'HESTIA_MQTT_MALFORMED_PACKET',
              detail: 'd',
              payload: '',
              payloadBytes: 0,
            },
          ],
        }),
      );
      const page = await store.listDeadLetters(tenantId, { limit: 3 });
      assert.deepEqual(
        page.map((d) => d.detail),
        ['bad 4', 'bad 3', 'bad 2'],
      );
      assert.equal(page[0]?.payload, '{4');
      assert.equal(page[0]?.reason, 'HESTIA_INGEST_INVALID_JSON');
      const next = await store.listDeadLetters(tenantId, { limit: 3, beforeId: page.at(-1)!.id });
      assert.deepEqual(
        next.map((d) => d.detail),
        ['bad 1', 'bad 0'],
      );
      assert.equal((await store.listDeadLetters(null, { limit: 10 })).length, 1);
      assert.equal(await store.trimDeadLetters(2), 3);
      assert.deepEqual(
        (await store.listDeadLetters(tenantId, { limit: 10 })).map((d) => d.detail),
        ['bad 4', 'bad 3'],
      );
      assert.equal((await store.listDeadLetters(otherTenantId, { limit: 10 })).length, 1);
    });

    it('a batch is atomic: a failing write leaves nothing of the batch behind', async () => {
      const id = await newDevice();
      const before = await store.countReadings({ deviceId: id });
      await assert.rejects(
        store.applyIngest(
          batch({
            readings: [reading(id, 'Temperature', t0 + 77, 1)],
            // a device of an unknown gateway violates the foreign key
            devices: [
              {
                id: randomUUID(),
                tenantId,
                gatewayId: 'no-such-gateway',
                type: 'sensor',
                protocol: 'zwave',
                nodeId: null,
                networkId: null,
                name: null,
                seenAtMs: t0,
              },
            ],
          }),
        ),
      );
      assert.equal(await store.countReadings({ deviceId: id }), before);
      // the same reading goes through once the batch is valid, into a fresh series
      const other = await newDevice();
      await assert.rejects(
        store.applyIngest(
          batch({
            readings: [reading(other, 'Fresh', t0 + 1, 1)],
            devices: [
              {
                id: randomUUID(),
                tenantId,
                gatewayId: 'no-such-gateway',
                type: 'sensor',
                protocol: 'zwave',
                nodeId: null,
                networkId: null,
                name: null,
                seenAtMs: t0,
              },
            ],
          }),
        ),
      );
      await store.applyIngest(batch({ readings: [reading(other, 'Fresh', t0 + 1, 1)] }));
      assert.equal((await store.findDeviceWithChannels(other))?.channels[0]?.value, 1);
      assert.equal(
        (
          await store.readHistory({
            deviceId: other,
            label: 'Fresh',
            fromMs: t0,
            toMs: t0 + 10,
            limit: 5,
            order: 'asc',
          })
        ).length,
        1,
      );
    });

    it('equal timestamps: a null value ranks below every number, then text decides in byte order, whatever the arrival order', async () => {
      type State = { value: number | null; text: string | null };
      // [loser, winner]; each pair is applied in one batch, and in two batches in both orders.
      const pairs: Array<[State, State]> = [
        [
          { value: null, text: 'z' },
          { value: -1e308, text: null },
        ], // null is below the most negative number
        [
          { value: null, text: 'B' },
          { value: null, text: 'a' },
        ], // byte order: 'a' (0x61) > 'B' (0x42), unlike most locales
      ];
      for (const [loser, winner] of pairs) {
        const devices = [await newDevice(), await newDevice(), await newDevice()] as const;
        const lose = (id: string) => reading(id, 'State', t0, loser.value, loser.text);
        const win = (id: string) => reading(id, 'State', t0, winner.value, winner.text);
        await store.applyIngest(batch({ readings: [win(devices[0]), lose(devices[0])] }));
        await store.applyIngest(batch({ readings: [lose(devices[1])] }));
        await store.applyIngest(batch({ readings: [win(devices[1])] }));
        await store.applyIngest(batch({ readings: [win(devices[2])] }));
        await store.applyIngest(batch({ readings: [lose(devices[2])] }));
        const states = await Promise.all(
          devices.map(async (id) => {
            const channel = (await store.findDeviceWithChannels(id))?.channels[0];
            return { value: channel?.value, text: channel?.text };
          }),
        );
        assert.deepEqual(states, [winner, winner, winner], JSON.stringify({ loser, winner }));
      }
    });

    it('the same device twice in one batch is upserted in order; a null name keeps the stored one', async () => {
      const id = randomUUID();
      const upsert = (name: string | null, seenAtMs: number, protocol = 'zwave') => ({
        id,
        tenantId,
        gatewayId,
        type: 'sensor' as const,
        protocol,
        nodeId: null,
        networkId: null,
        name,
        seenAtMs,
      });
      await store.applyIngest(
        batch({ devices: [upsert('Kitchen', t0 + 10), upsert(null, t0 + 20, 'zigbee')] }),
      );
      let device = await store.findDevice(id);
      assert.equal(device?.name, 'Kitchen');
      assert.equal(device?.protocol, 'zigbee');
      assert.equal(device?.lastSeenAtMs, t0 + 20);
      assert.equal(device?.createdAtMs, t0 + 10);
      await store.applyIngest(batch({ devices: [upsert(null, t0 + 5)] }));
      device = await store.findDevice(id);
      assert.equal(device?.name, 'Kitchen');
      assert.equal(device?.lastSeenAtMs, t0 + 20, 'last seen never goes back');
    });

    it('bucket summaries follow timestamps, not arrival: first, last, inner boundaries, sums added in time order', async () => {
      const id = await newDevice();
      const hour = 3_600_000;
      // Arrival order differs from time order. Adding 1 + 1e16 - 1e16 in time order gives 0 in
      // doubles, in arrival order 1: adapters agree to the last bit by adding in time order.
      await store.applyIngest(
        batch({ readings: [reading(id, 'Power', t0 + 30, -1e16), reading(id, 'Power', t0 + hour, 7)] }),
      );
      await store.applyIngest(
        batch({ readings: [reading(id, 'Power', t0 + 20, 1e16), reading(id, 'Power', t0 + 10, 1)] }),
      );
      const summaries = await store.summarizeBuckets({
        deviceId: id,
        label: 'Power',
        boundariesMs: [t0, t0 + hour, t0 + 2 * hour],
      });
      assert.deepEqual(summaries, [
        { index: 0, count: 3, sum: 1 + 1e16 - 1e16, min: -1e16, max: 1e16, first: 1, last: -1e16 },
        { index: 1, count: 1, sum: 7, min: 7, max: 7, first: 7, last: 7 },
      ]);
      assert.deepEqual(
        await store.summarizeBuckets({ deviceId: id, label: 'Power', boundariesMs: [t0 + 11, t0 + 19] }),
        [],
      );
    });

    it('gateways are listed in byte order of their ids', async () => {
      for (const id of ['gw-a', 'gw-Z', 'gw-_'])
        await store.createGateway({ id, tenantId: otherTenantId, name: id, tokenHash: 'h', createdAtMs: t0 });
      const first = await store.listGateways(otherTenantId, { limit: 2 });
      const second = await store.listGateways(otherTenantId, { limit: 10, after: first.at(-1)!.id });
      assert.deepEqual(
        [...first, ...second].map((g) => g.id),
        ['gw-Z', 'gw-_', 'gw-a', 'gw-other'],
      );
    });

    it('gateway last seen never goes back across batches; a null firmware keeps the stored one', async () => {
      await store.applyIngest(
        batch({ gatewaySeen: [{ gatewayId: 'gw-2', atMs: t0 + 10_000, firmware: '1.0', vendor: 'v' }] }),
      );
      await store.applyIngest(
        batch({ gatewaySeen: [{ gatewayId: 'gw-2', atMs: t0 + 5_000, firmware: null, vendor: null }] }),
      );
      const gw = await store.findGateway('gw-2');
      assert.equal(gw?.lastSeenAtMs, t0 + 10_000);
      assert.equal(gw?.firmware, '1.0');
      assert.equal(gw?.vendor, 'v');
    });

    it('a dead letter carrying NUL characters is stored with its batch; its payload reads back unchanged', async () => {
      const id = await newDevice();
      const payload = '{"a":"\u0000\u0001"}\u0000garbage';
      await store.applyIngest(
        batch({
          readings: [reading(id, 'Temperature', t0, 20)],
          deadLetters: [
            {
              tenantId: otherTenantId,
              gatewayId: 'gw-other',
              receivedAtMs: t0,
              reason: 'HESTIA_INGEST_INVALID_JSON',
              detail: 'Unexpected token \u0000',
              payload,
              payloadBytes: Buffer.byteLength(payload),
            },
          ],
        }),
      );
      const [stored] = await store.listDeadLetters(otherTenantId, { limit: 1 });
      assert.equal(stored?.payload, payload);
      assert.equal(stored?.payloadBytes, Buffer.byteLength(payload));
      assert.ok(stored?.detail.startsWith('Unexpected token'));
      assert.equal(await store.countReadings({ deviceId: id }), 1);
    });

    it('concurrent batches over the same series and gateways all commit, as if applied one by one', async () => {
      const devices = [await newDevice(), await newDevice(), await newDevice()];
      const labels = ['A', 'B', 'C', 'D'];
      const before = await store.countReadings();
      // Every batch writes every (device, label) at overlapping timestamps, in its own order,
      // creating the series concurrently, and touches the same gateways in its own order.
      const batches = Array.from({ length: 8 }, (_, b) => {
        const readings: ReadingWrite[] = [];
        for (const deviceId of devices)
          for (const label of labels)
            for (let k = 0; k < 5; k++) readings.push(reading(deviceId, label, t0 + (b + k) * 1000, b + k));
        if (b % 2 === 1) readings.reverse();
        const gateways = ['gw-1', 'gw-2', 'gw-3'];
        if (b % 2 === 1) gateways.reverse();
        return batch({
          readings,
          gatewaySeen: gateways.map((g) => ({
            gatewayId: g,
            atMs: t0 + 100_000 + b,
            firmware: null,
            vendor: null,
          })),
          deviceAttributes: (b % 2 === 1 ? [...devices].reverse() : devices).map((deviceId) => ({
            deviceId,
            attributes: { [`batch${b}`]: 'yes' },
            tsMs: t0 + b,
          })),
        });
      });
      await Promise.all(batches.map((b) => store.applyIngest(b)));
      // timestamps t0 + 0 … t0 + 11 s per series
      assert.equal(await store.countReadings(), before + devices.length * labels.length * 12);
      for (const deviceId of devices) {
        const device = await store.findDeviceWithChannels(deviceId);
        assert.deepEqual(
          device?.channels.map((c) => [c.label, c.value, c.tsMs]),
          labels.map((label) => [label, 11, t0 + 11_000]),
        );
        assert.equal(Object.keys(device?.attributes ?? {}).length, 8);
      }
      assert.ok(((await store.findGateway('gw-3'))?.lastSeenAtMs ?? 0) >= t0 + 100_007);
    });

    it('large batches commit in one call', async () => {
      const id = await newDevice();
      const readings = Array.from({ length: 5000 }, (_, i) => reading(id, 'Power', t0 + i * 1000, i % 97));
      await store.applyIngest(batch({ readings }));
      assert.equal(await store.countReadings({ deviceId: id }), 5000);
      assert.equal((await store.findDeviceWithChannels(id))?.channels[0]?.value, 4999 % 97);
    });
  });
}
