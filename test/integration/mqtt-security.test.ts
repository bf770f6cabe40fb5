import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { ADMIN_PASSWORD, eventually, seedMessages, startTestApp, type TestApp } from '../helpers/app.ts';
import { closesWithin, refusedCode } from '../helpers/mqtt.ts';
import { POSTGRES, SQLITE, onPostgres, type Backend } from '../helpers/backends.ts';
import { EVENT_TIMEOUT_MS, TEST_TIMEOUT_MS } from '../helpers/wait.ts';

const topic = (id: string, kind: 'up' | 'down' | 'status') => `hestia/v1/gw/${id}/${kind}`;
/** A broken server tends to hang a test (an uplink never acknowledged): fail it instead. */
const TIMEOUT = { timeout: TEST_TIMEOUT_MS };

/** SUBACK return codes; mqtt.js rejects a SUBACK that refuses anything, so read them off the error too. */
async function grants(client: MqttClient, filters: string[]): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters, { qos: 1 })).map((g) => g.qos);
  } catch (error) {
    const granted = (error as { packet?: { granted?: number[] } }).packet?.granted;
    if (!granted) throw error;
    return granted;
  }
}

function waitFor(
  predicate: () => Promise<boolean>,
  what: string,
  timeoutMs = EVENT_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return (async () => {
    while (Date.now() < deadline) {
      if (await predicate()) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.fail(`timed out waiting for ${what}`);
  })();
}

function mqttSecuritySuites(backend: Backend): void {
  describe(`MQTT authentication, topic ACL and presence (${backend.name})`, () => {
    let app: TestApp;
    let drop: () => Promise<void> = async () => undefined;
    let a: { id: string; token: string };
    let b: { id: string; token: string };

    before(async () => {
      const opened = await backend.open();
      drop = opened.drop;
      app = await startTestApp(opened.storage ? { storage: opened.storage } : {});
      a = await app.createGateway('gw-a');
      b = await app.createGateway('gw-b');
    });
    after(async () => {
      await app?.stop();
      await drop();
    });

    it('refuses anonymous, unknown, wrong-token and borrowed-client-id connections', TIMEOUT, async () => {
      assert.equal(await refusedCode(app.mqttUrl, { clientId: 'anon' }), 4);
      assert.equal(
        await refusedCode(app.mqttUrl, { clientId: 'nobody', username: 'nobody', password: 'x' }),
        4,
      );
      assert.equal(await refusedCode(app.mqttUrl, { clientId: a.id, username: a.id, password: b.token }), 4);
      // a gateway may not use another gateway's client id (it would take over that session)
      assert.equal(await refusedCode(app.mqttUrl, { clientId: b.id, username: a.id, password: a.token }), 2);
      // nor leave a Last Will on a topic it may not publish to
      assert.equal(
        await refusedCode(app.mqttUrl, {
          clientId: a.id,
          username: a.id,
          password: a.token,
          will: { topic: topic(b.id, 'status'), payload: Buffer.from('offline'), qos: 1, retain: true },
        }),
        5,
      );
      assert.equal(
        await refusedCode(app.mqttUrl, { clientId: a.id, username: a.id, password: a.token }),
        undefined,
      );
      const metrics = (await app.request('GET', '/metrics', undefined, null)).body as string;
      assert.match(metrics, /hestia_mqtt_auth_failures_total\{reason="anonymous"\} 1/);
      assert.match(metrics, /hestia_mqtt_auth_failures_total\{reason="bad_token"\} 1/);
    });

    it(
      'subscriptions: only the own down topic, literally; wildcards and other gateways are refused',
      TIMEOUT,
      async () => {
        const client = await app.connectGateway(a);
        const received: string[] = [];
        client.on('message', (t) => received.push(t));
        const granted = await grants(client, [
          topic(a.id, 'down'),
          topic(b.id, 'down'),
          'hestia/v1/gw/+/down',
          'hestia/#',
          '#',
          topic(a.id, 'up'),
          '$SYS/#',
        ]);
        assert.deepEqual(granted, [1, 128, 128, 128, 128, 128, 128]);
        // the grant works: the registration state arrives (and not later, in the next test's session)
        await waitFor(async () => received.length === 1, 'the registration message');
        assert.deepEqual(received, [topic(a.id, 'down')]);
        await client.endAsync();
      },
    );

    it(
      'a gateway receives what is sent to its down topic and nothing addressed to another gateway',
      TIMEOUT,
      async () => {
        const clientA = await app.connectGateway(a);
        const clientB = await app.connectGateway(b);
        // listening before subscribing: the registration state arrives as soon as the grant does
        const receivedA: string[] = [];
        const receivedB: string[] = [];
        clientA.on('message', (t, payload) => receivedA.push(`${t} ${payload.toString()}`));
        clientB.on('message', (t, payload) => receivedB.push(`${t} ${payload.toString()}`));
        await clientA.subscribeAsync(topic(a.id, 'down'), { qos: 1 });
        assert.deepEqual(await grants(clientB, ['#', topic(a.id, 'down')]), [128, 128]);
        await waitFor(async () => receivedA.length === 1, 'the registration message');
        await app.hestia.broker.publishToGateway(a.id, { hello: 'a' });
        await waitFor(async () => receivedA.length === 2, 'the down message');
        await new Promise((resolve) => setTimeout(resolve, 100));
        const registration = JSON.stringify({
          messageType: 'registration',
          gatewayId: a.id,
          status: 'accepted',
          homeId: app.homeId,
          homeName: 'Home',
        });
        assert.deepEqual(receivedA, [
          `${topic(a.id, 'down')} ${registration}`,
          `${topic(a.id, 'down')} {"hello":"a"}`,
        ]);
        assert.deepEqual(receivedB, []);
        await clientA.endAsync();
        await clientB.endAsync();
      },
    );

    it("publishing to another gateway's topics disconnects and stores nothing", TIMEOUT, async () => {
      const seed = await seedMessages();
      for (const target of [topic(b.id, 'up'), topic(b.id, 'status'), topic(a.id, 'down'), 'anything/else']) {
        const client = await app.connectGateway(a, { reconnectPeriod: 0 });
        const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
        client.publish(target, JSON.stringify({ ...seed.sensorData, gatewayId: b.id }), { qos: 1 });
        await closed;
        await client.endAsync(true);
      }
      assert.deepEqual((await app.request('GET', `/v1/gateways/${b.id}/devices`)).body.items, []);
      const metrics = (await app.request('GET', '/metrics', undefined, null)).body as string;
      assert.match(metrics, /hestia_mqtt_acl_denials_total\{action="publish"\} 4/);
    });

    it(
      'connection, clean disconnect and the Last Will mark the gateway online and offline',
      TIMEOUT,
      async () => {
        const status = async () => (await app.request('GET', `/v1/gateways/${a.id}`)).body.status as string;
        const client: MqttClient = await app.connectGateway(a, {
          will: { topic: topic(a.id, 'status'), payload: Buffer.from('offline'), qos: 1, retain: true },
        });
        await waitFor(async () => (await status()) === 'online', 'online');
        await client.endAsync();
        await waitFor(async () => (await status()) === 'offline', 'offline after a clean disconnect');
        const again = await app.connectGateway(a, {
          will: { topic: topic(a.id, 'status'), payload: Buffer.from('offline'), qos: 1, retain: true },
        });
        await waitFor(async () => (await status()) === 'online', 'online again');
        // an unclean drop (no DISCONNECT): the broker publishes the will and the gateway goes offline
        again.stream.destroy();
        await waitFor(async () => (await status()) === 'offline', 'offline after an unclean drop');
        const listed = (await app.request('GET', '/v1/gateways')).body.items.find(
          (g: { id: string }) => g.id === a.id,
        );
        assert.equal(listed.status, 'offline');
        assert.ok(listed.lastSeenAt);
        await again.endAsync(true);
      },
    );

    it('MQTT over WebSocket works with the same credentials and rules', TIMEOUT, async () => {
      const seed = await seedMessages();
      const ws = await mqtt.connectAsync(`ws://127.0.0.1:${app.hestia.ports.ws}`, {
        clientId: b.id,
        username: b.id,
        password: b.token,
        reconnectPeriod: 0,
      });
      await ws.publishAsync(
        topic(b.id, 'up'),
        JSON.stringify({
          ...seed.sensorData,
          gatewayId: b.id,
          deviceId: 'ws-device',
          timestampMs: String(Date.now()),
        }),
        { qos: 1 },
      );
      await ws.endAsync();
      const devices = (await app.request('GET', `/v1/gateways/${b.id}/devices`)).body.items;
      assert.deepEqual(
        devices.map((d: { id: string }) => d.id),
        ['ws-device'],
      );
      assert.equal(await refusedCode(`ws://127.0.0.1:${app.hestia.ports.ws}`, { clientId: 'x' }), 4);
    });
  });

  describe(`MQTT isolation between tenants (${backend.name})`, () => {
    const ORIGIN = { ip: '127.0.0.1', userAgent: 'mqtt isolation test' };
    const A_DEVICE = 'tenant-a-sensor';
    let app: TestApp;
    let drop: () => Promise<void> = async () => undefined;
    let seed: Awaited<ReturnType<typeof seedMessages>>;
    /** Tenant A's gateway (the test app's tenant "acme"), registered to the owner's home. */
    let a: { id: string; token: string };
    /** Tenant B's gateway, registered to the home of one of B's people. */
    let b: { id: string; token: string };
    let tenantB: string;
    let homeB: string;
    let adminB: string;
    /** A's gateway stays connected throughout, subscribed to its down topic. */
    let clientA: MqttClient;
    const receivedA: Array<{ topic: string; payload: string }> = [];

    const reading = (gatewayId: string, deviceId: string, value: number) =>
      JSON.stringify({
        ...seed.sensorData,
        gatewayId,
        deviceId,
        timestampMs: String(Date.now()),
        sensorData: String(value),
      });
    /** What A has stored: its devices with their state, and its number of readings. */
    const snapshotA = async () => ({
      devices: (await app.request('GET', `/v1/gateways/${a.id}/devices`)).body.items,
      readings: await app.hestia.ctx.store.telemetry.countReadings({ gatewayId: a.id }),
    });
    const deadLetters = async (token: string) => {
      const reply = await app.request('GET', '/v1/dead-letters?limit=1000', undefined, token);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      return reply.body.items as Array<{ gatewayId: string; reason: string; payload: string }>;
    };
    const downOfA = () => receivedA.filter((m) => m.topic === topic(a.id, 'down')).map((m) => m.payload);
    let baselineA: Awaited<ReturnType<typeof snapshotA>>;

    before(async () => {
      const opened = await backend.open();
      drop = opened.drop;
      app = await startTestApp(opened.storage ? { storage: opened.storage } : {});
      seed = await seedMessages();
      a = await app.createGateway('tenant-a-gw');

      const { services } = app.hestia;
      const created = await services.tenants.createTenant(
        null,
        { name: 'Beta', slug: 'beta', adminEmail: 'admin@beta.example', adminPassword: ADMIN_PASSWORD },
        ORIGIN,
      );
      tenantB = created.tenant.id;
      adminB = (
        await services.accounts.login(
          { email: 'admin@beta.example', password: ADMIN_PASSWORD, tenant: 'beta' },
          ORIGIN,
        )
      ).accessToken;
      const person = await services.accounts.signUp(
        { tenant: 'beta', email: 'owner@beta.example', password: ADMIN_PASSWORD },
        ORIGIN,
      );
      const principal = await services.accounts.authenticate(person.accessToken);
      assert.ok(principal);
      const home = await services.homes.createHome(principal, { name: 'Beta home', timezone: 'UTC' }, ORIGIN);
      homeB = home.id;
      const provisioned = await services.gateways.provision(
        null,
        tenantB,
        { name: 'B gateway', id: 'tenant-b-gw' },
        ORIGIN,
      );
      await services.gateways.claim(
        principal,
        home.id,
        { gatewayId: provisioned.gateway.id, claimCode: provisioned.claimCode },
        ORIGIN,
      );
      b = { id: provisioned.gateway.id, token: provisioned.token };

      clientA = await app.connectGateway(a);
      clientA.on('message', (t, payload) => receivedA.push({ topic: t, payload: payload.toString() }));
      await clientA.subscribeAsync(topic(a.id, 'down'), { qos: 1 });
      await waitFor(async () => downOfA().length === 1, "A's registration message");
      await clientA.publishAsync(topic(a.id, 'up'), reading(a.id, A_DEVICE, 21), { qos: 1 });
      baselineA = await snapshotA();
      assert.equal(baselineA.devices.length, 1);
      assert.equal(baselineA.readings, 1);
    });
    after(async () => {
      await app?.stop();
      await drop();
    });

    it("B's gateway is granted no subscription that could reach A's topics", TIMEOUT, async () => {
      const clientB = await app.connectGateway(b);
      const filters = [
        topic(a.id, 'down'),
        '#',
        '+/#',
        'hestia/#',
        'hestia/v1/gw/+/up',
        'hestia/v1/gw/+/down',
        '$SYS/#',
        `$share/g/${topic(a.id, 'down')}`,
        `$share/g/hestia/v1/gw/+/down`,
        topic(b.id, 'down'),
      ];
      const received: string[] = [];
      clientB.on('message', (t, payload) => received.push(`${t} ${payload.toString()}`));
      const granted = await grants(clientB, filters);
      assert.deepEqual(granted, [...filters.slice(0, -1).map(() => 128), 1]);
      // its own grant works: its registration state arrives, and only that
      await waitFor(async () => received.length === 1, "B's registration message");
      assert.match(received[0]!, new RegExp(`^${topic(b.id, 'down')} \\{"messageType":"registration"`));
      await clientB.endAsync();
    });

    it("B never receives A's down messages nor A's uplinks, whatever it subscribed to", TIMEOUT, async () => {
      const clientB = await app.connectGateway(b);
      const receivedB: Array<{ topic: string; payload: string }> = [];
      clientB.on('message', (t, payload) => receivedB.push({ topic: t, payload: payload.toString() }));
      await grants(clientB, [
        topic(a.id, 'down'),
        topic(a.id, 'up'),
        topic(a.id, 'status'),
        '#',
        '+/#',
        'hestia/#',
        'hestia/v1/gw/+/up',
        'hestia/v1/gw/+/down',
        '$SYS/#',
        `$share/g/${topic(a.id, 'down')}`,
        topic(b.id, 'down'),
      ]);
      await waitFor(async () => receivedB.length === 1, "B's registration message");
      const before = downOfA().length;
      for (let n = 1; n <= 3; n += 1) await app.hestia.broker.publishToGateway(a.id, { secretForA: n });
      await clientA.publishAsync(topic(a.id, 'up'), reading(a.id, A_DEVICE, 22), { qos: 1 });
      await clientA.publishAsync(topic(a.id, 'status'), 'online', { qos: 1, retain: true });
      await app.hestia.broker.publishToGateway(b.id, { forB: 1 });
      await waitFor(async () => downOfA().length === before + 3, "A's three down messages");
      await waitFor(async () => receivedB.length === 2, "B's own two down messages").catch(
        (error: unknown) => {
          throw new Error(`${(error as Error).message}; B received ${JSON.stringify(receivedB)}`);
        },
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(
        downOfA().slice(before),
        [1, 2, 3].map((n) => JSON.stringify({ secretForA: n })),
      );
      // exactly its own registration state and the message addressed to it, nothing of A
      const registrationB = {
        messageType: 'registration',
        gatewayId: b.id,
        status: 'accepted',
        homeId: homeB,
        homeName: 'Beta home',
      };
      assert.deepEqual(receivedB, [
        { topic: topic(b.id, 'down'), payload: JSON.stringify(registrationB) },
        { topic: topic(b.id, 'down'), payload: '{"forB":1}' },
      ]);
      assert.ok(!JSON.stringify(receivedB).includes(a.id));
      await clientB.endAsync();
      baselineA = await snapshotA();
      assert.equal(baselineA.readings, 2, "A's own uplink was stored");
    });

    it(
      "B's publishes to A's topics are refused: its connection is closed and nothing is stored",
      TIMEOUT,
      async () => {
        const status = async () => (await app.request('GET', `/v1/gateways/${a.id}`)).body.status as string;
        await waitFor(async () => (await status()) === 'online', 'A online');
        const downBefore = downOfA().length;
        const payloads: Record<'up' | 'status' | 'down', string> = {
          up: reading(a.id, 'spoofed-by-b', 99),
          status: 'offline',
          down: JSON.stringify({ messageType: 'command', command: 'unlock', spoofedBy: b.id }),
        };
        for (const kind of ['up', 'status', 'down'] as const) {
          const clientB = await app.connectGateway(b);
          const closed = closesWithin(clientB, `B after publishing to A's ${kind} topic`);
          clientB.publish(topic(a.id, kind), payloads[kind], { qos: 1 });
          await closed;
          await clientB.endAsync(true);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.deepEqual(await snapshotA(), baselineA);
        assert.equal(await app.hestia.ctx.store.devices.findDevice('spoofed-by-b'), undefined);
        assert.equal(await status(), 'online', "B's 'offline' on A's status topic changed nothing");
        assert.equal(downOfA().length, downBefore, 'A received nothing B published to its down topic');
        assert.ok(clientA.connected, "A's session is untouched");
      },
    );

    it(
      "a payload naming A's gateway, or A's device, on B's own topic goes to B's dead letters",
      TIMEOUT,
      async () => {
        const clientB = await app.connectGateway(b);
        // acknowledged (the broker took it) but rejected by the ingest
        await clientB.publishAsync(topic(b.id, 'up'), reading(a.id, 'spoofed-device', 50), { qos: 1 });
        await clientB.publishAsync(topic(b.id, 'up'), reading(b.id, A_DEVICE, 51), { qos: 1 });
        await clientB.endAsync();

        const lettersB = await deadLetters(adminB);
        assert.deepEqual(
          lettersB.map((l) => [l.gatewayId, l.reason]),
          [
            [b.id, 'HESTIA_INGEST_DEVICE_FOREIGN'],
            [b.id, 'HESTIA_INGEST_GATEWAY_MISMATCH'],
          ],
        );
        assert.match(lettersB[1]!.payload, /spoofed-device/);
        // A's provider sees none of B's letters, and A's data is as it was
        const lettersA = await deadLetters(app.adminToken);
        assert.deepEqual(
          lettersA.filter((l) => l.gatewayId === b.id),
          [],
        );
        assert.equal(lettersA.length, 0);
        assert.deepEqual(await snapshotA(), baselineA);
        assert.equal(await app.hestia.ctx.store.devices.findDevice('spoofed-device'), undefined);
        assert.equal((await app.hestia.ctx.store.devices.findDevice(A_DEVICE))?.gatewayId, a.id);
        // B's own provider cannot read A's gateway either
        const foreign = await app.request('GET', `/v1/gateways/${a.id}`, undefined, adminB);
        assert.equal(foreign.status, 404);
      },
    );

    it("B cannot connect as A's gateway, and trying does not disturb A's session", TIMEOUT, async () => {
      let aClosed = false;
      clientA.once('close', () => (aClosed = true));
      // B's own credentials with A's id as client id: refused before any session takeover
      assert.equal(await refusedCode(app.mqttUrl, { clientId: a.id, username: b.id, password: b.token }), 2);
      // A's id as username, with B's token: wrong password for A
      assert.equal(await refusedCode(app.mqttUrl, { clientId: a.id, username: a.id, password: b.token }), 4);
      assert.equal(await refusedCode(app.mqttUrl, { clientId: b.id, username: a.id, password: b.token }), 4);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(aClosed, false, "A's session was not taken over");
      assert.ok(clientA.connected);
      const before = downOfA().length;
      await app.hestia.broker.publishToGateway(a.id, { stillThere: true });
      await eventually('A still receives its down messages', async () =>
        downOfA().length > before ? true : undefined,
      );
    });
  });
}

mqttSecuritySuites(SQLITE);

await onPostgres('MQTT security', () => mqttSecuritySuites(POSTGRES));
