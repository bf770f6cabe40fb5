import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { BusEvents } from '../../src/core/bus.ts';
import { eventually, startTestApp, type TestApp } from '../helpers/app.ts';
import { onEveryBackend, type Backend } from '../helpers/backends.ts';
import { SUITE_TIMEOUT_MS } from '../helpers/wait.ts';

/**
 * Device presence on a real Hestia: devices behind a disconnected gateway are unavailable, a
 * device that misses its (own, short) reporting interval goes stale and comes back online with
 * its next reading — announced on the bus and shown in the device view. Run once per backend,
 * with a one-second sweep and one missed report before stale.
 */

const TIMEOUT = { timeout: SUITE_TIMEOUT_MS };

interface DeviceBody {
  id: string;
  availability: string;
  reportIntervalSeconds: number;
  ownReportInterval: boolean;
  lastHeardAt: string | null;
  channels: Array<{ label: string; value: number | null; current: boolean }>;
}

function presenceSuite(backend: Backend): void {
  describe(`device presence (${backend.name})`, TIMEOUT, () => {
    let app: TestApp;
    let drop: () => Promise<void> = async () => undefined;
    const events: Array<BusEvents['device.availability']> = [];

    before(async () => {
      const opened = await backend.open();
      drop = opened.drop;
      app = await startTestApp({
        ...(opened.storage ? { storage: opened.storage } : {}),
        presence: {
          sweepIntervalSeconds: 1,
          missedReportsBeforeStale: 1,
          defaultReportIntervalSeconds: 3600,
        },
      });
      app.hestia.ctx.bus.on('device.availability', (event) => events.push(event));
    });
    after(async () => {
      await app?.stop();
      await drop();
    });

    async function report(
      client: MqttClient,
      gatewayId: string,
      deviceId: string,
      value: string,
    ): Promise<void> {
      const message = {
        vendor: 'acme',
        version: '3.0.0',
        timestampMs: String(Date.now()),
        clientType: 'gateway',
        gatewayId,
        deviceId,
        deviceType: 'sensor',
        protocol: 'zwave',
        messageType: 'sensorData',
        sensorType: 'SENSOR MULTILEVEL',
        label: 'Temperature',
        sensorData: value,
        units: 'C',
      };
      await client.publishAsync(`hestia/v1/gw/${gatewayId}/up`, JSON.stringify(message), { qos: 1 });
    }

    const device = async (deviceId: string, token = app.ownerToken): Promise<DeviceBody> => {
      const reply = await app.request('GET', `/v1/devices/${deviceId}`, undefined, token);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      return reply.body as DeviceBody;
    };
    const availabilityOf = (deviceId: string, wanted: string) =>
      eventually(`${deviceId} ${wanted}`, async () =>
        (await device(deviceId)).availability === wanted ? true : undefined,
      );
    const announced = (deviceId: string, availability: string) =>
      eventually(`${availability} announced for ${deviceId}`, async () =>
        events.some((e) => e.deviceId === deviceId && e.availability === availability) ? true : undefined,
      );

    it('a device that misses its own interval goes stale, and a reading brings it back', async () => {
      const gateway = await app.createGateway(`gw-presence-${randomUUID()}`);
      const client = await app.connectGateway(gateway);
      const sensor = `dev-${randomUUID()}`;
      await report(client, gateway.id, sensor, '21.5');
      await availabilityOf(sensor, 'online');
      const fresh = await device(sensor);
      assert.equal(fresh.reportIntervalSeconds, 3600);
      assert.equal(fresh.ownReportInterval, false);
      assert.ok(fresh.lastHeardAt);
      assert.deepEqual(
        fresh.channels.map((c) => [c.label, c.value, c.current]),
        [['Temperature', 21.5, true]],
      );

      // A refused value names its field, for the form to show the error there.
      const refused = await app.request(
        'PATCH',
        `/v1/devices/${sensor}`,
        { reportIntervalSeconds: 0 },
        app.ownerToken,
      );
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.code, 'HESTIA_VALIDATION_FAILED');
      assert.deepEqual(refused.body.error.details, { field: 'reportIntervalSeconds' });
      const patched = await app.request(
        'PATCH',
        `/v1/devices/${sensor}`,
        { reportIntervalSeconds: 1 },
        app.ownerToken,
      );
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.equal(patched.body.reportIntervalSeconds, 1);
      assert.equal(patched.body.ownReportInterval, true);

      // One missed report of one second, then the next one-second sweep marks it.
      await announced(sensor, 'stale');
      const stale = await device(sensor);
      assert.equal(stale.availability, 'stale');
      assert.deepEqual(
        stale.channels.map((c) => [c.label, c.value, c.current]),
        [['Temperature', 21.5, false]],
        'the last value is still shown, marked not current',
      );
      const event = events.find((e) => e.deviceId === sensor && e.availability === 'stale')!;
      assert.equal(event.homeId, app.homeId);
      assert.equal(event.gatewayId, gateway.id);
      assert.equal(event.tenantId, app.tenantId);

      await report(client, gateway.id, sensor, '22');
      await announced(sensor, 'online');

      // Back to the default interval (an hour) before the state is read back: at one second it
      // would be stale again a second after this reading, sooner than a busy machine reads it.
      const reset = await app.request(
        'PATCH',
        `/v1/devices/${sensor}`,
        { reportIntervalSeconds: null },
        app.ownerToken,
      );
      assert.equal(reset.status, 200, JSON.stringify(reset.body));
      assert.equal(reset.body.reportIntervalSeconds, 3600);
      assert.equal(reset.body.ownReportInterval, false);
      assert.equal(reset.body.availability, 'online');
      const back = await device(sensor);
      assert.equal(back.availability, 'online');
      assert.equal(back.channels[0]!.current, true);
      assert.equal(back.channels[0]!.value, 22);
    });

    it('devices behind a disconnected gateway are unavailable, and come back with it', async () => {
      const gateway = await app.createGateway(`gw-presence-${randomUUID()}`);
      let client = await app.connectGateway(gateway);
      const sensors = [`dev-${randomUUID()}`, `dev-${randomUUID()}`];
      for (const sensor of sensors) await report(client, gateway.id, sensor, '20');
      for (const sensor of sensors) await availabilityOf(sensor, 'online');

      await client.endAsync();
      for (const sensor of sensors) await announced(sensor, 'unavailable');
      for (const sensor of sensors) {
        const view = await device(sensor);
        assert.equal(view.availability, 'unavailable');
        assert.equal(view.channels.length, 1, 'channels are still shown');
        assert.equal(view.channels[0]!.current, false);
      }
      const listed = await app.request('GET', `/v1/gateways/${gateway.id}`);
      assert.equal(listed.body.status, 'offline');

      const before = events.length;
      client = await app.connectGateway(gateway);
      await eventually('online announced for both devices', async () =>
        sensors.every((sensor) =>
          events.slice(before).some((e) => e.deviceId === sensor && e.availability === 'online'),
        )
          ? true
          : undefined,
      );
      for (const sensor of sensors) assert.equal((await device(sensor)).availability, 'online');
      await client.endAsync();
    });

    it('setting the interval needs the right to control the device, and a valid number', async () => {
      const gateway = await app.createGateway(`gw-presence-${randomUUID()}`);
      const client = await app.connectGateway(gateway);
      const sensor = `dev-${randomUUID()}`;
      await report(client, gateway.id, sensor, '19');
      await availabilityOf(sensor, 'online');

      const guest = await app.signUp(`guest-${randomUUID()}@presence.example`);
      await app.hestia.ctx.store.directory.homes.addMember({
        homeId: app.homeId,
        userId: guest.userId,
        tenantId: app.tenantId,
        role: 'guest',
        atMs: Date.now(),
      });
      const outsider = await app.signUp(`outsider-${randomUUID()}@presence.example`);

      const asGuest = await app.request(
        'PATCH',
        `/v1/devices/${sensor}`,
        { reportIntervalSeconds: 60 },
        guest.token,
      );
      assert.equal(asGuest.status, 403);
      assert.equal((await device(sensor, guest.token)).availability, 'online', 'guests still read it');
      const asOutsider = await app.request(
        'PATCH',
        `/v1/devices/${sensor}`,
        { reportIntervalSeconds: 60 },
        outsider.token,
      );
      assert.equal(asOutsider.status, 404);
      for (const bad of [0, 1.5, 8 * 24 * 3600, 'often']) {
        const reply = await app.request(
          'PATCH',
          `/v1/devices/${sensor}`,
          { reportIntervalSeconds: bad },
          app.ownerToken,
        );
        assert.equal(reply.status, 400, `reportIntervalSeconds ${String(bad)}`);
        assert.equal(reply.body.error.code, 'HESTIA_VALIDATION_FAILED');
      }
      const unchanged = await device(sensor);
      assert.equal(unchanged.reportIntervalSeconds, 3600);
      // Naming and the interval together.
      const both = await app.request(
        'PATCH',
        `/v1/devices/${sensor}`,
        { name: 'Cellar thermometer', reportIntervalSeconds: 600 },
        app.ownerToken,
      );
      assert.equal(both.status, 200, JSON.stringify(both.body));
      assert.equal(both.body.name, 'Cellar thermometer');
      assert.equal(both.body.reportIntervalSeconds, 600);
      await client.endAsync();
    });
  });
}

await onEveryBackend('device presence', presenceSuite);
