import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import type { MqttClient } from 'mqtt';
import { hashToken, newToken } from '../../src/services/secrets.ts';
import { ADMIN_PASSWORD, eventually, seedMessages, startTestApp, type TestApp } from '../helpers/app.ts';
import { closesWithin, refusedCode } from '../helpers/mqtt.ts';
import { POSTGRES, SQLITE, onPostgres, type Backend } from '../helpers/backends.ts';
import { TEST_TIMEOUT_MS } from '../helpers/wait.ts';

/**
 * A gateway's life from provisioning to removal, over the real broker and API: it may connect
 * while pending (told so on `down`, telemetry counted but not stored), a home owner registers it
 * with its claim code, its data is stored, removal deletes the data and returns it to pending,
 * its credentials are rotated and revoked, and gateways are provisioned in bulk by CSV.
 * Run once per storage backend.
 */

const ORIGIN = { ip: '127.0.0.1', userAgent: 'registration test' };
const CLAIM_ATTEMPTS_PER_HOUR = 10;
/** A broken server tends to hang a test (an uplink never acknowledged): fail it instead. */
const TIMEOUT = { timeout: TEST_TIMEOUT_MS };
const MQTT_LISTENERS = { port: 0, wsPort: 0, host: '127.0.0.1' } as const;

const topic = (id: string, kind: 'up' | 'down' | 'status') => `hestia/v1/gw/${id}/${kind}`;

interface Reply {
  status: number;
  body: any;
  headers: Record<string, unknown>;
}

/** `app.inject` with any body and content type; answers that are not JSON come back as text. */
async function call(
  app: TestApp,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  options: { body?: string | object; token?: string | null; contentType?: string } = {},
): Promise<Reply> {
  const token = options.token === undefined ? app.adminToken : options.token;
  const response = await app.hestia.api.inject({
    method,
    url,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(options.contentType ? { 'content-type': options.contentType } : {}),
    },
    ...(options.body === undefined ? {} : { payload: options.body }),
  });
  const isJson = String(response.headers['content-type'] ?? '').startsWith('application/json');
  return {
    status: response.statusCode,
    body: isJson ? JSON.parse(response.body) : response.body,
    headers: response.headers,
  };
}

function assertError(reply: Reply, status: number, code: string): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.equal(reply.body?.error?.code, code, JSON.stringify(reply.body));
}

interface RegistrationMessage {
  messageType: string;
  gatewayId: string;
  status: 'pending' | 'accepted';
  homeId?: string;
  homeName?: string;
}

/** What a gateway receives, parsed; listening starts before it subscribes, so nothing is missed. */
class DownInbox {
  readonly messages: Array<{ topic: string; body: Record<string, unknown> }> = [];

  constructor(
    readonly client: MqttClient,
    readonly gatewayId: string,
  ) {
    client.on('message', (receivedTopic, payload) => {
      this.messages.push({
        topic: receivedTopic,
        body: JSON.parse(payload.toString()) as Record<string, unknown>,
      });
    });
  }

  /** Registration messages on the gateway's own down topic, oldest first. */
  registrations(): RegistrationMessage[] {
    return this.messages
      .filter((m) => m.topic === topic(this.gatewayId, 'down') && m.body.messageType === 'registration')
      .map((m) => m.body as unknown as RegistrationMessage);
  }

  /** Waits for the `count`-th registration message and returns it. */
  async registration(count: number): Promise<RegistrationMessage> {
    return eventually(`registration message #${count}`, async () => this.registrations()[count - 1]);
  }
}

async function connectWithInbox(app: TestApp, gateway: { id: string; token: string }): Promise<DownInbox> {
  const client = await app.connectGateway(gateway);
  const inbox = new DownInbox(client, gateway.id);
  await client.subscribeAsync(topic(gateway.id, 'down'), { qos: 1 });
  return inbox;
}

function registrationSuite(backend: Backend): void {
  describe(`gateway registration, removal and credentials (${backend.name})`, () => {
    let app: TestApp;
    let drop: () => Promise<void> = async () => undefined;
    let seed: Awaited<ReturnType<typeof seedMessages>>;
    let gateway: { id: string; token: string; claimCode: string };
    let inbox: DownInbox;
    let claimFailedBody: unknown;

    const reading = (gatewayId: string, deviceId: string, value: number, tsMs = Date.now()) =>
      JSON.stringify({
        ...seed.sensorData,
        gatewayId,
        deviceId,
        timestampMs: String(tsMs),
        sensorData: String(value),
      });
    const gatewayView = async (id: string) => {
      const reply = await call(app, 'GET', `/v1/gateways/${id}`);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      return reply.body;
    };
    const homeDevices = async () => {
      const reply = await call(app, 'GET', `/v1/homes/${app.homeId}/devices`, { token: app.ownerToken });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      return reply.body.items as Array<{
        id: string;
        name: string | null;
        gatewayId: string;
        channels: Array<{ label: string; value: number | null }>;
      }>;
    };
    const claim = (gatewayId: string, claimCode: string, token = app.ownerToken, homeId = app.homeId) =>
      call(app, 'POST', `/v1/homes/${homeId}/gateways`, { body: { gatewayId, claimCode }, token });
    const readings = () => app.hestia.ctx.store.telemetry.countReadings({ gatewayId: gateway.id });
    const auditFor = async (action: string, gatewayId: string) =>
      (
        await call(app, 'GET', `/v1/tenants/${app.tenantId}/audit?limit=1000&action=${action}`)
      ).body.items.filter(
        (e: { targetId: string | null; detail: { gatewayId?: string } }) =>
          e.targetId === gatewayId || e.detail.gatewayId === gatewayId,
      );

    /** A second tenant with a person who has a home there. */
    async function otherTenant() {
      const { tenant } = await app.hestia.services.tenants.createTenant(
        null,
        { name: 'Beta', slug: 'beta', adminEmail: 'admin@beta.example', adminPassword: ADMIN_PASSWORD },
        ORIGIN,
      );
      const person = await app.signUp('someone@beta.example', 'beta');
      const home = await call(app, 'POST', '/v1/homes', {
        body: { name: 'Beta home', timezone: 'UTC' },
        token: person.token,
      });
      assert.equal(home.status, 201);
      return { tenantId: tenant.id, token: person.token, homeId: home.body.id as string };
    }

    before(async () => {
      const opened = await backend.open();
      drop = opened.drop;
      app = await startTestApp({
        auth: { claimAttemptsPerHour: CLAIM_ATTEMPTS_PER_HOUR },
        ...(opened.storage ? { storage: opened.storage } : {}),
      });
      seed = await seedMessages();
      gateway = await app.provisionGateway('reg-gw-1');
    });
    after(async () => {
      await app?.stop();
      await drop();
    });

    it(
      'a pending gateway may connect: it is told so, its telemetry is acknowledged and counted, not stored',
      TIMEOUT,
      async () => {
        const provisioned = await gatewayView(gateway.id);
        assert.equal(provisioned.registration, 'pending');
        assert.equal(provisioned.homeId, null);
        assert.equal(provisioned.unregisteredMessages, 0);

        inbox = await connectWithInbox(app, gateway);
        assert.deepEqual(await inbox.registration(1), {
          messageType: 'registration',
          gatewayId: gateway.id,
          status: 'pending',
        });

        // QoS 1: the PUBACK (publishAsync resolving) means the broker took it
        await inbox.client.publishAsync(topic(gateway.id, 'up'), reading(gateway.id, 'reg-d1', 20), {
          qos: 1,
        });
        assert.equal((await gatewayView(gateway.id)).unregisteredMessages, 1);
        const twoInOne = `[${reading(gateway.id, 'reg-d1', 21)},${reading(gateway.id, 'reg-d2', 22)}]`;
        await inbox.client.publishAsync(topic(gateway.id, 'up'), twoInOne, { qos: 1 });
        const seen = await gatewayView(gateway.id);
        assert.equal(seen.unregisteredMessages, 3);
        assert.ok(seen.lastSeenAt, 'the provider sees it is alive');

        assert.equal(await readings(), 0);
        assert.equal(await app.hestia.ctx.store.devices.countGatewayDevices(gateway.id), 0);
        assert.equal(await app.hestia.ctx.store.devices.findDevice('reg-d1'), undefined);
        const devices = await call(app, 'GET', `/v1/gateways/${gateway.id}/devices`);
        assert.deepEqual(devices.body.items, []);
        // not rejected either: nothing in the dead letters
        const letters = await call(app, 'GET', '/v1/dead-letters');
        assert.deepEqual(
          letters.body.items.filter((l: { gatewayId: string }) => l.gatewayId === gateway.id),
          [],
        );
        // people do not see a pending gateway of their provider
        assertError(
          await call(app, 'GET', `/v1/gateways/${gateway.id}`, { token: app.ownerToken }),
          404,
          'HESTIA_NOT_FOUND',
        );
      },
    );

    it(
      'wrong code, unknown serial, another tenant: all the same 404 HESTIA_CLAIM_FAILED',
      TIMEOUT,
      async () => {
        const wrongCode = await claim(gateway.id, 'ABCD-EFGH-JKMN');
        assertError(wrongCode, 404, 'HESTIA_CLAIM_FAILED');
        claimFailedBody = wrongCode.body;
        const unknownSerial = await claim('no-such-gateway', gateway.claimCode);
        const malformedCode = await claim(gateway.id, 'not a code!');
        const beta = await otherTenant();
        const otherTenantsPerson = await claim(gateway.id, gateway.claimCode, beta.token, beta.homeId);
        for (const reply of [unknownSerial, malformedCode, otherTenantsPerson]) {
          assertError(reply, 404, 'HESTIA_CLAIM_FAILED');
          assert.deepEqual(reply.body, claimFailedBody, 'nothing tells one failure from another');
        }
        assert.equal((await gatewayView(gateway.id)).registration, 'pending');
        assert.equal(inbox.registrations().length, 1, 'no news for the gateway');
        assert.ok((await auditFor('gateway.claim_failed', gateway.id)).length >= 2);
        const betaAudit = await app.hestia.ctx.store.directory.audit.listAudit({
          tenantId: beta.tenantId,
          action: 'gateway.claim_failed',
          limit: 10,
        });
        assert.equal(betaAudit.length, 1, "the other tenant's admins see their person's attempt");
      },
    );

    it('the owner registers it with the code as typed; the gateway is told at once', TIMEOUT, async () => {
      const typed = `  ${gateway.claimCode.toLowerCase().replaceAll('-', ' ')} `;
      const registered = await claim(gateway.id, typed);
      assert.equal(registered.status, 200, JSON.stringify(registered.body));
      assert.equal(registered.body.homeId, app.homeId);
      assert.equal(registered.body.registration, 'registered');
      assert.deepEqual(await inbox.registration(2), {
        messageType: 'registration',
        gatewayId: gateway.id,
        status: 'accepted',
        homeId: app.homeId,
        homeName: 'Home',
      });
      // now its owner sees it
      const asOwner = await call(app, 'GET', `/v1/gateways/${gateway.id}`, { token: app.ownerToken });
      assert.equal(asOwner.status, 200);
      // and it cannot be registered again, not even with the right code
      const again = await claim(gateway.id, gateway.claimCode);
      assertError(again, 404, 'HESTIA_CLAIM_FAILED');
      assert.deepEqual(again.body, claimFailedBody);
      assert.equal((await auditFor('gateway.registered', gateway.id)).length, 1);
    });

    it(
      'once registered, its gatewayConfig and sensorData are stored and its devices appear in the home',
      TIMEOUT,
      async () => {
        const config = {
          messageType: 'gatewayConfig',
          gatewayId: gateway.id,
          vendor: 'acme',
          version: '3.0.0',
          timestampMs: String(Date.now()),
          devices: [
            { deviceId: 'reg-d1', deviceType: 'sensor', protocol: 'zwave', nodeId: '3', name: 'Hall sensor' },
            {
              deviceId: 'reg-d2',
              deviceType: 'actuator',
              protocol: 'zwave',
              nodeId: '4',
              name: 'Hall light',
            },
          ],
        };
        await inbox.client.publishAsync(topic(gateway.id, 'up'), JSON.stringify(config), { qos: 1 });
        const now = Date.now();
        await inbox.client.publishAsync(
          topic(gateway.id, 'up'),
          reading(gateway.id, 'reg-d1', 21.5, now - 1000),
          {
            qos: 1,
          },
        );
        await inbox.client.publishAsync(topic(gateway.id, 'up'), reading(gateway.id, 'reg-d1', 22.5, now), {
          qos: 1,
        });
        const devices = await homeDevices();
        assert.deepEqual(
          devices.map((d) => [d.id, d.name, d.gatewayId]),
          [
            ['reg-d1', 'Hall sensor', gateway.id],
            ['reg-d2', 'Hall light', gateway.id],
          ],
        );
        assert.equal(devices[0]!.channels.find((c) => c.label === 'Temperature')?.value, 22.5);
        assert.equal(await readings(), 2);
        assert.equal((await gatewayView(gateway.id)).unregisteredMessages, 3, 'no longer counted as pending');
      },
    );

    it(
      'claim attempts beyond auth.claimAttemptsPerHour are refused with 429, even with the right code',
      TIMEOUT,
      async () => {
        const spare = await app.provisionGateway('reg-gw-spare');
        const guesser = await app.signUp('guesser@example.com');
        const home = await call(app, 'POST', '/v1/homes', {
          body: { name: 'Guess house', timezone: 'UTC' },
          token: guesser.token,
        });
        for (let attempt = 1; attempt <= CLAIM_ATTEMPTS_PER_HOUR; attempt += 1) {
          const code = `ABCD-EFGH-${String(attempt).padStart(4, '0')}`;
          assertError(await claim(spare.id, code, guesser.token, home.body.id), 404, 'HESTIA_CLAIM_FAILED');
        }
        const limited = await claim(spare.id, spare.claimCode, guesser.token, home.body.id);
        assertError(limited, 429, 'HESTIA_RATE_LIMITED');
        assert.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After says when');
        assert.equal((await gatewayView(spare.id)).registration, 'pending');
        // the limit is per person: the owner, who has tried less, registers it with that code
        assert.equal((await claim(spare.id, spare.claimCode)).status, 200);
      },
    );

    it(
      'removal needs a confirmation, then deletes devices and readings and returns the gateway to pending',
      TIMEOUT,
      async () => {
        const removeUrl = `/v1/homes/${app.homeId}/gateways/${gateway.id}`;
        const unconfirmed = await call(app, 'DELETE', removeUrl, { token: app.ownerToken });
        assertError(unconfirmed, 409, 'HESTIA_CONFIRMATION_REQUIRED');
        assert.deepEqual(unconfirmed.body.error.details, { devices: 2, readings: 2 });
        const misconfirmed = await call(app, 'DELETE', `${removeUrl}?confirm=reg-gw-spare`, {
          token: app.ownerToken,
        });
        assertError(misconfirmed, 409, 'HESTIA_CONFIRMATION_REQUIRED');
        assert.equal(await readings(), 2, 'nothing deleted without the confirmation');
        assert.equal((await homeDevices()).length, 2);

        const removed = await call(app, 'DELETE', `${removeUrl}?confirm=${gateway.id}`, {
          token: app.ownerToken,
        });
        assert.equal(removed.status, 200, JSON.stringify(removed.body));
        assert.deepEqual(removed.body.deleted, { devices: 2, readings: 2 });
        assert.equal(await readings(), 0);
        assert.equal(await app.hestia.ctx.store.devices.countGatewayDevices(gateway.id), 0);
        assert.equal(await app.hestia.ctx.store.devices.findDevice('reg-d1'), undefined);
        assert.deepEqual(
          (await homeDevices()).filter((d) => d.gatewayId === gateway.id),
          [],
        );
        assert.deepEqual(await inbox.registration(3), {
          messageType: 'registration',
          gatewayId: gateway.id,
          status: 'pending',
        });
        const pending = await gatewayView(gateway.id);
        assert.equal(pending.registration, 'pending');
        assert.equal(pending.homeId, null);

        // from now on its telemetry is counted, not stored
        await inbox.client.publishAsync(topic(gateway.id, 'up'), reading(gateway.id, 'reg-d1', 30), {
          qos: 1,
        });
        assert.equal((await gatewayView(gateway.id)).unregisteredMessages, 4);
        assert.equal(await readings(), 0);
        assert.equal(await app.hestia.ctx.store.devices.findDevice('reg-d1'), undefined);
        assert.equal((await auditFor('gateway.removed', gateway.id)).length, 1);
        const deletion = await auditFor('data.deleted', gateway.id);
        assert.deepEqual(
          deletion.map((e: { detail: unknown }) => e.detail),
          [{ devices: 2, readings: 2 }],
        );
      },
    );

    it('registered again, the same device ids are stored again', TIMEOUT, async () => {
      assert.equal((await claim(gateway.id, gateway.claimCode)).status, 200);
      assert.equal((await inbox.registration(4)).status, 'accepted');
      await inbox.client.publishAsync(topic(gateway.id, 'up'), reading(gateway.id, 'reg-d1', 23.5), {
        qos: 1,
      });
      const devices = await homeDevices();
      const device = devices.find((d) => d.id === 'reg-d1');
      assert.ok(device, JSON.stringify(devices));
      assert.equal(device.channels.find((c) => c.label === 'Temperature')?.value, 23.5);
      assert.equal(await readings(), 1);
      const history = await call(
        app,
        'GET',
        `/v1/devices/reg-d1/history?label=Temperature&from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}`,
        { token: app.ownerToken },
      );
      assert.deepEqual(
        history.body.items.map((r: { value: number }) => r.value),
        [23.5],
      );
    });

    it(
      'rotating the credentials closes the live session at once; only the new token connects',
      TIMEOUT,
      async () => {
        const closed = closesWithin(inbox.client, 'the session after a rotation');
        const rotated = await call(app, 'POST', `/v1/gateways/${gateway.id}/credentials/rotate`);
        assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
        assert.equal(rotated.headers['cache-control'], 'no-store');
        await closed;
        const oldLogin = { clientId: gateway.id, username: gateway.id, password: gateway.token };
        assert.equal(await refusedCode(app.mqttUrl, oldLogin), 4, 'CONNACK 4: bad username or password');
        const token = rotated.body.token as string;
        assert.notEqual(token, gateway.token);
        assert.equal(await refusedCode(app.mqttUrl, { ...oldLogin, password: token }), undefined);
        gateway = { ...gateway, token };
        assert.ok((await gatewayView(gateway.id)).credentialsRotatedAt);
        assert.equal((await auditFor('gateway.credentials_rotated', gateway.id)).length, 1);
      },
    );

    it(
      'revoking the credentials closes the session and refuses the gateway until rotated',
      TIMEOUT,
      async () => {
        const client = await app.connectGateway(gateway);
        const closed = closesWithin(client, 'the session after a revocation');
        const revoked = await call(app, 'DELETE', `/v1/gateways/${gateway.id}/credentials`);
        assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
        await closed;
        const login = { clientId: gateway.id, username: gateway.id, password: gateway.token };
        assert.equal(await refusedCode(app.mqttUrl, login), 5, 'CONNACK 5: not authorized');
        assert.ok((await gatewayView(gateway.id)).credentialsRevokedAt);
        const audit = await auditFor('gateway.credentials_revoked', gateway.id);
        assert.equal(audit.length, 1);
        assert.equal(audit[0].targetType, 'gateway');

        const rotated = await call(app, 'POST', `/v1/gateways/${gateway.id}/credentials/rotate`);
        assert.equal(await refusedCode(app.mqttUrl, { ...login, password: rotated.body.token }), undefined);
        assert.equal((await gatewayView(gateway.id)).credentialsRevokedAt, null);
      },
    );

    it(
      'bulk CSV import: one bad row refuses the whole file, a good one returns working credentials',
      TIMEOUT,
      async () => {
        const bad = [
          'serial,claim_code,name',
          'csv-gw-1,,First',
          'csv gw/2,,Second',
          'csv-gw-3,,Third',
          '',
        ].join('\n');
        const refused = await call(app, 'POST', '/v1/gateways/import', {
          body: bad,
          contentType: 'text/csv',
        });
        assertError(refused, 400, 'HESTIA_CSV_INVALID');
        const rows = refused.body.error.details.rows as Array<{
          line: number;
          column?: string;
          message: string;
        }>;
        assert.deepEqual(
          rows.map((r) => [r.line, r.column]),
          [[3, 'serial']],
        );
        // a serial that exists already is a bad row too
        const existing = ['serial,name', 'csv-gw-1,First', `${gateway.id},Taken`].join('\n');
        const clash = await call(app, 'POST', '/v1/gateways/import', {
          body: existing,
          contentType: 'text/csv',
        });
        assertError(clash, 400, 'HESTIA_CSV_INVALID');
        assert.deepEqual(
          clash.body.error.details.rows.map((r: { line: number }) => r.line),
          [3],
        );
        for (const id of ['csv-gw-1', 'csv-gw-3']) {
          assertError(await call(app, 'GET', `/v1/gateways/${id}`), 404, 'HESTIA_NOT_FOUND');
        }

        const good = ['serial,claim_code,name', 'csv-gw-1,ABCD-EFGH-JKMN,First', 'csv-gw-3,,Third'].join(
          '\r\n',
        );
        const imported = await call(app, 'POST', '/v1/gateways/import', {
          body: good,
          contentType: 'text/csv',
        });
        assert.equal(imported.status, 200, JSON.stringify(imported.body));
        assert.match(String(imported.headers['content-type']), /^text\/csv/);
        assert.equal(imported.headers['x-hestia-imported'], '2');
        const credentials = parse<Record<string, string>>(imported.body as string, { columns: true });
        assert.deepEqual(
          credentials.map((row) => [row.serial, row.name, row.mqtt_username, row.claim_code?.length]),
          [
            ['csv-gw-1', 'First', 'csv-gw-1', 'ABCD-EFGH-JKMN'.length],
            ['csv-gw-3', 'Third', 'csv-gw-3', 'ABCD-EFGH-JKMN'.length],
          ],
        );
        assert.equal(credentials[0]!.claim_code, 'ABCD-EFGH-JKMN', 'the code from the file is kept');
        for (const row of credentials) {
          const client = await app.connectGateway({ id: row.serial!, token: row.mqtt_password! });
          const csvInbox = new DownInbox(client, row.serial!);
          await client.subscribeAsync(topic(row.serial!, 'down'), { qos: 1 });
          assert.equal((await csvInbox.registration(1)).status, 'pending');
          await client.endAsync();
        }
        // the codes in the file register the gateways
        assert.equal((await claim('csv-gw-3', credentials[1]!.claim_code!)).status, 200);
        assert.equal((await gatewayView('csv-gw-3')).registration, 'registered');
      },
    );
  });

  describe(`changes made by another process reach live sessions (${backend.name})`, () => {
    let app: TestApp;
    let drop: () => Promise<void> = async () => undefined;

    before(async () => {
      const opened = await backend.open();
      drop = opened.drop;
      app = await startTestApp({
        mqtt: { ...MQTT_LISTENERS, credentialRecheckSeconds: 1 },
        ...(opened.storage ? { storage: opened.storage } : {}),
      });
    });
    after(async () => {
      await app?.stop();
      await drop();
    });

    it(
      'a rotation written to the store directly (as the CLI does) closes the session within seconds',
      TIMEOUT,
      async () => {
        const gateway = await app.createGateway('cli-rotated');
        const client = await app.connectGateway(gateway);
        const closed = closesWithin(client, 'the session after a rotation by another process');
        const token = newToken('hgw');
        await app.hestia.ctx.store.directory.gateways.setGatewayToken(
          gateway.id,
          hashToken(token),
          Date.now(),
        );
        await closed;
        const login = { clientId: gateway.id, username: gateway.id, password: gateway.token };
        assert.equal(await refusedCode(app.mqttUrl, login), 4);
        assert.equal(await refusedCode(app.mqttUrl, { ...login, password: token }), undefined);
      },
    );

    it('a registration changed in the store directly is told to the live gateway', TIMEOUT, async () => {
      const gateway = await app.createGateway('cli-unregistered');
      const inbox = await connectWithInbox(app, gateway);
      assert.equal((await inbox.registration(1)).status, 'accepted');
      await app.hestia.ctx.store.directory.gateways.unregisterGateway(gateway.id);
      // The state is told again on every change; a repeated "accepted" before the change is harmless.
      const news = await eventually('the pending message', async () =>
        inbox.registrations().find((message) => message.status === 'pending'),
      );
      assert.deepEqual(news, { messageType: 'registration', gatewayId: gateway.id, status: 'pending' });
      assert.ok(inbox.client.connected, 'the session goes on');
    });
  });
}

registrationSuite(SQLITE);

await onPostgres('gateway registration', () => registrationSuite(POSTGRES));
