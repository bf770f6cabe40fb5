import { nameBasedUuid, seedOf, seededRandom, type Random } from '../src/simulator/model.ts';

/**
 * The query benchmark's data set, generated the same way for Hestia and for InfluxDB: devices
 * of two kinds, one reading a minute each, produced an hour at a time from seeded generators,
 * so that two generators made with the same arguments yield identical values in the same order.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export type DeviceKind = 'temperature' | 'energy';

export interface BenchDevice {
  index: number;
  id: string;
  gatewayIndex: number;
  kind: DeviceKind;
  /** The channel label: also InfluxDB's measurement. */
  label: 'Temperature' | 'Energy';
  unit: 'C' | 'kWh';
}

/** Devices alternate between the two kinds, `perGateway` to a gateway. */
export function benchDevices(count: number, perGateway: number): BenchDevice[] {
  return Array.from({ length: count }, (_unused, index) => {
    const kind: DeviceKind = index % 2 === 0 ? 'temperature' : 'energy';
    return {
      index,
      id: nameBasedUuid(`bench:query/device/${index}`),
      gatewayIndex: Math.floor(index / perGateway),
      kind,
      label: kind === 'temperature' ? 'Temperature' : 'Energy',
      unit: kind === 'temperature' ? 'C' : 'kWh',
    };
  });
}

export function benchGatewayId(gatewayIndex: number): string {
  return nameBasedUuid(`bench:query/gateway/${gatewayIndex}`);
}

/**
 * Readings of every device, one an hour of minutes at a time, from `startMs` on.
 *
 * - Temperature (°C, 2 decimals): 20 + 5·sin(time of day, with a phase per device) + uniform
 *   noise in ±0.5.
 * - Energy (kWh, 3 decimals): a cumulative meter that rises by 0–20 Wh each minute (0–1.2 kW),
 *   never falls (no meter resets: InfluxDB's last()-differences and Hestia's increase agree).
 *   The counter is kept in whole watt-hours, so every value is the double nearest to its
 *   3-decimal text, as a meter's reading parsed from its message would be.
 */
export class ReadingGenerator {
  private readonly random: Random[];
  private readonly phase: number[];
  private readonly counterWh: number[];
  private nextHourMs: number;

  constructor(
    private readonly devices: readonly BenchDevice[],
    startMs: number,
  ) {
    this.nextHourMs = startMs;
    this.random = devices.map((device) => seededRandom(seedOf(device.id)));
    this.phase = devices.map((device) => ((device.index * 7) % 24) / 24);
    this.counterWh = devices.map((device) => 1_000_000 + device.index * 37_000);
  }

  /** Start of the hour the next call fills. */
  get hourMs(): number {
    return this.nextHourMs;
  }

  /**
   * Fills `values` (devices × 60, device-major: values[device * 60 + minute]) with the next
   * hour's readings and returns its start; minute m of the hour is at start + m minutes.
   */
  nextHour(values: Float64Array): number {
    const hourMs = this.nextHourMs;
    for (const device of this.devices) {
      const random = this.random[device.index]!;
      const base = device.index * 60;
      if (device.kind === 'temperature') {
        const phase = this.phase[device.index]!;
        for (let minute = 0; minute < 60; minute++) {
          const dayFraction = ((hourMs + minute * MINUTE_MS) % DAY_MS) / DAY_MS;
          const celsius = 20 + 5 * Math.sin(2 * Math.PI * (dayFraction - phase)) + (random() - 0.5);
          values[base + minute] = Math.round(celsius * 100) / 100;
        }
      } else {
        let counter = this.counterWh[device.index]!;
        for (let minute = 0; minute < 60; minute++) {
          counter += Math.floor(random() * 21);
          values[base + minute] = counter / 1000;
        }
        this.counterWh[device.index] = counter;
      }
    }
    this.nextHourMs += HOUR_MS;
    return hourMs;
  }
}
