import { Type, type TSchema } from '@sinclair/typebox';
import type { SceneStepResult } from '../../services/automations/service.ts';
import { authenticated, originOf, principalOf } from '../auth.ts';
import { Id, errorResponses, strictBody } from '../schemas.ts';
import type { ApiPlugin } from '../context.ts';
import { presentAutomation, presentRun, presentScene } from '../presenters/control.ts';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const IsoTime = Type.String({ format: 'date-time' });

const HomeParams = Type.Object({ homeId: Id });
const AutomationParams = Type.Object({ automationId: Id });
const SceneParams = Type.Object({ sceneId: Id });

/**
 * Bodies are checked by the service, field by field, so that a bad rule gets
 * HESTIA_AUTOMATION_INVALID naming the field (`triggers[0].op: one of …`); the schema here only
 * documents the shape.
 */
const AutomationBody = Type.Object(
  {
    name: Type.Optional(Type.Unknown({ description: '1 to 100 characters' })),
    enabled: Type.Optional(Type.Unknown({ description: 'Default true' })),
    cooldownSeconds: Type.Optional(
      Type.Unknown({
        description: 'Triggers within this many seconds of the last run start no run (default 0)',
      }),
    ),
    triggers: Type.Optional(
      Type.Unknown({
        description:
          'Any fires: {type:"device",deviceId,label,op:"changes"|"above"|"below"|"equals"|"becomes_active"|"becomes_inactive",value?}, {type:"alarm",cause?,severity?}, {type:"schedule",cron:"0 7 * * 1-5"}, {type:"sun",event:"sunrise"|"sunset",offsetMinutes?}, {type:"mode",mode?}',
      }),
    ),
    conditions: Type.Optional(
      Type.Unknown({
        description:
          'All must hold: {type:"time",after?:"HH:MM",before?:"HH:MM"}, {type:"sun",after?:"sunset"|"sunrise",before?:"sunrise"|"sunset"}, {type:"device",deviceId,label,op:"above"|"below"|"equals"|"active"|"inactive",value?}, {type:"mode",mode}',
      }),
    ),
    actions: Type.Optional(
      Type.Unknown({
        description:
          'In order: {type:"command",deviceId,action,params?}, {type:"scene",sceneId}, {type:"notify",title,body,severity?,userIds?}, {type:"record",deviceId,durationSeconds}, {type:"delay",seconds}',
      }),
    ),
  },
  {
    additionalProperties: true,
    description: 'An automation (docs/automations.md)',
    examples: [
      {
        name: 'Hall light on motion after sunset',
        triggers: [{ type: 'device', deviceId: '<motion sensor>', label: 'Motion', op: 'becomes_active' }],
        conditions: [{ type: 'sun', after: 'sunset', before: 'sunrise' }],
        actions: [{ type: 'command', deviceId: '<smart plug>', action: 'turnOn' }],
      },
    ],
  },
);

const SceneBody = Type.Object(
  {
    name: Type.Optional(Type.Unknown({ description: '1 to 100 characters' })),
    actions: Type.Optional(
      Type.Unknown({
        description:
          'The commands it sends: {type:"command",deviceId,action,params?}, {type:"record",deviceId,durationSeconds}',
      }),
    ),
  },
  { additionalProperties: true, description: 'A scene: a named list of commands sent together' },
);

const ScheduleSchema = Type.Object({
  triggerIndex: Type.Integer(),
  nextFireAt: Nullable(IsoTime),
});

const LastRunSchema = Nullable(
  Type.Object(
    {
      id: Type.String(),
      at: Type.String({ format: 'date-time', description: 'When the run started' }),
      outcome: Type.String({
        description: 'running, waiting (at a delay), succeeded, failed, skipped_condition, throttled, missed',
      }),
      error: Nullable(Type.String({ description: 'Why the run failed or was skipped, as on the run' })),
    },
    { description: 'The newest run (by start), null when it never ran' },
  ),
);

const AutomationSchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  homeId: Type.String(),
  name: Type.String(),
  enabled: Type.Boolean(),
  triggers: Type.Array(Type.Unknown()),
  conditions: Type.Array(Type.Unknown()),
  actions: Type.Array(Type.Unknown()),
  cooldownSeconds: Type.Integer(),
  flaggedAt: Nullable(IsoTime),
  flagReason: Nullable(
    Type.String({
      description:
        'Why loop protection stopped (and disabled) it: loop (its own actions re-triggered it) or rate',
    }),
  ),
  createdBy: Nullable(Type.String()),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  lastRun: LastRunSchema,
  schedule: Type.Optional(
    Type.Array(ScheduleSchema, { description: 'Next fire of each timed (schedule, sun) trigger' }),
  ),
});

const RunSchema = Type.Object({
  id: Type.String(),
  automationId: Type.String(),
  homeId: Type.String(),
  trigger: Type.Unknown({ description: 'What started it: type, description, and its details' }),
  startedAt: IsoTime,
  finishedAt: Nullable(IsoTime),
  outcome: Type.String({
    description: 'running, waiting (at a delay), succeeded, failed, skipped_condition, throttled, missed',
  }),
  actions: Type.Array(Type.Unknown(), { description: 'Per action: index, type, status, commandIds, error' }),
  error: Nullable(Type.String()),
  resumeAt: Nullable(IsoTime),
  causes: Type.Array(Type.String(), { description: 'Automations whose commands led to this run' }),
});

const SceneSchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  homeId: Type.String(),
  name: Type.String(),
  actions: Type.Array(Type.Unknown()),
  createdBy: Nullable(Type.String()),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});

const StepResultSchema = Type.Object({
  index: Type.Integer(),
  deviceId: Type.String(),
  action: Type.String(),
  commandId: Nullable(Type.String()),
  status: Nullable(Type.String()),
  error: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
});

const presentStep = (result: SceneStepResult) => result;

/**
 * Automations and scenes of a home. Reading: anyone who may read the home (guests too);
 * creating, changing, deleting, running and activating: members and owners ('control').
 */
export const automationRoutes: ApiPlugin = async (app, { services }) => {
  const caller = authenticated(services.accounts);
  const security = [{ bearer: [] }];
  const tags = ['automations'];

  app.get(
    '/v1/homes/:homeId/automations',
    {
      onRequest: caller,
      schema: {
        tags,
        summary: "The home's automations, each with its newest run (anyone who may read the home)",
        security,
        params: HomeParams,
        response: { 200: Type.Object({ items: Type.Array(AutomationSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await services.automations.list(principalOf(request), request.params.homeId)).map(
        presentAutomation,
      ),
    }),
  );

  app.post(
    '/v1/homes/:homeId/automations',
    {
      onRequest: caller,
      schema: {
        tags,
        summary: 'Add an automation (home members and owners)',
        description:
          "Any trigger fires it; then all conditions must hold; then the actions run in order. Devices and scenes must be the home's own; sun triggers and conditions need the home's location. Refused with HESTIA_AUTOMATION_INVALID naming the field (details.field; details.errors lists every problem as {field, message}), or HESTIA_AUTOMATION_LIMIT beyond automations.maxRulesPerHome.",
        security,
        params: HomeParams,
        body: AutomationBody,
        response: { 201: AutomationSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const automation = await services.automations.create(
        principalOf(request),
        request.params.homeId,
        request.body,
        originOf(request),
      );
      return reply.code(201).send(presentAutomation(automation));
    },
  );

  app.get(
    '/v1/automations/:automationId',
    {
      onRequest: caller,
      schema: {
        tags,
        summary: 'One automation, with the next fire of its timed triggers',
        security,
        params: AutomationParams,
        response: { 200: AutomationSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentAutomation(await services.automations.get(principalOf(request), request.params.automationId)),
  );

  app.put(
    '/v1/automations/:automationId',
    {
      onRequest: caller,
      schema: {
        tags,
        summary: 'Replace an automation (home members and owners); its schedules restart from now',
        description: 'Saving it enabled clears a loop-protection flag.',
        security,
        params: AutomationParams,
        body: AutomationBody,
        response: { 200: AutomationSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentAutomation(
        await services.automations.replace(
          principalOf(request),
          request.params.automationId,
          request.body,
          originOf(request),
        ),
      ),
  );

  app.patch(
    '/v1/automations/:automationId',
    {
      onRequest: caller,
      schema: {
        tags,
        summary: 'Enable, disable or rename an automation (home members and owners)',
        description: 'Enabling a rule that loop protection stopped clears its flag.',
        security,
        params: AutomationParams,
        body: Type.Object(
          {
            enabled: Type.Optional(Type.Boolean()),
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            cooldownSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
          },
          strictBody,
        ),
        response: { 200: AutomationSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentAutomation(
        await services.automations.patch(
          principalOf(request),
          request.params.automationId,
          request.body,
          originOf(request),
        ),
      ),
  );

  app.delete(
    '/v1/automations/:automationId',
    {
      onRequest: caller,
      schema: {
        tags,
        summary: 'Delete an automation with its run history (home members and owners)',
        security,
        params: AutomationParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await services.automations.delete(principalOf(request), request.params.automationId, originOf(request));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/automations/:automationId/runs',
    {
      onRequest: caller,
      schema: {
        tags,
        summary: "An automation's runs, newest first",
        description: 'Page back with before = the id of the last run of the previous page.',
        security,
        params: AutomationParams,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          before: Type.Optional(Id),
        }),
        response: { 200: Type.Object({ items: Type.Array(RunSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: (
        await services.automations.runs(principalOf(request), request.params.automationId, request.query)
      ).map(presentRun),
    }),
  );

  app.post(
    '/v1/automations/:automationId/run',
    {
      onRequest: caller,
      schema: {
        tags,
        summary: 'Run an automation now (home members and owners)',
        description:
          'Conditions are evaluated (the run is skipped_condition when one does not hold) unless force is true. Answers with the run as it stands: finished, or waiting at a delay.',
        security,
        params: AutomationParams,
        body: Type.Optional(Type.Object({ force: Type.Optional(Type.Boolean()) }, strictBody)),
        response: { 200: RunSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentRun(
        await services.automations.runNow(
          principalOf(request),
          request.params.automationId,
          request.body ?? {},
        ),
      ),
  );

  app.get(
    '/v1/homes/:homeId/scenes',
    {
      onRequest: caller,
      schema: {
        tags,
        summary: "The home's scenes (anyone who may read the home)",
        security,
        params: HomeParams,
        response: { 200: Type.Object({ items: Type.Array(SceneSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await services.automations.listScenes(principalOf(request), request.params.homeId)).map(
        presentScene,
      ),
    }),
  );

  app.post(
    '/v1/homes/:homeId/scenes',
    {
      onRequest: caller,
      schema: {
        tags,
        summary: 'Add a scene: a named list of commands sent together (home members and owners)',
        security,
        params: HomeParams,
        body: SceneBody,
        response: { 201: SceneSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const scene = await services.automations.createScene(
        principalOf(request),
        request.params.homeId,
        request.body,
        originOf(request),
      );
      return reply.code(201).send(presentScene(scene));
    },
  );

  app.get(
    '/v1/scenes/:sceneId',
    {
      onRequest: caller,
      schema: {
        tags,
        summary: 'One scene',
        security,
        params: SceneParams,
        response: { 200: SceneSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentScene(await services.automations.getScene(principalOf(request), request.params.sceneId)),
  );

  app.put(
    '/v1/scenes/:sceneId',
    {
      onRequest: caller,
      schema: {
        tags,
        summary: 'Replace a scene (home members and owners)',
        security,
        params: SceneParams,
        body: SceneBody,
        response: { 200: SceneSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentScene(
        await services.automations.replaceScene(
          principalOf(request),
          request.params.sceneId,
          request.body,
          originOf(request),
        ),
      ),
  );

  app.delete(
    '/v1/scenes/:sceneId',
    {
      onRequest: caller,
      schema: {
        tags,
        summary: 'Delete a scene (home members and owners)',
        description: 'Automations that activate it fail at that action from then on.',
        security,
        params: SceneParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await services.automations.deleteScene(principalOf(request), request.params.sceneId, originOf(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/scenes/:sceneId/activate',
    {
      onRequest: caller,
      schema: {
        tags,
        summary: "Send the scene's commands now, as the caller (home members and owners)",
        description:
          'Each command is checked and sent as if sent on its own (queued while its gateway is offline); one refused command does not keep the others back. The result lists each with its command id or error.',
        security,
        params: SceneParams,
        response: {
          200: Type.Object({ scene: SceneSchema, results: Type.Array(StepResultSchema) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { scene, results } = await services.automations.activateScene(
        principalOf(request),
        request.params.sceneId,
        originOf(request),
      );
      return { scene: presentScene(scene), results: results.map(presentStep) };
    },
  );
};
