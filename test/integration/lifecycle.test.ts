import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DateTime } from 'luxon';
import type { MqttClient } from 'mqtt';
import { eventually, seedMessages, startTestApp, type TestApp } from '../helpers/app.ts';
import { onEveryBackend, type Backend } from '../helpers/backends.ts';
import { TEST_TIMEOUT_MS } from '../helpers/wait.ts';

/**
 * The seed's tariff scenarios end to end, over MQTT and the API: history stored under one
 * tariff, the home moved to shorter ones and back, retention deleting what the new horizons
 * exclude while rollups keep answering the long ranges; energy per day and month; the 45-day
 * chart; streamed exports; the providers' monthly gateway report.
 */

const DAY = 86_400_000;
const STEP = 30 * 60_000;
const ZONE = 'Europe/Berlin';
const TIMEOUT = { timeout: TEST_TIMEOUT_MS };

function lifecycleSuite(backend: Backend): void {
  describe(`tariffs, retention, statistics and export (${backend.name})`, () => {
    let app: TestApp;
    let drop: () => Promise<void> = async () => undefined;
    let client: MqttClient;
    let gateway: { id: string; token: string };
    const thermometer = randomUUID();
    const meter = randomUUID();
    const nowMs = Date.now();
    const startMs = nowMs - 100 * DAY;
    const temperatures: Array<{ tsMs: number; value: number }> = [];
    const meterValues: Array<{ tsMs: number; value: number }> = [];
    let messages = 0;
    let tariffs: Record<string, string>;
    const todayMs = DateTime.fromMillis(nowMs, { zone: ZONE }).startOf('day').toMillis();
    const fromDay = DateTime.fromMillis(startMs, { zone: ZONE }).startOf('day').plus({ days: 1 }).toMillis();

    const owner = (method: string, url: string, body?: unknown) =>
      app.request(method, url, body, app.ownerToken);
    const daily = async () => {
      const reply = await owner(
        'GET',
        `/v1/devices/${thermometer}/aggregate?label=Temperature&agg=mean&interval=1d&from=${fromDay}&to=${todayMs}`,
      );
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      return reply.body as {
        points: Array<{ tsMs: number; value: number | null; count: number }>;
        sources: Record<string, number>;
      };
    };
    const setTariff = async (name: string) => {
      const reply = await app.request('PUT', `/v1/homes/${app.homeId}/tariff`, { tariffId: tariffs[name] });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
    };
    const readingsOf = (deviceId: string) => app.hestia.ctx.store.telemetry.countReadings({ deviceId });

    before(async () => {
      const opened = await backend.open();
      drop = opened.drop;
      app = await startTestApp(opened.storage ? { storage: opened.storage } : {});
      const seed = await seedMessages();
      const created = await app.request('POST', '/v1/tariffs', {
        name: 'Short',
        sensorRetentionDays: 60,
        videoRetentionDays: 7,
        rawRetentionDays: 45,
        recordingModes: ['off'],
        maxGatewaysPerHome: 5,
        maxCamerasPerHome: 1,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const list = await app.request('GET', '/v1/tariffs');
      tariffs = Object.fromEntries(
        (list.body.items as Array<{ id: string; name: string }>).map((t) => [t.name, t.id]),
      );
      await setTariff('Premium');

      gateway = await app.createGateway();
      client = await app.connectGateway(gateway);
      const payloads: string[] = [];
      let level = 1000;
      let batch: object[] = [];
      for (let ts = startMs, i = 0; ts <= nowMs; ts += STEP, i++) {
        const temperature = Math.round((20 + 5 * Math.sin(i / 7) + (i % 5) / 10) * 100) / 100;
        // The meter is replaced once: it starts again from 0.
        level = i === 2000 ? 0.5 : Math.round((level + 0.1 + (i % 3) * 0.05) * 1000) / 1000;
        temperatures.push({ tsMs: ts, value: temperature });
        meterValues.push({ tsMs: ts, value: level });
        const base = { ...seed.sensorData, gatewayId: gateway.id, timestampMs: String(ts) };
        batch.push(
          {
            ...base,
            deviceId: thermometer,
            label: 'Temperature',
            units: 'C',
            sensorData: String(temperature),
          },
          { ...base, deviceId: meter, label: 'Energy', units: 'kWh', sensorData: String(level) },
        );
        if (batch.length >= 100) {
          payloads.push(JSON.stringify(batch));
          messages += batch.length;
          batch = [];
        }
      }
      payloads.push(JSON.stringify(batch));
      messages += batch.length;
      for (const payload of payloads) {
        await client.publishAsync(`hestia/v1/gw/${gateway.id}/up`, payload, { qos: 1 });
      }
      await eventually('all readings stored', async () =>
        (await readingsOf(meter)) === meterValues.length ? true : undefined,
      );
    });
    after(async () => {
      await app?.stop();
      await drop();
    });

    it(
      'energy per day this month and per month this year, across the meter reset, one call each',
      TIMEOUT,
      async () => {
        /** Consumption between consecutive readings whose later one is in [from, to). */
        const expected = (fromMs: number, toMs: number) => {
          let sum = 0;
          for (let i = 1; i < meterValues.length; i++) {
            const { tsMs, value } = meterValues[i]!;
            if (tsMs < fromMs || tsMs >= toMs) continue;
            const previous = meterValues[i - 1]!.value;
            sum += value >= previous ? value - previous : value;
          }
          return sum;
        };
        const year = await owner('GET', `/v1/devices/${meter}/energy?period=year`);
        assert.equal(year.status, 200, JSON.stringify(year.body));
        assert.equal(year.body.points.length, 12);
        assert.equal(year.body.unit, 'kWh');
        assert.equal(year.body.timezone, ZONE);
        for (const [i, point] of (year.body.points as Array<{ tsMs: number; value: number }>).entries()) {
          const monthStart = DateTime.fromMillis(point.tsMs, { zone: ZONE });
          assert.equal(monthStart.day, 1);
          const want = expected(point.tsMs, monthStart.plus({ months: 1 }).toMillis());
          assert.ok(Math.abs(point.value - want) < 1e-6, `month ${i}: ${point.value} vs ${want}`);
        }
        const month = await owner('GET', `/v1/devices/${meter}/energy?period=month`);
        assert.equal(month.status, 200);
        assert.equal(
          month.body.points.length,
          DateTime.fromMillis(nowMs, { zone: ZONE }).daysInMonth,
          'one point per day of this month',
        );
        const monthStart = DateTime.fromMillis(nowMs, { zone: ZONE }).startOf('month').toMillis();
        assert.ok(Math.abs(month.body.total - expected(monthStart, nowMs + 1)) < 1e-6);
        // The year's energy comes from daily rollups, with raw minutes only where a bucket is unaligned.
        assert.ok(year.body.sources.daily > 0);
      },
    );

    it('the 45-day chart has an hourly point each, read from hourly rollups', TIMEOUT, async () => {
      const from = nowMs - 45 * DAY;
      const reply = await owner(
        'GET',
        `/v1/devices/${thermometer}/chart?label=Temperature&from=${from}&to=${nowMs}&points=1000`,
      );
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.equal(reply.body.interval, '1h');
      assert.ok(reply.body.points.length >= 1080 && reply.body.points.length <= 1082);
      assert.ok(reply.body.sources.hourly > 0);
      const full = reply.body.points.filter((p: { count: number }) => p.count === 2);
      assert.ok(full.length > 1000);
      for (const point of full.slice(0, 50)) {
        const values = temperatures
          .filter((t) => t.tsMs >= point.tsMs && t.tsMs < point.tsMs + 3_600_000)
          .map((t) => t.value);
        assert.equal(point.min, Math.min(...values));
        assert.equal(point.max, Math.max(...values));
      }
      const tooMany = await owner(
        'GET',
        `/v1/devices/${thermometer}/chart?label=Temperature&from=${from}&to=${nowMs}&points=1`,
      );
      assert.equal(tooMany.status, 400);
    });

    it('exports stream a device or a home as CSV or JSON, to the home only', TIMEOUT, async () => {
      const from = nowMs - 10 * DAY;
      const inRange = temperatures.filter((t) => t.tsMs >= from && t.tsMs < nowMs + 1);
      await owner('PATCH', `/v1/devices/${thermometer}`, { name: '=HYPERLINK("x")' });
      const csv = await owner('GET', `/v1/devices/${thermometer}/export?from=${from}&to=${nowMs + 1}`);
      assert.equal(csv.status, 200);
      const lines = (csv.body as string).trimEnd().split('\n');
      assert.equal(lines[0], 'device_id,device_name,label,unit,time,ts_ms,value,text');
      assert.equal(lines.length, inRange.length + 1);
      assert.ok(lines[1]!.includes(`"'=HYPERLINK(""x"")"`), `a formula is neutralised: ${lines[1]}`);
      assert.equal(Number(lines[1]!.split(',').at(-3)), inRange[0]!.tsMs);

      const json = await owner(
        'GET',
        `/v1/devices/${thermometer}/export?from=${from}&to=${nowMs + 1}&format=json`,
      );
      assert.equal(json.status, 200);
      assert.equal(json.body.readings.length, inRange.length);
      assert.deepEqual(
        json.body.readings.slice(0, 2).map((r: { tsMs: number; value: number }) => [r.tsMs, r.value]),
        inRange.slice(0, 2).map((t) => [t.tsMs, t.value]),
      );

      const home = await owner(
        'GET',
        `/v1/homes/${app.homeId}/export?from=${from}&to=${nowMs + 1}&format=json`,
      );
      assert.equal(home.status, 200);
      assert.equal(home.body.readings.length, 2 * inRange.length);

      const stranger = await app.signUp(`stranger-${randomUUID()}@example.com`);
      const denied = await app.request(
        'GET',
        `/v1/devices/${thermometer}/export?from=${from}&to=${nowMs}`,
        undefined,
        stranger.token,
      );
      assert.equal(denied.status, 404);
      const deniedHome = await app.request(
        'GET',
        `/v1/homes/${app.homeId}/export?from=${from}&to=${nowMs}`,
        undefined,
        stranger.token,
      );
      assert.equal(deniedHome.status, 404);
      const badRange = await owner('GET', `/v1/devices/${thermometer}/export?from=${nowMs}&to=${from}`);
      assert.equal(badRange.status, 400);
    });

    it("the provider's monthly report counts each gateway's messages and hours online", TIMEOUT, async () => {
      const month = new Date(nowMs).toISOString().slice(0, 7);
      const reply = await app.request('GET', `/v1/tenants/${app.tenantId}/reports/gateways?from=${month}`);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      const row = (
        reply.body.items as Array<{
          gatewayId: string;
          messages: number;
          hoursOnline: number;
          alarms: number;
        }>
      ).find((r) => r.gatewayId === gateway.id);
      assert.ok(row);
      assert.equal(row.messages, messages);
      assert.ok(row.hoursOnline >= 0 && row.hoursOnline < 1, 'online since the test began');
      assert.equal(row.alarms, 0);
      const csv = await app.request(
        'GET',
        `/v1/tenants/${app.tenantId}/reports/gateways?from=${month}&format=csv`,
      );
      assert.equal(csv.status, 200);
      assert.match(csv.body as string, /^month,gateway_id,name,home_id,messages,hours_online,alarms\n/);
      const asOwner = await owner('GET', `/v1/tenants/${app.tenantId}/reports/gateways`);
      assert.equal(asOwner.status, 403);
      const badMonth = await app.request('GET', `/v1/tenants/${app.tenantId}/reports/gateways?from=2024-13`);
      assert.equal(badMonth.status, 400);
      assert.match(badMonth.body.error.message, /^from:/);
    });

    it("ingest holds a home to its tariff's camera limit and recording modes", TIMEOUT, async () => {
      const seed = await seedMessages();
      const home = await owner('POST', '/v1/homes', { name: 'Cabin', timezone: ZONE });
      assert.equal(home.status, 201, JSON.stringify(home.body));
      const put = await app.request('PUT', `/v1/homes/${home.body.id}/tariff`, { tariffId: tariffs.Short });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      const cabinGateway = await app.createGateway(undefined, home.body.id as string);
      const cabin = await app.connectGateway(cabinGateway);
      const [first, second] = [randomUUID(), randomUUID()];
      const camera = (deviceId: string, extra: object) =>
        JSON.stringify({
          ...seed.cameraDeviceState,
          gatewayId: cabinGateway.id,
          deviceId,
          timestampMs: String(Date.now()),
          ...extra,
        });
      const up = `hestia/v1/gw/${cabinGateway.id}/up`;
      await cabin.publishAsync(up, camera(first, {}), { qos: 1 });
      await cabin.publishAsync(up, camera(second, {}), { qos: 1 });
      await cabin.publishAsync(
        up,
        camera(first, { messageType: 'command', command: 'recordingMode', value: 'motion' }),
        { qos: 1 },
      );
      await cabin.publishAsync(
        up,
        camera(first, { messageType: 'command', command: 'recordingMode', value: 'off' }),
        { qos: 1 },
      );
      const letters = await eventually('two dead letters', async () => {
        const reply = await app.request('GET', '/v1/dead-letters');
        const mine = (
          reply.body.items as Array<{ gatewayId: string; reason: string; detail: string }>
        ).filter((l) => l.gatewayId === cabinGateway.id);
        return mine.length >= 2 ? mine : undefined;
      });
      assert.deepEqual(
        letters.map((l) => l.reason),
        ['HESTIA_INGEST_TARIFF_LIMIT', 'HESTIA_INGEST_TARIFF_LIMIT'],
      );
      assert.match(letters[1]!.detail, /1 cameras; tariff Short allows 1/);
      assert.match(letters[0]!.detail, /recordingMode motion is not in tariff Short \(off\)/);
      const devices = await owner('GET', `/v1/homes/${home.body.id}/devices`);
      assert.deepEqual(
        (devices.body.items as Array<{ id: string; settings: Record<string, string> }>).map((d) => [
          d.id,
          d.settings,
        ]),
        [[first, { recordingMode: 'off' }]],
      );
    });

    // Last: it deletes history the other tests read.
    it(
      'a shorter tariff deletes history past its horizons; rollups answer the long ranges; a longer one keeps what is left',
      TIMEOUT,
      async () => {
        const before = await daily();
        assert.equal(before.points.length, Math.round((todayMs - fromDay) / DAY));
        assert.ok(before.points.every((p) => p.count > 0));
        assert.deepEqual(
          before.sources,
          { raw: 0, hourly: 0, daily: 1 },
          'whole local days come from daily rollups',
        );

        // Basic keeps raw readings 45 days: the older ones go, in the background, at once.
        await setTariff('Basic');
        const kept = temperatures.filter((t) => t.tsMs >= nowMs - 45 * DAY).length;
        await eventually('retention after the tariff change', async () =>
          (await readingsOf(thermometer)) <= kept ? true : undefined,
        );
        await app.hestia.retention.runPass();
        const remaining = await readingsOf(thermometer);
        assert.ok(Math.abs(remaining - kept) <= 1, `${remaining} raw readings remain, ${kept} expected`);
        const old = await owner(
          'GET',
          `/v1/devices/${thermometer}/history?label=Temperature&from=${startMs}&to=${nowMs - 46 * DAY}`,
        );
        assert.equal(old.status, 200);
        assert.deepEqual(old.body.items, [], 'no raw history older than the raw window');
        const afterBasic = await daily();
        assert.deepEqual(afterBasic.points, before.points, 'daily means over 100 days are unchanged');

        // A tariff keeping sensor history 60 days: older rollups go too.
        await setTariff('Short');
        await app.hestia.retention.runPass();
        const afterShort = await daily();
        const horizon = nowMs - 60 * DAY;
        for (const point of afterShort.points) {
          if (point.tsMs + 25 * 3_600_000 < horizon)
            assert.equal(point.count, 0, `${new Date(point.tsMs).toISOString()} deleted`);
          if (point.tsMs > horizon) {
            assert.deepEqual(
              point,
              before.points.find((p) => p.tsMs === point.tsMs),
              'newer days intact',
            );
          }
        }
        // Longer again: nothing comes back, nothing more goes.
        await setTariff('Premium');
        await app.hestia.retention.runPass();
        assert.deepEqual((await daily()).points, afterShort.points);
      },
    );
  });
}

await onEveryBackend('tariffs, retention, statistics and export', lifecycleSuite);
