import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it, test } from 'node:test';
import mqttPacket from 'mqtt-packet';
import type { ConfigInput } from '../../src/core/config.ts';
import { eventually, SEED_GATEWAY_ID, seedMessages, startTestApp, type TestApp } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/postgres.ts';

const up = (gatewayId: string) => `hestia/v1/gw/${gatewayId}/up`;
const DEVICE = 'c8e8de37-d301-45f4-ba01-00000000a001';

/** The whole ingest path, run once per storage backend. */
function ingestSuite(backend: string, storage: ConfigInput['storage'] | undefined): void {
  describe(`ingest over MQTT (embedded broker, ${backend})`, () => {
    let app: TestApp;
    let gateway: { id: string; token: string };
    let seed: Awaited<ReturnType<typeof seedMessages>>;

    before(async () => {
      app = await startTestApp({
        ingest: { maxPayloadBytes: 4096 },
        mqtt: { port: 0, wsPort: 0, host: '127.0.0.1', maxPacketBytes: 16 * 1024 },
        ...(storage ? { storage } : {}),
      });
      gateway = await app.createGateway(SEED_GATEWAY_ID);
      seed = await seedMessages();
    });
    after(() => app.stop());

    async function publish(payload: string | Buffer, topic = up(gateway.id)): Promise<void> {
      const client = await app.connectGateway(gateway);
      await client.publishAsync(topic, payload, { qos: 1 });
      await client.endAsync();
    }

    async function deadLetters(): Promise<
      Array<{ reason: string; detail: string; payload: string; payloadBytes: number }>
    > {
      const response = await app.request('GET', '/v1/dead-letters?limit=1000');
      assert.equal(response.status, 200);
      return response.body.items;
    }

    it("stores the seed's sensorData message: device created, current state, history, aggregate", async () => {
      await publish(JSON.stringify(seed.sensorData));
      // The gateway disconnected after publishing; once that is recorded its devices are unavailable.
      await eventually('the gateway offline', async () => {
        const status = (await app.request('GET', `/v1/gateways/${gateway.id}`)).body.status as string;
        return status === 'offline' ? status : undefined;
      });
      const devices = await app.request('GET', `/v1/gateways/${gateway.id}/devices`);
      assert.equal(devices.status, 200);
      assert.equal(devices.body.items.length, 1);
      const device = devices.body.items[0];
      assert.equal(device.id, DEVICE);
      assert.equal(device.type, 'sensor');
      assert.equal(device.protocol, 'zwave');
      assert.deepEqual(device.channels, [
        {
          label: 'Temperature',
          capability: 'temperature',
          unit: 'C',
          sensorType: 'SENSOR MULTILEVEL',
          value: 26.1,
          text: null,
          ts: '2019-10-22T14:32:29.561Z',
          tsMs: 1571754749561,
          // Its devices are unavailable: the value is the last known one, not a current reading.
          current: false,
        },
      ]);
      assert.equal(device.availability, 'unavailable');
      const history = await app.request(
        'GET',
        `/v1/devices/${DEVICE}/history?label=Temperature&from=2019-10-22T00:00:00Z&to=2019-10-23T00:00:00Z`,
      );
      assert.deepEqual(history.body.items, [
        { ts: '2019-10-22T14:32:29.561Z', tsMs: 1571754749561, value: 26.1, text: null },
      ]);
      // °F on request: stored in °C, shown in °F with units=imperial (26.1 °C = 78.98 °F).
      const imperial = await app.request('GET', `/v1/devices/${DEVICE}?units=imperial`);
      assert.equal(imperial.body.channels[0].unit, 'F');
      assert.ok(Math.abs(imperial.body.channels[0].value - 78.98) < 1e-9);
      const imperialHistory = await app.request(
        'GET',
        `/v1/devices/${DEVICE}/history?label=Temperature&from=2019-10-22T00:00:00Z&to=2019-10-23T00:00:00Z&units=imperial`,
      );
      assert.equal(imperialHistory.body.unit, 'F');
      assert.ok(Math.abs(imperialHistory.body.items[0].value - 78.98) < 1e-9);
      const homeDevices = await app.request('GET', `/v1/homes/${app.homeId}/devices?units=imperial`);
      assert.equal(homeDevices.body.items[0].channels[0].unit, 'F');
      const badUnits = await app.request('GET', `/v1/devices/${DEVICE}?units=kelvin`);
      assert.equal(badUnits.status, 400);
      const aggregate = await app.request(
        'GET',
        `/v1/devices/${DEVICE}/aggregate?label=Temperature&from=2019-10-21T00:00:00Z&to=2019-10-28T00:00:00Z&agg=mean&interval=1d&timezone=UTC`,
      );
      assert.equal(aggregate.status, 200);
      assert.deepEqual(
        aggregate.body.points.map((p: { value: number | null }) => p.value),
        [null, 26.1, null, null, null, null, null],
      );
      // Without a timezone the days are the home's (Europe/Berlin): local midnights, UTC+2 here.
      const local = await app.request(
        'GET',
        `/v1/devices/${DEVICE}/aggregate?label=Temperature&from=2019-10-21T00:00:00Z&to=2019-10-28T00:00:00Z&agg=mean&interval=1d`,
      );
      assert.equal(local.body.timezone, 'Europe/Berlin');
      assert.equal(local.body.points[0].ts, '2019-10-20T22:00:00.000Z');
      const gw = await app.request('GET', `/v1/gateways/${gateway.id}`);
      assert.equal(gw.body.firmware, '3.0.0');
      assert.equal(gw.body.vendor, 'acme');
    });

    it('is idempotent and order-independent: duplicates and reordering leave the same state and history', async () => {
      const at = (ts: number, value: string) => ({
        ...seed.sensorData,
        label: 'Humidity',
        units: '%',
        timestampMs: String(ts),
        sensorData: value,
      });
      const t = 1571754800000;
      await publish(JSON.stringify([at(t + 2000, '43'), at(t, '41'), at(t + 1000, '42')]));
      await publish(JSON.stringify([at(t, '41'), at(t + 2000, '43')])); // replay
      await publish(JSON.stringify(at(t + 1000, '42')));
      const detail = await app.request('GET', `/v1/devices/${DEVICE}`);
      const humidity = detail.body.channels.find((c: { label: string }) => c.label === 'Humidity');
      assert.equal(humidity.value, 43);
      assert.equal(humidity.tsMs, t + 2000);
      const history = await app.request(
        'GET',
        `/v1/devices/${DEVICE}/history?label=Humidity&from=${t}&to=${t + 3000}`,
      );
      assert.deepEqual(
        history.body.items.map((p: { value: number }) => p.value),
        [41, 42, 43],
      );
    });

    it('handles every messageType: deviceState, preview, command and gatewayConfig', async () => {
      const camera = seed.cameraDeviceState;
      const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0xff, 0xd9]);
      await publish(
        JSON.stringify([
          { ...camera, gatewayId: gateway.id },
          {
            ...camera,
            gatewayId: gateway.id,
            messageType: 'preview',
            preview: jpeg.toString('base64'),
            timestampMs: String(Number(camera.timestampMs) + 1),
          },
          {
            ...camera,
            gatewayId: gateway.id,
            messageType: 'command',
            command: 'recordingMode',
            value: 'motion',
          },
          {
            ...camera,
            gatewayId: gateway.id,
            messageType: 'sensorData',
            label: 'Motion',
            sensorData: 'true',
            timestampMs: String(Number(camera.timestampMs) + 2),
          },
        ]),
      );
      const device = await app.request('GET', `/v1/devices/${camera.deviceId}`);
      assert.equal(device.status, 200);
      assert.equal(device.body.type, 'camera');
      assert.equal(device.body.protocol, 'onvif');
      assert.deepEqual(device.body.attributes, {
        mediaserverIp: '127.0.0.1',
        applicationName: 'rtp-live-iot',
      });
      assert.deepEqual(device.body.settings, { recordingMode: 'motion' });
      assert.equal(device.body.hasPreview, true);
      const state = device.body.channels.find((c: { label: string }) => c.label === 'State');
      assert.equal(state.text, 'streamingOn');
      assert.equal(device.body.channels.find((c: { label: string }) => c.label === 'Motion').value, 1);
      const preview = await app.hestia.api.inject({
        url: `/v1/devices/${camera.deviceId}/preview`,
        headers: { authorization: `Bearer ${app.adminToken}` },
      });
      assert.equal(preview.statusCode, 200);
      assert.equal(preview.headers['content-type'], 'image/jpeg');
      assert.deepEqual(preview.rawPayload, jpeg);

      const config = {
        messageType: 'gatewayConfig',
        gatewayId: gateway.id,
        timestampMs: String(Date.now()),
        devices: [
          {
            deviceId: DEVICE,
            deviceType: 'sensor',
            protocol: 'zwave',
            nodeId: '19',
            name: 'Hall multisensor',
          },
          { deviceId: 'door-1', deviceType: 'sensor', protocol: 'zigbee', name: 'Front door' },
        ],
      };
      await publish(JSON.stringify(config));
      const listed = await app.request('GET', `/v1/gateways/${gateway.id}/devices`);
      assert.deepEqual(
        listed.body.items.map((d: { id: string }) => d.id).sort(),
        [DEVICE, 'door-1'].sort(),
        'the camera is not in the list any more',
      );
      assert.equal(listed.body.items.find((d: { id: string }) => d.id === DEVICE).name, 'Hall multisensor');
      const camera2 = await app.request('GET', `/v1/devices/${camera.deviceId}`);
      assert.notEqual(camera2.body.removedAt, null);
    });

    it('stores each capability in one unit: °F becomes °C, Wh becomes kWh', async () => {
      const thermometer = 'unit-thermometer';
      const meter = 'unit-meter';
      const ts = String(Date.now());
      await publish(
        JSON.stringify([
          { ...seed.sensorData, deviceId: thermometer, units: 'F', sensorData: '77', timestampMs: ts },
          {
            ...seed.sensorData,
            deviceId: meter,
            label: 'Energy',
            units: 'Wh',
            sensorData: '1500',
            timestampMs: ts,
          },
        ]),
      );
      const channel = async (deviceId: string) =>
        eventually(`${deviceId} stored`, async () => {
          const reply = await app.request('GET', `/v1/devices/${deviceId}`);
          return reply.status === 200 ? reply.body.channels[0] : undefined;
        });
      const temperature = await channel(thermometer);
      assert.equal(temperature.unit, 'C');
      assert.equal(temperature.value, 25);
      assert.equal(temperature.capability, 'temperature');
      const energy = await channel(meter);
      assert.deepEqual([energy.value, energy.unit, energy.capability], [1.5, 'kWh', 'energy']);
    });

    it('rejects bad input with a reason in the dead-letter store, keeps serving, and keeps accepted data', async () => {
      const before = (await deadLetters()).length;
      const good = (ts: number) => ({
        ...seed.sensorData,
        label: 'Energy',
        units: 'kWh',
        timestampMs: String(ts),
        sensorData: '1.5',
      });
      const now = Date.now();
      const other = await app.createGateway();
      await publish('{"not": json');
      await publish(JSON.stringify({ ...seed.sensorData, deviceType: 42 }));
      await publish(JSON.stringify({ ...seed.sensorData, sensorData: 'hot' }));
      await publish(JSON.stringify({ ...seed.sensorData, timestampMs: String(now + 2 * 86_400_000) }));
      await publish(JSON.stringify({ ...seed.sensorData, timestampMs: '946684799999' }));
      await publish(JSON.stringify({ ...seed.sensorData, gatewayId: other.id }));
      await publish(JSON.stringify({ ...seed.sensorData, padding: 'x'.repeat(5000) }));
      // a mixed array: the good readings are stored, the bad one is dead-lettered
      await publish(
        JSON.stringify([good(now - 2000), { ...good(now - 1000), sensorData: 'NaN-ish' }, good(now)]),
      );
      const letters = (await deadLetters()).slice(0, (await deadLetters()).length - before);
      const reasons = letters.map((l) => l.reason).sort();
      assert.deepEqual(reasons, [
        'HESTIA_INGEST_GATEWAY_MISMATCH',
        'HESTIA_INGEST_INVALID_JSON',
        'HESTIA_INGEST_NOT_NUMERIC',
        'HESTIA_INGEST_NOT_NUMERIC',
        'HESTIA_INGEST_SCHEMA',
        'HESTIA_INGEST_TIMESTAMP_RANGE',
        'HESTIA_INGEST_TIMESTAMP_RANGE',
        'HESTIA_INGEST_TOO_LARGE',
      ]);
      const tooLarge = letters.find((l) => l.reason === 'HESTIA_INGEST_TOO_LARGE')!;
      assert.ok(tooLarge.payloadBytes > 5000);
      assert.match(tooLarge.detail, /maxPayloadBytes/);
      assert.equal(letters.find((l) => l.reason === 'HESTIA_INGEST_INVALID_JSON')?.payload, '{"not": json');
      assert.match(
        letters.find((l) => l.reason === 'HESTIA_INGEST_GATEWAY_MISMATCH')!.detail,
        /not the authenticated gateway/,
      );
      const energy = await app.request(
        'GET',
        `/v1/devices/${DEVICE}/history?label=Energy&from=${now - 5000}&to=${now + 1}`,
      );
      assert.deepEqual(
        energy.body.items.map((p: { tsMs: number }) => p.tsMs),
        [now - 2000, now],
      );
      // the spoofed message touched nothing of the other gateway
      assert.deepEqual((await app.request('GET', `/v1/gateways/${other.id}/devices`)).body.items, []);
      const metrics = await app.request('GET', '/metrics', undefined, null);
      assert.match(
        metrics.body as string,
        /hestia_dead_letters_total\{reason="HESTIA_INGEST_GATEWAY_MISMATCH"\} 1/,
      );
    });

    it('a device of another gateway cannot be written through a message that names it', async () => {
      const intruder = await app.createGateway();
      const client = await app.connectGateway(intruder);
      await client.publishAsync(
        up(intruder.id),
        JSON.stringify({ ...seed.sensorData, gatewayId: intruder.id, sensorData: '99' }),
        { qos: 1 },
      );
      await client.endAsync();
      const detail = await app.request('GET', `/v1/devices/${DEVICE}`);
      assert.equal(
        detail.body.channels.find((c: { label: string }) => c.label === 'Temperature').value,
        26.1,
      );
      const letters = await app.request('GET', '/v1/dead-letters?limit=1');
      assert.equal(letters.body.items[0].reason, 'HESTIA_INGEST_DEVICE_FOREIGN');
    });

    it('a malformed MQTT packet closes only that connection, is counted and dead-lettered; others keep working', async () => {
      const before = (await deadLetters()).length;
      const client = await app.connectGateway(gateway);
      // Open a raw TCP session as the gateway, then send a PUBLISH with reserved QoS 3 [MQTT-3.3.1-4].
      const raw = net.connect(app.hestia.ports.mqtt, '127.0.0.1');
      await new Promise<void>((resolve) => raw.once('connect', () => resolve()));
      const connect = mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepalive: 30,
        clientId: `${gateway.id}`,
        username: gateway.id,
        password: Buffer.from(gateway.token),
      });
      raw.write(connect);
      await new Promise<void>((resolve) => raw.once('data', () => resolve())); // CONNACK (this takes over the session)
      const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
      raw.write(Buffer.from([0x36, 0x04, 0x00, 0x01, 0x61, 0x00]));
      await closed;
      // garbage from an unauthenticated socket is refused as well
      const junk = net.connect(app.hestia.ports.mqtt, '127.0.0.1');
      const junkClosed = new Promise<void>((resolve) => junk.once('close', () => resolve()));
      junk.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
      await junkClosed;
      await client.endAsync(true);
      // The dead letter of a bad packet is committed after the connection is closed.
      const letters = await eventually('the malformed-packet dead letter', async () => {
        const all = await deadLetters();
        return all.length > before ? all.slice(0, all.length - before) : undefined;
      });
      assert.deepEqual(
        letters.map((l) => l.reason),
        ['HESTIA_MQTT_MALFORMED_PACKET'],
      );
      const metrics = (await app.request('GET', '/metrics', undefined, null)).body as string;
      assert.match(metrics, /hestia_mqtt_protocol_errors_total\{kind="malformed"\} [2-9]/);
      // the broker still serves
      await publish(
        JSON.stringify({ ...seed.sensorData, timestampMs: String(Date.now()), sensorData: '21' }),
      );
      const detail = await app.request('GET', `/v1/devices/${DEVICE}`);
      assert.equal(detail.body.channels.find((c: { label: string }) => c.label === 'Temperature').value, 21);
    });

    it('a packet above mqtt.maxPacketBytes is refused at the parser and recorded', async () => {
      const client = await app.connectGateway(gateway, { reconnectPeriod: 0 });
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.publish(up(gateway.id), Buffer.alloc(20 * 1024, 0x20), { qos: 1 });
      await closed;
      const letters = await eventually('the oversized-packet dead letter', async () => {
        const all = await deadLetters();
        return all[0]?.reason === 'HESTIA_MQTT_PACKET_TOO_LARGE' ? all : undefined;
      });
      assert.match(letters[0]!.detail, /maxPacketBytes/);
      await client.endAsync(true);
    });
  });
}

ingestSuite('SQLite', undefined);

const postgres = await createTestDatabase().catch((error: unknown) => ({ failed: error }));
if ('failed' in postgres) {
  test('ingest over MQTT (embedded broker, PostgreSQL)', () => {
    throw postgres.failed;
  });
} else if ('skipped' in postgres) {
  test(
    'ingest over MQTT (embedded broker, PostgreSQL)',
    { skip: `${postgres.skipped}: skipping the postgres storage backend` },
    () => {},
  );
} else {
  ingestSuite('PostgreSQL', { kind: 'postgres', databaseUrl: postgres.url });
  after(postgres.drop);
}
