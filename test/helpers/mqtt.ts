import mqtt, { type MqttClient } from 'mqtt';

/** The CONNACK return code a refused connection got, or undefined when it was accepted. */
export async function refusedCode(url: string, options: mqtt.IClientOptions): Promise<number | undefined> {
  try {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 3000, ...options });
    await client.endAsync(true);
    return undefined;
  } catch (error) {
    return (error as { code?: number }).code;
  }
}

/** Resolves when the client's connection closes; rejects if it is still open after `timeoutMs`. */
export function closesWithin(client: MqttClient, timeoutMs: number, what: string): Promise<void> {
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
