import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { BusEvents } from '../../src/core/bus.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { onEveryBackend, type Backend } from '../helpers/backends.ts';
import { SUITE_TIMEOUT_MS } from '../helpers/wait.ts';

/**
 * Alarms end to end on a real Hestia: readings published over MQTT by a registered gateway raise
 * alarms (hazards always, intrusion by home mode, heat and freeze by thresholds), each with its
 * notification request in the outbox and its count in the gateway's monthly usage; people
 * acknowledge and clear them through the API with their home role. Run once per backend.
 */

interface AlarmBody {
  id: string;
  homeId: string;
  deviceId: string;
  cause: string;
  severity: string;
  state: string;
  label: string;
  value: number | null;
  occurrences: number;
  acknowledgedBy: string | null;
  clearedBy: string | null;
  raisedAt: string;
}

const TIMEOUT = { timeout: SUITE_TIMEOUT_MS };

function alarmsSuite(backend: Backend): void {
  describe(`alarms (${backend.name})`, TIMEOUT, () => {
    let app: TestApp;
    let drop: () => Promise<void> = async () => undefined;
    let gateway: { id: string; token: string };
    let client: MqttClient;
    let member: { token: string; userId: string };
    let guest: { token: string; userId: string };
    let outsider: { token: string; userId: string };
    const changes: Array<BusEvents['alarm.changed']> = [];
    const modeChanges: Array<BusEvents['home.mode_changed']> = [];
    let clockMs = Date.now() - 60_000;

    before(async () => {
      const opened = await backend.open();
      drop = opened.drop;
      app = await startTestApp({
        ...(opened.storage ? { storage: opened.storage } : {}),
        alarms: { cacheTtlSeconds: 1 },
      });
      app.hestia.ctx.bus.on('alarm.changed', (event) => changes.push(event));
      app.hestia.ctx.bus.on('home.mode_changed', (event) => modeChanges.push(event));
      gateway = await app.createGateway(`gw-alarms-${randomUUID()}`);
      client = await app.connectGateway(gateway);
      member = await app.signUp('member@alarms.example');
      guest = await app.signUp('guest@alarms.example');
      outsider = await app.signUp('outsider@alarms.example');
      const { directory } = app.hestia.ctx.store;
      await directory.homes.addMember({
        homeId: app.homeId,
        userId: member.userId,
        tenantId: app.tenantId,
        role: 'member',
        atMs: Date.now(),
      });
      await directory.homes.addMember({
        homeId: app.homeId,
        userId: guest.userId,
        tenantId: app.tenantId,
        role: 'guest',
        atMs: Date.now(),
      });
    });
    after(async () => {
      await app?.stop();
      await drop();
    });

    /** Publishes one reading (QoS 1: durable when this resolves) and waits until alarms evaluated it. */
    async function send(
      deviceId: string,
      label: string,
      value: string,
      options: { sensorType?: string; units?: string; name?: string } = {},
    ): Promise<void> {
      clockMs += 1000;
      const message = {
        vendor: 'acme',
        version: '3.0.0',
        timestampMs: String(clockMs),
        clientType: 'gateway',
        gatewayId: gateway.id,
        deviceId,
        deviceType: 'sensor',
        protocol: 'zwave',
        messageType: 'sensorData',
        nodeId: '7',
        sensorType: options.sensorType ?? 'SENSOR BINARY',
        label,
        sensorData: value,
        units: options.units ?? '',
      };
      await client.publishAsync(`hestia/v1/gw/${gateway.id}/up`, JSON.stringify(message), { qos: 1 });
      await app.hestia.services.alarms.settled();
    }

    const newDevice = () => `dev-${randomUUID()}`;
    const call = (method: string, url: string, token: string | null = app.ownerToken, body?: unknown) =>
      app.request(method, url, body, token);
    const alarmsOfDevice = async (deviceId: string): Promise<AlarmBody[]> => {
      const reply = await call('GET', `/v1/homes/${app.homeId}/alarms?state=all&limit=500`);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      return (reply.body.items as AlarmBody[]).filter((a) => a.deviceId === deviceId);
    };
    const onlyAlarmOf = async (deviceId: string): Promise<AlarmBody> => {
      const alarms = await alarmsOfDevice(deviceId);
      assert.equal(alarms.length, 1, JSON.stringify(alarms));
      return alarms[0]!;
    };
    const setMode = async (mode: string, token = app.ownerToken) => {
      const reply = await call('PUT', `/v1/homes/${app.homeId}/security/mode`, token, { mode });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.equal(reply.body.mode, mode);
    };

    it('a leak raises one critical alarm with its notification; a repeat counts; dry clears it', async () => {
      const leak = newDevice();
      await send(leak, 'Water Leak', '1');
      const raised = await onlyAlarmOf(leak);
      assert.equal(raised.cause, 'water_leak');
      assert.equal(raised.severity, 'critical');
      assert.equal(raised.state, 'active');
      assert.equal(raised.occurrences, 1);
      assert.equal(raised.label, 'Water Leak');
      assert.equal(raised.value, 1);

      // The outbox request, written in the raising transaction.
      const request = await app.hestia.ctx.store.control.notifications.findRequestBySourceKey(
        `alarm:${raised.id}:raised`,
      );
      assert.ok(request, 'the notification request is in the outbox');
      assert.equal(request.kind, 'alarm');
      assert.equal(request.severity, 'critical');
      assert.equal(request.homeId, app.homeId);
      assert.equal(request.userIds, null);
      assert.match(request.title, /^Water leak — /);
      assert.match(request.body, /at Home\.$/);
      assert.equal(request.data.alarmId, raised.id);
      assert.equal(request.data.deviceId, leak);

      await send(leak, 'Water Leak', 'detected');
      const counted = await onlyAlarmOf(leak);
      assert.equal(counted.id, raised.id);
      assert.equal(counted.occurrences, 2);
      assert.equal(counted.state, 'active');

      await send(leak, 'Water Leak', '0');
      const cleared = await onlyAlarmOf(leak);
      assert.equal(cleared.state, 'cleared');
      assert.equal(cleared.clearedBy, 'device');
      const seen = changes.filter((c) => c.alarm.deviceId === leak).map((c) => c.change);
      assert.deepEqual(seen, ['raised', 'cleared']);

      // After it cleared, a new leak is a new alarm.
      await send(leak, 'Water Leak', '1');
      const alarms = await alarmsOfDevice(leak);
      assert.equal(alarms.length, 2);
      assert.equal(alarms.filter((a) => a.state === 'active').length, 1);
    });

    it('smoke, CO, gas and glass break raise critical alarms while disarmed', async () => {
      const cases: Array<[string, string, string]> = [
        ['Smoke', '1', 'smoke'],
        ['Carbon Monoxide', 'on', 'co'],
        ['Gas', 'true', 'gas'],
        ['Glass Break', '255', 'glass_break'],
      ];
      for (const [label, value, cause] of cases) {
        const device = newDevice();
        await send(device, label, value);
        const alarm = await onlyAlarmOf(device);
        assert.equal(alarm.cause, cause, label);
        assert.equal(alarm.severity, 'critical');
      }
    });

    it('intrusion follows the home mode; disarming clears it, hazards stay', async () => {
      const motion = newDevice();
      const door = newDevice();
      await send(motion, 'Motion', '1');
      await send(door, 'Door/Window', 'open');
      assert.deepEqual(await alarmsOfDevice(motion), [], 'disarmed: motion raises nothing');
      assert.deepEqual(await alarmsOfDevice(door), [], 'disarmed: a door raises nothing');

      await setMode('armed', member.token);
      await send(motion, 'Motion', '1');
      await send(door, 'Door/Window', '1');
      assert.equal((await onlyAlarmOf(motion)).cause, 'intrusion_motion');
      assert.equal((await onlyAlarmOf(door)).cause, 'intrusion_door');
      // A quiet sensor does not clear intrusion.
      await send(motion, 'Motion', '0');
      assert.equal((await onlyAlarmOf(motion)).state, 'active');

      await setMode('home');
      const hallMotion = newDevice();
      const backDoor = newDevice();
      await send(hallMotion, 'Motion', '1');
      await send(backDoor, 'Door/Window', '1');
      assert.deepEqual(await alarmsOfDevice(hallMotion), [], 'home mode: motion raises nothing');
      assert.equal((await onlyAlarmOf(backDoor)).cause, 'intrusion_door', 'home mode: doors do');

      const smoke = newDevice();
      await send(smoke, 'Smoke', '1');
      await setMode('disarmed');
      for (const device of [motion, door, backDoor]) {
        const alarm = await onlyAlarmOf(device);
        assert.equal(alarm.state, 'cleared');
        assert.equal(alarm.clearedBy, app.ownerId);
      }
      assert.equal((await onlyAlarmOf(smoke)).state, 'active', 'disarming leaves hazards active');
      assert.deepEqual(
        modeChanges.map((m) => `${m.previous}->${m.mode}`),
        ['disarmed->armed', 'armed->home', 'home->disarmed'],
      );
      assert.equal(modeChanges[0]!.changedBy, member.userId);
      assert.equal(await app.hestia.services.alarms.homeMode(app.homeId), 'disarmed');
      const audit = await call(
        'GET',
        `/v1/tenants/${app.tenantId}/audit?action=home.security_mode_changed`,
        app.adminToken,
      );
      assert.equal(audit.status, 200, JSON.stringify(audit.body));
      assert.equal(audit.body.items.length, 3);
    });

    it("heat and freeze follow the home's thresholds, with 1 °C hysteresis", async () => {
      const refused = await call('PATCH', `/v1/homes/${app.homeId}/security`, app.ownerToken, {
        heatThresholdC: 12,
        freezeThresholdC: 10,
      });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.code, 'HESTIA_VALIDATION_FAILED');
      assert.match(refused.body.error.message, /heatThresholdC/);

      const set = await call('PATCH', `/v1/homes/${app.homeId}/security`, app.ownerToken, {
        heatThresholdC: 30,
        freezeThresholdC: 10,
      });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.deepEqual(set.body.own, { heatThresholdC: 30, freezeThresholdC: 10 });
      assert.equal(set.body.heatThresholdC, 30);

      const thermometer = newDevice();
      const temperature = (value: string) =>
        send(thermometer, 'Temperature', value, { sensorType: 'SENSOR MULTILEVEL', units: 'C' });
      await temperature('22');
      assert.deepEqual(await alarmsOfDevice(thermometer), []);
      await temperature('31');
      const heat = await onlyAlarmOf(thermometer);
      assert.equal(heat.cause, 'heat');
      assert.equal(heat.severity, 'warning');
      assert.equal(heat.value, 31);
      await temperature('29.5');
      assert.equal((await onlyAlarmOf(thermometer)).state, 'active', 'inside the hysteresis band');
      await temperature('28.5');
      assert.equal((await onlyAlarmOf(thermometer)).state, 'cleared');

      // °F readings are stored in °C and compared as such: 48.2 °F = 9 °C.
      await send(thermometer, 'Temperature', '48.2', { sensorType: 'SENSOR MULTILEVEL', units: 'F' });
      const freeze = (await alarmsOfDevice(thermometer)).find((a) => a.cause === 'freeze');
      assert.ok(freeze);
      assert.equal(freeze.state, 'active');
      await temperature('10.8');
      assert.equal((await alarmsOfDevice(thermometer)).find((a) => a.cause === 'freeze')!.state, 'active');
      await temperature('11.5');
      assert.equal((await alarmsOfDevice(thermometer)).find((a) => a.cause === 'freeze')!.state, 'cleared');

      // 0 °C is a threshold, not "no threshold".
      const zero = await call('PATCH', `/v1/homes/${app.homeId}/security`, app.ownerToken, {
        freezeThresholdC: 0,
      });
      assert.equal(zero.status, 200, JSON.stringify(zero.body));
      assert.deepEqual(zero.body.own, { heatThresholdC: 30, freezeThresholdC: 0 });

      const reset = await call('PATCH', `/v1/homes/${app.homeId}/security`, app.ownerToken, {
        heatThresholdC: null,
        freezeThresholdC: null,
      });
      assert.equal(reset.status, 200);
      assert.deepEqual(reset.body.own, { heatThresholdC: null, freezeThresholdC: null });
      assert.equal(reset.body.heatThresholdC, app.hestia.ctx.config.alarms.heatThresholdC);
    });

    it('members acknowledge and clear; a cleared alarm answers 409; guests read only; outsiders see nothing', async () => {
      const leak = newDevice();
      await send(leak, 'Water Leak', '1');
      const alarm = await onlyAlarmOf(leak);

      const asGuest = await call('GET', `/v1/alarms/${alarm.id}`, guest.token);
      assert.equal(asGuest.status, 200);
      assert.equal(asGuest.body.id, alarm.id);
      const guestList = await call('GET', `/v1/homes/${app.homeId}/alarms`, guest.token);
      assert.equal(guestList.status, 200);
      assert.ok(guestList.body.items.some((a: AlarmBody) => a.id === alarm.id));
      for (const action of ['acknowledge', 'clear']) {
        const refused = await call('POST', `/v1/alarms/${alarm.id}/${action}`, guest.token);
        assert.equal(refused.status, 403, action);
        assert.equal(refused.body.error.code, 'HESTIA_FORBIDDEN');
      }
      for (const [method, url] of [
        ['GET', `/v1/alarms/${alarm.id}`],
        ['POST', `/v1/alarms/${alarm.id}/clear`],
        ['GET', `/v1/homes/${app.homeId}/alarms`],
        ['GET', `/v1/homes/${app.homeId}/security`],
        ['PUT', `/v1/homes/${app.homeId}/security/mode`],
      ] as const) {
        const hidden = await call(
          method,
          url,
          outsider.token,
          method === 'PUT' ? { mode: 'armed' } : undefined,
        );
        assert.equal(hidden.status, 404, `${method} ${url}`);
      }
      const unknown = await call('GET', `/v1/alarms/${randomUUID()}`);
      assert.equal(unknown.status, 404);

      const acknowledged = await call('POST', `/v1/alarms/${alarm.id}/acknowledge`, member.token);
      assert.equal(acknowledged.status, 200, JSON.stringify(acknowledged.body));
      assert.equal(acknowledged.body.acknowledgedBy, member.userId);
      assert.equal(acknowledged.body.state, 'active', 'acknowledging does not clear');
      const again = await call('POST', `/v1/alarms/${alarm.id}/acknowledge`, app.ownerToken);
      assert.equal(again.body.acknowledgedBy, member.userId, 'the first acknowledgement stays');

      const cleared = await call('POST', `/v1/alarms/${alarm.id}/clear`, member.token);
      assert.equal(cleared.status, 200);
      assert.equal(cleared.body.state, 'cleared');
      assert.equal(cleared.body.clearedBy, member.userId);
      const twice = await call('POST', `/v1/alarms/${alarm.id}/clear`, app.ownerToken);
      assert.equal(twice.status, 409);
      assert.equal(twice.body.error.code, 'HESTIA_ALARM_CLEARED');
      const kinds = changes.filter((c) => c.alarm.id === alarm.id).map((c) => c.change);
      assert.deepEqual(kinds, ['raised', 'acknowledged', 'cleared']);
    });

    it('guests read the security mode but may not arm; members may not set thresholds', async () => {
      const read = await call('GET', `/v1/homes/${app.homeId}/security`, guest.token);
      assert.equal(read.status, 200);
      assert.equal(read.body.mode, 'disarmed');
      const arm = await call('PUT', `/v1/homes/${app.homeId}/security/mode`, guest.token, { mode: 'armed' });
      assert.equal(arm.status, 403);
      assert.equal(arm.body.error.code, 'HESTIA_FORBIDDEN');
      const thresholds = await call('PATCH', `/v1/homes/${app.homeId}/security`, member.token, {
        heatThresholdC: 40,
      });
      assert.equal(thresholds.status, 403);
      const bad = await call('PUT', `/v1/homes/${app.homeId}/security/mode`, member.token, { mode: 'panic' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'HESTIA_VALIDATION_FAILED');
      assert.equal((await call('GET', `/v1/homes/${app.homeId}/security`)).body.mode, 'disarmed');
    });

    it('pages through the history newest first', async () => {
      const all = await call('GET', `/v1/homes/${app.homeId}/alarms?state=all&limit=500`);
      const expected = (all.body.items as AlarmBody[]).map((a) => a.id);
      assert.ok(expected.length >= 10, `enough alarms to page (${expected.length})`);
      const paged: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const reply = await call(
          'GET',
          `/v1/homes/${app.homeId}/alarms?state=all&limit=3${cursor ? `&before=${cursor}` : ''}`,
        );
        assert.equal(reply.status, 200, JSON.stringify(reply.body));
        assert.ok(reply.body.items.length <= 3);
        paged.push(...(reply.body.items as AlarmBody[]).map((a) => a.id));
        cursor = reply.body.nextCursor as string | null;
        pages++;
      } while (cursor !== null && pages < 100);
      assert.deepEqual(paged, expected);
      const times = (all.body.items as AlarmBody[]).map((a) => Date.parse(a.raisedAt));
      assert.deepEqual(
        times,
        [...times].sort((a, b) => b - a),
      );

      const active = await call('GET', `/v1/homes/${app.homeId}/alarms`);
      assert.ok(active.body.items.length > 0);
      assert.ok((active.body.items as AlarmBody[]).every((a) => a.state === 'active'));
      const cleared = await call('GET', `/v1/homes/${app.homeId}/alarms?state=cleared&limit=500`);
      assert.ok((cleared.body.items as AlarmBody[]).every((a) => a.state === 'cleared'));
      assert.equal(active.body.items.length + cleared.body.items.length, expected.length);
      const badCursor = await call('GET', `/v1/homes/${app.homeId}/alarms?before=bm90LWEtY3Vyc29y`);
      assert.equal(badCursor.status, 400);
    });

    it("counts each raised alarm in the gateway's monthly usage", async () => {
      const all = await call('GET', `/v1/homes/${app.homeId}/alarms?state=all&limit=500`);
      const raised = (all.body.items as AlarmBody[]).length;
      const month = new Date().toISOString().slice(0, 7);
      const report = await call(
        'GET',
        `/v1/tenants/${app.tenantId}/reports/gateways?from=${month}`,
        app.adminToken,
      );
      assert.equal(report.status, 200, JSON.stringify(report.body));
      const row = (report.body.items as Array<{ gatewayId: string; alarms: number }>).find(
        (r) => r.gatewayId === gateway.id,
      );
      assert.ok(row);
      assert.equal(row.alarms, raised);
    });

    it('writes no alarm when its notification request cannot be written (one transaction)', async () => {
      const notifications = app.hestia.ctx.store.control.notifications;
      const enqueue = notifications.enqueue.bind(notifications);
      const failures = async () =>
        (await app.hestia.ctx.metrics.alarmEvaluationFailures.get()).values[0]?.value ?? 0;
      const failuresBefore = await failures();
      notifications.enqueue = async () => {
        throw new Error('outbox unavailable');
      };
      const leak = newDevice();
      try {
        await send(leak, 'Water Leak', '1');
      } finally {
        notifications.enqueue = enqueue;
      }
      assert.deepEqual(await alarmsOfDevice(leak), [], 'the alarm was rolled back with its request');
      assert.equal(await failures(), failuresBefore + 1);
      await send(leak, 'Water Leak', '1');
      const alarm = await onlyAlarmOf(leak);
      assert.equal(alarm.occurrences, 1);
      assert.ok(await notifications.findRequestBySourceKey(`alarm:${alarm.id}:raised`));
    });
  });
}

await onEveryBackend('alarms', alarmsSuite);
