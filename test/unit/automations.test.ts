import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HomeMode } from '../../src/core/domain/home.ts';
import { isHestiaError } from '../../src/core/errors.ts';
import { evaluateConditions, type ConditionEnv } from '../../src/services/automations/conditions.ts';
import { LoopGuard } from '../../src/services/automations/loop-guard.ts';
import type { Condition, DeviceTrigger } from '../../src/core/domain/automation.ts';
import {
  paramProblem,
  referencedDevices,
  validateAutomation,
  validateScene,
} from '../../src/services/automations/rules.ts';
import {
  describeDeviceTrigger,
  deviceDisplayName,
  deviceTriggerFires,
  type ChannelValue,
} from '../../src/services/automations/triggers.ts';

const LIMITS = { maxDelaySeconds: 3600 };
const MOTION = 'c8e8de37-d301-45f4-ba01-0000000000m1';
const PLUG = 'c8e8de37-d301-45f4-ba01-0000000000p1';

const motionAfterSunset = {
  name: 'Hall light on motion after sunset',
  triggers: [{ type: 'device', deviceId: MOTION, label: 'Motion', op: 'becomes_active' }],
  conditions: [{ type: 'sun', after: 'sunset', before: 'sunrise' }],
  actions: [{ type: 'command', deviceId: PLUG, action: 'turnOn' }],
};

/** The HESTIA_AUTOMATION_INVALID message of a rule that must be refused. */
function refusal(body: unknown): string {
  try {
    validateAutomation(body, LIMITS);
  } catch (error) {
    assert.ok(isHestiaError(error), String(error));
    assert.equal(error.code, 'HESTIA_AUTOMATION_INVALID');
    return error.message;
  }
  assert.fail('the rule was accepted');
}

const withTrigger = (trigger: unknown) => ({ ...motionAfterSunset, triggers: [trigger] });
const withCondition = (condition: unknown) => ({ ...motionAfterSunset, conditions: [condition] });
const withAction = (action: unknown) => ({ ...motionAfterSunset, actions: [action] });

describe('automation validation', () => {
  it('accepts a complete rule and fills the defaults', () => {
    const rule = validateAutomation(
      {
        ...motionAfterSunset,
        name: '  Hall light  ',
        actions: [
          ...motionAfterSunset.actions,
          { type: 'delay', seconds: 300 },
          { type: 'notify', title: 'Motion', body: 'In the hall' },
          { type: 'record', deviceId: 'cam-1', durationSeconds: 60 },
          { type: 'scene', sceneId: 'scene-1' },
        ],
      },
      LIMITS,
    );
    assert.equal(rule.name, 'Hall light');
    assert.equal(rule.enabled, true);
    assert.equal(rule.cooldownSeconds, 0);
    assert.deepEqual(rule.actions[0], { type: 'command', deviceId: PLUG, action: 'turnOn', params: {} });
    assert.deepEqual(rule.actions[2], {
      type: 'notify',
      title: 'Motion',
      body: 'In the hall',
      severity: 'info',
      userIds: null,
    });
    assert.deepEqual(
      referencedDevices(rule).map((ref) => [ref.field, ref.camera]),
      [
        ['triggers[0].deviceId', false],
        ['actions[0].deviceId', false],
        ['actions[3].deviceId', true],
      ],
    );
  });

  it('names the bad field of triggers', () => {
    assert.match(refusal({ ...motionAfterSunset, triggers: [] }), /^triggers: 1 to 20 entries/);
    assert.match(refusal(withTrigger({ type: 'weather' })), /^triggers\[0\]\.type: one of device, alarm/);
    assert.match(
      refusal(withTrigger({ type: 'device', deviceId: MOTION, label: 'Motion', op: 'is' })),
      /^triggers\[0\]\.op: one of changes, above/,
    );
    assert.match(
      refusal(withTrigger({ type: 'device', deviceId: MOTION, label: 'Temperature', op: 'above' })),
      /^triggers\[0\]\.value: expected a number/,
    );
    assert.match(
      refusal(
        withTrigger({ type: 'device', deviceId: MOTION, label: 'Motion', op: 'becomes_active', value: 1 }),
      ),
      /^triggers\[0\]\.value: not used by op becomes_active/,
    );
    assert.match(
      refusal(withTrigger({ type: 'schedule', cron: '0 7 * *' })),
      /^triggers\[0\]\.cron: five fields/,
    );
    assert.match(
      refusal(withTrigger({ type: 'sun', event: 'sunset', offsetMinute: 10 })),
      /^triggers\[0\]\.offsetMinute: unknown field/,
    );
    assert.match(
      refusal(withTrigger({ type: 'sun', event: 'sunset', offsetMinutes: 13 * 60 })),
      /^triggers\[0\]\.offsetMinutes: a whole number from -720 to 720/,
    );
    assert.match(
      refusal(withTrigger({ type: 'alarm', cause: 'fire' })),
      /^triggers\[0\]\.cause: one of smoke/,
    );
    assert.match(
      refusal(withTrigger({ type: 'mode', mode: 'away' })),
      /^triggers\[0\]\.mode: one of disarmed, home, armed/,
    );
  });

  it('names the bad field of conditions', () => {
    assert.match(
      refusal(withCondition({ type: 'time', after: '7:00' })),
      /^conditions\[0\]\.after: a time of day/,
    );
    assert.match(refusal(withCondition({ type: 'time' })), /^conditions\[0\]: give after, before or both/);
    assert.match(
      refusal(withCondition({ type: 'time', after: '07:00', before: '07:00' })),
      /^conditions\[0\]: after and before are the same time/,
    );
    assert.match(
      refusal(withCondition({ type: 'sun', after: 'sunset', before: 'sunset' })),
      /^conditions\[0\]: after and before are both sunset/,
    );
    assert.match(refusal(withCondition({ type: 'mode' })), /^conditions\[0\]\.mode: one of/);
    assert.match(
      refusal(withCondition({ type: 'device', deviceId: MOTION, label: 'Motion', op: 'above' })),
      /^conditions\[0\]\.value: expected a number/,
    );
  });

  it('names the bad field of actions', () => {
    assert.match(refusal({ ...motionAfterSunset, actions: [] }), /^actions: 1 to 50 entries/);
    assert.match(
      refusal(withAction({ type: 'command', deviceId: PLUG, action: 'explode' })),
      /^actions\[0\]\.action: unknown action \(one of turnOn/,
    );
    assert.match(
      refusal(withAction({ type: 'command', deviceId: PLUG, action: 'turnOn', params: [1] })),
      /^actions\[0\]\.params: expected an object/,
    );
    assert.match(
      refusal({ ...motionAfterSunset, actions: [{ type: 'delay', seconds: 3601 }] }),
      /^actions\[0\]\.seconds: a whole number from 1 to 3600/,
    );
    assert.match(
      refusal({ ...motionAfterSunset, actions: [{ type: 'delay', seconds: 60 }] }),
      /^actions: at least one action other than a delay/,
    );
    assert.match(
      refusal(withAction({ type: 'notify', title: '', body: 'x' })),
      /^actions\[0\]\.title: 1 to 200 characters/,
    );
    assert.match(
      refusal(withAction({ type: 'notify', title: 't', body: 'b', severity: 'loud' })),
      /^actions\[0\]\.severity: one of critical, warning, info/,
    );
    assert.match(
      refusal(withAction({ type: 'record', deviceId: 'cam', durationSeconds: 0 })),
      /^actions\[0\]\.durationSeconds: a whole number from 1 to 3600/,
    );
  });

  it('names bad top-level fields', () => {
    assert.match(refusal(null), /^automation: expected an object/);
    assert.match(refusal({ ...motionAfterSunset, name: '   ' }), /^name: 1 to 100 characters/);
    assert.match(refusal({ ...motionAfterSunset, enabled: 'yes' }), /^enabled: expected true or false/);
    assert.match(refusal({ ...motionAfterSunset, cooldownSeconds: -1 }), /^cooldownSeconds: a whole number/);
    assert.match(refusal({ ...motionAfterSunset, priority: 1 }), /^automation\.priority: unknown field/);
  });

  it('scenes hold commands only', () => {
    const scene = validateScene({
      name: 'Movie',
      actions: [{ type: 'command', deviceId: PLUG, action: 'turnOff' }],
    });
    assert.deepEqual(scene.actions, [{ type: 'command', deviceId: PLUG, action: 'turnOff', params: {} }]);
    assert.throws(
      () => validateScene({ name: 'Movie', actions: [{ type: 'delay', seconds: 5 }] }),
      /actions\[0\]\.type: a scene holds command and record actions/,
    );
  });
});

/** The public details of the HESTIA_AUTOMATION_INVALID error a rule or scene gets. */
function refusalDetails(validate: () => unknown): {
  field: string;
  errors: Array<{ field: string; message: string }>;
} {
  try {
    validate();
  } catch (error) {
    assert.ok(isHestiaError(error), String(error));
    assert.equal(error.code, 'HESTIA_AUTOMATION_INVALID');
    return error.details as { field: string; errors: Array<{ field: string; message: string }> };
  }
  assert.fail('accepted');
}

describe('automation problems, all at once', () => {
  it('lists one problem per part, the first also in field and message', () => {
    const details = refusalDetails(() =>
      validateAutomation(
        {
          name: '',
          enabled: 'yes',
          triggers: [
            { type: 'device', deviceId: MOTION, label: 'Motion', op: 'is', value: 'x' },
            { type: 'mode' },
            { type: 'sun', event: 'noon' },
          ],
          conditions: 'none',
          actions: [{ type: 'command', deviceId: PLUG, action: 'turnOn', extra: 1 }],
          cooldownSeconds: -1,
        },
        LIMITS,
      ),
    );
    assert.equal(details.field, 'enabled');
    assert.deepEqual(details.errors, [
      { field: 'enabled', message: 'expected true or false' },
      { field: 'actions[0].extra', message: 'unknown field (allowed: type, deviceId, action, params)' },
      { field: 'name', message: '1 to 100 characters' },
      {
        field: 'triggers[0].op',
        message: 'one of changes, above, below, equals, becomes_active, becomes_inactive',
      },
      { field: 'triggers[2].event', message: 'one of sunrise, sunset' },
      { field: 'conditions', message: 'expected an array' },
      { field: 'cooldownSeconds', message: 'a whole number from 0 to 86400' },
    ]);
  });

  it('keeps the first problem where checking used to stop', () => {
    for (const body of [
      withTrigger({ type: 'weather' }),
      { ...motionAfterSunset, name: ' ', actions: [{ type: 'delay', seconds: 5 }] },
      withAction({ type: 'notify', title: 't' }),
    ]) {
      const details = refusalDetails(() => validateAutomation(body, LIMITS));
      assert.equal(details.field, details.errors[0]!.field);
      assert.match(refusal(body), new RegExp(`^${details.field.replace(/[[\].]/g, '\\$&')}: `));
    }
    assert.deepEqual(
      refusalDetails(() =>
        validateAutomation(
          { ...motionAfterSunset, name: ' ', actions: [{ type: 'delay', seconds: 5 }] },
          LIMITS,
        ),
      ).errors.map((error) => error.field),
      ['actions', 'name'],
    );
  });

  it('scenes list every bad step', () => {
    const details = refusalDetails(() =>
      validateScene({
        name: 'Night',
        actions: [
          { type: 'notify', title: 't', body: 'b' },
          { type: 'command', deviceId: PLUG, action: 'turnOn' },
          { type: 'record', deviceId: PLUG, durationSeconds: 0 },
        ],
      }),
    );
    assert.deepEqual(
      details.errors.map((error) => error.field),
      ['actions[0].type', 'actions[2].durationSeconds'],
    );
  });
});

describe('command parameter problems', () => {
  it('name the parameter by its path', () => {
    assert.deepEqual(paramProblem('params.level: expected a number', ['level']), {
      path: 'params.level',
      message: 'expected a number',
    });
    assert.deepEqual(paramProblem('params: expected an object', ['level']), {
      path: 'params',
      message: 'expected an object',
    });
  });

  it('match whole names, longest first, even with a colon in a given name', () => {
    assert.deepEqual(paramProblem('params.a: b: turnOn takes no parameters', ['a', 'a: b']), {
      path: 'params.a: b',
      message: 'turnOn takes no parameters',
    });
    // A name longer than 64 characters is named by its first 64, as the message does.
    const long = 'x'.repeat(80);
    assert.equal(
      paramProblem(`params.${long.slice(0, 64)}: unknown`, [long]).path,
      `params.${'x'.repeat(64)}`,
    );
  });

  it('an unforeseen message stays whole, at params', () => {
    assert.deepEqual(paramProblem('something else', ['level']), {
      path: 'params',
      message: 'something else',
    });
  });
});

describe('run descriptions', () => {
  const trigger: DeviceTrigger = {
    type: 'device',
    deviceId: 'd1',
    label: 'Temperature',
    op: 'above',
    value: 25,
  };
  const reading: ChannelValue = { value: 26, text: null, tsMs: 1 };

  it('name the device by its name, else its type and short id, else its id', () => {
    const device = { id: '3f2a1b2c-0000-4000-8000-000000000001', type: 'sensor', name: null };
    assert.equal(
      deviceDisplayName({ ...device, name: 'Living room thermometer' }, device.id),
      'Living room thermometer',
    );
    assert.equal(deviceDisplayName(device, device.id), 'sensor 3f2a1b2c');
    assert.equal(deviceDisplayName(undefined, 'gone'), 'device gone');
  });

  it('say what the reading did', () => {
    assert.equal(
      describeDeviceTrigger(trigger, reading, 'Living room thermometer'),
      'Temperature of Living room thermometer rose above 25 (26)',
    );
    assert.equal(
      describeDeviceTrigger(
        { ...trigger, op: 'becomes_active' },
        { ...reading, value: 1 },
        'sensor 3f2a1b2c',
      ),
      'Temperature of sensor 3f2a1b2c became active (1)',
    );
  });
});

describe('device triggers', () => {
  const reading = (value: number | null, tsMs = 1): ChannelValue => ({ value, text: null, tsMs });
  const trigger = (op: DeviceTrigger['op'], value?: number): DeviceTrigger => ({
    type: 'device',
    deviceId: MOTION,
    label: 'x',
    op,
    ...(value === undefined ? {} : { value }),
  });

  /** Which readings of a sequence fire the trigger (the first has no previous value). */
  function firing(op: DeviceTrigger['op'], values: number[], threshold?: number): number[] {
    const fired: number[] = [];
    let previous: ChannelValue | null = null;
    values.forEach((value, index) => {
      const next = reading(value, index);
      if (deviceTriggerFires(trigger(op, threshold), previous, next)) fired.push(index);
      previous = next;
    });
    return fired;
  }

  it('becomes_active fires once per activation, not on repeated 1s', () => {
    assert.deepEqual(firing('becomes_active', [0, 1, 1, 1, 0, 1, 2]), [1, 5]);
    assert.deepEqual(firing('becomes_inactive', [1, 0, 0, 1, 0]), [1, 4]);
  });

  it('thresholds fire on crossing, not on every reading beyond', () => {
    assert.deepEqual(firing('above', [20, 26, 27, 25, 24, 26], 25), [1, 5]);
    assert.deepEqual(firing('below', [20, 4, 3, 5, 3], 4), [2, 4]);
    assert.deepEqual(firing('equals', [0, 2, 2, 1, 2], 2), [1, 4]);
  });

  it('changes fires on each different value, never on the first', () => {
    assert.deepEqual(firing('changes', [1, 1, 2, 2, 3]), [2, 4]);
  });

  it('a channel without earlier readings counts as outside the band', () => {
    assert.equal(deviceTriggerFires(trigger('becomes_active'), null, reading(1)), true);
    assert.equal(deviceTriggerFires(trigger('above', 25), null, reading(30)), true);
    assert.equal(deviceTriggerFires(trigger('above', 25), null, reading(20)), false);
    assert.equal(deviceTriggerFires(trigger('changes'), null, reading(1)), false);
  });
});

describe('conditions', () => {
  const env = (overrides: Partial<ConditionEnv> = {}): ConditionEnv => ({
    // 22:00 CEST on midsummer day in Berlin: after sunset.
    nowMs: Date.parse('2024-06-21T20:00:00Z'),
    place: { timezone: 'Europe/Berlin', latitude: 52.52, longitude: 13.405 },
    homeMode: async (): Promise<HomeMode> => 'armed',
    channel: async (_deviceId, label) =>
      label === 'Temperature' ? { value: 21.5, text: null, tsMs: 1 } : null,
    ...overrides,
  });

  it('all must hold; the first that does not is reported with its index', async () => {
    const conditions: Condition[] = [
      { type: 'sun', after: 'sunset', before: 'sunrise' },
      { type: 'time', after: '21:00', before: '23:00' },
      { type: 'mode', mode: 'armed' },
      { type: 'device', deviceId: 'd', label: 'Temperature', op: 'above', value: 20 },
    ];
    assert.deepEqual(await evaluateConditions(conditions, env()), { holds: true });
    const noon = await evaluateConditions(conditions, env({ nowMs: Date.parse('2024-06-21T10:00:00Z') }));
    assert.equal(noon.holds, false);
    assert.deepEqual(noon.holds ? null : [noon.index, noon.reason], [0, 'the sun is up']);
    const disarmed = await evaluateConditions(conditions, env({ homeMode: async () => 'disarmed' }));
    assert.deepEqual(disarmed.holds ? null : disarmed.index, 2);
  });

  it('device conditions need a numeric state', async () => {
    const verdict = await evaluateConditions(
      [{ type: 'device', deviceId: 'd', label: 'Motion', op: 'active' }],
      env(),
    );
    assert.deepEqual(verdict.holds ? null : verdict.reason, 'Motion of device d has no numeric state');
  });

  it('sun conditions without a home location do not hold', async () => {
    const verdict = await evaluateConditions(
      [{ type: 'sun', after: 'sunrise' }],
      env({ place: { timezone: 'UTC', latitude: null, longitude: null } }),
    );
    assert.equal(verdict.holds, false);
  });
});

describe('loop guard', () => {
  it('readings within the window after a command carry its causes', () => {
    const guard = new LoopGuard(10_000, 3);
    guard.noteCommand('plug', ['rule-a'], 1000);
    guard.noteCommand('plug', ['rule-a', 'rule-b'], 2000);
    assert.deepEqual(guard.causesOf('plug', 5000), ['rule-a', 'rule-b']);
    assert.deepEqual(guard.causesOf('other', 5000), []);
    assert.deepEqual(guard.causesOf('plug', 12_001), []);
  });

  it('counts runs per sliding minute', () => {
    const guard = new LoopGuard(10_000, 3);
    assert.deepEqual(
      [0, 1000, 2000, 3000].map((at) => guard.overRate('rule', at)),
      [false, false, false, true],
    );
    // A minute later the earlier starts no longer count.
    assert.equal(guard.overRate('rule', 63_500), false);
  });
});
