import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import * as SunCalc from 'suncalc';
import { Hestia } from '../../src/app.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/core/ports/store.ts';
import { eventually, startTestApp, type TestApp } from '../helpers/app.ts';
import { onEveryBackend, type Backend } from '../helpers/backends.ts';
import {
  CommandGateway,
  smartPlug,
  waterLeakSensor,
  type ReceivedCommand,
  type SimulatedDevice,
} from '../helpers/command-gateway.ts';

/**
 * Automations and scenes end to end: a real Hestia (embedded broker, SQLite or PostgreSQL), a
 * gateway over real MQTT that answers commands and reports the new state, rules created over
 * the HTTP API. Sun conditions use home locations chosen so that the sun is now well down (or
 * well up) there, computed with suncalc. Restarts stop the process and start a new one on the
 * same data, as an operator would.
 */

const MAX_RUNS_PER_MINUTE = 5;
const MAX_RULES_PER_HOME = 12;
const WAIT_MS = 15_000;

// Devices of the night home's gateway.
const MOTION = 'dev-auto-motion';
const PLUG_A = 'dev-auto-plug-a';
const PLUG_B = 'dev-auto-plug-b';
const THERMO = 'dev-auto-thermo';
const LEAK = 'dev-auto-leak';
const CAMERA = 'dev-auto-camera';
// Devices of the day home's gateway.
const MOTION_DAY = 'dev-auto-motion-day';
const PLUG_DAY = 'dev-auto-plug-day';

const motionSensor = (deviceId: string): SimulatedDevice => ({
  deviceId,
  deviceType: 'sensor',
  label: 'Motion',
  sensorType: 'SENSOR BINARY',
  value: 0,
});
const thermometer = (deviceId: string): SimulatedDevice => ({
  deviceId,
  deviceType: 'sensor',
  label: 'Temperature',
  sensorType: 'SENSOR MULTILEVEL',
  units: 'C',
  value: 20,
});
const camera = (deviceId: string): SimulatedDevice => ({
  deviceId,
  deviceType: 'camera',
  label: 'Motion',
  sensorType: 'SENSOR BINARY',
  value: 0,
});

const NIGHT_DEVICES = [
  motionSensor(MOTION),
  smartPlug(PLUG_A),
  smartPlug(PLUG_B),
  thermometer(THERMO),
  waterLeakSensor(LEAK),
  camera(CAMERA),
];
const DAY_DEVICES = [motionSensor(MOTION_DAY), smartPlug(PLUG_DAY)];

/**
 * A place on the equator where the sun is now more than 20° below (or above) the horizon, with
 * the fixed-offset zone of its longitude: the sun moves 20° in about 80 minutes, far longer
 * than the suite runs.
 */
function placeWhereSunIs(up: boolean): { latitude: number; longitude: number; timezone: string } {
  const now = new Date();
  for (let longitude = -175; longitude <= 175; longitude += 5) {
    const altitude = SunCalc.getPosition(now, 0, longitude).altitude;
    if (up ? altitude > 20 : altitude < -20) {
      const hours = Math.round(longitude / 15);
      // Etc/GMT zones have inverted signs: Etc/GMT-3 is UTC+3.
      const timezone = hours === 0 ? 'UTC' : `Etc/GMT${hours > 0 ? '-' : '+'}${Math.abs(hours)}`;
      return { latitude: 0, longitude, timezone };
    }
  }
  throw new Error('no such place (the sun is always somewhere)');
}

interface Reply {
  status: number;
  body: any;
}

function automationsSuite(backend: Backend): void {
  describe(`automations (${backend.name})`, () => {
    let app: TestApp;
    /** The running process: the test app's at first, a new one after each restart. */
    let hestia: Hestia;
    let drop: () => Promise<void> = async () => undefined;
    let gatewayA: { id: string; token: string };
    let gatewayB: { id: string; token: string };
    let night: CommandGateway;
    let day: CommandGateway;
    let dayHomeId: string;
    let guestToken: string;
    let outsiderToken: string;

    const call = async (
      method: string,
      url: string,
      body?: unknown,
      token: string = app.ownerToken,
    ): Promise<Reply> => {
      const response = await hestia.api.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(body === undefined ? {} : { payload: body as object }),
      });
      return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : null };
    };
    const ok = (reply: Reply, status = 200) => {
      assert.equal(reply.status, status, JSON.stringify(reply.body));
      return reply.body;
    };
    const createRule = async (homeId: string, rule: Record<string, unknown>) =>
      ok(await call('POST', `/v1/homes/${homeId}/automations`, rule), 201);
    const runsOf = async (automationId: string): Promise<any[]> =>
      ok(await call('GET', `/v1/automations/${automationId}/runs?limit=200`)).items;
    const waitForRuns = (automationId: string, count: number, what: string) =>
      eventually(
        what,
        async () => {
          const runs = await runsOf(automationId);
          return runs.filter((run) => !['running', 'waiting'].includes(run.outcome)).length >= count
            ? runs
            : undefined;
        },
        WAIT_MS,
      );
    const commandsTo = (gateway: CommandGateway, deviceId: string, action?: string): ReceivedCommand[] =>
      gateway.received.filter(
        (command) => command.deviceId === deviceId && (!action || command.action === action),
      );
    const waitForCommands = (gateway: CommandGateway, deviceId: string, action: string, count: number) =>
      eventually(
        `${count} ${action} command(s) to ${deviceId}`,
        async () => (commandsTo(gateway, deviceId, action).length >= count ? true : undefined),
        WAIT_MS,
      );
    const sense = (
      gateway: CommandGateway,
      deviceId: string,
      label: string,
      sensorType: string,
      value: number,
      units?: string,
    ) =>
      gateway.publish({
        messageType: 'sensorData',
        deviceId,
        deviceType: 'sensor',
        protocol: 'zwave',
        sensorType,
        label,
        sensorData: String(value),
        ...(units ? { units } : {}),
      });
    const motion = (gateway: CommandGateway, deviceId: string, value: number) =>
      sense(gateway, deviceId, 'Motion', 'SENSOR BINARY', value);
    const temperature = (value: number) =>
      sense(night, THERMO, 'Temperature', 'SENSOR MULTILEVEL', value, 'C');

    /** Stops the process, optionally edits its data while it is down, and starts a new one on the same data. */
    async function restart(whileDown?: (store: Store) => Promise<void>): Promise<void> {
      const config = hestia.ctx.config;
      await night.close();
      await day.close();
      await hestia.stop();
      if (whileDown) {
        const store = await openStore(config);
        try {
          await whileDown(store);
        } finally {
          await store.close();
        }
      }
      hestia = await Hestia.start(config, { logger: pino({ level: 'silent' }) });
      const url = `mqtt://127.0.0.1:${hestia.ports.mqtt}`;
      night = await CommandGateway.connect(url, gatewayA, NIGHT_DEVICES);
      day = await CommandGateway.connect(url, gatewayB, DAY_DEVICES);
    }

    before(async () => {
      const opened = await backend.open();
      drop = opened.drop;
      app = await startTestApp({
        automations: {
          maxRunsPerMinute: MAX_RUNS_PER_MINUTE,
          maxRulesPerHome: MAX_RULES_PER_HOME,
          schedulerIntervalSeconds: 1,
          refreshIntervalSeconds: 1,
        },
        ...(opened.storage ? { storage: opened.storage } : {}),
      });
      hestia = app.hestia;
      ok(await call('PATCH', `/v1/homes/${app.homeId}`, placeWhereSunIs(false)));
      dayHomeId = ok(await call('POST', '/v1/homes', { name: 'Day home', ...placeWhereSunIs(true) }), 201).id;
      gatewayA = await app.createGateway('gw-auto-night');
      gatewayB = await app.createGateway('gw-auto-day', dayHomeId);
      night = await CommandGateway.connect(app.mqttUrl, gatewayA, NIGHT_DEVICES);
      day = await CommandGateway.connect(app.mqttUrl, gatewayB, DAY_DEVICES);
      // Every device has reported once (they must exist before rules may name them).
      await eventually(
        'the devices to be stored',
        async () => {
          const devices = await Promise.all(
            [...NIGHT_DEVICES, ...DAY_DEVICES].map((device) =>
              hestia.ctx.store.devices.findDevice(device.deviceId),
            ),
          );
          return devices.every(Boolean) ? true : undefined;
        },
        WAIT_MS,
      );
      const guest = await app.signUp('guest@automations.example');
      await hestia.ctx.store.directory.homes.addMember({
        homeId: app.homeId,
        userId: guest.userId,
        tenantId: app.tenantId,
        role: 'guest',
        atMs: Date.now(),
      });
      guestToken = guest.token;
      outsiderToken = (await app.signUp('outsider@automations.example')).token;
    });

    after(async () => {
      await night?.close();
      await day?.close();
      if (hestia && hestia !== app?.hestia) await hestia.stop();
      await app?.stop();
      await drop();
    });

    it('motion after sunset switches the plug on, once per activation; a cooldown holds back a second rule', async () => {
      const rule = await createRule(app.homeId, {
        name: 'Hall light on motion after sunset',
        triggers: [{ type: 'device', deviceId: MOTION, label: 'Motion', op: 'becomes_active' }],
        conditions: [{ type: 'sun', after: 'sunset', before: 'sunrise' }],
        actions: [{ type: 'command', deviceId: PLUG_A, action: 'turnOn' }],
      });
      assert.equal(rule.enabled, true);
      assert.equal(rule.flagReason, null);
      const cooled = await createRule(app.homeId, {
        name: 'Tell me about motion, once an hour',
        cooldownSeconds: 3600,
        triggers: [{ type: 'device', deviceId: MOTION, label: 'Motion', op: 'becomes_active' }],
        actions: [{ type: 'notify', title: 'Motion', body: 'In the hall' }],
      });

      await motion(night, MOTION, 1);
      await waitForCommands(night, PLUG_A, 'turnOn', 1);
      // Repeated motion without a 0 between is the same activation.
      await motion(night, MOTION, 1);
      await motion(night, MOTION, 1);
      await motion(night, MOTION, 0);
      await motion(night, MOTION, 1);
      await waitForCommands(night, PLUG_A, 'turnOn', 2);
      const runs = await waitForRuns(rule.id, 2, 'two runs of the motion rule');
      assert.equal(runs.length, 2, JSON.stringify(runs));
      assert.equal(commandsTo(night, PLUG_A, 'turnOn').length, 2);
      // Each activation went from 0 to 1 (the repeated 1s in between fired nothing).
      for (const run of runs) {
        assert.equal(run.outcome, 'succeeded', JSON.stringify(run));
        assert.equal(run.trigger.type, 'device');
        assert.deepEqual([run.trigger.previous, run.trigger.value], [0, 1]);
        // A device without a name is named by its type and the start of its id.
        assert.equal(run.trigger.description, `Motion of sensor ${MOTION.slice(0, 8)} became active (1)`);
        assert.equal(run.trigger.deviceId, MOTION);
        assert.equal(run.actions[0].status, 'done');
      }
      const commandId = runs[0].actions[0].commandIds[0];
      assert.ok(commandsTo(night, PLUG_A).some((command) => command.commandId === commandId));
      // The plug reported its new state after the command.
      await eventually('the plug to be on', async () => {
        const device = ok(await call('GET', `/v1/devices/${PLUG_A}`));
        return device.channels.find((c: { label: string }) => c.label === 'Switch')?.value === 1
          ? true
          : undefined;
      });
      const cooledRuns = await waitForRuns(cooled.id, 1, 'the cooled-down rule to run once');
      assert.equal(cooledRuns.length, 1, JSON.stringify(cooledRuns));
      ok(await call('DELETE', `/v1/automations/${rule.id}`), 204);
      ok(await call('DELETE', `/v1/automations/${cooled.id}`), 204);
    });

    it('the same rule in daylight records a skipped_condition run and sends nothing', async () => {
      const rule = await createRule(dayHomeId, {
        name: 'Light on motion after sunset',
        triggers: [{ type: 'device', deviceId: MOTION_DAY, label: 'Motion', op: 'becomes_active' }],
        conditions: [{ type: 'sun', after: 'sunset', before: 'sunrise' }],
        actions: [{ type: 'command', deviceId: PLUG_DAY, action: 'turnOn' }],
      });
      await motion(day, MOTION_DAY, 1);
      const [run] = await waitForRuns(rule.id, 1, 'the skipped run');
      assert.equal(run.outcome, 'skipped_condition');
      assert.match(run.error, /^conditions\[0\]: the sun is up/);
      assert.deepEqual(run.actions, []);
      assert.equal(commandsTo(day, PLUG_DAY).length, 0);
      // Forced by hand, the conditions are not asked.
      const forced = ok(await call('POST', `/v1/automations/${rule.id}/run`, { force: true }));
      assert.equal(forced.outcome, 'succeeded', JSON.stringify(forced));
      await waitForCommands(day, PLUG_DAY, 'turnOn', 1);
      const unforced = ok(await call('POST', `/v1/automations/${rule.id}/run`, {}));
      assert.equal(unforced.outcome, 'skipped_condition');
    });

    it('a threshold fires when crossed, not on every reading above it', async () => {
      ok(await call('PATCH', `/v1/devices/${THERMO}`, { name: 'Living room thermometer' }));
      const rule = await createRule(app.homeId, {
        name: 'Cool down',
        triggers: [{ type: 'device', deviceId: THERMO, label: 'Temperature', op: 'above', value: 25 }],
        actions: [{ type: 'command', deviceId: PLUG_B, action: 'turnOn' }],
      });
      const earlier = commandsTo(night, PLUG_B, 'turnOn').length;
      await temperature(24);
      await temperature(26); // crosses
      await temperature(27);
      await temperature(28);
      await temperature(25); // at the threshold is not above
      await temperature(26.5); // crosses again
      await waitForCommands(night, PLUG_B, 'turnOn', earlier + 2);
      const runs = await waitForRuns(rule.id, 2, 'two crossings');
      assert.equal(runs.length, 2);
      assert.deepEqual(
        runs.map((run) => [run.trigger.previous, run.trigger.value]).sort((a, b) => a[1] - b[1]),
        [
          [24, 26],
          [25, 26.5],
        ],
      );
      assert.equal(commandsTo(night, PLUG_B, 'turnOn').length, earlier + 2);
      // The run names the device by its name, and keeps its id for clients.
      const first = runs.find((run) => run.trigger.value === 26);
      assert.equal(first.trigger.description, 'Temperature of Living room thermometer rose above 25 (26)');
      assert.equal(first.trigger.deviceId, THERMO);
      ok(await call('DELETE', `/v1/automations/${rule.id}`), 204);
    });

    it('refuses invalid rules with HESTIA_AUTOMATION_INVALID naming the field', async () => {
      const base = {
        name: 'x',
        triggers: [{ type: 'device', deviceId: MOTION, label: 'Motion', op: 'becomes_active' }],
        actions: [{ type: 'command', deviceId: PLUG_A, action: 'turnOn' }],
      };
      const cases: Array<[unknown, RegExp]> = [
        [{ ...base, triggers: [{ ...base.triggers[0], op: 'maybe' }] }, /^triggers\[0\]\.op: one of/],
        [
          { ...base, actions: [{ type: 'command', deviceId: PLUG_DAY, action: 'turnOn' }] },
          /^actions\[0\]\.deviceId: no such device in this home/,
        ],
        [
          { ...base, triggers: [{ ...base.triggers[0], deviceId: 'dev-nowhere' }] },
          /^triggers\[0\]\.deviceId: no such device in this home/,
        ],
        [
          {
            ...base,
            actions: [{ type: 'command', deviceId: PLUG_A, action: 'setLevel', params: { level: 50 } }],
          },
          /^actions\[0\]\.action: This device does not support setLevel/,
        ],
        [
          { ...base, actions: [{ type: 'record', deviceId: PLUG_A, durationSeconds: 30 }] },
          /^actions\[0\]\.deviceId: record needs a camera/,
        ],
        [
          { ...base, actions: [{ type: 'scene', sceneId: 'no-such-scene' }] },
          /^actions\[0\]\.sceneId: no such scene in this home/,
        ],
        [
          { ...base, actions: [{ type: 'notify', title: 't', body: 'b', userIds: ['someone-else'] }] },
          /^actions\[0\]\.userIds\[0\]: not a member of this home/,
        ],
        [
          { ...base, actions: [{ type: 'delay', seconds: 10 ** 9 }, ...base.actions] },
          /^actions\[0\]\.seconds: a whole number from 1 to 86400/,
        ],
        [
          { ...base, triggers: [{ type: 'schedule', cron: 'every day' }] },
          /^triggers\[0\]\.cron: five fields/,
        ],
      ];
      for (const [body, message] of cases) {
        const reply = await call('POST', `/v1/homes/${app.homeId}/automations`, body);
        assert.equal(reply.status, 400, JSON.stringify(reply.body));
        assert.equal(reply.body.error.code, 'HESTIA_AUTOMATION_INVALID');
        assert.match(reply.body.error.message, message);
        assert.equal(typeof reply.body.error.details.field, 'string');
        assert.equal(reply.body.error.message.split(':')[0], reply.body.error.details.field);
      }
      // A command's parameters are named by their full path, in rules and in scenes' steps.
      const record = (params: unknown) => ({
        type: 'command',
        deviceId: CAMERA,
        action: 'startRecording',
        params,
      });
      const paramCases: Array<[unknown, string, RegExp]> = [
        [{ durationSeconds: 'long' }, 'params.durationSeconds', /: expected a number$/],
        [{ durationSeconds: 5000 }, 'params.durationSeconds', /: 5000 s is outside 1\.\.3600 s$/],
        [{ speed: 2 }, 'params.speed', /: startRecording takes durationSeconds$/],
        [{ 'a: b': 2 }, 'params.a: b', /: startRecording takes durationSeconds$/],
      ];
      for (const [params, path, message] of paramCases) {
        const ruleReply = await call('POST', `/v1/homes/${app.homeId}/automations`, {
          ...base,
          actions: [...base.actions, record(params)],
        });
        assert.equal(ruleReply.status, 400, JSON.stringify(ruleReply.body));
        assert.equal(ruleReply.body.error.details.field, `actions[1].${path}`);
        assert.ok(
          ruleReply.body.error.message.startsWith(`actions[1].${path}: `),
          ruleReply.body.error.message,
        );
        assert.match(ruleReply.body.error.message, message);
        const sceneReply = await call('POST', `/v1/homes/${app.homeId}/scenes`, {
          name: 'Bad step',
          actions: [record(params)],
        });
        assert.equal(sceneReply.status, 400, JSON.stringify(sceneReply.body));
        assert.equal(sceneReply.body.error.code, 'HESTIA_AUTOMATION_INVALID');
        assert.equal(sceneReply.body.error.details.field, `actions[0].${path}`);
      }
      // Every problem is listed (the first in details.field and the message, as before): the
      // structure's first, then what the rule names in the home.
      const structural = await call('POST', `/v1/homes/${app.homeId}/automations`, {
        name: ' ',
        triggers: [{ ...base.triggers[0], op: 'maybe' }, { type: 'mode' }, { type: 'weather' }],
        actions: [{ type: 'delay', seconds: 0 }, ...base.actions],
      });
      assert.equal(structural.status, 400);
      assert.equal(structural.body.error.details.field, 'actions[0].seconds');
      assert.match(structural.body.error.message, /^actions\[0\]\.seconds: a whole number from 1 to/);
      assert.deepEqual(
        structural.body.error.details.errors.map((error: { field: string }) => error.field),
        ['actions[0].seconds', 'name', 'triggers[0].op', 'triggers[2].type'],
      );
      assert.match(structural.body.error.details.errors[1].message, /^1 to 100 characters$/);
      const inHome = await call('POST', `/v1/homes/${app.homeId}/automations`, {
        ...base,
        triggers: [{ ...base.triggers[0], deviceId: 'dev-nowhere' }],
        actions: [{ type: 'scene', sceneId: 'no-such-scene' }, record({ durationSeconds: 0 })],
      });
      assert.equal(inHome.status, 400);
      assert.equal(inHome.body.error.details.field, 'triggers[0].deviceId');
      assert.deepEqual(inHome.body.error.details.errors, [
        { field: 'triggers[0].deviceId', message: 'no such device in this home' },
        { field: 'actions[0].sceneId', message: 'no such scene in this home' },
        { field: 'actions[1].params.durationSeconds', message: '0 s is outside 1..3600 s' },
      ]);
      const badScene = await call('POST', `/v1/homes/${app.homeId}/scenes`, {
        name: 'Two bad steps',
        actions: [record({ durationSeconds: 0 }), { type: 'record', deviceId: PLUG_A, durationSeconds: 30 }],
      });
      assert.deepEqual(
        badScene.body.error.details.errors.map((error: { field: string }) => error.field),
        ['actions[0].params.durationSeconds', 'actions[1].deviceId'],
      );
      // Sun triggers need the home's location.
      const nowhere = ok(
        await call('POST', '/v1/homes', { name: 'No location', timezone: 'Europe/Berlin' }),
        201,
      );
      const sunless = await call('POST', `/v1/homes/${nowhere.id}/automations`, {
        name: 'Evening',
        triggers: [{ type: 'sun', event: 'sunset' }],
        actions: [{ type: 'notify', title: 'Evening', body: 'The sun has set' }],
      });
      assert.equal(sunless.status, 400);
      assert.match(sunless.body.error.message, /^triggers\[0\]: the home has no location/);
      // The home's limit of rules.
      for (let index = 0; index < MAX_RULES_PER_HOME; index++) {
        await createRule(nowhere.id, {
          name: `rule ${index}`,
          triggers: [{ type: 'mode', mode: 'armed' }],
          actions: [{ type: 'notify', title: 'Armed', body: 'The home is armed' }],
        });
      }
      const beyond = await call('POST', `/v1/homes/${nowhere.id}/automations`, {
        name: 'one too many',
        triggers: [{ type: 'mode' }],
        actions: [{ type: 'notify', title: 'Mode', body: 'changed' }],
      });
      assert.equal(beyond.status, 409);
      assert.equal(beyond.body.error.code, 'HESTIA_AUTOMATION_LIMIT');
      ok(await call('DELETE', `/v1/homes/${nowhere.id}`), 204);
    });

    it('guests read but may not create (403); outsiders see nothing (404)', async () => {
      const rule = await createRule(app.homeId, {
        name: 'Readable',
        enabled: false,
        triggers: [{ type: 'mode', mode: 'home' }],
        actions: [{ type: 'command', deviceId: PLUG_B, action: 'turnOff' }],
      });
      const body = {
        name: 'by guest',
        triggers: [{ type: 'mode' }],
        actions: [{ type: 'command', deviceId: PLUG_B, action: 'turnOff' }],
      };
      assert.equal(
        (await call('GET', `/v1/homes/${app.homeId}/automations`, undefined, guestToken)).status,
        200,
      );
      assert.equal((await call('GET', `/v1/automations/${rule.id}`, undefined, guestToken)).status, 200);
      assert.equal((await call('GET', `/v1/automations/${rule.id}/runs`, undefined, guestToken)).status, 200);
      const byGuest = await call('POST', `/v1/homes/${app.homeId}/automations`, body, guestToken);
      assert.equal(byGuest.status, 403);
      assert.equal(byGuest.body.error.code, 'HESTIA_FORBIDDEN');
      assert.equal(
        (await call('PATCH', `/v1/automations/${rule.id}`, { enabled: true }, guestToken)).status,
        403,
      );
      assert.equal((await call('POST', `/v1/automations/${rule.id}/run`, {}, guestToken)).status, 403);
      assert.equal((await call('DELETE', `/v1/automations/${rule.id}`, undefined, guestToken)).status, 403);
      for (const [method, url, payload] of [
        ['GET', `/v1/automations/${rule.id}`, undefined],
        ['GET', `/v1/automations/${rule.id}/runs`, undefined],
        ['PUT', `/v1/automations/${rule.id}`, body],
        ['DELETE', `/v1/automations/${rule.id}`, undefined],
        ['GET', `/v1/homes/${app.homeId}/automations`, undefined],
        ['POST', `/v1/homes/${app.homeId}/automations`, body],
        ['GET', `/v1/homes/${app.homeId}/scenes`, undefined],
      ] as const) {
        const reply = await call(method, url, payload, outsiderToken);
        assert.equal(reply.status, 404, `${method} ${url}: ${JSON.stringify(reply.body)}`);
      }
      // The audit log has the creation.
      const audit = ok(
        await call(
          'GET',
          `/v1/tenants/${app.tenantId}/audit?action=automation.created`,
          undefined,
          app.adminToken,
        ),
      );
      assert.ok(
        audit.items.some((entry: { targetId: string }) => entry.targetId === rule.id),
        JSON.stringify(audit),
      );
      ok(await call('DELETE', `/v1/automations/${rule.id}`), 204);
    });

    it('lists each rule with its newest run, or null when it never ran', async () => {
      const rule = (name: string) =>
        createRule(app.homeId, {
          name,
          triggers: [{ type: 'mode', mode: 'home' }],
          actions: [{ type: 'notify', title: name, body: 'Ran' }],
        });
      const ran = await rule('Ran twice');
      const never = await rule('Never ran');
      assert.equal(ran.lastRun, null);
      const skipped = await createRule(app.homeId, {
        name: 'Skipped by its condition',
        triggers: [{ type: 'mode', mode: 'home' }],
        conditions: [{ type: 'mode', mode: 'armed' }],
        actions: [{ type: 'notify', title: 'Armed', body: 'Ran' }],
      });
      const first = ok(await call('POST', `/v1/automations/${ran.id}/run`, {}));
      const second = ok(await call('POST', `/v1/automations/${ran.id}/run`, {}));
      const skippedRun = ok(await call('POST', `/v1/automations/${skipped.id}/run`, {}));
      assert.equal(skippedRun.outcome, 'skipped_condition');
      // Two runs may start within one millisecond: the newest is the first of the run history.
      const [newest] = await runsOf(ran.id);
      assert.ok([first.id, second.id].includes(newest.id));
      const items = ok(await call('GET', `/v1/homes/${app.homeId}/automations`, undefined, guestToken)).items;
      const listed = (id: string) => items.find((item: { id: string }) => item.id === id);
      assert.deepEqual(listed(ran.id).lastRun, {
        id: newest.id,
        at: newest.startedAt,
        outcome: 'succeeded',
        error: null,
      });
      assert.equal(listed(never.id).lastRun, null);
      assert.deepEqual(listed(skipped.id).lastRun, {
        id: skippedRun.id,
        at: skippedRun.startedAt,
        outcome: 'skipped_condition',
        error: skippedRun.error,
      });
      // The rule itself, and a change to it, carry it too.
      assert.deepEqual(ok(await call('GET', `/v1/automations/${ran.id}`)).lastRun, listed(ran.id).lastRun);
      const renamed = ok(await call('PATCH', `/v1/automations/${ran.id}`, { name: 'Ran twice, renamed' }));
      assert.deepEqual(renamed.lastRun, listed(ran.id).lastRun);
      for (const { id } of [ran, never, skipped]) ok(await call('DELETE', `/v1/automations/${id}`), 204);
    });

    it('a scene sends its commands when activated, and as an action of a rule', async () => {
      const scene = ok(
        await call('POST', `/v1/homes/${app.homeId}/scenes`, {
          name: 'Good night',
          actions: [
            { type: 'command', deviceId: PLUG_A, action: 'turnOff' },
            { type: 'command', deviceId: PLUG_B, action: 'turnOff' },
            { type: 'record', deviceId: CAMERA, durationSeconds: 30 },
          ],
        }),
        201,
      );
      assert.equal(
        ok(await call('GET', `/v1/homes/${app.homeId}/scenes`, undefined, guestToken)).items.length,
        1,
      );
      assert.equal(
        (await call('POST', `/v1/scenes/${scene.id}/activate`, undefined, guestToken)).status,
        403,
      );
      const offBefore = commandsTo(night, PLUG_A, 'turnOff').length;
      const activated = ok(await call('POST', `/v1/scenes/${scene.id}/activate`));
      assert.equal(activated.results.length, 3);
      assert.ok(
        activated.results.every((result: { commandId: string | null }) => result.commandId !== null),
        JSON.stringify(activated),
      );
      await waitForCommands(night, PLUG_A, 'turnOff', offBefore + 1);
      await waitForCommands(night, PLUG_B, 'turnOff', 1);
      await waitForCommands(night, CAMERA, 'startRecording', 1);
      assert.deepEqual(commandsTo(night, CAMERA, 'startRecording')[0]!.params, { durationSeconds: 30 });

      const rule = await createRule(app.homeId, {
        name: 'Good night at the press of a button',
        triggers: [{ type: 'mode', mode: 'home' }],
        actions: [{ type: 'scene', sceneId: scene.id }],
      });
      const run = ok(await call('POST', `/v1/automations/${rule.id}/run`, {}));
      assert.equal(run.outcome, 'succeeded', JSON.stringify(run));
      assert.equal(run.trigger.type, 'manual');
      assert.equal(run.actions[0].commandIds.length, 3);
      await waitForCommands(night, PLUG_A, 'turnOff', offBefore + 2);
      // A deleted scene makes the action fail, with the reason.
      ok(await call('DELETE', `/v1/scenes/${scene.id}`), 204);
      const failed = ok(await call('POST', `/v1/automations/${rule.id}/run`, {}));
      assert.equal(failed.outcome, 'failed');
      assert.match(failed.error, /^actions\[0\]: the scene no longer exists/);
      const [listedRule] = ok(await call('GET', `/v1/homes/${app.homeId}/automations`)).items.filter(
        (item: { id: string }) => item.id === rule.id,
      );
      assert.deepEqual(listedRule.lastRun, {
        id: failed.id,
        at: failed.startedAt,
        outcome: 'failed',
        error: failed.error,
      });
      ok(await call('DELETE', `/v1/automations/${rule.id}`), 204);
    });

    it('mode changes and alarms fire rules', async () => {
      const onArm = await createRule(app.homeId, {
        name: 'Armed: everything off',
        triggers: [{ type: 'mode', mode: 'armed' }],
        actions: [{ type: 'command', deviceId: PLUG_B, action: 'turnOff' }],
      });
      const onLeak = await createRule(app.homeId, {
        name: 'Leak: record the cellar',
        triggers: [{ type: 'alarm', cause: 'water_leak' }],
        actions: [{ type: 'record', deviceId: CAMERA, durationSeconds: 120 }],
      });
      ok(await call('PUT', `/v1/homes/${app.homeId}/security/mode`, { mode: 'armed' }));
      const [armed] = await waitForRuns(onArm.id, 1, 'the mode rule');
      assert.equal(armed.outcome, 'succeeded', JSON.stringify(armed));
      assert.equal(armed.trigger.type, 'mode');
      ok(await call('PUT', `/v1/homes/${app.homeId}/security/mode`, { mode: 'disarmed' }));

      const recordings = commandsTo(night, CAMERA, 'startRecording').length;
      await sense(night, LEAK, 'Water Leak', 'SENSOR BINARY', 1);
      const [leak] = await waitForRuns(onLeak.id, 1, 'the alarm rule');
      assert.equal(leak.outcome, 'succeeded', JSON.stringify(leak));
      assert.equal(leak.trigger.type, 'alarm');
      assert.match(leak.trigger.description, new RegExp(`alarm raised by sensor ${LEAK.slice(0, 8)}$`));
      assert.equal(leak.trigger.deviceId, LEAK);
      await waitForCommands(night, CAMERA, 'startRecording', recordings + 1);
      await sense(night, LEAK, 'Water Leak', 'SENSOR BINARY', 0);
      ok(await call('DELETE', `/v1/automations/${onArm.id}`), 204);
      ok(await call('DELETE', `/v1/automations/${onLeak.id}`), 204);
    });

    it('two rules toggling each other are stopped: throttled, flagged as a loop, the home told', async () => {
      const ping = await createRule(app.homeId, {
        name: 'Ping',
        triggers: [{ type: 'device', deviceId: PLUG_A, label: 'Switch', op: 'changes' }],
        actions: [{ type: 'command', deviceId: PLUG_B, action: 'toggle' }],
      });
      const pong = await createRule(app.homeId, {
        name: 'Pong',
        triggers: [{ type: 'device', deviceId: PLUG_B, label: 'Switch', op: 'changes' }],
        actions: [{ type: 'command', deviceId: PLUG_A, action: 'toggle' }],
      });
      // Ping by hand: B toggles → Pong toggles A → Ping again, through its own doing.
      ok(await call('POST', `/v1/automations/${ping.id}/run`, {}));
      const flagged = await eventually(
        'one of the rules to be flagged',
        async () => {
          for (const id of [ping.id, pong.id]) {
            const rule = ok(await call('GET', `/v1/automations/${id}`));
            if (rule.flagReason) return rule;
          }
          return undefined;
        },
        WAIT_MS,
      );
      assert.equal(flagged.id, ping.id, 'Ping re-triggered itself through Pong');
      assert.equal(flagged.flagReason, 'loop');
      assert.equal(flagged.enabled, false);
      assert.ok(flagged.flaggedAt);
      const runs = await runsOf(ping.id);
      const throttled = runs.filter((run) => run.outcome === 'throttled');
      assert.equal(throttled.length, 1, JSON.stringify(runs));
      assert.match(throttled[0].error, /re-triggered by its own actions/);
      assert.ok(throttled[0].causes.includes(ping.id) && throttled[0].causes.includes(pong.id));
      const notification = await hestia.ctx.store.control.notifications.findRequestBySourceKey(
        `automation:${ping.id}:flagged:${Date.parse(flagged.flaggedAt)}`,
      );
      assert.equal(notification?.severity, 'warning');
      assert.equal(notification?.homeId, app.homeId);
      // Enabling it again clears the flag.
      const enabled = ok(await call('PATCH', `/v1/automations/${ping.id}`, { enabled: true }));
      assert.equal(enabled.enabled, true);
      assert.equal(enabled.flagReason, null);
      assert.equal(enabled.flaggedAt, null);
      ok(await call('DELETE', `/v1/automations/${pong.id}`), 204);
      ok(await call('DELETE', `/v1/automations/${ping.id}`), 204);
    });

    it('a rule running more than maxRunsPerMinute is throttled and flagged (rate)', async () => {
      const chatty = await createRule(app.homeId, {
        name: 'Every change',
        triggers: [{ type: 'device', deviceId: THERMO, label: 'Temperature', op: 'changes' }],
        actions: [{ type: 'notify', title: 'Temperature', body: 'It changed' }],
      });
      for (let step = 1; step <= MAX_RUNS_PER_MINUTE + 1; step++) await temperature(10 + step);
      const runs = await waitForRuns(chatty.id, MAX_RUNS_PER_MINUTE + 1, 'the runs of the chatty rule');
      // Runs started within one millisecond may list in either order: compare as a multiset.
      assert.deepEqual(runs.map((run) => run.outcome).sort(), [
        ...Array<string>(MAX_RUNS_PER_MINUTE).fill('succeeded'),
        'throttled',
      ]);
      const rule = ok(await call('GET', `/v1/automations/${chatty.id}`));
      assert.equal(rule.flagReason, 'rate');
      assert.equal(rule.enabled, false);
      ok(await call('DELETE', `/v1/automations/${chatty.id}`), 204);
    });

    it('claims a due schedule exactly once, also when two workers race', async () => {
      const rule = await createRule(app.homeId, {
        name: 'Three in the morning',
        enabled: false,
        triggers: [{ type: 'schedule', cron: '0 3 * * *' }],
        actions: [{ type: 'command', deviceId: PLUG_B, action: 'turnOff' }],
      });
      const store = hestia.ctx.store.control.automations;
      // Disabled rules have no schedule; a row written here stands for one (the claim is the
      // subject). Its times lie far ahead, so that the running scheduler leaves it alone.
      const due = Date.now() + 24 * 60 * 60_000;
      await store.replaceSchedules(rule.id, [{ automationId: rule.id, triggerIndex: 0, nextFireAtMs: due }]);
      const row = { automationId: rule.id, triggerIndex: 0 };
      const claims = await Promise.all([
        store.claimSchedule(row, due, due + 1),
        store.claimSchedule(row, due, due + 2),
      ]);
      assert.equal(claims.filter(Boolean).length, 1);
      assert.equal(await store.claimSchedule(row, due, due + 3), false);
      const [stored] = await store.listSchedules(rule.id);
      assert.ok(stored!.nextFireAtMs === due + 1 || stored!.nextFireAtMs === due + 2);
      ok(await call('DELETE', `/v1/automations/${rule.id}`), 204);
    });

    it('schedules fire once across restarts, missed ones are recorded, and a delayed run resumes', async () => {
      const rule = (name: string, deviceId: string) =>
        createRule(app.homeId, {
          name,
          triggers: [{ type: 'schedule', cron: '0 3 * * *' }],
          actions: [{ type: 'command', deviceId, action: 'turnOn' }],
        });
      const due = await rule('Due while down', PLUG_A);
      const missed = await rule('Missed while down', PLUG_B);
      const detail = ok(await call('GET', `/v1/automations/${due.id}`));
      assert.equal(detail.schedule.length, 1);
      assert.ok(Date.parse(detail.schedule[0].nextFireAt) > Date.now());

      // A run paused at a delay when the process stops continues in the next one.
      const delayed = await createRule(app.homeId, {
        name: 'On, wait, off',
        triggers: [{ type: 'mode', mode: 'home' }],
        actions: [
          { type: 'command', deviceId: CAMERA, action: 'startRecording', params: { durationSeconds: 5 } },
          { type: 'delay', seconds: 3 },
          { type: 'command', deviceId: CAMERA, action: 'stopRecording' },
        ],
      });
      const recordings = commandsTo(night, CAMERA, 'startRecording').length;
      const paused = ok(await call('POST', `/v1/automations/${delayed.id}/run`, {}));
      assert.equal(paused.outcome, 'waiting', JSON.stringify(paused));
      assert.ok(paused.resumeAt);
      await waitForCommands(night, CAMERA, 'startRecording', recordings + 1);
      const oldSession = night;

      const now = Date.now();
      await restart(async (store) => {
        // Due 30 s ago (within the grace period), and 10 minutes ago (beyond it).
        await store.control.automations.setNextFire({ automationId: due.id, triggerIndex: 0 }, now - 30_000);
        await store.control.automations.setNextFire(
          { automationId: missed.id, triggerIndex: 0 },
          now - 10 * 60_000,
        );
        const [waiting] = await store.control.automations.listRuns(delayed.id, { limit: 1 });
        assert.equal(waiting?.outcome, 'waiting', 'the delay had not run out before the stop');
      });
      // The old process never got to the rest of the run.
      assert.equal(commandsTo(oldSession, CAMERA, 'stopRecording').length, 0);
      const [fired] = await waitForRuns(due.id, 1, 'the due schedule to fire');
      assert.equal(fired.outcome, 'succeeded', JSON.stringify(fired));
      assert.equal(fired.trigger.type, 'schedule');
      assert.equal(fired.trigger.scheduledAtMs, now - 30_000);
      await waitForCommands(night, PLUG_A, 'turnOn', 1);
      const [skipped] = await waitForRuns(missed.id, 1, 'the missed schedule to be recorded');
      assert.equal(skipped.outcome, 'missed');
      assert.match(skipped.error, /skipped to the next time/);
      assert.equal(commandsTo(night, PLUG_B, 'turnOn').length, 0);
      for (const id of [due.id, missed.id]) {
        const next = ok(await call('GET', `/v1/automations/${id}`)).schedule[0].nextFireAt;
        assert.ok(Date.parse(next) > Date.now(), `${id} moved on to its next time`);
      }
      // The paused run continued here, once.
      await waitForCommands(night, CAMERA, 'stopRecording', 1);
      const [resumed] = await waitForRuns(delayed.id, 1, 'the delayed run to finish');
      assert.equal(resumed.id, paused.id);
      assert.equal(resumed.outcome, 'succeeded', JSON.stringify(resumed));
      assert.deepEqual(
        resumed.actions.map((action: { index: number; status: string }) => [action.index, action.status]),
        [
          [0, 'done'],
          [1, 'done'],
          [2, 'done'],
        ],
      );

      // Another restart: nothing fires again. A schedule made due while down is the barrier: once it
      // has fired, the scheduler has looked at every due schedule.
      const barrier = await rule('Barrier', PLUG_B);
      await restart(async (store) => {
        await store.control.automations.setNextFire(
          { automationId: barrier.id, triggerIndex: 0 },
          Date.now() - 1000,
        );
      });
      await waitForRuns(barrier.id, 1, 'the barrier schedule');
      assert.equal((await runsOf(due.id)).length, 1);
      assert.equal((await runsOf(missed.id)).length, 1);
      assert.equal((await runsOf(delayed.id)).length, 1);
      assert.equal(commandsTo(night, CAMERA, 'stopRecording').length, 0);
    });
  });
}

await onEveryBackend('automations', automationsSuite);
