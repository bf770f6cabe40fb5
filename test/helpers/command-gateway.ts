import mqtt, { type MqttClient } from 'mqtt';
import { READY_TIMEOUT_MS } from './wait.ts';

/** A deviceCommand as a gateway receives it on its down topic. */
export interface ReceivedCommand {
  messageType: 'deviceCommand';
  commandId: string;
  gatewayId: string;
  deviceId: string;
  action: string;
  params: Record<string, unknown>;
  timestampMs: number;
  expiresAtMs: number;
}

/** How the simulated gateway answers a command: a result, or nothing (to provoke a timeout). */
export type CommandAnswer = { status: 'succeeded' } | { status: 'failed'; error?: string } | 'ignore';

/** A device the gateway simulates, with the channel its commands change. */
export interface SimulatedDevice {
  deviceId: string;
  deviceType: 'sensor' | 'actuator' | 'camera';
  label: string;
  sensorType: string;
  units?: string;
  value: number;
}

/** The contract's simulated devices (docs/commands.md). */
export const thermostat = (deviceId: string, setpointC = 20): SimulatedDevice => ({
  deviceId,
  deviceType: 'actuator',
  label: 'Thermostat',
  sensorType: 'THERMOSTAT SETPOINT',
  units: 'C',
  value: setpointC,
});
export const smartPlug = (deviceId: string, on = false): SimulatedDevice => ({
  deviceId,
  deviceType: 'actuator',
  label: 'Switch',
  sensorType: 'SWITCH BINARY',
  value: on ? 1 : 0,
});
export const waterLeakSensor = (deviceId: string): SimulatedDevice => ({
  deviceId,
  deviceType: 'sensor',
  label: 'Water Leak',
  sensorType: 'SENSOR BINARY',
  value: 0,
});

/**
 * A gateway over real MQTT for command tests: subscribes to its down topic, answers each
 * deviceCommand with a commandResult chosen by `answer`, and after a success reports the new
 * state as an ordinary sensorData reading, as a real controller does.
 */
export class CommandGateway {
  /** Every deviceCommand received, in arrival order. */
  readonly received: ReceivedCommand[] = [];
  /** Other messages on the down topic (registration state). */
  readonly otherDownlinks: unknown[] = [];
  answer: (command: ReceivedCommand) => CommandAnswer = () => ({ status: 'succeeded' });
  private readonly devices = new Map<string, SimulatedDevice>();
  private clock = Date.now();
  /**
   * The answers, one after another in arrival order, as a controller executes commands: a
   * turnOff received after a turnOn leaves the device off. `close` lets them finish.
   */
  private answering: Promise<void> = Promise.resolve();

  private constructor(
    readonly client: MqttClient,
    readonly gatewayId: string,
  ) {}

  /** Connects, subscribes to the down topic (SUBACK received) and reports each device once. */
  static async connect(
    mqttUrl: string,
    gateway: { id: string; token: string },
    devices: SimulatedDevice[] = [],
  ): Promise<CommandGateway> {
    const client = await mqtt.connectAsync(mqttUrl, {
      clientId: gateway.id,
      username: gateway.id,
      password: gateway.token,
      reconnectPeriod: 0,
      connectTimeout: READY_TIMEOUT_MS,
    });
    const simulated = new CommandGateway(client, gateway.id);
    for (const device of devices) simulated.devices.set(device.deviceId, { ...device });
    client.on('message', (_topic, payload) => simulated.onDownlink(payload));
    for (const device of devices) await simulated.report(device.deviceId);
    await client.subscribeAsync(`hestia/v1/gw/${gateway.id}/down`, { qos: 1 });
    return simulated;
  }

  /** The device's current value as the simulated gateway knows it. */
  value(deviceId: string): number | undefined {
    return this.devices.get(deviceId)?.value;
  }

  /** Publishes uplink messages (QoS 1) in the seed's envelope; resolves on PUBACK. */
  async publish(messages: Record<string, unknown> | Array<Record<string, unknown>>): Promise<void> {
    const list = Array.isArray(messages) ? messages : [messages];
    const payload = list.map((message) => ({
      vendor: 'acme',
      version: '3.0.0',
      timestampMs: String(this.nextTimestamp()),
      clientType: 'gateway',
      gatewayId: this.gatewayId,
      ...message,
    }));
    await this.client.publishAsync(
      `hestia/v1/gw/${this.gatewayId}/up`,
      JSON.stringify(payload.length === 1 ? payload[0] : payload),
      { qos: 1 },
    );
  }

  /** Sends a commandResult as the gateway would (also for tests of bad results). */
  commandResult(fields: {
    commandId: string;
    deviceId: string;
    status: string;
    error?: string;
  }): Promise<void> {
    return this.publish({ messageType: 'commandResult', ...fields });
  }

  /** Reports a device's current value as sensorData. */
  report(deviceId: string): Promise<void> {
    const device = this.devices.get(deviceId);
    if (!device) throw new Error(`unknown simulated device ${deviceId}`);
    return this.publish({
      messageType: 'sensorData',
      deviceId,
      deviceType: device.deviceType,
      protocol: 'zwave',
      sensorType: device.sensorType,
      label: device.label,
      sensorData: String(device.value),
      ...(device.units ? { units: device.units } : {}),
    });
  }

  async close(): Promise<void> {
    await this.answering;
    await this.client.endAsync(true);
  }

  /** Strictly increasing device timestamps, so that each report is the newest state. */
  private nextTimestamp(): number {
    this.clock = Math.max(this.clock + 1, Date.now());
    return this.clock;
  }

  private onDownlink(payload: Buffer): void {
    const message = JSON.parse(payload.toString('utf8')) as { messageType?: string };
    if (message.messageType !== 'deviceCommand') {
      this.otherDownlinks.push(message);
      return;
    }
    const command = message as ReceivedCommand;
    this.received.push(command);
    const answer = this.answer(command);
    if (answer === 'ignore') return;
    this.answering = this.answering
      .then(() => this.execute(command, answer))
      .catch((error: unknown) => {
        // A test sees the missing result as a timeout; the reason is worth printing.
        console.error('simulated gateway could not answer', error);
      });
  }

  private async execute(command: ReceivedCommand, answer: Exclude<CommandAnswer, 'ignore'>): Promise<void> {
    await this.commandResult({
      commandId: command.commandId,
      deviceId: command.deviceId,
      status: answer.status,
      ...(answer.status === 'failed' && answer.error ? { error: answer.error } : {}),
    });
    if (answer.status !== 'succeeded') return;
    const device = this.devices.get(command.deviceId);
    if (!device) return;
    const next = newValue(device.value, command);
    if (next === undefined) return;
    device.value = next;
    await this.report(device.deviceId);
  }
}

/** What a device's channel reads after a successful command. */
function newValue(current: number, command: ReceivedCommand): number | undefined {
  switch (command.action) {
    case 'setTemperature':
      return Number(command.params.temperature);
    case 'turnOn':
      return 1;
    case 'turnOff':
      return 0;
    case 'toggle':
      return current > 0 ? 0 : 1;
    default:
      return undefined;
  }
}
