import * as SunCalc from 'suncalc';
import WebSocket from 'ws';
import { GatewayActivity } from '../../src/simulator/activity.ts';
import {
  HALLWAY_MOTION_PER_HOUR,
  seedOf,
  seededRandom,
  simulatedDevices,
} from '../../src/simulator/model.ts';
import { eventually } from './app.ts';
import { WebhookServer, type ProviderCall } from './push-providers.ts';
import { EVENT_TIMEOUT_MS } from './wait.ts';

/**
 * Helpers of the end-to-end tests that drive the real simulator against the real app: the live
 * feed as an app sees it, a webhook receiver that notes when each call arrived, a place where the
 * sun is down, and a simulator seed whose hallway sensor stays quiet unless told.
 */

/** The live feed of a home, as a phone app holds it: every message, parsed, in order. */
export interface LiveFeed {
  socket: WebSocket;
  messages: Array<Record<string, any>>;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens `ws://…/v1/homes/{homeId}/live` with the token in the Authorization header; resolves once open. */
export function openLiveFeed(httpPort: number, homeId: string, token: string): Promise<LiveFeed> {
  const socket = new WebSocket(`ws://127.0.0.1:${httpPort}/v1/homes/${homeId}/live`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const messages: Array<Record<string, any>> = [];
  socket.on('message', (data) =>
    messages.push(JSON.parse((data as Buffer).toString('utf8')) as Record<string, any>),
  );
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, messages, closed }));
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`live feed upgrade refused: ${response.statusCode}`)),
    );
    socket.once('error', reject);
  });
}

/** Waits for the first message of the feed that matches. */
export function nextOnFeed(
  feed: LiveFeed,
  what: string,
  match: (message: Record<string, any>) => boolean,
  timeoutMs = EVENT_TIMEOUT_MS,
): Promise<Record<string, any>> {
  return eventually(what, async () => feed.messages.find(match), timeoutMs);
}

/** Closes the feed and waits for the close handshake (a feed the server already closed resolves at once). */
export async function closeLiveFeed(feed: LiveFeed): Promise<void> {
  if (feed.socket.readyState === WebSocket.OPEN || feed.socket.readyState === WebSocket.CONNECTING)
    feed.socket.close();
  await feed.closed;
}

/**
 * A tenant's webhook receiver (signature and headers checked by WebhookServer) that also notes,
 * with `performance.now()`, when each call's body had fully arrived: the end of a latency
 * measured from an event the test caused.
 */
export class TimedWebhookServer extends WebhookServer {
  private readonly arrivals = new Map<ProviderCall, number>();

  protected override check(call: ProviderCall): { status: number; body: unknown } {
    this.arrivals.set(call, performance.now());
    return super.check(call);
  }

  /** When the call arrived (performance.now() clock). */
  arrivedAt(call: ProviderCall): number {
    const at = this.arrivals.get(call);
    if (at === undefined) throw new Error('not a call of this server');
    return at;
  }
}

/**
 * A place on the equator where the sun is now more than 20° below the horizon (computed with
 * suncalc, as the automation engine does): the sun needs about 80 minutes to rise that far, far
 * longer than a test runs, so "after sunset, before sunrise" holds throughout.
 */
export function placeWhereSunIsDown(now = new Date()): { latitude: number; longitude: number } {
  for (let longitude = -175; longitude <= 175; longitude += 5) {
    if (SunCalc.getPosition(now, 0, longitude).altitude < (-20 * Math.PI) / 180)
      return { latitude: 0, longitude };
  }
  throw new Error('no place where the sun is down (the sun is always down somewhere)');
}

/**
 * A simulator seed under which the hallway motion sensor of `gatewayId` reports no motion of its
 * own for `quietSimMs` of simulated time after the simulator starts, so that every motion the
 * test sees is one it triggered (a random arrival would fire the rule under test once more).
 *
 * The simulator draws the sensor's first candidate arrival at start, from
 * `seededRandom(seedOf(gatewayId) ^ seed)`, after a fixed number of draws that do not depend on
 * the time of day; a candidate is kept with probability rate(hour) / peak rate. A probe activity
 * started in the evening, when the hallway rate is the peak and every candidate is kept, shows
 * the first candidate itself: if it reports nothing within the window, no candidate falls in
 * the window, whatever the hour of the real start.
 */
export function seedWithoutRandomMotion(gatewayId: string, quietSimMs: number, maxTries = 100_000): number {
  const motion = simulatedDevices(gatewayId).find((device) => device.kind === 'motion');
  if (!motion) throw new Error('the simulated gateway has no hallway motion sensor');
  const evening = new Date(2024, 0, 15, 17, 30).getTime(); // local time: hourOfDay() is local
  const peak = Math.max(...Object.values(HALLWAY_MOTION_PER_HOUR));
  if (HALLWAY_MOTION_PER_HOUR.evening !== peak) throw new Error('the probe assumes the evening is the peak');
  if (quietSimMs > 5 * 60 * 60_000) throw new Error('the probe window must stay within the evening');
  for (let seed = 1; seed <= maxTries; seed++) {
    const probe = new GatewayActivity({
      gatewayId,
      random: seededRandom(seedOf(gatewayId) ^ seed),
      startSimMs: evening,
      energyKwh: 1000,
      mediaserverIp: '127.0.0.1',
    });
    const messages = probe.advance(evening + quietSimMs, (simMs) => simMs) as Array<{ deviceId?: string }>;
    if (!messages.some((message) => message.deviceId === motion.deviceId)) return seed;
  }
  throw new Error(`no seed in 1…${maxTries} keeps the hallway quiet for ${quietSimMs} simulated ms`);
}
