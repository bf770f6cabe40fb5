import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { seedMessages, startTestApp, type TestApp } from '../helpers/app.ts';

const topic = (id: string, kind: 'up' | 'down' | 'status') => `hestia/v1/gw/${id}/${kind}`;

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

async function refusedCode(url: string, options: mqtt.IClientOptions): Promise<number | undefined> {
  try {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 3000, ...options });
    await client.endAsync(true);
    return undefined;
  } catch (error) {
    return (error as { code?: number }).code;
  }
}

function waitFor(predicate: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return (async () => {
    while (Date.now() < deadline) {
      if (await predicate()) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.fail(`timed out waiting for ${what}`);
  })();
}

describe('MQTT authentication, topic ACL and presence', () => {
  let app: TestApp;
  let a: { id: string; token: string };
  let b: { id: string; token: string };

  before(async () => {
    app = await startTestApp();
    a = await app.createGateway('gw-a');
    b = await app.createGateway('gw-b');
  });
  after(() => app.stop());

  it('refuses anonymous, unknown, wrong-token and borrowed-client-id connections', async () => {
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

  it('subscriptions: only the own down topic, literally; wildcards and other gateways are refused', async () => {
    const client = await app.connectGateway(a);
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
    await client.endAsync();
  });

  it('a gateway receives what is sent to its down topic and nothing addressed to another gateway', async () => {
    const clientA = await app.connectGateway(a);
    const clientB = await app.connectGateway(b);
    await clientA.subscribeAsync(topic(a.id, 'down'), { qos: 1 });
    assert.deepEqual(await grants(clientB, ['#', topic(a.id, 'down')]), [128, 128]);
    const receivedA: string[] = [];
    const receivedB: string[] = [];
    clientA.on('message', (_t, payload) => receivedA.push(payload.toString()));
    clientB.on('message', (t, payload) => receivedB.push(`${t} ${payload.toString()}`));
    await app.hestia.broker.publishToGateway(a.id, { hello: 'a' });
    await waitFor(async () => receivedA.length === 1, 'the down message');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(receivedA, ['{"hello":"a"}']);
    assert.deepEqual(receivedB, []);
    await clientA.endAsync();
    await clientB.endAsync();
  });

  it("publishing to another gateway's topics disconnects and stores nothing", async () => {
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

  it('connection, clean disconnect and the Last Will mark the gateway online and offline', async () => {
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
  });

  it('MQTT over WebSocket works with the same credentials and rules', async () => {
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
