import { Type } from '@sinclair/typebox';
import { HestiaError } from '../../core/errors.ts';
import type { ApiPlugin } from '../context.ts';
import type { HomeInput } from '../../services/homes.ts';
import { authenticated, originOf, principalOf } from '../auth.ts';
import {
  presentHome,
  presentHomeDetail,
  presentInvitation,
  presentMember,
  presentRoom,
} from '../presenters/directory.ts';
import { presentDeviceWithPresence, presentGateway } from '../presenters/telemetry.ts';
import {
  DeviceSchema,
  GatewaySchema,
  HomeDetailSchema,
  HomeRoleSchema,
  HomeSchema,
  Id,
  InvitationSchema,
  LanguageSchema,
  MemberSchema,
  RoomSchema,
  UnitsQuery,
  errorResponses,
  strictBody,
} from '../schemas.ts';

const HomeParams = Type.Object({ homeId: Id });
// One `type` list, not anyOf: with the API's type coercion, anyOf [number, null] turns null into 0
// (a home on the equator at the prime meridian) instead of clearing the location.
const Latitude = Type.Unsafe<number | null>({ type: ['number', 'null'], minimum: -90, maximum: 90 });
const Longitude = Type.Unsafe<number | null>({ type: ['number', 'null'], minimum: -180, maximum: 180 });
/** A new home's body, typed (`Type.Unsafe` leaves the location's static type open). */
type NewHome = HomeInput & { name: string; timezone: string };
const Timezone = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'IANA time zone, e.g. Europe/Berlin',
});
const Name = Type.String({ minLength: 1, maxLength: 100 });

/**
 * Homes, rooms, members and gateway registration. Guests read, members also control devices,
 * owners also manage the home; a home one is not a member of answers 404.
 */
export const homeRoutes: ApiPlugin = async (app, { services }) => {
  const caller = authenticated(services.accounts);
  const security = [{ bearer: [] }];
  const none = { 204: Type.Null(), ...errorResponses };

  app.post(
    '/v1/homes',
    {
      onRequest: caller,
      schema: {
        tags: ['homes'],
        summary: 'Create a home; the caller becomes its owner',
        security,
        body: Type.Object(
          {
            name: Name,
            timezone: Timezone,
            latitude: Type.Optional(Latitude),
            longitude: Type.Optional(Longitude),
          },
          strictBody,
        ),
        response: { 201: HomeSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          presentHome(
            await services.homes.createHome(principalOf(request), request.body as NewHome, originOf(request)),
          ),
        ),
  );

  app.get(
    '/v1/homes',
    {
      onRequest: caller,
      schema: {
        tags: ['homes'],
        summary: "The caller's homes with their role (a provider's staff: every home of the provider)",
        security,
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          after: Type.Optional(Id),
          tenantId: Type.Optional(Id),
        }),
        response: { 200: Type.Object({ items: Type.Array(HomeSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const { limit, after, tenantId } = request.query;
      const homes = await services.homes.listHomes(principalOf(request), { limit, after }, tenantId);
      return { items: homes.map(presentHome) };
    },
  );

  app.get(
    '/v1/homes/:homeId',
    {
      onRequest: caller,
      schema: {
        tags: ['homes'],
        summary: "One home, with the caller's role and the tariff in force",
        security,
        params: HomeParams,
        response: { 200: HomeDetailSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentHomeDetail(await services.homes.getHome(principalOf(request), request.params.homeId)),
  );

  app.patch(
    '/v1/homes/:homeId',
    {
      onRequest: caller,
      schema: {
        tags: ['homes'],
        summary: 'Rename a home, change its time zone or location (owners)',
        security,
        params: HomeParams,
        body: Type.Object(
          {
            name: Type.Optional(Name),
            timezone: Type.Optional(Timezone),
            latitude: Type.Optional(Latitude),
            longitude: Type.Optional(Longitude),
          },
          strictBody,
        ),
        response: { 200: HomeSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentHome(
        await services.homes.updateHome(
          principalOf(request),
          request.params.homeId,
          request.body as HomeInput,
        ),
      ),
  );

  app.delete(
    '/v1/homes/:homeId',
    {
      onRequest: caller,
      schema: {
        tags: ['homes'],
        summary: 'Delete a home without gateways (owners)',
        security,
        params: HomeParams,
        response: none,
      },
    },
    async (request, reply) => {
      await services.homes.deleteHome(principalOf(request), request.params.homeId, originOf(request));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/homes/:homeId/devices',
    {
      onRequest: caller,
      schema: {
        tags: ['homes', 'devices'],
        summary: 'Every device of the home with the current state of its channels',
        security,
        params: HomeParams,
        querystring: Type.Object({ units: UnitsQuery }),
        response: { 200: Type.Object({ items: Type.Array(DeviceSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const devices = await services.homes.listDevices(principalOf(request), request.params.homeId);
      const presence = await services.presence.describeMany(devices);
      const units = request.query.units ?? 'metric';
      return {
        items: devices.map((device) => presentDeviceWithPresence(device, presence.get(device.id), units)),
      };
    },
  );

  // ---- rooms ----

  app.get(
    '/v1/homes/:homeId/rooms',
    {
      onRequest: caller,
      schema: {
        tags: ['homes'],
        summary: 'Rooms of a home',
        security,
        params: HomeParams,
        response: { 200: Type.Object({ items: Type.Array(RoomSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await services.homes.listRooms(principalOf(request), request.params.homeId)).map(presentRoom),
    }),
  );

  app.post(
    '/v1/homes/:homeId/rooms',
    {
      onRequest: caller,
      schema: {
        tags: ['homes'],
        summary: 'Add a room (owners)',
        security,
        params: HomeParams,
        body: Type.Object({ name: Name }, strictBody),
        response: { 201: RoomSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          presentRoom(
            await services.homes.createRoom(principalOf(request), request.params.homeId, request.body.name),
          ),
        ),
  );

  const RoomParams = Type.Object({ homeId: Id, roomId: Id });
  app.patch(
    '/v1/homes/:homeId/rooms/:roomId',
    {
      onRequest: caller,
      schema: {
        tags: ['homes'],
        summary: 'Rename a room (owners)',
        security,
        params: RoomParams,
        body: Type.Object({ name: Name }, strictBody),
        response: { 200: RoomSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentRoom(
        await services.homes.renameRoom(
          principalOf(request),
          request.params.homeId,
          request.params.roomId,
          request.body.name,
        ),
      ),
  );

  app.delete(
    '/v1/homes/:homeId/rooms/:roomId',
    {
      onRequest: caller,
      schema: {
        tags: ['homes'],
        summary: 'Delete a room (owners); its devices keep no room',
        security,
        params: RoomParams,
        response: none,
      },
    },
    async (request, reply) => {
      await services.homes.deleteRoom(principalOf(request), request.params.homeId, request.params.roomId);
      return reply.code(204).send(null);
    },
  );

  // ---- members ----

  app.get(
    '/v1/homes/:homeId/members',
    {
      onRequest: caller,
      schema: {
        tags: ['homes'],
        summary: 'People of a home and their roles',
        security,
        params: HomeParams,
        response: { 200: Type.Object({ items: Type.Array(MemberSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await services.homes.listMembers(principalOf(request), request.params.homeId)).map(
        presentMember,
      ),
    }),
  );

  const MemberParams = Type.Object({ homeId: Id, userId: Id });
  app.patch(
    '/v1/homes/:homeId/members/:userId',
    {
      onRequest: caller,
      schema: {
        tags: ['homes'],
        summary: "Change a member's role to member or guest (owners)",
        security,
        params: MemberParams,
        body: Type.Object({ role: HomeRoleSchema }, strictBody),
        response: none,
      },
    },
    async (request, reply) => {
      await services.homes.setMemberRole(
        principalOf(request),
        request.params.homeId,
        request.params.userId,
        request.body.role,
        originOf(request),
      );
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/v1/homes/:homeId/members/:userId',
    {
      onRequest: caller,
      schema: {
        tags: ['homes'],
        summary: 'Remove a member (owners), or leave a home (oneself)',
        security,
        params: MemberParams,
        response: none,
      },
    },
    async (request, reply) => {
      await services.homes.removeMember(
        principalOf(request),
        request.params.homeId,
        request.params.userId,
        originOf(request),
      );
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/homes/:homeId/transfer',
    {
      onRequest: caller,
      schema: {
        tags: ['homes'],
        summary: 'Hand the home to one of its members; the owner stays on as a member (owners)',
        security,
        params: HomeParams,
        body: Type.Object({ userId: Id }, strictBody),
        response: none,
      },
    },
    async (request, reply) => {
      await services.homes.transferOwnership(
        principalOf(request),
        request.params.homeId,
        request.body.userId,
        originOf(request),
      );
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/homes/:homeId/invitations',
    {
      onRequest: caller,
      schema: {
        tags: ['homes'],
        summary: 'Invite a person to the home by mail as member or guest (owners)',
        description:
          "The mail is in `language`, else in the inviter's language; an account the invitation creates takes that language.",
        security,
        params: HomeParams,
        body: Type.Object(
          {
            email: Type.String({ minLength: 3, maxLength: 320 }),
            role: Type.Union([Type.Literal('member'), Type.Literal('guest')]),
            language: Type.Optional(LanguageSchema),
          },
          strictBody,
        ),
        response: { 201: InvitationSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const invitation = await services.homes.inviteMember(
        principalOf(request),
        request.params.homeId,
        request.body,
        originOf(request),
      );
      const inviters = await services.invitations.invitersOf([invitation]);
      return reply.code(201).send(presentInvitation(invitation, inviters));
    },
  );

  app.get(
    '/v1/homes/:homeId/invitations',
    {
      onRequest: caller,
      schema: {
        tags: ['homes'],
        summary: 'Open invitations of the home (owners)',
        description: 'Each with who sent it (`invitedBy`), for the owners to tell invitations apart.',
        security,
        params: HomeParams,
        response: { 200: Type.Object({ items: Type.Array(InvitationSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const invitations = await services.homes.listInvitations(principalOf(request), request.params.homeId);
      const inviters = await services.invitations.invitersOf(invitations);
      return { items: invitations.map((invitation) => presentInvitation(invitation, inviters)) };
    },
  );

  app.delete(
    '/v1/homes/:homeId/invitations/:invitationId',
    {
      onRequest: caller,
      schema: {
        tags: ['homes'],
        summary: 'Withdraw an invitation (owners)',
        security,
        params: Type.Object({ homeId: Id, invitationId: Id }),
        response: none,
      },
    },
    async (request, reply) => {
      await services.homes.revokeInvitation(
        principalOf(request),
        request.params.homeId,
        request.params.invitationId,
      );
      return reply.code(204).send(null);
    },
  );

  // ---- gateways of the home ----

  app.get(
    '/v1/homes/:homeId/gateways',
    {
      onRequest: caller,
      schema: {
        tags: ['homes', 'gateways'],
        summary: 'Gateways registered to the home',
        security,
        params: HomeParams,
        response: { 200: Type.Object({ items: Type.Array(GatewaySchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await services.gateways.listHomeGateways(principalOf(request), request.params.homeId)).map(
        presentGateway,
      ),
    }),
  );

  app.post(
    '/v1/homes/:homeId/gateways',
    {
      onRequest: caller,
      schema: {
        tags: ['homes', 'gateways'],
        summary: 'Register a gateway to the home with the serial and claim code printed on it (owners)',
        description:
          'The gateway is told "registration: accepted" on its down topic, sends its configuration, and its devices appear in the home. Attempts are rate-limited per person.',
        security,
        params: HomeParams,
        body: Type.Object(
          {
            gatewayId: Type.String({ minLength: 1, maxLength: 64 }),
            claimCode: Type.String({ minLength: 1, maxLength: 64 }),
          },
          strictBody,
        ),
        response: { 200: GatewaySchema, ...errorResponses },
      },
    },
    async (request) =>
      presentGateway(
        await services.gateways.claim(
          principalOf(request),
          request.params.homeId,
          request.body,
          originOf(request),
        ),
      ),
  );

  app.delete(
    '/v1/homes/:homeId/gateways/:gatewayId',
    {
      onRequest: caller,
      schema: {
        tags: ['homes', 'gateways'],
        summary: 'Remove a gateway from the home, deleting its devices and history (owners)',
        description:
          'Without confirm (the gateway id) the answer is 409 HESTIA_CONFIRMATION_REQUIRED with what would be deleted. The gateway returns to pending.',
        security,
        params: Type.Object({ homeId: Id, gatewayId: Id }),
        querystring: Type.Object({ confirm: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: {
          200: Type.Object({ deleted: Type.Object({ devices: Type.Number(), readings: Type.Number() }) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const gateway = await services.authorize.gateway(principal, request.params.gatewayId, 'read');
      if (gateway.homeId !== request.params.homeId)
        await services.authorize.home(principal, request.params.homeId, 'read');
      if (gateway.homeId !== request.params.homeId)
        throw new HestiaError('HESTIA_NOT_FOUND', 'No such gateway in this home');
      const deleted = await services.gateways.remove(
        principal,
        gateway.id,
        request.query.confirm,
        originOf(request),
      );
      return { deleted };
    },
  );
};
