import { createHash } from 'node:crypto';

/**
 * The simulated home: what one gateway has (the seed's sizing, document 002: five Z-Wave
 * sensors and three cameras that report periodically, plus a thermostat, a smart plug and a
 * water leak sensor that report only at start and on change), the ids it uses, and how its
 * values move over a day. Everything here is a pure function of its arguments, so the simulator
 * and the benchmark build the same devices and values, and a restarted simulator finds the
 * devices it created before.
 */

export type SensorKind = 'temperature' | 'humidity' | 'energy' | 'motion' | 'door';

export interface SimulatedSensor {
  kind: SensorKind;
  deviceType: 'sensor';
  protocol: 'zwave';
  /** Position in the gateway's device list; part of the id hash. */
  slot: number;
  deviceId: string;
  /** Z-Wave network ("home id") and node of the device, as the seed reports them. */
  homeId: string;
  nodeId: string;
  name: string;
  label: string;
  sensorType: string;
  units: string;
}

export interface SimulatedCamera {
  kind: 'camera';
  deviceType: 'camera';
  protocol: 'onvif';
  slot: number;
  deviceId: string;
  name: string;
  /** Cameras report their motion detector as a sensorData channel with this label. */
  label: 'Motion';
  sensorType: string;
  units: string;
}

/**
 * The seed's devices, which report periodically or at random (the ingest benchmark's load is
 * made of exactly these).
 */
export type SimulatedDevice = SimulatedSensor | SimulatedCamera;

/** Devices that report their state once when the gateway is registered, then only on change. */
export type OnChangeKind = 'thermostat' | 'plug' | 'leak';

export interface SimulatedOnChangeDevice {
  kind: OnChangeKind;
  /** The thermostat and the plug take commands; the leak sensor only reports. */
  deviceType: 'actuator' | 'sensor';
  protocol: 'zwave';
  slot: number;
  deviceId: string;
  homeId: string;
  nodeId: string;
  name: string;
  label: string;
  sensorType: string;
  units: string;
  /** The state a simulator starts with and reports on each registration: 20 °C setpoint, plug off, dry (not kept between runs). */
  initialValue: number;
}

/** Every device of a simulated gateway. */
export type GatewayDevice = SimulatedDevice | SimulatedOnChangeDevice;

interface SensorSpec {
  kind: SensorKind;
  name: string;
  label: string;
  sensorType: string;
  units: string;
}

/** Z-Wave command classes as the seed names them ("SENSOR MULTILEVEL"); binary ones carry no unit. */
const SENSOR_SPECS: readonly SensorSpec[] = [
  {
    kind: 'temperature',
    name: 'Living room temperature',
    label: 'Temperature',
    sensorType: 'SENSOR MULTILEVEL',
    units: 'C',
  },
  {
    kind: 'humidity',
    name: 'Living room humidity',
    label: 'Humidity',
    sensorType: 'SENSOR MULTILEVEL',
    units: '%',
  },
  { kind: 'energy', name: 'Energy meter', label: 'Energy', sensorType: 'METER', units: 'kWh' },
  { kind: 'motion', name: 'Hallway motion', label: 'Motion', sensorType: 'SENSOR BINARY', units: '' },
  { kind: 'door', name: 'Front door', label: 'Door', sensorType: 'SENSOR BINARY', units: '' },
];

const CAMERA_NAMES = ['Entrance camera', 'Garden camera', 'Garage camera'] as const;

/** Labels and sensor types as Z-Wave controllers report them; Hestia maps them to capabilities. */
const ON_CHANGE_SPECS: ReadonlyArray<
  Omit<SimulatedOnChangeDevice, 'slot' | 'deviceId' | 'homeId' | 'nodeId'>
> = [
  {
    kind: 'thermostat',
    deviceType: 'actuator',
    protocol: 'zwave',
    name: 'Living room thermostat',
    label: 'Thermostat',
    sensorType: 'THERMOSTAT SETPOINT',
    units: 'C',
    initialValue: 20,
  },
  {
    kind: 'plug',
    deviceType: 'actuator',
    protocol: 'zwave',
    name: 'Smart plug',
    label: 'Switch',
    sensorType: 'SWITCH BINARY',
    units: '',
    initialValue: 0,
  },
  {
    kind: 'leak',
    deviceType: 'sensor',
    protocol: 'zwave',
    name: 'Kitchen water leak sensor',
    label: 'Water Leak',
    sensorType: 'SENSOR BINARY',
    units: '',
    initialValue: 0,
  },
];

export const SENSORS_PER_GATEWAY = SENSOR_SPECS.length;
export const CAMERAS_PER_GATEWAY = CAMERA_NAMES.length;
/**
 * The seed's devices per gateway (five sensors, three cameras): those that report periodically,
 * i.e. the ingest benchmark's load per gateway. The on-change devices are counted apart.
 */
export const DEVICES_PER_GATEWAY = SENSORS_PER_GATEWAY + CAMERAS_PER_GATEWAY;
/** Thermostat, smart plug and water leak sensor: they report at start and on change only. */
export const ON_CHANGE_DEVICES_PER_GATEWAY = ON_CHANGE_SPECS.length;
/** Every device a simulated gateway lists in its gatewayConfig. */
export const ALL_DEVICES_PER_GATEWAY = DEVICES_PER_GATEWAY + ON_CHANGE_DEVICES_PER_GATEWAY;

/** Z-Wave node 1 is the controller itself; included devices get the following node ids. */
const FIRST_DEVICE_NODE_ID = 2;

/** Namespace of the simulator's name-based (version 5) UUIDs, RFC 9562 §5.5. */
const DEVICE_ID_NAMESPACE = Buffer.from('3f1d6c2e8b7a4e59a0c4d2b6e8f01a37', 'hex');

/** A UUID version 5 of `name`: the same gateway and slot always give the same device id. */
export function nameBasedUuid(name: string): string {
  const hash = createHash('sha1').update(DEVICE_ID_NAMESPACE).update(name).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50; // version 5 [RFC 9562 §5.5]
  hash[8] = (hash[8]! & 0x3f) | 0x80; // variant 10
  const hex = hash.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The Z-Wave home id of a gateway's network, written like the seed's "0xefa0cfa7". */
export function zwaveHomeId(gatewayId: string): string {
  return '0x' + createHash('sha1').update(`home:${gatewayId}`).digest('hex').slice(0, 8);
}

/** The seed's eight devices of a gateway, sensors first, in a fixed order. */
export function simulatedDevices(gatewayId: string): SimulatedDevice[] {
  const homeId = zwaveHomeId(gatewayId);
  const sensors: SimulatedDevice[] = SENSOR_SPECS.map((spec, slot) => ({
    ...spec,
    deviceType: 'sensor',
    protocol: 'zwave',
    slot,
    deviceId: nameBasedUuid(`${gatewayId}/${slot}`),
    homeId,
    nodeId: String(FIRST_DEVICE_NODE_ID + slot),
  }));
  const cameras: SimulatedDevice[] = CAMERA_NAMES.map((name, index) => {
    const slot = SENSORS_PER_GATEWAY + index;
    return {
      kind: 'camera',
      deviceType: 'camera',
      protocol: 'onvif',
      slot,
      deviceId: nameBasedUuid(`${gatewayId}/${slot}`),
      name,
      label: 'Motion',
      sensorType: 'VIDEO MOTION',
      units: '',
    };
  });
  return [...sensors, ...cameras];
}

/**
 * The thermostat, smart plug and leak sensor of a gateway. Their slots follow the seed's devices
 * (8, 9, 10), so the seed's device ids are the same as before they were added; their Z-Wave
 * nodes follow the five sensors'.
 */
export function onChangeDevices(gatewayId: string): SimulatedOnChangeDevice[] {
  const homeId = zwaveHomeId(gatewayId);
  return ON_CHANGE_SPECS.map((spec, index) => {
    const slot = DEVICES_PER_GATEWAY + index;
    return {
      ...spec,
      slot,
      deviceId: nameBasedUuid(`${gatewayId}/${slot}`),
      homeId,
      nodeId: String(FIRST_DEVICE_NODE_ID + SENSORS_PER_GATEWAY + index),
    };
  });
}

/** Every device of a gateway, as its gatewayConfig lists them: the seed's, then the on-change ones. */
export function gatewayDevices(gatewayId: string): GatewayDevice[] {
  return [...simulatedDevices(gatewayId), ...onChangeDevices(gatewayId)];
}

// ---------------------------------------------------------------------------------------------
// Randomness: seeded, so a run can be replayed (tests) and gateways differ from each other.

export type Random = () => number;

/** A 32-bit seed from any text (e.g. a gateway id). */
export function seedOf(text: string): number {
  return createHash('sha1').update(text).digest().readUInt32LE(0);
}

/** mulberry32: small, fast and good enough for simulated sensor noise; uniform in [0, 1). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal deviate (Box–Muller). */
export function gaussian(random: Random): number {
  const u = 1 - random(); // (0, 1]: log(0) would be -Infinity
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Exponentially distributed wait with the given mean. */
export function exponentialMs(random: Random, meanMs: number): number {
  return -Math.log(1 - random()) * meanMs;
}

// ---------------------------------------------------------------------------------------------
// Rates, in simulated time. Typical settings of battery Z-Wave sensors and IP cameras.

export const CLIMATE_REPORT_INTERVAL_MS = 60_000; // 1 minute: temperature and humidity
export const METER_REPORT_INTERVAL_MS = 60_000; // 1 minute: cumulative energy
export const PREVIEW_INTERVAL_MS = 10 * 60_000; // 10 minutes: camera thumbnail
/** A PIR sensor reports "no motion" once it has seen none for this long (Z-Wave default 1–4 min). */
export const MOTION_CLEAR_AFTER_MS = 60_000; // 1 minute
export const DOOR_OPEN_MEAN_MS = 20_000; // 20 seconds
export const DOOR_OPEN_MAX_MS = 5 * 60_000; // 5 minutes
/** A camera's motion event lasts this long on average before it reports the end of motion. */
export const CAMERA_MOTION_MEAN_MS = 30_000; // 30 seconds
/** The household's power never exceeds this (a 3 × 16 A connection is about 11 kW). */
export const MAX_POWER_KW = 11;

const HOUR_MS = 3_600_000;

/** Local hour of day in [0, 24) at a simulated instant. */
export function hourOfDay(simMs: number): number {
  const date = new Date(simMs);
  return date.getHours() + date.getMinutes() / 60 + date.getSeconds() / 3600;
}

/** 1 at `peakHour`, -1 twelve hours away: the shape of daily indoor climate. */
function dailyWave(hour: number, peakHour: number): number {
  return Math.cos((2 * Math.PI * (hour - peakHour)) / 24);
}

/** Indoor temperature in °C: warmest late afternoon, coolest before dawn, ±1.5 °C. */
export function indoorTemperatureC(hour: number, offsetC: number): number {
  return 21 + offsetC + 1.5 * dailyWave(hour, 17);
}

/** Relative humidity in %: moves against temperature, as it does in a heated room. */
export function relativeHumidityPct(hour: number, offsetPct: number): number {
  return 47 + offsetPct - 7 * dailyWave(hour, 17);
}

/** A household's mean power draw in kW: base load, a morning and a larger evening peak. */
export function householdPowerKw(hour: number): number {
  const bump = (center: number, width: number): number => Math.exp(-(((hour - center) / width) ** 2));
  return 0.18 + 0.9 * bump(7.5, 1) + 0.35 * bump(13, 2.5) + 1.6 * bump(19.5, 1.5);
}

/** Energy used over a simulated interval at a given mean power, with appliance noise. */
export function energyUsedKwh(hour: number, intervalMs: number, random: Random): number {
  const powerKw = Math.min(
    MAX_POWER_KW,
    Math.max(0.05, householdPowerKw(hour) * (1 + 0.35 * gaussian(random))),
  );
  return (powerKw * intervalMs) / HOUR_MS;
}

interface DailyRates {
  night: number;
  morning: number;
  day: number;
  evening: number;
}

function byTimeOfDay(hour: number, rates: DailyRates): number {
  if (hour < 6 || hour >= 23) return rates.night;
  if (hour < 9) return rates.morning;
  if (hour < 17) return rates.day;
  return rates.evening;
}

/** Events per hour; the highest rate of each table bounds its thinning (see nextArrivalMs). */
export const HALLWAY_MOTION_PER_HOUR: DailyRates = { night: 0.5, morning: 8, day: 3, evening: 10 };
export const DOOR_OPENINGS_PER_HOUR: DailyRates = { night: 0.1, morning: 3, day: 1, evening: 3 };
export const CAMERA_MOTION_PER_HOUR: DailyRates = { night: 1, morning: 4, day: 4, evening: 5 };

export function eventsPerHour(rates: DailyRates, hour: number): number {
  return byTimeOfDay(hour, rates);
}

/**
 * The next event of a Poisson process whose rate changes with the time of day, by thinning
 * (Lewis–Shedler): candidates at the peak rate, each kept with probability rate(t) / peak.
 */
export function nextArrivalMs(fromSimMs: number, rates: DailyRates, random: Random): number {
  const peakPerHour = Math.max(rates.night, rates.morning, rates.day, rates.evening);
  let t = fromSimMs;
  for (;;) {
    t += exponentialMs(random, HOUR_MS / peakPerHour);
    if (random() * peakPerHour <= eventsPerHour(rates, hourOfDay(t))) return t;
  }
}

/** The range a simulated thermostat accepts for its setpoint (as typical room thermostats do). */
export const THERMOSTAT_MIN_C = 5;
export const THERMOSTAT_MAX_C = 35;

/** A meter's starting reading for a gateway that has none saved: a few years of use. */
export function initialMeterKwh(gatewayId: string): number {
  return 1000 + (seedOf(`meter:${gatewayId}`) % 8000);
}
