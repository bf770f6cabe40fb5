import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Command } from '../../src/core/domain/command.ts';
import { eventually, startTestApp, type TestApp } from '../helpers/app.ts';
import { onEveryBackend, type Backend } from '../helpers/backends.ts';
import { CommandGateway, smartPlug, thermostat, waterLeakSensor } from '../helpers/command-gateway.ts';

/**
 * How long the app waits for a gateway's commandResult. Every command here but the one left
 * unanswered on purpose is answered at once, yet the round trip (HTTP, store, MQTT both ways) can
 * take longer than a second on a busy machine; only the unanswered one waits this long.
 */
const TIMEOUT_SECONDS = 5;
const PER_HOME_PER_MINUTE = 30;

/** Devices of the suite: ids are fixed so that failures name them. */
const THERMOSTAT = 'dev-thermostat-1';
const PLUG = 'dev-plug-1';
const LEAK = 'dev-leak-1';
const OFFLINE_PLUG = 'dev-plug-offline';
const OFFLINE_THERMOSTAT = 'dev-thermostat-offline';
const BUSY_PLUG = 'dev-plug-busy';

function commandsSuite(backend: Backend): void {
  describe(`commands (${backend.name})`, () => {
    let app: TestApp;
    let drop: () => Promise<void>;
    let gateway: CommandGateway;
    let offline: { id: string; token: string };
    let guestToken: string;
    let outsiderToken: string;
    /** Every 'command.status' event, in order. */
    const events: Command[] = [];

    const send = (deviceId: string, body: unknown, token?: string, headers: Record<string, string> = {}) =>
      app.hestia.api
        .inject({
          method: 'POST',
          url: `/v1/devices/${deviceId}/commands`,
          headers: { authorization: `Bearer ${token ?? app.ownerToken}`, ...headers },
          payload: body as object,
        })
        .then((response) => ({
          status: response.statusCode,
          headers: response.headers,
          // Response bodies are read field by field, like TestApp.request's.
          body: JSON.parse(response.body) as Record<string, any>,
        }));

    const statusOf = async (commandId: string) => {
      const response = await app.request('GET', `/v1/commands/${commandId}`, undefined, app.ownerToken);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body;
    };

    const finalOf = (commandId: string) =>
      eventually(`command ${commandId} to finish`, async () => {
        const command = await statusOf(commandId);
        return ['succeeded', 'failed', 'timed_out'].includes(command.status) ? command : undefined;
      });

    const deadLetters = async (): Promise<Array<{ reason: string; detail: string; payload: string }>> => {
      const response = await app.request('GET', '/v1/dead-letters?limit=1000');
      assert.equal(response.status, 200);
      return response.body.items;
    };

    const channelValue = async (deviceId: string, label: string) => {
      const response = await app.request('GET', `/v1/devices/${deviceId}`, undefined, app.ownerToken);
      return response.body.channels?.find((c: { label: string }) => c.label === label)?.value as
        number | undefined;
    };

    before(async () => {
      const opened = await backend.open();
      drop = opened.drop;
      app = await startTestApp({
        commands: { timeoutSeconds: TIMEOUT_SECONDS, perHomePerMinute: PER_HOME_PER_MINUTE },
        ...(opened.storage ? { storage: opened.storage } : {}),
      });
      app.hestia.ctx.bus.on('command.status', ({ command }) => events.push(command));
      const registered = await app.createGateway('gw-commands-1');
      gateway = await CommandGateway.connect(app.mqttUrl, registered, [
        thermostat(THERMOSTAT, 20),
        smartPlug(PLUG),
        waterLeakSensor(LEAK),
      ]);
      // A second gateway of the home: its devices exist, then it goes offline.
      offline = await app.createGateway('gw-commands-offline');
      const once = await CommandGateway.connect(app.mqttUrl, offline, [
        smartPlug(OFFLINE_PLUG),
        thermostat(OFFLINE_THERMOSTAT),
      ]);
      await once.close();
      await eventually('the offline gateway to be offline', async () =>
        app.hestia.broker.isConnected(offline.id) ? undefined : true,
      );
      const guest = await app.signUp('guest@commands.example');
      await app.hestia.ctx.store.directory.homes.addMember({
        homeId: app.homeId,
        userId: guest.userId,
        tenantId: app.tenantId,
        role: 'guest',
        atMs: Date.now(),
      });
      guestToken = guest.token;
      outsiderToken = (await app.signUp('outsider@commands.example')).token;
    });

    after(async () => {
      await gateway?.close();
      await app?.stop();
      await drop?.();
    });

    it('setTemperature round-trips pending → sent → succeeded and the new setpoint shows on the channel', async () => {
      const response = await send(THERMOSTAT, { action: 'setTemperature', params: { temperature: 21.5 } });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      const created = response.body;
      assert.equal(created.deviceId, THERMOSTAT);
      assert.equal(created.gatewayId, 'gw-commands-1');
      assert.equal(created.homeId, app.homeId);
      assert.equal(created.action, 'setTemperature');
      assert.deepEqual(created.params, { temperature: 21.5 });
      assert.equal(created.requestedByType, 'user');
      assert.equal(created.requestedBy, app.ownerId);
      // The gateway was subscribed: the command left before the response.
      assert.equal(created.status, 'sent');
      assert.ok(created.sentAt);

      const done = await finalOf(created.id);
      assert.equal(done.status, 'succeeded');
      assert.equal(done.detail, null);
      assert.ok(Date.parse(done.completedAt) >= Date.parse(done.sentAt));

      const down = gateway.received.find((c) => c.commandId === created.id);
      assert.ok(down, 'the gateway received the command');
      assert.deepEqual(
        { ...down, timestampMs: 0, expiresAtMs: 0 },
        {
          messageType: 'deviceCommand',
          commandId: created.id,
          gatewayId: 'gw-commands-1',
          deviceId: THERMOSTAT,
          action: 'setTemperature',
          params: { temperature: 21.5 },
          timestampMs: 0,
          expiresAtMs: 0,
        },
      );
      assert.equal(down.timestampMs, Date.parse(created.sentAt));
      assert.equal(down.expiresAtMs, down.timestampMs + TIMEOUT_SECONDS * 1000);

      await eventually('the new setpoint on the channel', async () =>
        (await channelValue(THERMOSTAT, 'Thermostat')) === 21.5 ? true : undefined,
      );
      assert.deepEqual(
        events.filter((e) => e.id === created.id).map((e) => e.status),
        ['pending', 'sent', 'succeeded'],
      );
    });

    it('converts a setpoint in °F to °C before it leaves', async () => {
      const response = await send(THERMOSTAT, {
        action: 'setTemperature',
        params: { temperature: 70, unit: 'F' },
      });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      assert.deepEqual(response.body.params, { temperature: 21.11 });
      await finalOf(response.body.id);
      assert.deepEqual(gateway.received.find((c) => c.commandId === response.body.id)?.params, {
        temperature: 21.11,
      });
    });

    it("records a failed result with the gateway's error", async () => {
      gateway.answer = () => ({ status: 'failed', error: 'relay stuck' });
      try {
        const response = await send(PLUG, { action: 'turnOn' });
        assert.equal(response.status, 201, JSON.stringify(response.body));
        const done = await finalOf(response.body.id);
        assert.equal(done.status, 'failed');
        assert.equal(done.detail, 'relay stuck');
      } finally {
        gateway.answer = () => ({ status: 'succeeded' });
      }
      assert.equal(gateway.value(PLUG), 0, 'a failed command does not change the device');
    });

    it('times out a sent command without an answer; a late result is accepted and changes nothing', async () => {
      gateway.answer = () => 'ignore';
      let commandId: string;
      try {
        const response = await send(PLUG, { action: 'toggle' });
        assert.equal(response.status, 201);
        commandId = response.body.id;
        const done = await finalOf(commandId);
        assert.equal(done.status, 'timed_out');
        assert.equal(done.detail, `no commandResult within ${TIMEOUT_SECONDS} s`);
      } finally {
        gateway.answer = () => ({ status: 'succeeded' });
      }
      const lettersBefore = (await deadLetters()).length;
      await gateway.commandResult({ commandId, deviceId: PLUG, status: 'succeeded' });
      const after = await statusOf(commandId);
      assert.equal(after.status, 'timed_out', 'a late result never moves a command back');
      assert.equal((await deadLetters()).length, lettersBefore, 'a late result is not a dead letter');
    });

    it('refuses a command for an offline gateway by default (409) and stores nothing', async () => {
      const response = await send(OFFLINE_PLUG, { action: 'turnOn' });
      assert.equal(response.status, 409);
      assert.equal(response.body.error.code, 'HESTIA_GATEWAY_OFFLINE');
      const listed = await app.request(
        'GET',
        `/v1/devices/${OFFLINE_PLUG}/commands`,
        undefined,
        app.ownerToken,
      );
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body.items, []);
    });

    it('queues commands for an offline gateway and delivers them in order once it subscribes again', async () => {
      const first = await send(OFFLINE_PLUG, { action: 'turnOn', whenOffline: 'queue' });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.equal(first.body.status, 'pending');
      assert.equal(first.body.whenOffline, 'queue');
      assert.equal(
        Date.parse(first.body.expiresAt) - Date.parse(first.body.createdAt),
        app.hestia.ctx.config.commands.defaultTtlSeconds * 1000,
      );
      const second = await send(OFFLINE_PLUG, { action: 'turnOff', whenOffline: 'queue', ttlSeconds: 300 });
      const third = await send(OFFLINE_THERMOSTAT, {
        action: 'setTemperature',
        params: { temperature: 18 },
        whenOffline: 'queue',
      });
      for (const queued of [second, third]) assert.equal(queued.body.status, 'pending');
      // Still queued while nobody listens: the sweep does not send into the void.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal((await statusOf(first.body.id)).status, 'pending');

      const back = await CommandGateway.connect(app.mqttUrl, offline, [
        smartPlug(OFFLINE_PLUG),
        thermostat(OFFLINE_THERMOSTAT),
      ]);
      try {
        for (const queued of [first, second, third]) {
          assert.equal((await finalOf(queued.body.id)).status, 'succeeded');
        }
        assert.deepEqual(
          back.received.map((c) => [c.commandId, c.action]),
          [
            [first.body.id, 'turnOn'],
            [second.body.id, 'turnOff'],
            [third.body.id, 'setTemperature'],
          ],
        );
        assert.equal(back.value(OFFLINE_PLUG), 0);
        await eventually('the queued setpoint on the channel', async () =>
          (await channelValue(OFFLINE_THERMOSTAT, 'Thermostat')) === 18 ? true : undefined,
        );
      } finally {
        await back.close();
      }
      await eventually('the gateway to be offline again', async () =>
        app.hestia.broker.isConnected(offline.id) ? undefined : true,
      );
    });

    it('times out a queued command whose time-to-live ran out, and never delivers it', async () => {
      const response = await send(OFFLINE_PLUG, { action: 'turnOn', whenOffline: 'queue', ttlSeconds: 1 });
      assert.equal(response.status, 201);
      const done = await finalOf(response.body.id);
      assert.equal(done.status, 'timed_out');
      assert.equal(done.detail, 'expired while the gateway was offline');
      assert.equal(done.sentAt, null);
      const back = await CommandGateway.connect(app.mqttUrl, offline, []);
      try {
        // The registration state arrives after the SUBSCRIBE, like any queued command would.
        await eventually('the registration state', async () =>
          back.otherDownlinks.length > 0 ? true : undefined,
        );
        assert.deepEqual(back.received, []);
      } finally {
        await back.close();
      }
    });

    it('refuses ttlSeconds above commands.maxTtlSeconds', async () => {
      const response = await send(OFFLINE_PLUG, {
        action: 'turnOn',
        whenOffline: 'queue',
        ttlSeconds: app.hestia.ctx.config.commands.maxTtlSeconds + 1,
      });
      assert.equal(response.status, 400);
      assert.equal(response.body.error.code, 'HESTIA_VALIDATION_FAILED');
      assert.match(response.body.error.message, /ttlSeconds/);
    });

    it('answers a repeated idempotency key with the first command, and a different command with 409', async () => {
      const key = `key-${randomUUID()}`;
      const first = await send(PLUG, { action: 'turnOn' }, undefined, { 'idempotency-key': key });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.equal(first.body.idempotencyKey, key);
      await finalOf(first.body.id);
      const replay = await send(PLUG, { action: 'turnOn', idempotencyKey: key });
      assert.equal(replay.status, 200);
      assert.equal(replay.body.id, first.body.id);
      assert.equal(replay.body.status, 'succeeded');
      assert.equal(gateway.received.filter((c) => c.commandId === first.body.id).length, 1, 'sent once');

      const mismatch = await send(PLUG, { action: 'turnOff', idempotencyKey: key });
      assert.equal(mismatch.status, 409);
      assert.equal(mismatch.body.error.code, 'HESTIA_IDEMPOTENCY_MISMATCH');
      const conflicting = await send(PLUG, { action: 'turnOn', idempotencyKey: key }, undefined, {
        'idempotency-key': 'another',
      });
      assert.equal(conflicting.status, 400);
    });

    it('checks commands against the device: unsupported (422), unknown action (422), bad params (400)', async () => {
      const cases: Array<[string, unknown, number, string, RegExp]> = [
        [
          PLUG,
          { action: 'setTemperature', params: { temperature: 21 } },
          422,
          'HESTIA_COMMAND_UNSUPPORTED',
          /turnOn/,
        ],
        [LEAK, { action: 'turnOn' }, 422, 'HESTIA_COMMAND_UNSUPPORTED', /none/],
        [THERMOSTAT, { action: 'fly' }, 422, 'HESTIA_COMMAND_UNSUPPORTED', /Unknown action "fly"/],
        [
          THERMOSTAT,
          { action: 'setTemperature', params: { temperature: 50 } },
          400,
          'HESTIA_VALIDATION_FAILED',
          /5\.\.35/,
        ],
        [
          THERMOSTAT,
          { action: 'setTemperature', params: { temperature: 'warm' } },
          400,
          'HESTIA_VALIDATION_FAILED',
          /number/,
        ],
        [THERMOSTAT, { action: 'setTemperature' }, 400, 'HESTIA_VALIDATION_FAILED', /required/],
        [
          THERMOSTAT,
          { action: 'setTemperature', params: { temperature: 21, fan: 'high' } },
          400,
          'HESTIA_VALIDATION_FAILED',
          /params\.fan/,
        ],
        [
          THERMOSTAT,
          { action: 'setMode', params: { mode: 'turbo' } },
          400,
          'HESTIA_VALIDATION_FAILED',
          /off, heat, cool, auto/,
        ],
        [
          PLUG,
          { action: 'turnOn', deviceId: 'another' },
          400,
          'HESTIA_VALIDATION_FAILED',
          /deviceId|additional/,
        ],
      ];
      for (const [deviceId, body, status, code, message] of cases) {
        const response = await send(deviceId, body);
        assert.equal(response.status, status, `${JSON.stringify(body)}: ${JSON.stringify(response.body)}`);
        assert.equal(response.body.error.code, code);
        assert.match(response.body.error.message, message);
      }
      const listed = await app.request('GET', `/v1/devices/${LEAK}/commands`, undefined, app.ownerToken);
      assert.deepEqual(listed.body.items, [], 'refused commands are not stored');
    });

    it('limits commands per home and minute (429 with retryAfterSeconds), other homes unaffected', async () => {
      // A home of its own, so that the bucket starts full whatever the other tests sent.
      const home = await app.request('POST', '/v1/homes', { name: 'Busy', timezone: 'UTC' }, app.ownerToken);
      assert.equal(home.status, 201);
      const busy = await app.createGateway('gw-commands-busy', home.body.id);
      const once = await CommandGateway.connect(app.mqttUrl, busy, [smartPlug(BUSY_PLUG)]);
      await once.close();
      // The bucket starts with PER_HOME_PER_MINUTE commands and refills at that rate a minute, also
      // while this loop runs, as slowly as a busy machine makes it: send until one is refused.
      const startedAt = Date.now();
      let accepted = 0;
      let limited: Awaited<ReturnType<typeof send>> | undefined;
      while (limited === undefined && accepted < 2 * PER_HOME_PER_MINUTE) {
        const response = await send(BUSY_PLUG, { action: 'toggle', whenOffline: 'queue' });
        if (response.status === 201) accepted += 1;
        else limited = response;
      }
      const refilled = Math.ceil(((Date.now() - startedAt) / 60_000) * PER_HOME_PER_MINUTE);
      assert.ok(
        accepted >= PER_HOME_PER_MINUTE && accepted <= PER_HOME_PER_MINUTE + refilled,
        `${accepted} commands accepted in ${Date.now() - startedAt} ms`,
      );
      assert.ok(limited, `no command refused after ${accepted}`);
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error.code, 'HESTIA_RATE_LIMITED');
      assert.ok(limited.body.error.details.retryAfterSeconds >= 1);
      assert.equal(limited.headers['retry-after'], String(limited.body.error.details.retryAfterSeconds));
      const elsewhere = await send(PLUG, { action: 'turnOff' });
      assert.equal(elsewhere.status, 201, 'the first home has its own bucket');
      const page = await app.request(
        'GET',
        `/v1/devices/${BUSY_PLUG}/commands?limit=500`,
        undefined,
        app.ownerToken,
      );
      assert.equal(page.body.items.length, accepted);
    });

    it('pages a device history newest first', async () => {
      const all = await app.request(
        'GET',
        `/v1/devices/${PLUG}/commands?limit=500`,
        undefined,
        app.ownerToken,
      );
      assert.ok(all.body.items.length >= 4);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await app.request(
          'GET',
          `/v1/devices/${PLUG}/commands?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          undefined,
          app.ownerToken,
        );
        seen.push(...page.body.items.map((c) => c.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      assert.deepEqual(
        seen,
        all.body.items.map((c: { id: string }) => c.id),
      );
      const created = all.body.items.map((c: { createdAt: string }) => Date.parse(c.createdAt));
      assert.deepEqual(
        created,
        [...created].sort((a: number, b: number) => b - a),
      );
      const bad = await app.request(
        'GET',
        `/v1/devices/${PLUG}/commands?cursor=bm9wZQ`,
        undefined,
        app.ownerToken,
      );
      assert.equal(bad.status, 400);
    });

    it("dead-letters a commandResult for an unknown command, another gateway's command or another device", async () => {
      const response = await send(THERMOSTAT, { action: 'setMode', params: { mode: 'heat' } });
      assert.equal(response.status, 201);
      const commandId = response.body.id as string;
      await finalOf(commandId);

      const stranger = await CommandGateway.connect(app.mqttUrl, offline, []);
      try {
        const unknownId = randomUUID();
        await gateway.commandResult({ commandId: unknownId, deviceId: PLUG, status: 'succeeded' });
        await stranger.commandResult({ commandId, deviceId: THERMOSTAT, status: 'failed', error: 'nope' });
        await gateway.commandResult({ commandId, deviceId: PLUG, status: 'failed' });
        await gateway.commandResult({ commandId, deviceId: THERMOSTAT, status: 'done' });
        const letters = await deadLetters();
        const about = (text: string) => letters.filter((l) => l.payload.includes(text));
        assert.deepEqual(
          about(unknownId).map((l) => l.reason),
          ['HESTIA_INGEST_UNKNOWN_COMMAND'],
        );
        const forCommand = about(commandId).map((l) => [l.reason, l.detail]);
        assert.deepEqual(forCommand.sort(), [
          ['HESTIA_INGEST_SCHEMA', 'status: expected "succeeded" or "failed", got "done"'],
          ['HESTIA_INGEST_UNKNOWN_COMMAND', `command ${commandId} is for device ${THERMOSTAT}, not ${PLUG}`],
          ['HESTIA_INGEST_UNKNOWN_COMMAND', `no command ${commandId} was sent to this gateway`],
        ]);
        assert.equal((await statusOf(commandId)).status, 'succeeded', 'the foreign result changed nothing');
      } finally {
        await stranger.close();
      }
    });

    it('lets guests read but not send (403), and answers outsiders 404', async () => {
      const sent = await send(PLUG, { action: 'turnOn' });
      assert.equal(sent.status, 201);
      const byGuest = await send(PLUG, { action: 'turnOff' }, guestToken);
      assert.equal(byGuest.status, 403);
      assert.equal(byGuest.body.error.code, 'HESTIA_FORBIDDEN');
      const readByGuest = await app.request('GET', `/v1/commands/${sent.body.id}`, undefined, guestToken);
      assert.equal(readByGuest.status, 200);
      const listByGuest = await app.request('GET', `/v1/devices/${PLUG}/commands`, undefined, guestToken);
      assert.equal(listByGuest.status, 200);
      assert.ok(listByGuest.body.items.some((c: { id: string }) => c.id === sent.body.id));

      const byOutsider = await send(PLUG, { action: 'turnOff' }, outsiderToken);
      assert.equal(byOutsider.status, 404);
      for (const url of [`/v1/commands/${sent.body.id}`, `/v1/devices/${PLUG}/commands`]) {
        const response = await app.request('GET', url, undefined, outsiderToken);
        assert.equal(response.status, 404, url);
      }
      const missing = await app.request('GET', `/v1/commands/${randomUUID()}`, undefined, app.ownerToken);
      assert.equal(missing.status, 404);
    });

    it('sends for an automation only within its home, with the automation as requester', async () => {
      const command = await app.hestia.services.commands.sendForAutomation({
        tenantId: app.tenantId,
        homeId: app.homeId,
        automationId: 'auto-1',
        deviceId: PLUG,
        action: 'turnOn',
        params: {},
      });
      assert.equal(command.requestedByType, 'automation');
      assert.equal(command.requestedBy, 'auto-1');
      assert.equal((await finalOf(command.id)).status, 'succeeded');
      await assert.rejects(
        app.hestia.services.commands.sendForAutomation({
          tenantId: app.tenantId,
          homeId: 'another-home',
          automationId: 'auto-1',
          deviceId: PLUG,
          action: 'turnOn',
          params: {},
        }),
        { code: 'HESTIA_NOT_FOUND' },
      );
    });
  });
}

await onEveryBackend('commands', commandsSuite);
