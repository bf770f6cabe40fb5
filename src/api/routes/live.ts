import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { WebSocket } from 'ws';
import { HestiaError, isHestiaError } from '../../core/errors.ts';
import type { Principal } from '../../services/principal.ts';
import { optionallyAuthenticated } from '../auth.ts';
import { LiveHub, type LiveMessage, type LiveSubscriber } from '../live-hub.ts';
import { Id, errorResponses } from '../schemas.ts';
import type { ApiPlugin } from '../context.ts';

const HomeParams = Type.Object({ homeId: Id });

/**
 * WebSocket close codes of the live feed (4000–4999 are the application's, RFC 6455 §7.4.2):
 * like the REST statuses they mirror, so a client knows whether to re-authenticate or give up.
 */
export const LIVE_CLOSE = {
  unauthenticated: 4401,
  forbidden: 4403,
  notFound: 4404,
  tooSlow: 4008,
  limit: 4029,
  shuttingDown: 1001,
} as const;

const HEARTBEAT_MS = 30_000; // 30 s: proxies commonly drop idle connections after 60 s
const MAX_CLIENT_MESSAGE_BYTES = 4096;

function textOf(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString('utf8');
}

function bearerOfHeader(request: FastifyRequest): string | null {
  const match = /^Bearer\s+(\S{1,512})$/i.exec(request.headers.authorization ?? '');
  return match?.[1] ?? null;
}

function closeCodeOf(error: unknown): number {
  if (!isHestiaError(error)) return 1011;
  if (error.status === 401) return LIVE_CLOSE.unauthenticated;
  if (error.status === 403) return LIVE_CLOSE.forbidden;
  if (error.status === 404) return LIVE_CLOSE.notFound;
  return 1011;
}

/**
 * The live feed of one home: `GET /v1/homes/{homeId}/live` upgraded to a WebSocket streams
 * state changes, alarms, command status, availability, mode changes, automation runs and the
 * caller's in-app notifications. It is authorized like the REST API (home 'read'): by the
 * Authorization header of the upgrade request, or, for browsers that cannot set headers, by a
 * first message `{"type":"auth","token":"…"}`. Credentials and access are checked again every
 * `live.recheckSeconds`, so an expired token or a removed member stops receiving.
 */
export const liveRoutes: ApiPlugin = async (app, { ctx, services }) => {
  const { config, metrics, logger } = ctx;
  // The same views as GET /v1/commands/{id} and GET /v1/alarms/{id}.
  const hub = new LiveHub(ctx);
  const sockets = new Set<WebSocket>();
  const perPrincipal = new Map<string, number>();
  app.addHook('preClose', async () => {
    for (const socket of sockets) socket.close(LIVE_CLOSE.shuttingDown, 'server shutting down');
  });
  app.addHook('onClose', async () => hub.close());

  const authorize = async (bearer: string, homeId: string): Promise<Principal> => {
    const principal = await services.accounts.authenticate(bearer);
    if (!principal)
      throw new HestiaError('HESTIA_UNAUTHENTICATED', 'The bearer token is unknown, expired or revoked');
    await services.authorize.home(principal, homeId, 'read');
    return principal;
  };

  app.route({
    method: 'GET',
    url: '/v1/homes/:homeId/live',
    schema: {
      tags: ['live'],
      summary: 'Live feed of a home (WebSocket)',
      description:
        'Upgrade to a WebSocket. Authenticate with the Authorization header or, from a browser, send `{"type":"auth","token":"<access token>"}` first. Messages are JSON with `type`: `ready`, `state` (a reading), `alarm`, `command`, `availability`, `mode`, `gateway`, `automation`, `recording` (a camera’s recording state), `cameraEvent` (motion, doorbell), `notification` (yours only), `pong`. Close codes: 4401 unauthenticated, 4403 forbidden, 4404 no such home, 4008 too slow, 4029 too many connections. Without an upgrade the route answers 426.',
      params: HomeParams,
      security: [{ bearer: [] }],
      response: { ...errorResponses },
    },
    preValidation: optionallyAuthenticated(services.accounts),
    preHandler: async (request) => {
      // With a header the upgrade itself is refused (401/403/404) before any socket exists.
      const { homeId } = request.params;
      if (request.principal) await services.authorize.home(request.principal, homeId, 'read');
      // Only a WebSocket may authenticate after the upgrade, by its first message.
      else if (!request.ws) throw new HestiaError('HESTIA_UNAUTHENTICATED');
    },
    handler: async (_request, reply) =>
      reply
        .code(426)
        .header('upgrade', 'websocket')
        .send({
          error: {
            code: 'HESTIA_BAD_REQUEST',
            message: 'This is a WebSocket endpoint: connect with Upgrade: websocket',
          },
        }),
    wsHandler: (socket, request) => {
      const { homeId } = request.params;
      sockets.add(socket);
      let subscriber: LiveSubscriber | null = null;
      let principalKey: string | null = null;
      let bearer = bearerOfHeader(request);
      let alive = true;
      const timers: NodeJS.Timeout[] = [];

      const close = (code: number, reason: string, metricReason?: string): void => {
        if (metricReason) metrics.liveDisconnects.inc({ reason: metricReason });
        if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING)
          socket.close(code, reason);
      };
      const send = (message: LiveMessage | Record<string, unknown>): void => {
        if (socket.readyState !== socket.OPEN) return;
        // A client that does not read must not grow this process's memory: it reconnects and reloads.
        if (socket.bufferedAmount > config.live.maxBufferedBytes) {
          close(LIVE_CLOSE.tooSlow, 'too slow: reconnect and reload', 'slow');
          return;
        }
        socket.send(JSON.stringify(message));
        metrics.liveMessages.inc({ type: String(message.type) });
      };

      const start = (principal: Principal): void => {
        principalKey = principal.kind === 'user' ? `user:${principal.userId}` : `key:${principal.apiKeyId}`;
        const open = perPrincipal.get(principalKey) ?? 0;
        if (open >= config.live.maxConnectionsPerPrincipal) {
          principalKey = null;
          close(LIVE_CLOSE.limit, 'too many live connections for this credential', 'limit');
          return;
        }
        perPrincipal.set(principalKey, open + 1);
        subscriber = { homeId, userId: principal.kind === 'user' ? principal.userId : null, send };
        hub.add(subscriber);
        send({ type: 'ready', homeId });
        const recheck = setInterval(() => {
          if (!bearer) return;
          authorize(bearer, homeId).catch((error: unknown) => {
            close(
              closeCodeOf(error),
              isHestiaError(error) ? error.message : 'access check failed',
              'unauthorized',
            );
          });
        }, config.live.recheckSeconds * 1000);
        recheck.unref();
        timers.push(recheck);
      };

      if (sockets.size > config.live.maxConnections) {
        close(LIVE_CLOSE.limit, 'the server has too many live connections', 'limit');
      } else if (request.principal) {
        start(request.principal);
      } else {
        const authTimer = setTimeout(() => {
          if (!subscriber)
            close(LIVE_CLOSE.unauthenticated, 'send {"type":"auth","token":…} first', 'unauthorized');
        }, config.live.authTimeoutSeconds * 1000);
        authTimer.unref();
        timers.push(authTimer);
      }

      const heartbeat = setInterval(() => {
        if (!alive) {
          socket.terminate();
          return;
        }
        alive = false;
        socket.ping();
      }, HEARTBEAT_MS);
      heartbeat.unref();
      timers.push(heartbeat);
      socket.on('pong', () => {
        alive = true;
      });

      socket.on('message', (data, isBinary) => {
        const size = Array.isArray(data)
          ? data.reduce((n, b) => n + b.length, 0)
          : (data as Buffer).byteLength;
        if (isBinary || size > MAX_CLIENT_MESSAGE_BYTES) {
          close(1003, 'text JSON messages of at most 4 KiB only', 'bad_message');
          return;
        }
        let message: { type?: unknown; token?: unknown };
        try {
          message = JSON.parse(textOf(data)) as typeof message;
        } catch {
          send({ type: 'error', code: 'HESTIA_BAD_REQUEST', message: 'messages are JSON' });
          return;
        }
        if (message.type === 'ping') {
          send({ type: 'pong' });
        } else if (message.type === 'auth' && !subscriber && principalKey === null) {
          if (typeof message.token !== 'string' || message.token.length > 512) {
            close(LIVE_CLOSE.unauthenticated, 'token: a string', 'unauthorized');
            return;
          }
          const token = message.token;
          authorize(token, homeId).then(
            (principal) => {
              if (socket.readyState !== socket.OPEN) return;
              bearer = token;
              start(principal);
            },
            (error: unknown) => {
              if (!isHestiaError(error)) logger.error({ err: error }, 'live feed authorization failed');
              close(
                closeCodeOf(error),
                isHestiaError(error) ? error.message : 'authorization failed',
                'unauthorized',
              );
            },
          );
        } else {
          send({
            type: 'error',
            code: 'HESTIA_BAD_REQUEST',
            message: 'expected {"type":"auth"} or {"type":"ping"}',
          });
        }
      });

      metrics.liveConnections.inc();
      socket.on('close', () => {
        metrics.liveConnections.dec();
        sockets.delete(socket);
        for (const timer of timers) clearInterval(timer);
        if (subscriber) hub.remove(subscriber);
        if (principalKey) {
          const left = (perPrincipal.get(principalKey) ?? 1) - 1;
          if (left <= 0) perPrincipal.delete(principalKey);
          else perPrincipal.set(principalKey, left);
        }
      });
    },
  });
};
