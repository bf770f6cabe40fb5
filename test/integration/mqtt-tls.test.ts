import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { seedMessages, startTestApp, type TestApp } from '../helpers/app.ts';

describe('MQTT over TLS', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hestia-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  let app: TestApp;

  before(async () => {
    // A self-signed certificate for 127.0.0.1 made by the real openssl.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    app = await startTestApp({
      mqtt: { port: 0, wsPort: null, host: '127.0.0.1', tlsPort: 0, tlsCertFile: cert, tlsKeyFile: key },
    });
  });
  after(async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a gateway over TLS with the same credentials and stores its reading', async () => {
    const gateway = await app.createGateway('gw-tls');
    const seed = await seedMessages();
    assert.ok(app.hestia.ports.tls);
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${app.hestia.ports.tls}`, {
      clientId: gateway.id,
      username: gateway.id,
      password: gateway.token,
      ca: readFileSync(cert),
      reconnectPeriod: 0,
    });
    await client.publishAsync(
      `hestia/v1/gw/${gateway.id}/up`,
      JSON.stringify({ ...seed.sensorData, gatewayId: gateway.id }),
      { qos: 1 },
    );
    await client.endAsync();
    const devices = (await app.request('GET', `/v1/gateways/${gateway.id}/devices`)).body.items;
    assert.equal(devices[0].channels[0].value, 26.1);
  });
});
