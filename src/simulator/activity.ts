import {
  CAMERA_MOTION_MEAN_MS,
  CAMERA_MOTION_PER_HOUR,
  CLIMATE_REPORT_INTERVAL_MS,
  DOOR_OPEN_MAX_MS,
  DOOR_OPEN_MEAN_MS,
  DOOR_OPENINGS_PER_HOUR,
  HALLWAY_MOTION_PER_HOUR,
  METER_REPORT_INTERVAL_MS,
  MOTION_CLEAR_AFTER_MS,
  PREVIEW_INTERVAL_MS,
  energyUsedKwh,
  exponentialMs,
  gaussian,
  hourOfDay,
  indoorTemperatureC,
  nextArrivalMs,
  relativeHumidityPct,
  gatewayDevices,
  type GatewayDevice,
  type Random,
  type SimulatedCamera,
  type SimulatedDevice,
  type SimulatedOnChangeDevice,
  type SimulatedSensor,
} from './model.ts';
import { applyCommand, type ActuatorState, type DeviceCommand } from './commands.ts';
import {
  bitValue,
  cameraStateMessage,
  doorValue,
  gatewayConfigMessage,
  motionValue,
  previewMessage,
  sensorDataMessage,
  type SeedMessage,
} from './messages.ts';

export interface ActivityOptions {
  gatewayId: string;
  random: Random;
  /** Simulated instant the activity starts at (usually the wall clock at start). */
  startSimMs: number;
  /** The energy meter continues from this reading, so a restart never makes it go back. */
  energyKwh: number;
  /** Where the cameras say they push their streams. */
  mediaserverIp: string;
  /** The preview picture (base64 JPEG); the tiny grey one by default. */
  previewBase64?: string;
}

/** Something due at a simulated instant; firing it must move `dueSimMs` forward. */
interface Job {
  dueSimMs: number;
  fire(simMs: number, wallMs: number): void;
}

/** Events handled in one `advance` at most: a guard against a job that fails to reschedule. */
const MAX_EVENTS_PER_ADVANCE = 100_000;

/** What a command did: the new state readings when it was applied, or why it was refused. */
export type CommandOutcome =
  { status: 'succeeded'; readings: SeedMessage[] } | { status: 'failed'; error: string };

/**
 * What happens in one simulated home, in simulated time: periodic climate and meter reports,
 * random motion and door events with daily rhythms, camera motion and thumbnails; and what
 * changes only on demand: the thermostat and plug (commands), the leak sensor and forced motion
 * (scenarios). The caller moves the clock (`advance`) and publishes what comes out; each message
 * is stamped with the wall-clock instant at which it was due, strictly increasing per channel,
 * so no reading is ever deduplicated as a repeat of another and none lies in the future.
 */
export class GatewayActivity {
  readonly devices: GatewayDevice[];
  /** The thermostat's setpoint and mode, the plug, cameras recording on command. */
  readonly actuators: ActuatorState;
  private leakDetected = false;
  private readonly jobs: Job[] = [];
  /** Starts an event on a random-event detector now (motion sensor, cameras), by device id. */
  private readonly triggers = new Map<string, (simMs: number, wallMs: number) => void>();
  private readonly lastStampMs = new Map<string, number>();
  private out: SeedMessage[] = [];
  private energyKwh: number;
  private reportedEnergyKwh = 0;
  private meterCeilingKwh = Number.POSITIVE_INFINITY;

  constructor(private readonly options: ActivityOptions) {
    this.devices = gatewayDevices(options.gatewayId);
    this.energyKwh = options.energyKwh;
    const initial = (kind: SimulatedOnChangeDevice['kind']): number =>
      this.onChangeDevices.find((device) => device.kind === kind)?.initialValue ?? 0;
    this.actuators = {
      setpointC: initial('thermostat'),
      mode: 'heat',
      plugOn: initial('plug') > 0,
      recordingUntilMs: new Map(),
    };
    this.leakDetected = initial('leak') > 0;
    const { random, startSimMs } = options;
    for (const device of this.devices) {
      if (device.deviceType === 'camera') {
        this.addCamera(device, startSimMs, random);
        continue;
      }
      switch (device.kind) {
        case 'temperature':
          this.addClimate(device, startSimMs, random, indoorTemperatureC, (random() - 0.5) * 2, 0.08);
          break;
        case 'humidity':
          this.addClimate(device, startSimMs, random, relativeHumidityPct, (random() - 0.5) * 12, 0.4);
          break;
        case 'energy':
          this.addMeter(device, startSimMs, random);
          break;
        case 'motion':
          this.addBinary(device, startSimMs, random, {
            arrivals: HALLWAY_MOTION_PER_HOUR,
            holdMs: () => MOTION_CLEAR_AFTER_MS,
            value: motionValue,
            retriggerExtends: true,
          });
          break;
        case 'door':
          this.addBinary(device, startSimMs, random, {
            arrivals: DOOR_OPENINGS_PER_HOUR,
            holdMs: () => Math.min(DOOR_OPEN_MAX_MS, 3000 + exponentialMs(random, DOOR_OPEN_MEAN_MS)),
            value: doorValue,
            retriggerExtends: false,
          });
          break;
        case 'thermostat':
        case 'plug':
        case 'leak':
          break; // on-change devices: reported in the greeting and when they change
      }
    }
  }

  /** The thermostat, plug and leak sensor. */
  get onChangeDevices(): SimulatedOnChangeDevice[] {
    return this.devices.filter((device): device is SimulatedOnChangeDevice =>
      ['thermostat', 'plug', 'leak'].includes(device.kind),
    );
  }

  /** Whether the leak sensor reports water now. */
  get leaking(): boolean {
    return this.leakDetected;
  }

  get gatewayId(): string {
    return this.options.gatewayId;
  }

  /** The meter's current reading in kWh (what a restart must continue from). */
  get meterKwh(): number {
    return this.energyKwh;
  }

  /** The meter will not pass this reading until the ceiling is raised (see meters.ts). */
  setMeterCeiling(kwh: number): void {
    this.meterCeilingKwh = kwh;
  }

  /** The gateway's device list (gatewayConfig). */
  configuration(wallMs: number): SeedMessage {
    return gatewayConfigMessage(this.gatewayId, this.devices, wallMs);
  }

  /**
   * What a gateway sends whenever Hestia accepts its registration (every connect of a
   * registered gateway): its device list, its cameras' stream state, then the current state of
   * its on-change devices (a real controller reports them after a reconnect too, so Hestia
   * never keeps a state that changed while it was away).
   */
  greeting(wallMs: number): SeedMessage[] {
    const messages: SeedMessage[] = [this.configuration(wallMs)];
    for (const device of this.devices) {
      if (device.deviceType !== 'camera') continue;
      const tsMs = this.stamp(`${device.deviceId}/State`, wallMs);
      messages.push(
        cameraStateMessage(this.gatewayId, device, 'streamingOn', this.options.mediaserverIp, tsMs),
      );
    }
    messages.push(
      ...this.collect(() => {
        for (const device of this.onChangeDevices) this.reportState(device, wallMs);
      }),
    );
    return messages;
  }

  /** Runs every event due up to `simNowMs`; `wallOf` maps a simulated instant to the wall clock. */
  advance(simNowMs: number, wallOf: (simMs: number) => number): SeedMessage[] {
    return this.collect(() => {
      for (let handled = 0; handled < MAX_EVENTS_PER_ADVANCE; handled++) {
        let next: Job | undefined;
        for (const job of this.jobs) {
          if (job.dueSimMs <= simNowMs && (!next || job.dueSimMs < next.dueSimMs)) next = job;
        }
        if (!next) break;
        next.fire(next.dueSimMs, wallOf(next.dueSimMs));
      }
    });
  }

  /**
   * Executes a command from Hestia on one of the gateway's devices. Succeeded: the new state
   * readings of the device (thermostat setpoint in °C, plug 1/0; a camera has no state channel
   * for recording). Failed: why (unknown device, action it cannot do, wrong parameters).
   */
  executeCommand(command: DeviceCommand, wallMs: number): CommandOutcome {
    const device = this.devices.find((candidate) => candidate.deviceId === command.deviceId);
    if (!device) {
      return { status: 'failed', error: `unknown device ${command.deviceId} on gateway ${this.gatewayId}` };
    }
    const refused = applyCommand(device, command.action, command.params, this.actuators, wallMs);
    if (refused !== null) return { status: 'failed', error: refused };
    const readings = this.collect(() => {
      if (device.kind === 'thermostat' || device.kind === 'plug') this.reportState(device, wallMs);
    });
    return { status: 'succeeded', readings };
  }

  /**
   * Motion now on the hallway sensor (or the device named): reported at once even when motion
   * is already going on, so a demo or a test always sees a reading; the hold starts again.
   */
  triggerMotion(
    simMs: number,
    wallMs: number,
    deviceId?: string,
  ): { deviceId: string; messages: SeedMessage[] } {
    const device = deviceId
      ? this.devices.find((candidate) => candidate.deviceId === deviceId)
      : this.devices.find((candidate) => candidate.kind === 'motion');
    const trigger = device ? this.triggers.get(device.deviceId) : undefined;
    if (!device || !trigger)
      throw new Error(`no motion detector ${deviceId ?? ''} on gateway ${this.gatewayId}`);
    return { deviceId: device.deviceId, messages: this.collect(() => trigger(simMs, wallMs)) };
  }

  /** Water on (or gone from) the leak sensor: its reading, 1 for a leak, 0 when dry. */
  setLeak(detected: boolean, wallMs: number): SeedMessage[] {
    this.leakDetected = detected;
    const sensor = this.onChangeDevices.find((device) => device.kind === 'leak');
    return sensor ? this.collect(() => this.reportState(sensor, wallMs)) : [];
  }

  /** Runs `produce` and returns the messages it emitted. */
  private collect(produce: () => void): SeedMessage[] {
    const outer = this.out;
    this.out = [];
    try {
      produce();
      return this.out;
    } finally {
      this.out = outer;
    }
  }

  /** The current state of an on-change device as a reading. */
  private reportState(device: SimulatedOnChangeDevice, wallMs: number): void {
    switch (device.kind) {
      case 'thermostat':
        this.emitReading(device, this.actuators.setpointC.toFixed(1), wallMs);
        break;
      case 'plug':
        this.emitReading(device, bitValue(this.actuators.plugOn), wallMs);
        break;
      case 'leak':
        this.emitReading(device, bitValue(this.leakDetected), wallMs);
        break;
    }
  }

  /** A timestamp for a channel: the due instant, moved past the channel's previous one if needed. */
  private stamp(series: string, wallMs: number): number {
    const previous = this.lastStampMs.get(series) ?? 0;
    const tsMs = Math.max(Math.floor(wallMs), previous + 1);
    this.lastStampMs.set(series, tsMs);
    return tsMs;
  }

  private emitReading(device: GatewayDevice, value: string, wallMs: number): void {
    const tsMs = this.stamp(`${device.deviceId}/${device.label}`, wallMs);
    this.out.push(sensorDataMessage(this.gatewayId, device, value, tsMs));
  }

  private addClimate(
    device: SimulatedSensor,
    startSimMs: number,
    random: Random,
    curve: (hour: number, offset: number) => number,
    offset: number,
    noiseStep: number,
  ): void {
    // AR(1) noise: successive readings wander a little instead of jumping independently.
    let noise = 0;
    const job: Job = {
      // Random phase, so that gateways started together do not all report in the same instant.
      dueSimMs: startSimMs + random() * CLIMATE_REPORT_INTERVAL_MS,
      fire: (simMs, wallMs) => {
        noise = 0.8 * noise + noiseStep * gaussian(random);
        this.emitReading(device, (curve(hourOfDay(simMs), offset) + noise).toFixed(1), wallMs);
        job.dueSimMs = simMs + CLIMATE_REPORT_INTERVAL_MS;
      },
    };
    this.jobs.push(job);
  }

  private addMeter(device: SimulatedSensor, startSimMs: number, random: Random): void {
    let lastSimMs = startSimMs;
    const job: Job = {
      dueSimMs: startSimMs + random() * METER_REPORT_INTERVAL_MS,
      fire: (simMs, wallMs) => {
        const used = energyUsedKwh(hourOfDay(simMs), simMs - lastSimMs, random);
        lastSimMs = simMs;
        this.energyKwh = Math.min(this.energyKwh + used, Math.max(this.energyKwh, this.meterCeilingKwh));
        // Truncated to the meter's resolution (Wh), never rounded up: the series cannot go back.
        this.reportedEnergyKwh = Math.max(this.reportedEnergyKwh, Math.floor(this.energyKwh * 1000) / 1000);
        this.emitReading(device, this.reportedEnergyKwh.toFixed(3), wallMs);
        job.dueSimMs = simMs + METER_REPORT_INTERVAL_MS;
      },
    };
    this.jobs.push(job);
  }

  /**
   * A detector that turns on at random (a Poisson process with a daily rhythm) and reports the
   * end of the event after a hold time; a motion sensor restarts its hold on new motion, a door
   * that is already open cannot open again.
   */
  private addBinary(
    device: SimulatedDevice,
    startSimMs: number,
    random: Random,
    behaviour: {
      arrivals: Parameters<typeof nextArrivalMs>[1];
      holdMs: () => number;
      value: (on: boolean) => string;
      retriggerExtends: boolean;
    },
  ): void {
    let active = false;
    const end: Job = {
      dueSimMs: Number.POSITIVE_INFINITY,
      fire: (_simMs, wallMs) => {
        active = false;
        this.emitReading(device, behaviour.value(false), wallMs);
        end.dueSimMs = Number.POSITIVE_INFINITY;
      },
    };
    const start: Job = {
      dueSimMs: nextArrivalMs(startSimMs, behaviour.arrivals, random),
      fire: (simMs, wallMs) => {
        if (!active) {
          active = true;
          this.emitReading(device, behaviour.value(true), wallMs);
          end.dueSimMs = simMs + behaviour.holdMs();
        } else if (behaviour.retriggerExtends) {
          end.dueSimMs = simMs + behaviour.holdMs();
        }
        start.dueSimMs = nextArrivalMs(simMs, behaviour.arrivals, random);
      },
    };
    this.jobs.push(start, end);
    if (behaviour.retriggerExtends) {
      // A forced event (triggerMotion): reported whatever the state, the random arrivals go on.
      this.triggers.set(device.deviceId, (simMs, wallMs) => {
        active = true;
        this.emitReading(device, behaviour.value(true), wallMs);
        end.dueSimMs = simMs + behaviour.holdMs();
      });
    }
  }

  private addCamera(camera: SimulatedCamera, startSimMs: number, random: Random): void {
    this.addBinary(camera, startSimMs, random, {
      arrivals: CAMERA_MOTION_PER_HOUR,
      holdMs: () => 5000 + exponentialMs(random, CAMERA_MOTION_MEAN_MS),
      value: motionValue,
      retriggerExtends: true,
    });
    const preview: Job = {
      dueSimMs: startSimMs + random() * PREVIEW_INTERVAL_MS,
      fire: (simMs, wallMs) => {
        const tsMs = this.stamp(`${camera.deviceId}/preview`, wallMs);
        this.out.push(previewMessage(this.gatewayId, camera, tsMs, this.options.previewBase64));
        preview.dueSimMs = simMs + PREVIEW_INTERVAL_MS;
      },
    };
    this.jobs.push(preview);
  }
}
