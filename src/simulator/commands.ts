import { THERMOSTAT_MAX_C, THERMOSTAT_MIN_C, type GatewayDevice } from './model.ts';

/**
 * What a simulated gateway does with Hestia's commands (messageType "deviceCommand" on its down
 * topic): read them, check that the device can do the action with those parameters, and apply
 * it to the simulated state. Pure functions; the session receives, the simulator schedules and
 * answers (commandResult, then the new state as a sensorData reading).
 */

/** A deviceCommand as Hestia sends it; params are canonical (°C). */
export interface DeviceCommand {
  commandId: string;
  gatewayId: string;
  deviceId: string;
  action: string;
  params: Record<string, unknown>;
  /** Hestia's deadline: a command executed later than this would surprise its sender. */
  expiresAtMs: number | null;
}

/**
 * A down message that is a deviceCommand but breaks the contract. It is answered as failed when
 * it names a command and a device (so its sender learns why), otherwise only reported.
 */
export interface InvalidCommand {
  commandId: string | null;
  deviceId: string | null;
  error: string;
}

export type ParsedCommand = { ok: true; command: DeviceCommand } | ({ ok: false } & InvalidCommand);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const nonEmptyString = (value: unknown): string | null =>
  typeof value === 'string' && value.length > 0 ? value : null;

/** Reads a down message: a command, a broken command, or null for anything else (not a deviceCommand). */
export function parseDeviceCommand(payload: string): ParsedCommand | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return null; // not JSON: not a command, shown as any other down message
  }
  if (!isRecord(parsed) || parsed.messageType !== 'deviceCommand') return null;
  const commandId = nonEmptyString(parsed.commandId);
  const deviceId = nonEmptyString(parsed.deviceId);
  const gatewayId = nonEmptyString(parsed.gatewayId);
  const action = nonEmptyString(parsed.action);
  const invalid = (error: string): ParsedCommand => ({ ok: false, commandId, deviceId, error });
  if (commandId === null) return invalid('deviceCommand without commandId');
  if (deviceId === null) return invalid('deviceCommand without deviceId');
  if (gatewayId === null) return invalid('deviceCommand without gatewayId');
  if (action === null) return invalid('deviceCommand without action');
  const params = parsed.params ?? {};
  if (!isRecord(params)) return invalid('deviceCommand params: expected an object');
  const expires = parsed.expiresAtMs;
  if (
    expires !== undefined &&
    expires !== null &&
    (typeof expires !== 'number' || !Number.isFinite(expires))
  ) {
    return invalid('deviceCommand expiresAtMs: expected epoch milliseconds');
  }
  return {
    ok: true,
    command: {
      commandId,
      gatewayId,
      deviceId,
      action,
      params,
      expiresAtMs: typeof expires === 'number' ? expires : null,
    },
  };
}

export type ThermostatMode = 'off' | 'heat' | 'cool' | 'auto';
const THERMOSTAT_MODES: readonly ThermostatMode[] = ['off', 'heat', 'cool', 'auto'];

/** The state of a gateway's commandable devices. */
export interface ActuatorState {
  setpointC: number;
  mode: ThermostatMode;
  plugOn: boolean;
  /** Cameras recording on command, with the instant (wall clock) their recording ends. */
  recordingUntilMs: Map<string, number>;
}

/** Applies an action's parameters to the state; returns why it cannot (and changes nothing then). */
type Apply = (
  params: Record<string, unknown>,
  state: ActuatorState,
  device: GatewayDevice,
  nowMs: number,
) => string | null;

const RECORDING_DEFAULT_SECONDS = 60; // 1 minute, when startRecording names no duration
const RECORDING_MAX_SECONDS = 3600; // 1 hour

const setTemperature: Apply = (params, state) => {
  const { temperature, unit } = params;
  if (typeof temperature !== 'number' || !Number.isFinite(temperature)) {
    return `setTemperature: params.temperature must be a number, got ${JSON.stringify(temperature) ?? 'nothing'}`;
  }
  if (unit !== undefined && unit !== 'C' && unit !== 'F') {
    return `setTemperature: params.unit must be "C" or "F", got ${JSON.stringify(unit)}`;
  }
  // Hestia sends °C; a unit of F is still understood, as a real thermostat would.
  const celsius = unit === 'F' ? ((temperature - 32) * 5) / 9 : temperature;
  const rounded = Math.round(celsius * 10) / 10; // the thermostat's resolution: 0.1 °C
  if (rounded < THERMOSTAT_MIN_C || rounded > THERMOSTAT_MAX_C) {
    return `setTemperature: ${rounded} °C is outside the thermostat's range ${THERMOSTAT_MIN_C}..${THERMOSTAT_MAX_C} °C`;
  }
  state.setpointC = rounded;
  return null;
};

const setMode: Apply = (params, state) => {
  const mode = params.mode;
  if (typeof mode !== 'string' || !(THERMOSTAT_MODES as readonly string[]).includes(mode)) {
    return `setMode: params.mode must be one of ${THERMOSTAT_MODES.join(', ')}, got ${JSON.stringify(mode) ?? 'nothing'}`;
  }
  state.mode = mode as ThermostatMode;
  return null;
};

const switchTo =
  (next: (on: boolean) => boolean): Apply =>
  (_params, state) => {
    state.plugOn = next(state.plugOn);
    return null;
  };

const startRecording: Apply = (params, state, device, nowMs) => {
  const seconds = params.durationSeconds ?? RECORDING_DEFAULT_SECONDS;
  if (
    typeof seconds !== 'number' ||
    !Number.isInteger(seconds) ||
    seconds < 1 ||
    seconds > RECORDING_MAX_SECONDS
  ) {
    return `startRecording: params.durationSeconds must be a whole number 1..${RECORDING_MAX_SECONDS}, got ${JSON.stringify(seconds)}`;
  }
  state.recordingUntilMs.set(device.deviceId, nowMs + seconds * 1000);
  return null;
};

const stopRecording: Apply = (_params, state, device) => {
  state.recordingUntilMs.delete(device.deviceId);
  return null;
};

/** The actions each simulated device understands (the contract's actions by capability). */
const ACTIONS: Partial<Record<GatewayDevice['kind'], Readonly<Record<string, Apply>>>> = {
  thermostat: { setTemperature, setMode },
  plug: {
    turnOn: switchTo(() => true),
    turnOff: switchTo(() => false),
    toggle: switchTo((on) => !on),
  },
  // changeMediaServer: the camera asks Hestia for a server again (the simulator's video streams).
  camera: { startRecording, stopRecording, changeMediaServer: () => null },
};

/** The actions a device accepts, in a fixed order (for error messages and tests). */
export function actionsOf(device: GatewayDevice): string[] {
  return Object.keys(ACTIONS[device.kind] ?? {});
}

/**
 * Executes `action` on `device`: null when done (the state changed), else why it was refused:
 * the device takes no commands, does not know the action, or the parameters are wrong.
 */
export function applyCommand(
  device: GatewayDevice,
  action: string,
  params: Record<string, unknown>,
  state: ActuatorState,
  nowMs: number,
): string | null {
  const actions = ACTIONS[device.kind];
  if (!actions) return `${device.name} (${device.label}) accepts no commands`;
  const apply = Object.hasOwn(actions, action) ? actions[action] : undefined;
  if (!apply) {
    return `${device.name} cannot ${JSON.stringify(action)} (it accepts ${Object.keys(actions).join(', ')})`;
  }
  return apply(params, state, device, nowMs);
}
