import { GatewayActivity } from './activity.ts';
import { CameraStreams, type CameraStreamEvent } from './camera-streams.ts';
import type { DeviceCommand, ParsedCommand } from './commands.ts';
import { readMeterFile, writeMeterFile, type GatewayCredentials } from './files.ts';
import { commandResultMessage, type SeedCommandResult } from './messages.ts';
import {
  MAX_POWER_KW,
  initialMeterKwh,
  seedOf,
  seededRandom,
  type Random,
  type SimulatedCamera,
} from './model.ts';
import { GatewaySession, type SessionEvent } from './session.ts';

/** What the simulator reports: its sessions' events, commands it answered, scenarios it played. */
export type SimulatorEvent =
  | SessionEvent
  | {
      kind: 'command';
      gatewayId: string;
      commandId: string;
      deviceId: string;
      action: string;
      params: Record<string, unknown>;
    }
  | {
      kind: 'commandResult';
      gatewayId: string;
      commandId: string;
      deviceId: string;
      status: 'succeeded' | 'failed';
      error: string | null;
      /** The same command delivered again (QoS 1 is at least once): answered again, not executed again. */
      repeated: boolean;
    }
  | { kind: 'leak'; gatewayId: string; deviceId: string; detected: boolean; reported: boolean }
  | { kind: 'motion'; gatewayId: string; deviceId: string; reported: boolean }
  | CameraStreamEvent;

/** A scripted water leak on the first gateway, for demos (`--leak`). */
export interface LeakScenario {
  /** Wall time after the start (once the gateway is registered) at which water is detected. */
  afterMs: number;
  /** How long the leak lasts; null: until the simulator stops. */
  durationMs: number | null;
}

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
  /** How long a gateway takes to execute a command before it answers (the radio round trip). */
  commandDelayMs?: number;
  /** Fraction of commands, in [0, 1], that fail on purpose (demos of failed commands). */
  failCommandsRatio?: number;
  leak?: LeakScenario;
  /**
   * Cameras publish real video: each asks Hestia (this API) for a media server and streams the
   * clip there; previews are a picture of the clip. Off: cameras only report their state.
   */
  video?: { apiUrl: string; previewBase64?: string };
  onEvent?: (event: SimulatorEvent) => void;
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
  /** Commands received from Hestia (each command once) and how many of them were answered failed. */
  commands: number;
  commandsFailed: number;
  /** Simulated time elapsed since the start. */
  simulatedMs: number;
}

/** How often simulated time moves on; events falling between ticks keep their exact due instant. */
const TICK_MS = 100;
/** How often the meter file is rewritten with a new ceiling. */
const METER_SAVE_INTERVAL_MS = 5000; // 5 seconds
/** The ceiling covers this much wall time of maximal consumption: three missed saves. */
const METER_HEADROOM_WALL_MS = 3 * METER_SAVE_INTERVAL_MS;

/** A gateway answers commands after this long unless told otherwise (a Z-Wave round trip). */
export const DEFAULT_COMMAND_DELAY_MS = 50;
/** Answers kept per gateway, to answer a redelivered command again without executing it twice. */
const REMEMBERED_COMMANDS = 1000;

interface SimulatedGateway {
  activity: GatewayActivity;
  session: GatewaySession;
  /** Decides which commands fail on purpose (failCommandsRatio); apart from the home's noise. */
  commandRandom: Random;
  /** Commands by id: being executed, or the answer given. */
  commands: Map<string, 'executing' | SeedCommandResult>;
  /** When the leak on this gateway ends (wall clock); null when none is scheduled. */
  leakEndsAtMs: number | null;
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
  private readonly commandTimers = new Set<NodeJS.Timeout>();
  /** When the scripted leak (options.leak) starts; null once started or when there is none. */
  private leakDueAtMs: number | null;
  private commandsReceived = 0;
  private commandsFailed = 0;
  private stopped: Promise<void> | null = null;
  private readonly streams: CameraStreams | null;

  private constructor(private readonly options: SimulatorOptions) {
    if (!(options.speed > 0) || !Number.isFinite(options.speed))
      throw new Error('speed: expected a positive number');
    const ratio = options.failCommandsRatio ?? 0;
    if (!(ratio >= 0 && ratio <= 1)) throw new Error('failCommandsRatio: expected a number from 0 to 1');
    const delay = options.commandDelayMs ?? DEFAULT_COMMAND_DELAY_MS;
    if (!(delay >= 0) || !Number.isFinite(delay)) throw new Error('commandDelayMs: expected a number ≥ 0');
    if (options.leak && (!(options.leak.afterMs >= 0) || !((options.leak.durationMs ?? 0) >= 0))) {
      throw new Error('leak: expected afterMs ≥ 0 and durationMs ≥ 0');
    }
    this.leakDueAtMs = options.leak ? this.startMs + options.leak.afterMs : null;
    this.meterReadings = options.meterFile ? readMeterFile(options.meterFile) : new Map<string, number>();
    const runSeed = (options.seed ?? Date.now()) >>> 0;
    this.streams = options.video
      ? new CameraStreams({ apiUrl: options.video.apiUrl, onEvent: (event) => this.emit(event) })
      : null;
    for (const credentials of options.gateways) {
      const activity = new GatewayActivity({
        gatewayId: credentials.gatewayId,
        random: seededRandom(seedOf(credentials.gatewayId) ^ runSeed),
        startSimMs: this.startMs,
        energyKwh: this.meterReadings.get(credentials.gatewayId) ?? initialMeterKwh(credentials.gatewayId),
        mediaserverIp: options.mediaserverIp ?? '127.0.0.1',
        ...(options.video?.previewBase64 ? { previewBase64: options.video.previewBase64 } : {}),
      });
      const gateway: SimulatedGateway = {
        activity,
        session: new GatewaySession({
          url: options.url,
          credentials,
          reconnectPeriodMs: options.reconnectPeriodMs ?? 1000,
          greeting: () => activity.greeting(Date.now()),
          // A pending gateway shows its device list, as the seed's controller does to be registered.
          announcement: () => [activity.configuration(Date.now())],
          onCommand: (command) => this.onCommand(gateway, command),
          onEvent: (event) => {
            // Registered: its cameras start streaming (with video on).
            if (event.kind === 'registration' && event.status === 'accepted')
              this.streams?.start(credentials, cameras(activity));
            options.onEvent?.(event);
          },
        }),
        commandRandom: seededRandom(seedOf(`commands:${credentials.gatewayId}`) ^ runSeed),
        commands: new Map(),
        leakEndsAtMs: null,
      };
      this.gateways.push(gateway);
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
      commands: this.commandsReceived,
      commandsFailed: this.commandsFailed,
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
      // Commands still executing are left unanswered, as by a gateway switched off: Hestia times them out.
      for (const timer of this.commandTimers) clearTimeout(timer);
      this.commandTimers.clear();
      this.saveMeters(true);
      await this.streams?.stop();
      await Promise.all(this.gateways.map(({ session }) => session.stop()));
    })();
    return this.stopped;
  }

  private simOf(wallMs: number): number {
    return this.startMs + (wallMs - this.startMs) * this.options.speed;
  }

  private readonly wallOf = (simMs: number): number =>
    this.startMs + (simMs - this.startMs) / this.options.speed;

  /**
   * Water on a gateway's leak sensor now (by index in `gateways`, or gateway id): it reports 1,
   * then 0 after `durationMs` if given. Returns false when the reading was not sent (the
   * gateway is not registered, or its buffer is full).
   */
  triggerLeak(gateway: number | string = 0, durationMs?: number): boolean {
    const target = this.gatewayOf(gateway);
    target.leakEndsAtMs = durationMs === undefined ? null : Date.now() + durationMs;
    return this.reportLeak(target, true);
  }

  /** The leak sensor of a gateway is dry again: it reports 0. */
  endLeak(gateway: number | string = 0): boolean {
    const target = this.gatewayOf(gateway);
    target.leakEndsAtMs = null;
    return this.reportLeak(target, false);
  }

  /**
   * Motion now on a gateway's hallway motion sensor (or on the motion detector `deviceId`, e.g. a
   * camera): reported at once, cleared after the sensor's usual hold. False when not sent.
   */
  triggerMotion(gateway: number | string = 0, deviceId?: string): boolean {
    const { activity, session } = this.gatewayOf(gateway);
    const nowMs = Date.now();
    const motion = activity.triggerMotion(this.simOf(nowMs), nowMs, deviceId);
    let reported = motion.messages.length > 0;
    for (const message of motion.messages) reported = session.publish(message) && reported;
    this.emit({ kind: 'motion', gatewayId: activity.gatewayId, deviceId: motion.deviceId, reported });
    return reported;
  }

  private gatewayOf(gateway: number | string): SimulatedGateway {
    const found =
      typeof gateway === 'number'
        ? this.gateways[gateway]
        : this.gateways.find(({ activity }) => activity.gatewayId === gateway);
    if (!found) throw new Error(`no simulated gateway ${gateway}`);
    return found;
  }

  private reportLeak(gateway: SimulatedGateway, detected: boolean): boolean {
    const messages = gateway.activity.setLeak(detected, Date.now());
    let reported = messages.length > 0;
    for (const message of messages) reported = gateway.session.publish(message) && reported;
    const sensor = gateway.activity.onChangeDevices.find((device) => device.kind === 'leak');
    this.emit({
      kind: 'leak',
      gatewayId: gateway.activity.gatewayId,
      deviceId: sensor?.deviceId ?? '',
      detected,
      reported,
    });
    return reported;
  }

  /**
   * A command from Hestia: answered after the command delay, once. A command delivered again
   * (QoS 1 redelivery after a reconnect) is answered again with the first answer, never executed
   * twice (a toggle would flip back).
   */
  private onCommand(gateway: SimulatedGateway, parsed: ParsedCommand): void {
    const { activity, session } = gateway;
    const gatewayId = activity.gatewayId;
    if (!parsed.ok) {
      if (parsed.commandId === null || parsed.deviceId === null) {
        this.emit({ kind: 'error', gatewayId, reason: `command not understood: ${parsed.error}` });
        return;
      }
      this.commandsReceived++;
      this.answer(gateway, parsed.commandId, parsed.deviceId, { status: 'failed', error: parsed.error }, []);
      return;
    }
    const { command } = parsed;
    const known = gateway.commands.get(command.commandId);
    if (known === 'executing') return;
    if (known) {
      session.answer(known);
      this.emit({
        kind: 'commandResult',
        gatewayId,
        commandId: known.commandId,
        deviceId: known.deviceId,
        status: known.status,
        error: known.error ?? null,
        repeated: true,
      });
      return;
    }
    this.commandsReceived++;
    // The media server of this camera failed or is drained: it asks for another one.
    if (command.action === 'changeMediaServer' && this.streams) {
      const credentials = this.options.gateways.find((g) => g.gatewayId === gatewayId);
      if (credentials) this.streams.move(credentials, command.deviceId);
    }
    this.emit({
      kind: 'command',
      gatewayId,
      commandId: command.commandId,
      deviceId: command.deviceId,
      action: command.action,
      params: command.params,
    });
    gateway.commands.set(command.commandId, 'executing');
    const timer = setTimeout(() => {
      this.commandTimers.delete(timer);
      this.execute(gateway, command);
    }, this.options.commandDelayMs ?? DEFAULT_COMMAND_DELAY_MS);
    this.commandTimers.add(timer);
  }

  private execute(gateway: SimulatedGateway, command: DeviceCommand): void {
    const nowMs = Date.now();
    if (command.gatewayId !== gateway.activity.gatewayId) {
      const error = `command for gateway ${command.gatewayId}, received by ${gateway.activity.gatewayId}`;
      this.answer(gateway, command.commandId, command.deviceId, { status: 'failed', error }, []);
      return;
    }
    if (command.expiresAtMs !== null && nowMs > command.expiresAtMs) {
      const error = `expired at ${new Date(command.expiresAtMs).toISOString()} before the gateway could execute it`;
      this.answer(gateway, command.commandId, command.deviceId, { status: 'failed', error }, []);
      return;
    }
    const ratio = this.options.failCommandsRatio ?? 0;
    if (ratio > 0 && gateway.commandRandom() < ratio) {
      const error = 'the device did not respond (simulated failure, --fail-commands)';
      this.answer(gateway, command.commandId, command.deviceId, { status: 'failed', error }, []);
      return;
    }
    const outcome = gateway.activity.executeCommand(command, nowMs);
    if (outcome.status === 'failed') {
      this.answer(gateway, command.commandId, command.deviceId, outcome, []);
    } else {
      this.answer(gateway, command.commandId, command.deviceId, { status: 'succeeded' }, outcome.readings);
    }
  }

  /** Publishes the commandResult, then the device's new state (telemetry), and remembers the answer. */
  private answer(
    gateway: SimulatedGateway,
    commandId: string,
    deviceId: string,
    outcome: { status: 'succeeded' } | { status: 'failed'; error: string },
    readings: readonly object[],
  ): void {
    const gatewayId = gateway.activity.gatewayId;
    const result = commandResultMessage(gatewayId, deviceId, commandId, outcome, Date.now());
    gateway.session.answer(result);
    for (const reading of readings) gateway.session.publish(reading);
    if (outcome.status === 'failed') this.commandsFailed++;
    gateway.commands.delete(commandId); // re-inserted last: the map keeps the newest answers
    gateway.commands.set(commandId, result);
    for (const oldest of gateway.commands.keys()) {
      if (gateway.commands.size <= REMEMBERED_COMMANDS) break;
      if (gateway.commands.get(oldest) !== 'executing') gateway.commands.delete(oldest);
    }
    this.emit({
      kind: 'commandResult',
      gatewayId,
      commandId,
      deviceId,
      status: outcome.status,
      error: outcome.status === 'failed' ? outcome.error : null,
      repeated: false,
    });
  }

  private emit(event: SimulatorEvent): void {
    this.options.onEvent?.(event);
  }

  private tick(): void {
    const nowMs = Date.now();
    const simNowMs = this.simOf(nowMs);
    for (const { activity, session } of this.gateways) {
      for (const message of activity.advance(simNowMs, this.wallOf)) session.publish(message);
    }
    this.playLeakScenario(nowMs);
  }

  /**
   * The scripted leak starts once it is due and the first gateway is registered (before that,
   * its reading would be withheld and the demo would show nothing); leaks end when due.
   */
  private playLeakScenario(nowMs: number): void {
    const first = this.gateways[0];
    if (this.leakDueAtMs !== null && nowMs >= this.leakDueAtMs && first?.session.registered) {
      this.leakDueAtMs = null;
      this.triggerLeak(0, this.options.leak?.durationMs ?? undefined);
    }
    for (const gateway of this.gateways) {
      if (gateway.leakEndsAtMs !== null && nowMs >= gateway.leakEndsAtMs) {
        gateway.leakEndsAtMs = null;
        this.reportLeak(gateway, false);
      }
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
      this.emit({
        kind: 'error',
        gatewayId: '*',
        reason: `meter file ${file}: ${(error as Error).message}`,
      });
      return;
    }
    this.gateways.forEach(({ activity }, index) => activity.setMeterCeiling(ceilings[index]!));
  }
}

/** A gateway's cameras. */
function cameras(activity: GatewayActivity): SimulatedCamera[] {
  return activity.devices.filter((device): device is SimulatedCamera => device.deviceType === 'camera');
}
