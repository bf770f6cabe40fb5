import mqtt, { type MqttClient } from 'mqtt';
import { EVENT_TIMEOUT_MS, READY_TIMEOUT_MS } from './wait.ts';

/** The CONNACK return code a refused connection got, or undefined when it was accepted. */
export async function refusedCode(url: string, options: mqtt.IClientOptions): Promise<number | undefined> {
  try {
    const client = await mqtt.connectAsync(url, {
      reconnectPeriod: 0,
      // A CONNACK that is slow to come (a busy machine) must not read as "accepted".
      connectTimeout: READY_TIMEOUT_MS,
      ...options,
    });
    await client.endAsync(true);
    return undefined;
  } catch (error) {
    return (error as { code?: number }).code;
  }
}

/** Resolves when the client's connection closes; rejects if it is still open after `timeoutMs`. */
export function closesWithin(client: MqttClient, what: string, timeoutMs = EVENT_TIMEOUT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what}: still connected after ${timeoutMs} ms`)),
      timeoutMs,
    );
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
