import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { LIVE_CLOSE } from '../../src/api/routes/live.ts';
import { eventually, SEED_GATEWAY_ID, seedMessages, startTestApp, type TestApp } from '../helpers/app.ts';
import { onEveryBackend, type Backend } from '../helpers/backends.ts';

interface Feed {
  socket: WebSocket;
  messages: Array<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens the live feed of a home; with a token, by header, else the caller authenticates by message. */
function openFeed(app: TestApp, homeId: string, token?: string): Promise<Feed> {
  const url = `ws://127.0.0.1:${app.hestia.ports.http}/v1/homes/${homeId}/live`;
  const socket = new WebSocket(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const messages: Array<Record<string, unknown>> = [];
  socket.on('message', (data) =>
    messages.push(JSON.parse((data as Buffer).toString('utf8')) as Record<string, unknown>),
  );
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, messages, closed }));
    socket.once('unexpected-response', (_request, response) =>
      reject(
        Object.assign(new Error(`upgrade refused: ${response.statusCode}`), { status: response.statusCode }),
      ),
    );
    socket.once('error', reject);
  });
}

function waitFor(feed: Feed, what: string, match: (message: Record<string, unknown>) => boolean) {
  return eventually(what, async () => feed.messages.find(match));
}

async function upgradeStatus(app: TestApp, homeId: string, token: string): Promise<number | undefined> {
  try {
    const feed = await openFeed(app, homeId, token);
    feed.socket.close();
    return 101;
  } catch (error) {
    return (error as { status?: number }).status;
  }
}

function liveSuite(backend: Backend): void {
  describe(`live feed over WebSocket (${backend.name})`, () => {
    let app: TestApp;
    let drop: () => Promise<void>;
    let gateway: { id: string; token: string };
    let seed: Awaited<ReturnType<typeof seedMessages>>;

    before(async () => {
      const database = await backend.open();
      drop = database.drop;
      app = await startTestApp({
        // A browser must authenticate within authTimeoutSeconds of opening the feed: long enough
        // for a test that does so on a busy machine, short for the one that stays silent.
        live: { authTimeoutSeconds: 3, recheckSeconds: 1, maxConnectionsPerPrincipal: 3 },
        ...(database.storage ? { storage: database.storage } : {}),
      });
      gateway = await app.createGateway(SEED_GATEWAY_ID);
      seed = await seedMessages();
    });
    after(async () => {
      await app.stop();
      await drop();
    });

    async function publishReading(value: string): Promise<void> {
      const client = await app.connectGateway(gateway);
      await client.publishAsync(
        `hestia/v1/gw/${gateway.id}/up`,
        JSON.stringify({
          ...seed.sensorData,
          gatewayId: gateway.id,
          sensorData: value,
          timestampMs: String(Date.now()),
        }),
        { qos: 1 },
      );
      await client.endAsync();
    }

    it('streams readings of the home to a member authenticated by header, with their capability', async () => {
      const feed = await openFeed(app, app.homeId, app.ownerToken);
      await waitFor(feed, 'ready', (m) => m.type === 'ready');
      await publishReading('23.5');
      const state = await waitFor(feed, 'state', (m) => m.type === 'state' && m.value === 23.5);
      assert.equal(state.homeId, app.homeId);
      assert.equal(state.label, 'Temperature');
      assert.equal(state.capability, 'temperature');
      assert.equal(state.unit, 'C');
      assert.match(String(state.ts), /^\d{4}-\d\d-\d\dT/);
      // The gateway's connection state reaches the feed too.
      await waitFor(feed, 'gateway status', (m) => m.type === 'gateway' && m.gatewayId === gateway.id);
      feed.socket.close();
    });

    it('authenticates a browser by its first message, and answers ping', async () => {
      const feed = await openFeed(app, app.homeId);
      feed.socket.send(JSON.stringify({ type: 'auth', token: app.ownerToken }));
      await waitFor(feed, 'ready', (m) => m.type === 'ready');
      feed.socket.send(JSON.stringify({ type: 'ping' }));
      await waitFor(feed, 'pong', (m) => m.type === 'pong');
      feed.socket.send('not json');
      await waitFor(feed, 'error for bad JSON', (m) => m.type === 'error');
      feed.socket.close();
    });

    it('refuses strangers like the REST API: 401, 404 for a home one cannot see', async () => {
      const stranger = await app.signUp(`stranger-${backend.name}@example.com`);
      assert.equal(await upgradeStatus(app, app.homeId, stranger.token), 404);
      assert.equal(await upgradeStatus(app, app.homeId, 'at_unknown-token'), 401);
      assert.equal(await upgradeStatus(app, 'no-such-home', app.ownerToken), 404);

      const byMessage = await openFeed(app, app.homeId);
      byMessage.socket.send(JSON.stringify({ type: 'auth', token: stranger.token }));
      assert.equal((await byMessage.closed).code, LIVE_CLOSE.notFound);

      const silent = await openFeed(app, app.homeId);
      assert.equal((await silent.closed).code, LIVE_CLOSE.unauthenticated);
      assert.equal(silent.messages.length, 0);

      const plain = await app.request('GET', `/v1/homes/${app.homeId}/live`);
      assert.equal(plain.status, 426);
    });

    it('lets a guest watch, and shows in-app notifications to their person only', async () => {
      const guest = await app.signUp(`guest-${backend.name}@example.com`);
      await app.hestia.ctx.store.directory.homes.addMember({
        homeId: app.homeId,
        userId: guest.userId,
        tenantId: app.tenantId,
        role: 'guest',
        atMs: Date.now(),
      });
      const guestFeed = await openFeed(app, app.homeId, guest.token);
      const ownerFeed = await openFeed(app, app.homeId, app.ownerToken);
      await waitFor(guestFeed, 'ready', (m) => m.type === 'ready');
      await waitFor(ownerFeed, 'ready', (m) => m.type === 'ready');
      app.hestia.ctx.bus.emit('notification.in_app', {
        tenantId: app.tenantId,
        homeId: app.homeId,
        userId: app.ownerId,
        notificationId: 'n1',
        severity: 'critical',
        title: 'Water leak',
        body: 'Kitchen',
        atMs: Date.now(),
      });
      await waitFor(
        ownerFeed,
        'owner notification',
        (m) => m.type === 'notification' && m.title === 'Water leak',
      );
      // Readings after the notification reach both: the guest's feed is in order and simply lacks it.
      await publishReading('24.5');
      await waitFor(guestFeed, 'state', (m) => m.type === 'state' && m.value === 24.5);
      assert.equal(
        guestFeed.messages.some((m) => m.type === 'notification'),
        false,
      );
      guestFeed.socket.close();
      ownerFeed.socket.close();
    });

    it('closes the feed when the person logs out or leaves the home', async () => {
      const member = await app.signUp(`member-${backend.name}@example.com`);
      await app.hestia.ctx.store.directory.homes.addMember({
        homeId: app.homeId,
        userId: member.userId,
        tenantId: app.tenantId,
        role: 'member',
        atMs: Date.now(),
      });
      const feed = await openFeed(app, app.homeId, member.token);
      await waitFor(feed, 'ready', (m) => m.type === 'ready');
      await app.hestia.ctx.store.directory.homes.removeMember(app.homeId, member.userId);
      assert.equal((await feed.closed).code, LIVE_CLOSE.notFound);

      const other = await app.signUp(`leaver-${backend.name}@example.com`);
      await app.hestia.ctx.store.directory.homes.addMember({
        homeId: app.homeId,
        userId: other.userId,
        tenantId: app.tenantId,
        role: 'member',
        atMs: Date.now(),
      });
      const second = await openFeed(app, app.homeId, other.token);
      await waitFor(second, 'ready', (m) => m.type === 'ready');
      const logout = await app.request('POST', '/v1/auth/logout', {}, other.token);
      assert.equal(logout.status, 204);
      assert.equal((await second.closed).code, LIVE_CLOSE.unauthenticated);
    });

    it('limits connections per credential', async () => {
      const feeds = await Promise.all([1, 2, 3].map(() => openFeed(app, app.homeId, app.ownerToken)));
      for (const feed of feeds) await waitFor(feed, 'ready', (m) => m.type === 'ready');
      const fourth = await openFeed(app, app.homeId, app.ownerToken);
      assert.equal((await fourth.closed).code, LIVE_CLOSE.limit);
      for (const feed of feeds) feed.socket.close();
      await Promise.all(feeds.map((feed) => feed.closed));
      const again = await openFeed(app, app.homeId, app.ownerToken);
      await waitFor(again, 'ready after others closed', (m) => m.type === 'ready');
      again.socket.close();
    });
  });
}

await onEveryBackend('live feed', liveSuite);
