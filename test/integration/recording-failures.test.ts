import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { gatewayTopic } from '../../src/ingest/topics.ts';
import { cameraStateMessage, gatewayConfigMessage, sensorDataMessage } from '../../src/simulator/messages.ts';
import type { SimulatedCamera } from '../../src/simulator/model.ts';
import { eventually, startTestApp, type TestApp } from '../helpers/app.ts';
import { SUITE_TIMEOUT_MS } from '../helpers/wait.ts';
import { FakeWowzaServer } from '../helpers/wowza-server.ts';

/**
 * A media server that answers errors: recording is retried with backoff, the camera's state is
 * `failed` with the reason meanwhile, the request is not lost (it records once the server
 * answers again), and ingest goes on as if nothing happened. The server is Wowza's REST API as
 * the shape-checking server in test/helpers/wowza-server.ts answers it.
 */
describe('recording when the media server fails', { timeout: SUITE_TIMEOUT_MS }, () => {
  let app: TestApp;
  let wowza: FakeWowzaServer;
  let mqtt: MqttClient;
  let gateway: { id: string; token: string };
  const camera: SimulatedCamera = {
    kind: 'camera',
    deviceType: 'camera',
    protocol: 'onvif',
    slot: 0,
    deviceId: randomUUID(),
    name: 'Porch',
    label: 'Motion',
    sensorType: 'VIDEO MOTION',
    units: '',
  };
  const cameraView = async (): Promise<any> =>
    (await app.request('GET', `/v1/cameras/${camera.deviceId}`, undefined, app.ownerToken)).body;
  const send = (message: object): Promise<unknown> =>
    mqtt.publishAsync(gatewayTopic(gateway.id, 'up'), JSON.stringify(message), { qos: 1 });

  before(async () => {
    app = await startTestApp({
      media: {
        pollIntervalSeconds: 1,
        unhealthyAfterFailures: 30,
        reconcileIntervalSeconds: 1,
        recordingAttempts: 2,
        requestTimeoutMs: 2000,
        motionPostRollSeconds: 600,
      },
    });
    wowza = await FakeWowzaServer.start({
      application: 'live',
      auth: { method: 'digest', username: 'hestia', password: 'wowza-rest-password' },
    });
    await app.hestia.services.accounts.createUser({
      tenantId: null,
      email: 'platform@example.com',
      password: 'correct horse battery staple',
      name: 'Platform',
      role: 'platform_admin',
    });
    const login = await app.request('POST', '/v1/auth/login', {
      email: 'platform@example.com',
      password: 'correct horse battery staple',
    });
    const registered = await app.request(
      'POST',
      '/v1/media-servers',
      {
        name: 'wowza-1',
        engine: 'wowza',
        controlUrl: wowza.controlUrl(),
        ingestUrl: 'rtmp://127.0.0.1:1935/live',
        playbackUrl: 'http://127.0.0.1:1935',
        application: 'live',
      },
      login.body.accessToken,
    );
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    await eventually('wowza-1 healthy', async () => {
      const server = await app.hestia.ctx.store.media.servers.find(registered.body.server.id);
      return server?.health.healthy ? true : undefined;
    });
    gateway = await app.createGateway();
    mqtt = await app.connectGateway(gateway);
    await send(gatewayConfigMessage(gateway.id, [camera], Date.now()));
    await eventually('the camera', async () => ((await cameraView())?.deviceId ? true : undefined));
    const assigned = await fetch(
      `http://127.0.0.1:${app.hestia.ports.http}/v1/gateway/cameras/${camera.deviceId}/stream`,
      {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${gateway.id}:${gateway.token}`).toString('base64')}`,
        },
      },
    );
    assert.equal(assigned.status, 200);
    await assigned.arrayBuffer();
    wowza.publish(camera.deviceId);
    await send(cameraStateMessage(gateway.id, camera, 'streamingOn', '127.0.0.1', Date.now()));
    await eventually('streaming', async () => ((await cameraView()).streaming ? true : undefined));
  });

  after(async () => {
    mqtt?.end(true);
    await app?.stop();
    await wowza?.close();
  });

  it('is failed with the reason while the server answers 503, goes on with ingest, and records once it answers', async () => {
    wowza.fail(25, 503);
    const motionAt = Date.now();
    await send(sensorDataMessage(gateway.id, camera, '1', motionAt));
    const failed = await eventually('the recording to fail', async () => {
      const view = await cameraView();
      return view.recording.state === 'failed' ? view : undefined;
    });
    assert.match(failed.recording.reason, /wowza-1.*503/);
    // Ingest is unaffected: the motion is stored and on the timeline.
    const device = await app.request('GET', `/v1/devices/${camera.deviceId}`, undefined, app.ownerToken);
    assert.equal(device.body.channels.find((c: { label: string }) => c.label === 'Motion')?.value, 1);
    const timeline = await app.request(
      'GET',
      `/v1/cameras/${camera.deviceId}/timeline`,
      undefined,
      app.ownerToken,
    );
    assert.ok(timeline.body.events.some((e: { kind: string }) => e.kind === 'motion'));
    // The request is not lost: once the errors end, the reconciler starts it.
    const recording = await eventually('the recording to start after the errors', async () => {
      const view = await cameraView();
      return view.recording.state === 'recording' ? view : undefined;
    });
    assert.equal(recording.recording.reason, null);
    assert.equal(wowza.recorders.get(camera.deviceId)?.recorderState, 'Recording in Progress');
    assert.deepEqual(wowza.violations, []);
    const metrics = await (await fetch(`http://127.0.0.1:${app.hestia.ports.http}/metrics`)).text();
    assert.match(metrics, /hestia_recording_failures_total\{engine="wowza",retryable="true"\} [1-9]/);
  });
});
