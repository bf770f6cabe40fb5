import { GatewayActivity } from './activity.ts';
import { readMeterFile, writeMeterFile, type GatewayCredentials } from './files.ts';
import { MAX_POWER_KW, initialMeterKwh, seedOf, seededRandom } from './model.ts';
import { GatewaySession, type SessionEvent } from './session.ts';

export interface SimulatorOptions {
  /** MQTT broker, e.g. mqtt://localhost:1883. */
  url: string;
  gateways: readonly GatewayCredentials[];
  /** Time compression: 1 = real rates, 60 = a simulated hour per real minute. */
  speed: number;
  /** Where the energy meters are kept between runs; null keeps them in memory only. */
  meterFile?: string | null;
  /** Seed of the simulated noise and events; by default a new one per run. */
  seed?: number;
  /** Media server the cameras report streaming to (deviceState mediaserverIp). */
  mediaserverIp?: string;
  reconnectPeriodMs?: number;
  onEvent?: (event: SessionEvent) => void;
}

export interface SimulatorStats {
  gateways: number;
  connected: number;
  /** Uplink messages handed to MQTT (telemetry, greetings, announcements; each counted once). */
  published: number;
  acknowledged: number;
  failed: number;
  dropped: number;
  reconnects: number;
  refused: number;
  /** Gateways Hestia said are registered to a home (telemetry flows). */
  registered: number;
  /** Gateways Hestia said are waiting for registration (telemetry withheld). */
  pending: number;
  /** Telemetry not sent because the gateway was not registered. */
  withheld: number;
  /** Simulated time elapsed since the start. */
  simulatedMs: number;
}

/** How often simulated time moves on; events falling between ticks keep their exact due instant. */
const TICK_MS = 100;
/** How often the meter file is rewritten with a new ceiling. */
const METER_SAVE_INTERVAL_MS = 5000; // 5 seconds
/** The ceiling covers this much wall time of maximal consumption: three missed saves. */
const METER_HEADROOM_WALL_MS = 3 * METER_SAVE_INTERVAL_MS;

interface SimulatedGateway {
  activity: GatewayActivity;
  session: GatewaySession;
}

/**
 * Runs simulated gateways: each has its own MQTT session and its own simulated home; a timer
 * moves simulated time (`speed` times faster than the wall clock) and publishes what falls due.
 * Events keep happening while a gateway is disconnected; mqtt.js holds their QoS 1 messages and
 * sends them after the reconnect, as a real gateway's buffer would. A gateway whose registration
 * is pending withholds its telemetry (its home goes on; what happens meanwhile is not sent).
 */
export class Simulator {
  private readonly gateways: SimulatedGateway[] = [];
  private readonly startMs = Date.now();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly meterReadings: Map<string, number>;
  private stopped: Promise<void> | null = null;

  private constructor(private readonly options: SimulatorOptions) {
    if (!(options.speed > 0) || !Number.isFinite(options.speed))
      throw new Error('speed: expected a positive number');
    this.meterReadings = options.meterFile ? readMeterFile(options.meterFile) : new Map<string, number>();
    const runSeed = (options.seed ?? Date.now()) >>> 0;
    for (const credentials of options.gateways) {
      const activity = new GatewayActivity({
        gatewayId: credentials.gatewayId,
        random: seededRandom(seedOf(credentials.gatewayId) ^ runSeed),
        startSimMs: this.startMs,
        energyKwh: this.meterReadings.get(credentials.gatewayId) ?? initialMeterKwh(credentials.gatewayId),
        mediaserverIp: options.mediaserverIp ?? '127.0.0.1',
      });
      const session = new GatewaySession({
        url: options.url,
        credentials,
        reconnectPeriodMs: options.reconnectPeriodMs ?? 1000,
        greeting: () => activity.greeting(Date.now()),
        // A pending gateway shows its device list, as the seed's controller does to be registered.
        announcement: () => [activity.configuration(Date.now())],
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      });
      this.gateways.push({ activity, session });
    }
  }

  /** Starts every gateway; returns at once (connections are made in the background). */
  static start(options: SimulatorOptions): Simulator {
    const simulator = new Simulator(options);
    simulator.saveMeters(false, true);
    for (const { session } of simulator.gateways) session.start();
    simulator.timers.push(setInterval(() => simulator.tick(), TICK_MS));
    if (options.meterFile) {
      simulator.timers.push(setInterval(() => simulator.saveMeters(false), METER_SAVE_INTERVAL_MS));
    }
    return simulator;
  }

  get sessions(): readonly GatewaySession[] {
    return this.gateways.map((gateway) => gateway.session);
  }

  get activities(): readonly GatewayActivity[] {
    return this.gateways.map((gateway) => gateway.activity);
  }

  stats(): SimulatorStats {
    const stats: SimulatorStats = {
      gateways: this.gateways.length,
      connected: 0,
      published: 0,
      acknowledged: 0,
      failed: 0,
      dropped: 0,
      reconnects: 0,
      refused: 0,
      registered: 0,
      pending: 0,
      withheld: 0,
      simulatedMs: (Date.now() - this.startMs) * this.options.speed,
    };
    for (const { session } of this.gateways) {
      if (session.connected) stats.connected++;
      stats.published += session.published;
      stats.acknowledged += session.acknowledged;
      stats.failed += session.failed;
      stats.dropped += session.dropped;
      stats.reconnects += session.reconnects;
      if (session.refusedReason !== null) stats.refused++;
      if (session.registration.status === 'accepted') stats.registered++;
      if (session.registration.status === 'pending') stats.pending++;
      stats.withheld += session.withheld;
    }
    return stats;
  }

  /** Stops the clock, saves the meters, and disconnects every gateway cleanly (status offline). */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      for (const timer of this.timers) clearInterval(timer);
      this.saveMeters(true);
      await Promise.all(this.gateways.map(({ session }) => session.stop()));
    })();
    return this.stopped;
  }

  private simOf(wallMs: number): number {
    return this.startMs + (wallMs - this.startMs) * this.options.speed;
  }

  private readonly wallOf = (simMs: number): number =>
    this.startMs + (simMs - this.startMs) / this.options.speed;

  private tick(): void {
    const simNowMs = this.simOf(Date.now());
    for (const { activity, session } of this.gateways) {
      for (const message of activity.advance(simNowMs, this.wallOf)) session.publish(message);
    }
  }

  /**
   * Writes each meter's ceiling (its reading plus what it could use at most until a later save)
   * before letting the meter reach it, so the file always holds a value no published reading
   * exceeds; `final` writes the exact readings at a clean stop. Without a file, meters are free.
   */
  private saveMeters(final: boolean, rethrow = false): void {
    const file = this.options.meterFile;
    if (!file) return;
    const headroomKwh = final ? 0 : (MAX_POWER_KW * this.options.speed * METER_HEADROOM_WALL_MS) / 3_600_000;
    const ceilings = this.gateways.map(({ activity }) => activity.meterKwh + headroomKwh);
    this.gateways.forEach(({ activity }, index) =>
      this.meterReadings.set(activity.gatewayId, ceilings[index]!),
    );
    try {
      writeMeterFile(file, this.meterReadings);
    } catch (error) {
      if (rethrow) throw error;
      // The meters keep their old ceiling (they pause) rather than outrun what the file promises.
      this.options.onEvent?.({
        kind: 'error',
        gatewayId: '*',
        reason: `meter file ${file}: ${(error as Error).message}`,
      });
      return;
    }
    this.gateways.forEach(({ activity }, index) => activity.setMeterCeiling(ceilings[index]!));
  }
}
