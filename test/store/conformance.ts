import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../../src/core/ports/store.ts';
import { type IngestBatch, type ReadingWrite, emptyBatch } from '../../src/core/domain/telemetry.ts';
import { lifecycleSuite } from './lifecycle.ts';
import { mediaSuite } from './media.ts';

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
      await store.directory.tenants.createTenant({
        id: tenantId,
        slug: 'acme',
        name: 'Acme',
        createdAtMs: t0,
      });
      await store.directory.tenants.createTenant({
        id: otherTenantId,
        slug: 'other',
        name: 'Other',
        createdAtMs: t0 + 1,
      });
      await createGateway({ id: gatewayId, tenantId, name: 'Hall', tokenHash: 'h1', createdAtMs: t0 });
    });
    after(async () => {
      await dispose(store);
    });

    async function createGateway(input: {
      id: string;
      tenantId: string;
      name: string;
      tokenHash: string;
      createdAtMs: number;
    }): Promise<void> {
      await store.directory.gateways.createGateways([{ ...input, claimCodeHash: null }]);
    }
    function deviceOf(id: string, ofGateway: string): IngestBatch['devices'][number] {
      return {
        id,
        tenantId,
        gatewayId: ofGateway,
        type: 'sensor',
        protocol: 'zwave',
        nodeId: null,
        networkId: null,
        name: null,
        seenAtMs: t0,
      };
    }
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
    /** Raw summaries of contiguous buckets, in the fields the tests compare. */
    async function summarizeRaw(deviceId: string, label: string, boundariesMs: number[]) {
      const series = await store.telemetry.findSeries(deviceId, label);
      if (!series) return [];
      const ranges = boundariesMs.slice(0, -1).map((fromMs, i) => ({ fromMs, toMs: boundariesMs[i + 1]! }));
      const summaries = await store.telemetry.summarize({ seriesId: series.id, source: 'raw', ranges });
      return summaries.map(({ index, count, sum, min, max, first, last }) => ({
        index,
        count,
        sum,
        min,
        max,
        first,
        last,
      }));
    }
    async function newDevice(id = randomUUID()): Promise<string> {
      await store.telemetry.applyIngest(
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

    it('gateways: create, find with secret, list per tenant with keyset pages, duplicate id refused', async () => {
      const found = await store.directory.gateways.findGateway(gatewayId);
      assert.equal(found?.tokenHash, 'h1');
      assert.equal(found?.status, 'never_connected');
      await assert.rejects(
        createGateway({ id: gatewayId, tenantId, name: 'dup', tokenHash: 'x', createdAtMs: t0 }),
      );
      for (const id of ['gw-2', 'gw-3'])
        await createGateway({ id, tenantId, name: id, tokenHash: 'h', createdAtMs: t0 });
      await createGateway({
        id: 'gw-other',
        tenantId: otherTenantId,
        name: 'x',
        tokenHash: 'h',
        createdAtMs: t0,
      });
      const first = await store.directory.gateways.listGateways(tenantId, { limit: 2 });
      assert.deepEqual(
        first.map((g) => g.id),
        ['gw-1', 'gw-2'],
      );
      assert.equal('tokenHash' in first[0]!, false, 'listing must not carry the token hash');
      const second = await store.directory.gateways.listGateways(tenantId, { limit: 2, after: 'gw-2' });
      assert.deepEqual(
        second.map((g) => g.id),
        ['gw-3'],
      );
    });

    it('gateway status: newer change wins, older ignored, all marked offline on demand', async () => {
      await store.directory.gateways.setGatewayStatus({
        gatewayId: 'gw-2',
        status: 'online',
        atMs: t0 + 100,
      });
      await store.directory.gateways.setGatewayStatus({
        gatewayId: 'gw-2',
        status: 'offline',
        atMs: t0 + 50,
      });
      let gw = await store.directory.gateways.findGateway('gw-2');
      assert.equal(gw?.status, 'online');
      assert.equal(gw?.statusChangedAtMs, t0 + 100);
      assert.equal(gw?.lastSeenAtMs, t0 + 100);
      assert.equal(await store.directory.gateways.markAllGatewaysOffline(t0 + 200), 1);
      gw = await store.directory.gateways.findGateway('gw-2');
      assert.equal(gw?.status, 'offline');
    });

    it('devices are created from an ingest batch and listed with their channels', async () => {
      const deviceId = await newDevice();
      const device = await store.devices.findDevice(deviceId);
      assert.equal(device?.gatewayId, gatewayId);
      assert.equal(device?.tenantId, tenantId);
      assert.equal(device?.type, 'sensor');
      assert.equal(device?.protocol, 'zwave');
      assert.equal(device?.nodeId, '19');
      assert.equal(device?.networkId, '0xefa0cfa7');
      assert.deepEqual(device?.attributes, {});
      await store.telemetry.applyIngest(
        batch({ readings: [reading(deviceId, 'Temperature', t0 + 1000, 26.1)] }),
      );
      const listed = (await store.devices.listGatewayDevices(gatewayId)).find((d) => d.id === deviceId);
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
      const detail = await store.devices.findDeviceWithChannels(deviceId);
      assert.equal(detail?.channels.length, 1);
      assert.equal(await store.devices.findDeviceWithChannels('missing'), undefined);
    });

    it('a device of another gateway is not taken over by an upsert', async () => {
      await createGateway({ id: 'gw-thief', tenantId, name: 't', tokenHash: 'h', createdAtMs: t0 });
      const deviceId = await newDevice();
      await store.telemetry.applyIngest(
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
      const device = await store.devices.findDevice(deviceId);
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
      for (const r of readings) await store.telemetry.applyIngest(batch({ readings: [r] }));
      const forB = readings.map((r) => ({ ...r, deviceId: b }));
      await store.telemetry.applyIngest(batch({ readings: [...forB].reverse() }));
      await store.telemetry.applyIngest(batch({ readings: forB }));
      for (const id of [a, b]) {
        const channel = (await store.devices.findDeviceWithChannels(id))?.channels[0];
        assert.equal(channel?.value, 23);
        assert.equal(channel?.tsMs, t0 + 3000);
        assert.equal(await store.telemetry.countReadings({ deviceId: id }), 3);
      }
      // equal timestamps with different values: the same winner whichever comes first
      const c = await newDevice();
      const d = await newDevice();
      await store.telemetry.applyIngest(batch({ readings: [reading(c, 'Temperature', t0, 5)] }));
      await store.telemetry.applyIngest(batch({ readings: [reading(c, 'Temperature', t0, 7)] }));
      await store.telemetry.applyIngest(batch({ readings: [reading(d, 'Temperature', t0, 7)] }));
      await store.telemetry.applyIngest(batch({ readings: [reading(d, 'Temperature', t0, 5)] }));
      assert.equal((await store.devices.findDeviceWithChannels(c))?.channels[0]?.value, 7);
      assert.equal((await store.devices.findDeviceWithChannels(d))?.channels[0]?.value, 7);
    });

    it('history append is idempotent on (device, label, timestamp) within and across batches', async () => {
      const id = await newDevice();
      const r = reading(id, 'Energy', t0 + 10, 0.05);
      await store.telemetry.applyIngest(batch({ readings: [r, r, { ...r }] }));
      await store.telemetry.applyIngest(batch({ readings: [r] }));
      assert.equal(await store.telemetry.countReadings({ deviceId: id }), 1);
      const history = await store.telemetry.readHistory({
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
      await store.telemetry.applyIngest(batch({ readings: points }));
      await store.telemetry.applyIngest(batch({ readings: [reading(id, 'State', t0, null, 'streamingOn')] }));
      const all = await store.telemetry.readHistory({
        deviceId: id,
        label: 'Humidity',
        fromMs: t0,
        toMs: t0 + 9 * 60_000,
        limit: 100,
        order: 'asc',
      });
      assert.equal(all.length, 9, 'to is exclusive');
      const page1 = await store.telemetry.readHistory({
        deviceId: id,
        label: 'Humidity',
        fromMs: t0,
        toMs: t0 + 3_600_000,
        limit: 4,
        order: 'asc',
      });
      const page2 = await store.telemetry.readHistory({
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
      const desc = await store.telemetry.readHistory({
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
      const descNext = await store.telemetry.readHistory({
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
      const text = await store.telemetry.readHistory({
        deviceId: id,
        label: 'State',
        fromMs: t0,
        toMs: t0 + 1,
        limit: 5,
        order: 'asc',
      });
      assert.deepEqual(text, [{ tsMs: t0, value: null, text: 'streamingOn' }]);
      assert.deepEqual(
        await store.telemetry.readHistory({
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
      await store.telemetry.applyIngest(
        batch({ readings: values.map(([ts, v]) => reading(id, 'Temperature', ts, v)) }),
      );
      await store.telemetry.applyIngest(
        batch({ readings: [reading(id, 'Temperature', t0 + 40, null, 'n/a')] }),
      );
      const summaries = await summarizeRaw(id, 'Temperature', [t0, t0 + hour, t0 + 2 * hour, t0 + 3 * hour]);
      assert.deepEqual(summaries, [
        { index: 0, count: 3, sum: 15, min: 1, max: 9, first: 5, last: 9 },
        { index: 2, count: 1, sum: -2, min: -2, max: -2, first: -2, last: -2 },
      ]);
      assert.deepEqual(await summarizeRaw(id, 'Nope', [t0, t0 + hour]), []);
    });

    it('device attributes and settings merge; previews keep the newest', async () => {
      const id = await newDevice();
      await store.telemetry.applyIngest(
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
      await store.telemetry.applyIngest(
        batch({
          previews: [
            { deviceId: id, tenantId, tsMs: t0 + 1, contentType: 'image/png', image: Buffer.from([9]) },
          ],
        }),
      );
      const device = await store.devices.findDevice(id);
      assert.deepEqual(device?.attributes, { mediaserverIp: '10.0.0.2', applicationName: 'rtp-live-iot' });
      assert.deepEqual(device?.settings, { recordingMode: 'motion' });
      const preview = await store.devices.findPreview(id);
      assert.equal(preview?.contentType, 'image/jpeg');
      assert.deepEqual([...preview.image], [1, 2, 3]);
    });

    it('a device list marks unlisted devices removed and revives listed ones', async () => {
      await createGateway({ id: 'gw-list', tenantId, name: 'l', tokenHash: 'h', createdAtMs: t0 });
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
      await store.telemetry.applyIngest(batch({ devices: [mk('d1'), mk('d2'), mk('d3')] }));
      assert.equal(await store.devices.countGatewayDevices('gw-list'), 3);
      await store.telemetry.applyIngest(
        batch({
          devices: [mk('d1'), mk('d2')],
          deviceLists: [{ gatewayId: 'gw-list', deviceIds: ['d1', 'd2'], atMs: t0 + 1 }],
        }),
      );
      assert.deepEqual(
        (await store.devices.listGatewayDevices('gw-list')).map((d) => d.id),
        ['d1', 'd2'],
      );
      assert.equal((await store.devices.findDevice('d3'))?.removedAtMs, t0 + 1);
      await store.telemetry.applyIngest(batch({ devices: [mk('d3')] }));
      assert.equal((await store.devices.findDevice('d3'))?.removedAtMs, null);
      assert.equal((await store.devices.findDevice('d1'))?.name, 'n-d1');
    });

    it('gateway last seen, firmware and vendor follow the batch', async () => {
      await store.telemetry.applyIngest(
        batch({
          gatewaySeen: [
            { gatewayId: 'gw-3', tenantId, messages: 1, atMs: t0 + 10, firmware: '3.0.0', vendor: 'acme' },
            { gatewayId: 'gw-3', tenantId, messages: 1, atMs: t0 + 5, firmware: null, vendor: null },
          ],
        }),
      );
      const gw = await store.directory.gateways.findGateway('gw-3');
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
      await store.telemetry.applyIngest(
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
      const page = await store.deadLetters.listDeadLetters(tenantId, { limit: 3 });
      assert.deepEqual(
        page.map((d) => d.detail),
        ['bad 4', 'bad 3', 'bad 2'],
      );
      assert.equal(page[0]?.payload, '{4');
      assert.equal(page[0]?.reason, 'HESTIA_INGEST_INVALID_JSON');
      const next = await store.deadLetters.listDeadLetters(tenantId, { limit: 3, beforeId: page.at(-1)!.id });
      assert.deepEqual(
        next.map((d) => d.detail),
        ['bad 1', 'bad 0'],
      );
      assert.equal((await store.deadLetters.listDeadLetters(null, { limit: 10 })).length, 1);
      assert.equal(await store.deadLetters.trimDeadLetters(2), 3);
      assert.deepEqual(
        (await store.deadLetters.listDeadLetters(tenantId, { limit: 10 })).map((d) => d.detail),
        ['bad 4', 'bad 3'],
      );
      assert.equal((await store.deadLetters.listDeadLetters(otherTenantId, { limit: 10 })).length, 1);
    });

    it('a batch is atomic: a failing write leaves nothing of the batch behind', async () => {
      const id = await newDevice();
      const before = await store.telemetry.countReadings({ deviceId: id });
      await assert.rejects(
        store.telemetry.applyIngest(
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
      assert.equal(await store.telemetry.countReadings({ deviceId: id }), before);
      // the same reading goes through once the batch is valid, into a fresh series
      const other = await newDevice();
      await assert.rejects(
        store.telemetry.applyIngest(
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
      await store.telemetry.applyIngest(batch({ readings: [reading(other, 'Fresh', t0 + 1, 1)] }));
      assert.equal((await store.devices.findDeviceWithChannels(other))?.channels[0]?.value, 1);
      assert.equal(
        (
          await store.telemetry.readHistory({
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
        await store.telemetry.applyIngest(batch({ readings: [win(devices[0]), lose(devices[0])] }));
        await store.telemetry.applyIngest(batch({ readings: [lose(devices[1])] }));
        await store.telemetry.applyIngest(batch({ readings: [win(devices[1])] }));
        await store.telemetry.applyIngest(batch({ readings: [win(devices[2])] }));
        await store.telemetry.applyIngest(batch({ readings: [lose(devices[2])] }));
        const states = await Promise.all(
          devices.map(async (id) => {
            const channel = (await store.devices.findDeviceWithChannels(id))?.channels[0];
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
      await store.telemetry.applyIngest(
        batch({ devices: [upsert('Kitchen', t0 + 10), upsert(null, t0 + 20, 'zigbee')] }),
      );
      let device = await store.devices.findDevice(id);
      assert.equal(device?.name, 'Kitchen');
      assert.equal(device?.protocol, 'zigbee');
      assert.equal(device?.lastSeenAtMs, t0 + 20);
      assert.equal(device?.createdAtMs, t0 + 10);
      await store.telemetry.applyIngest(batch({ devices: [upsert(null, t0 + 5)] }));
      device = await store.devices.findDevice(id);
      assert.equal(device?.name, 'Kitchen');
      assert.equal(device?.lastSeenAtMs, t0 + 20, 'last seen never goes back');
    });

    it('bucket summaries follow timestamps, not arrival: first, last, inner boundaries, sums added in time order', async () => {
      const id = await newDevice();
      const hour = 3_600_000;
      // Arrival order differs from time order. Adding 1 + 1e16 - 1e16 in time order gives 0 in
      // doubles, in arrival order 1: adapters agree to the last bit by adding in time order.
      await store.telemetry.applyIngest(
        batch({ readings: [reading(id, 'Power', t0 + 30, -1e16), reading(id, 'Power', t0 + hour, 7)] }),
      );
      await store.telemetry.applyIngest(
        batch({ readings: [reading(id, 'Power', t0 + 20, 1e16), reading(id, 'Power', t0 + 10, 1)] }),
      );
      const summaries = await summarizeRaw(id, 'Power', [t0, t0 + hour, t0 + 2 * hour]);
      assert.deepEqual(summaries, [
        { index: 0, count: 3, sum: 1 + 1e16 - 1e16, min: -1e16, max: 1e16, first: 1, last: -1e16 },
        { index: 1, count: 1, sum: 7, min: 7, max: 7, first: 7, last: 7 },
      ]);
      assert.deepEqual(await summarizeRaw(id, 'Power', [t0 + 11, t0 + 19]), []);
    });

    it('gateways are listed in byte order of their ids', async () => {
      for (const id of ['gw-a', 'gw-Z', 'gw-_'])
        await createGateway({ id, tenantId: otherTenantId, name: id, tokenHash: 'h', createdAtMs: t0 });
      const first = await store.directory.gateways.listGateways(otherTenantId, { limit: 2 });
      const second = await store.directory.gateways.listGateways(otherTenantId, {
        limit: 10,
        after: first.at(-1)!.id,
      });
      assert.deepEqual(
        [...first, ...second].map((g) => g.id),
        ['gw-Z', 'gw-_', 'gw-a', 'gw-other'],
      );
    });

    it('gateway last seen never goes back across batches; a null firmware keeps the stored one', async () => {
      await store.telemetry.applyIngest(
        batch({
          gatewaySeen: [
            { gatewayId: 'gw-2', tenantId, messages: 1, atMs: t0 + 10_000, firmware: '1.0', vendor: 'v' },
          ],
        }),
      );
      await store.telemetry.applyIngest(
        batch({
          gatewaySeen: [
            { gatewayId: 'gw-2', tenantId, messages: 1, atMs: t0 + 5_000, firmware: null, vendor: null },
          ],
        }),
      );
      const gw = await store.directory.gateways.findGateway('gw-2');
      assert.equal(gw?.lastSeenAtMs, t0 + 10_000);
      assert.equal(gw?.firmware, '1.0');
      assert.equal(gw?.vendor, 'v');
    });

    it('a dead letter carrying NUL characters is stored with its batch; its payload reads back unchanged', async () => {
      const id = await newDevice();
      const payload = '{"a":"\u0000\u0001"}\u0000garbage';
      await store.telemetry.applyIngest(
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
      const [stored] = await store.deadLetters.listDeadLetters(otherTenantId, { limit: 1 });
      assert.equal(stored?.payload, payload);
      assert.equal(stored?.payloadBytes, Buffer.byteLength(payload));
      assert.ok(stored?.detail.startsWith('Unexpected token'));
      assert.equal(await store.telemetry.countReadings({ deviceId: id }), 1);
    });

    it('concurrent batches over the same series and gateways all commit, as if applied one by one', async () => {
      const devices = [await newDevice(), await newDevice(), await newDevice()];
      const labels = ['A', 'B', 'C', 'D'];
      const before = await store.telemetry.countReadings();
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
            tenantId,
            messages: 1,
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
      await Promise.all(batches.map((b) => store.telemetry.applyIngest(b)));
      // timestamps t0 + 0 … t0 + 11 s per series
      assert.equal(await store.telemetry.countReadings(), before + devices.length * labels.length * 12);
      for (const deviceId of devices) {
        const device = await store.devices.findDeviceWithChannels(deviceId);
        assert.deepEqual(
          device?.channels.map((c) => [c.label, c.value, c.tsMs]),
          labels.map((label) => [label, 11, t0 + 11_000]),
        );
        assert.equal(Object.keys(device?.attributes ?? {}).length, 8);
      }
      assert.ok(((await store.directory.gateways.findGateway('gw-3'))?.lastSeenAtMs ?? 0) >= t0 + 100_007);
      // Rollups written by the concurrent batches equal what the raw readings give: each batch
      // saw the others' readings when it computed increases (late readings included).
      for (const deviceId of devices) {
        for (const label of labels) {
          const series = (await store.telemetry.findSeries(deviceId, label))!;
          const ranges = [{ fromMs: t0, toMs: t0 + 3_600_000 }];
          const [raw] = await store.telemetry.summarize({ seriesId: series.id, source: 'raw', ranges });
          const [hourly] = await store.telemetry.summarize({ seriesId: series.id, source: 'hourly', ranges });
          assert.equal(hourly?.count, 12);
          assert.deepEqual(
            [
              hourly?.count,
              hourly?.sum,
              hourly?.min,
              hourly?.max,
              hourly?.first,
              hourly?.last,
              hourly?.increase,
            ],
            [raw?.count, raw?.sum, raw?.min, raw?.max, raw?.first, raw?.last, raw?.increase],
          );
        }
      }
    });

    it('large batches commit in one call', async () => {
      const id = await newDevice();
      const readings = Array.from({ length: 5000 }, (_, i) => reading(id, 'Power', t0 + i * 1000, i % 97));
      await store.telemetry.applyIngest(batch({ readings }));
      assert.equal(await store.telemetry.countReadings({ deviceId: id }), 5000);
      assert.equal((await store.devices.findDeviceWithChannels(id))?.channels[0]?.value, 4999 % 97);
    });

    describe('directory', () => {
      const dir = () => store.directory;
      async function user(
        tenant: string | null,
        email: string,
        role: 'user' | 'tenant_admin' | 'platform_admin' = 'user',
      ) {
        return dir().people.createUser({
          id: randomUUID(),
          tenantId: tenant,
          email,
          passwordHash: 'scrypt$x',
          role,
          createdAtMs: t0,
        });
      }

      it('tenants: slug lookup, unique slug, branding, status', async () => {
        assert.equal((await dir().tenants.findTenantBySlug('acme'))?.id, tenantId);
        assert.deepEqual((await dir().tenants.listTenants()).map((t) => t.id).slice(0, 2), [
          tenantId,
          otherTenantId,
        ]);
        await assert.rejects(
          dir().tenants.createTenant({ id: randomUUID(), slug: 'acme', name: 'dup', createdAtMs: t0 }),
          (error: Error & { code?: string }) => error.code === 'HESTIA_CONFLICT',
        );
        const updated = await dir().tenants.updateTenant(tenantId, {
          branding: { displayName: 'Acme Home', logoUrl: null, primaryColor: '#112233', accentColor: null },
          signupOpen: false,
        });
        assert.equal(updated?.branding.primaryColor, '#112233');
        assert.equal(updated?.signupOpen, false);
        assert.equal(updated?.name, 'Acme');
        await dir().tenants.updateTenant(tenantId, { signupOpen: true });
        await dir().tenants.setTenantPushCredentials(
          tenantId,
          '{"webhook":{"url":"https://x","secret":"s"}}',
        );
        assert.match((await dir().tenants.findTenantPushCredentials(tenantId))!, /webhook/);
      });

      it('users: emails unique per tenant, case-insensitive; the same email in two tenants', async () => {
        const a = await user(tenantId, 'Dana@Example.com');
        const b = await user(otherTenantId, 'dana@example.com');
        assert.notEqual(a.id, b.id);
        assert.equal((await dir().people.findUserByEmail(tenantId, 'DANA@example.com'))?.id, a.id);
        assert.equal((await dir().people.findUserByEmail(otherTenantId, 'dana@example.com'))?.id, b.id);
        assert.equal((await dir().people.findUsersByEmail('dana@EXAMPLE.com')).length, 2);
        assert.equal(a.language, null, 'no language until one is chosen');
        await dir().people.setUserLanguage(a.id, 'zh');
        assert.equal((await dir().people.findUser(a.id))?.language, 'zh');
        await dir().people.setUserLanguage(a.id, null);
        assert.equal((await dir().people.findUser(a.id))?.language, null);
        await assert.rejects(
          user(tenantId, 'dana@example.COM'),
          (e: Error & { code?: string }) => e.code === 'HESTIA_CONFLICT',
        );
        const admin = await user(null, 'root@example.com', 'platform_admin');
        await assert.rejects(user(null, 'ROOT@example.com', 'platform_admin'));
        assert.equal((await dir().people.findUserByEmail(null, 'root@example.com'))?.id, admin.id);
        const listed = await dir().people.listUsers(tenantId, { limit: 100 });
        assert.ok(listed.some((u) => u.id === a.id));
        assert.ok(!listed.some((u) => u.id === b.id));
      });

      it('access tokens resolve only while token, session, account and tenant are live', async () => {
        const u = await user(tenantId, `tok-${randomUUID()}@example.com`);
        const session = randomUUID();
        await dir().sessions.createSession({
          id: session,
          userId: u.id,
          tenantId,
          refreshHash: `r-${session}`,
          client: null,
          createdAtMs: t0,
          expiresAtMs: t0 + 10_000,
        });
        await dir().sessions.createAccessToken({
          tokenHash: `a-${session}`,
          sessionId: session,
          userId: u.id,
          expiresAtMs: t0 + 1000,
        });
        assert.deepEqual(await dir().sessions.findAccessToken(`a-${session}`, t0), {
          sessionId: session,
          userId: u.id,
          tenantId,
          role: 'user',
          expiresAtMs: t0 + 1000,
        });
        assert.equal(await dir().sessions.findAccessToken(`a-${session}`, t0 + 1000), undefined, 'expired');
        await dir().people.setUserRole(u.id, 'tenant_admin');
        assert.equal(
          (await dir().sessions.findAccessToken(`a-${session}`, t0))?.role,
          'tenant_admin',
          'role is read live',
        );
        await dir().people.setUserDisabled(u.id, t0);
        assert.equal(await dir().sessions.findAccessToken(`a-${session}`, t0), undefined, 'disabled account');
        await dir().people.setUserDisabled(u.id, null);
        await dir().tenants.setTenantStatus(tenantId, 'suspended', t0);
        assert.equal(await dir().sessions.findAccessToken(`a-${session}`, t0), undefined, 'suspended tenant');
        await dir().tenants.setTenantStatus(tenantId, 'active', t0);
        assert.ok(await dir().sessions.findAccessToken(`a-${session}`, t0));
        await dir().sessions.revokeSession(session, t0);
        assert.equal(await dir().sessions.findAccessToken(`a-${session}`, t0), undefined, 'revoked session');
      });

      it('refresh tokens rotate once (compare-and-set) and the previous one is recognised', async () => {
        const u = await user(tenantId, `rt-${randomUUID()}@example.com`);
        const id = randomUUID();
        await dir().sessions.createSession({
          id,
          userId: u.id,
          tenantId,
          refreshHash: 'r1-' + id,
          client: 'ua',
          createdAtMs: t0,
          expiresAtMs: t0 + 10_000,
        });
        const rotate = (from: string, to: string) =>
          dir().sessions.rotateRefreshToken({
            sessionId: id,
            fromHash: from + id,
            toHash: to + id,
            atMs: t0 + 1,
            expiresAtMs: t0 + 20_000,
          });
        const results = await Promise.all([rotate('r1-', 'r2-'), rotate('r1-', 'r3-')]);
        assert.deepEqual(results.filter(Boolean).length, 1, 'exactly one concurrent rotation wins');
        const winner = results[0] ? 'r2-' : 'r3-';
        assert.equal((await dir().sessions.findSessionByRefresh(winner + id))?.current, true);
        assert.equal((await dir().sessions.findSessionByRefresh('r1-' + id))?.current, false);
        assert.equal((await dir().sessions.findSessionByRefresh('r1-' + id))?.session.id, id);
        assert.equal(await rotate(winner, 'r4-'), true);
        assert.equal(
          (await dir().sessions.findSessionByRefresh('r1-' + id))?.current,
          false,
          'two generations back',
        );
        assert.equal((await dir().sessions.findSessionByRefresh(winner + id))?.current, false);
        assert.equal((await dir().sessions.findSessionByRefresh('r4-' + id))?.current, true);
        assert.equal((await dir().sessions.findSession(id))?.expiresAtMs, t0 + 20_000);
        const keep = randomUUID();
        await dir().sessions.createSession({
          id: keep,
          userId: u.id,
          tenantId,
          refreshHash: 'k-' + keep,
          client: null,
          createdAtMs: t0,
          expiresAtMs: t0 + 10_000,
        });
        assert.equal(await dir().sessions.revokeUserSessions(u.id, t0 + 2, keep), 1);
        assert.deepEqual(
          (await dir().sessions.listUserSessions(u.id, t0 + 3)).map((x) => x.id),
          [keep],
        );
      });

      it('one-time tokens are consumed once and expire', async () => {
        const u = await user(tenantId, `ott-${randomUUID()}@example.com`);
        await dir().sessions.createOneTimeToken({
          tokenHash: 'ott-' + u.id,
          purpose: 'password_reset',
          userId: u.id,
          createdAtMs: t0,
          expiresAtMs: t0 + 100,
        });
        assert.equal(
          await dir().sessions.consumeOneTimeToken('ott-' + u.id, 'password_reset', t0 + 100),
          undefined,
          'expired',
        );
        await dir().sessions.createOneTimeToken({
          tokenHash: 'ott2-' + u.id,
          purpose: 'password_reset',
          userId: u.id,
          createdAtMs: t0,
          expiresAtMs: t0 + 100,
        });
        const [first, second] = await Promise.all([
          dir().sessions.consumeOneTimeToken('ott2-' + u.id, 'password_reset', t0 + 1),
          dir().sessions.consumeOneTimeToken('ott2-' + u.id, 'password_reset', t0 + 1),
        ]);
        assert.deepEqual([first, second].filter(Boolean), [u.id]);
      });

      it('login throttle upserts, reads and clears', async () => {
        await dir().sessions.setLoginThrottle('k', 1, null, t0);
        await dir().sessions.setLoginThrottle('k', 5, t0 + 30_000, t0 + 1);
        assert.deepEqual(await dir().sessions.findLoginThrottle('k'), {
          failures: 5,
          lockedUntilMs: t0 + 30_000,
        });
        await dir().sessions.clearLoginThrottle('k');
        assert.equal(await dir().sessions.findLoginThrottle('k'), undefined);
      });

      it('API keys: live lookup by digest, revocation, suspended tenant', async () => {
        const key = await dir().apiKeys.createApiKey({
          id: randomUUID(),
          tenantId: otherTenantId,
          name: 'backend',
          scopes: ['homes:read', 'users:read'],
          createdBy: null,
          createdAtMs: t0,
          keyHash: 'kh-1',
        });
        assert.deepEqual(key.scopes, ['homes:read', 'users:read']);
        assert.equal((await dir().apiKeys.findLiveApiKeyByHash('kh-1'))?.id, key.id);
        await dir().tenants.setTenantStatus(otherTenantId, 'suspended', t0);
        assert.equal(await dir().apiKeys.findLiveApiKeyByHash('kh-1'), undefined);
        await dir().tenants.setTenantStatus(otherTenantId, 'active', t0);
        await dir().apiKeys.touchApiKey(key.id, t0 + 120_000);
        assert.equal((await dir().apiKeys.findApiKey(otherTenantId, key.id))?.lastUsedAtMs, t0 + 120_000);
        assert.equal(
          await dir().apiKeys.revokeApiKey(tenantId, key.id, t0),
          false,
          'another tenant cannot revoke it',
        );
        assert.equal(await dir().apiKeys.revokeApiKey(otherTenantId, key.id, t0), true);
        assert.equal(await dir().apiKeys.findLiveApiKeyByHash('kh-1'), undefined);
      });

      it('homes, members, ownership transfer, rooms and gateway registration', async () => {
        const owner = await user(tenantId, `own-${randomUUID()}@example.com`);
        const member = await user(tenantId, `mem-${randomUUID()}@example.com`);
        const homeId = randomUUID();
        await dir().homes.createHome(
          {
            id: homeId,
            tenantId,
            name: 'Flat',
            timezone: 'Europe/Berlin',
            latitude: 52.5,
            longitude: 13.4,
            createdAtMs: t0,
          },
          owner.id,
        );
        assert.equal(await dir().homes.findMemberRole(homeId, owner.id), 'owner');
        await dir().homes.addMember({ homeId, userId: member.id, tenantId, role: 'guest', atMs: t0 });
        await assert.rejects(
          dir().homes.addMember({ homeId, userId: member.id, tenantId, role: 'member', atMs: t0 }),
        );
        assert.equal(await dir().homes.setMemberRole(homeId, member.id, 'member'), true);
        assert.deepEqual(
          (await dir().homes.listUserHomes(member.id)).map((h) => [h.id, h.role]),
          [[homeId, 'member']],
        );
        assert.equal(await dir().homes.transferOwnership(homeId, owner.id, member.id), true);
        assert.equal(await dir().homes.findMemberRole(homeId, member.id), 'owner');
        assert.equal(await dir().homes.findMemberRole(homeId, owner.id), 'member');
        assert.equal(
          await dir().homes.transferOwnership(homeId, owner.id, member.id),
          false,
          'already owner',
        );
        assert.equal((await dir().homes.listMembers(homeId)).length, 2);
        const updated = await dir().homes.updateHome(homeId, {
          name: 'Loft',
          latitude: null,
          longitude: null,
        });
        assert.deepEqual(
          [updated?.name, updated?.timezone, updated?.latitude],
          ['Loft', 'Europe/Berlin', null],
        );

        const room = await dir().homes.createRoom({
          id: randomUUID(),
          tenantId,
          homeId,
          name: 'Kitchen',
          createdAtMs: t0,
        });
        await createGateway({ id: 'gw-home', tenantId, name: 'h', tokenHash: 'th', createdAtMs: t0 });
        assert.equal(await dir().gateways.registerGateway('gw-home', homeId, t0 + 5), true);
        assert.equal(
          await dir().gateways.registerGateway('gw-home', randomUUID(), t0 + 6),
          false,
          'first claim wins',
        );
        assert.deepEqual(
          (await dir().gateways.listHomeGateways(homeId)).map((g) => [g.id, g.homeId, g.registeredAtMs]),
          [['gw-home', homeId, t0 + 5]],
        );
        const deviceId = randomUUID();
        await store.telemetry.applyIngest(
          batch({
            devices: [
              {
                id: deviceId,
                tenantId,
                gatewayId: 'gw-home',
                type: 'sensor',
                protocol: 'zwave',
                nodeId: null,
                networkId: null,
                name: null,
                seenAtMs: t0,
              },
            ],
          }),
        );
        await store.devices.updateDevice(deviceId, { roomId: room.id, name: 'Fridge' });
        assert.deepEqual(
          [
            (await store.devices.findDevice(deviceId))?.roomId,
            (await store.devices.findDevice(deviceId))?.name,
          ],
          [room.id, 'Fridge'],
        );
        assert.equal(await dir().homes.deleteRoom(homeId, room.id), true);
        assert.equal(
          (await store.devices.findDevice(deviceId))?.roomId,
          null,
          'devices of a deleted room keep no room',
        );
        assert.equal(await dir().gateways.countHomeGateways(homeId), 1);
        await dir().gateways.unregisterGateway('gw-home');
        assert.equal((await store.directory.gateways.findGateway('gw-home'))?.homeId, null);
        assert.equal(await dir().homes.deleteHome(homeId), true);
        assert.equal(await dir().homes.findMemberRole(homeId, member.id), undefined);
      });

      it('invitations are accepted once and list only open ones', async () => {
        const id = randomUUID();
        await dir().invitations.createInvitation({
          id,
          tenantId,
          homeId: null,
          email: 'New@Example.com',
          role: 'user',
          language: 'zh',
          tokenHash: 'inv-' + id,
          invitedBy: null,
          createdAtMs: t0,
          expiresAtMs: t0 + 1000,
        });
        assert.equal((await dir().invitations.findInvitationByToken('inv-' + id))?.email, 'New@Example.com');
        assert.equal((await dir().invitations.findInvitationByToken('inv-' + id))?.language, 'zh');
        assert.deepEqual(
          (await dir().invitations.listOpenInvitations(tenantId, null, t0)).map((i) => i.id),
          [id],
        );
        const results = await Promise.all([
          dir().invitations.markInvitationAccepted(id, t0 + 1),
          dir().invitations.markInvitationAccepted(id, t0 + 1),
        ]);
        assert.deepEqual(results.filter(Boolean), [true]);
        assert.deepEqual(await dir().invitations.listOpenInvitations(tenantId, null, t0), []);
        assert.equal(
          await dir().invitations.revokeInvitation(id, t0),
          false,
          'an accepted invitation is not revoked',
        );
      });

      it('gateway credentials: bulk create is all or nothing, rotation clears a revocation', async () => {
        await assert.rejects(
          dir().gateways.createGateways([
            { id: 'bulk-1', tenantId, name: 'b', tokenHash: 't', claimCodeHash: 'c', createdAtMs: t0 },
            { id: gatewayId, tenantId, name: 'dup', tokenHash: 't', claimCodeHash: null, createdAtMs: t0 },
          ]),
          (e: Error & { code?: string }) => e.code === 'HESTIA_CONFLICT',
        );
        assert.equal(
          await store.directory.gateways.findGateway('bulk-1'),
          undefined,
          'nothing half-imported',
        );
        assert.deepEqual([...(await dir().gateways.existingGatewayIds(['bulk-1', gatewayId]))], [gatewayId]);
        await dir().gateways.createGateways([
          { id: 'bulk-1', tenantId, name: 'b', tokenHash: 't', claimCodeHash: 'c', createdAtMs: t0 },
        ]);
        assert.equal((await store.directory.gateways.findGateway('bulk-1'))?.claimCodeHash, 'c');
        await dir().gateways.revokeGatewayCredentials('bulk-1', t0 + 1);
        assert.equal((await store.directory.gateways.findGateway('bulk-1'))?.credentialsRevokedAtMs, t0 + 1);
        await dir().gateways.setGatewayToken('bulk-1', 't2', t0 + 2);
        const rotated = await store.directory.gateways.findGateway('bulk-1');
        assert.deepEqual(
          [rotated?.tokenHash, rotated?.credentialsRevokedAtMs, rotated?.credentialsRotatedAtMs],
          ['t2', null, t0 + 2],
        );
      });

      it("unregistered uplinks are counted; deleting a gateway's data removes devices, state and history", async () => {
        await createGateway({ id: 'gw-del', tenantId, name: 'd', tokenHash: 'x', createdAtMs: t0 });
        await store.telemetry.applyIngest(
          batch({ unregisteredDrops: [{ gatewayId: 'gw-del', messages: 3 }] }),
        );
        await store.telemetry.applyIngest(
          batch({ unregisteredDrops: [{ gatewayId: 'gw-del', messages: 2 }] }),
        );
        assert.equal((await store.directory.gateways.findGateway('gw-del'))?.unregisteredMessages, 5);
        const deviceId = randomUUID();
        const write = (tsMs: number) => ({
          ...reading(deviceId, 'Temperature', tsMs, 20),
          gatewayId: 'gw-del',
        });
        await store.telemetry.applyIngest(
          batch({
            devices: [deviceOf(deviceId, 'gw-del')],
            readings: Array.from({ length: 12_000 }, (_, i) => write(t0 + i * 1000)),
          }),
        );
        assert.equal(await store.telemetry.countReadings({ gatewayId: 'gw-del' }), 12_000);
        assert.deepEqual(await store.telemetry.deleteGatewayData('gw-del'), { devices: 1, readings: 12_000 });
        assert.equal(await store.telemetry.countReadings({ gatewayId: 'gw-del' }), 0);
        assert.equal(await store.devices.findDevice(deviceId), undefined);
        assert.ok(await store.directory.gateways.findGateway('gw-del'), 'the gateway itself stays');
        // The same device can come back: its series is created afresh, not a stale cached id.
        await store.telemetry.applyIngest(
          batch({
            devices: [deviceOf(deviceId, 'gw-del')],
            readings: [write(t0 + 5)],
          }),
        );
        assert.equal(await store.telemetry.countReadings({ deviceId }), 1);
        assert.equal((await store.devices.findDeviceWithChannels(deviceId))?.channels[0]?.tsMs, t0 + 5);
      });

      it('audit log: append, newest first, filter by action, pages, per tenant', async () => {
        const base = {
          atMs: t0,
          actorType: 'user' as const,
          actorId: 'u',
          targetType: null,
          targetId: null,
          homeId: null,
          ip: '127.0.0.1',
          outcome: 'success' as const,
        };
        const ids = [];
        for (const action of ['auth.login', 'auth.login_failed', 'auth.login']) {
          ids.push(
            await dir().audit.appendAudit({
              ...base,
              tenantId: otherTenantId,
              action,
              detail: { n: ids.length },
            }),
          );
        }
        await dir().audit.appendAudit({ ...base, tenantId, action: 'auth.login', detail: {} });
        const all = await dir().audit.listAudit({ tenantId: otherTenantId, limit: 10 });
        assert.deepEqual(
          all.map((e) => e.id),
          [...ids].reverse(),
        );
        assert.deepEqual(all[0]?.detail, { n: 2 });
        assert.equal(
          (await dir().audit.listAudit({ tenantId: otherTenantId, limit: 10, action: 'auth.login' })).length,
          2,
        );
        assert.deepEqual(
          (await dir().audit.listAudit({ tenantId: otherTenantId, limit: 10, beforeId: ids[1] })).map(
            (e) => e.id,
          ),
          [ids[0]],
        );
        assert.ok((await dir().audit.listAudit({ tenantId: undefined, limit: 100 })).length >= 4);
      });
    });
    lifecycleSuite(() => store);
    mediaSuite(() => store, tenantId, gatewayId);
  });
}
