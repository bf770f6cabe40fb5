import { readCredentialsFile, writeCredentialsFile, type GatewayCredentials } from './files.ts';

/**
 * Provisioning of simulated gateways through Hestia's REST API (POST /v1/gateways), as an
 * installer would do it. Each gateway's token is shown once by the API, so the credentials
 * file is rewritten after every gateway created: an interrupted run loses none.
 */

/** Calls the API; throws with the API's error code and message, or says why it is unreachable. */
export async function callApi<T>(
  apiUrl: string,
  method: 'GET' | 'POST',
  route: string,
  body?: unknown,
  token?: string,
): Promise<T> {
  const url = new URL(route, apiUrl);
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new Error(
      `cannot reach the Hestia API at ${url.origin} (${cause}); is Hestia running? (see --api)`,
    );
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null; // not JSON: the status line below says enough
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
    const detail = error ? `${error.code ?? ''}: ${error.message ?? ''}` : text.slice(0, 200);
    throw new Error(`${method} ${url.pathname}: HTTP ${response.status} ${detail}`);
  }
  return parsed as T;
}

export async function login(apiUrl: string, email: string, password: string): Promise<string> {
  const { accessToken } = await callApi<{ accessToken: string }>(apiUrl, 'POST', '/v1/auth/login', {
    email,
    password,
  });
  return accessToken;
}

export async function createGateway(
  apiUrl: string,
  adminToken: string,
  name: string,
): Promise<GatewayCredentials> {
  const created = await callApi<{ gateway: { id: string }; token: string }>(
    apiUrl,
    'POST',
    '/v1/gateways',
    { name },
    adminToken,
  );
  return { gatewayId: created.gateway.id, token: created.token };
}

export interface EnsureCredentialsOptions {
  file: string;
  count: number;
  apiUrl: string;
  /** Asked for only when gateways are missing from the file. */
  adminToken: () => Promise<string>;
  /** Gateways created at once; a small number keeps a shared Hestia responsive. */
  concurrency?: number;
  onProvisioned?: (created: number, missing: number) => void;
}

/**
 * The first `count` gateways of the credentials file, creating the missing ones through the
 * API. Gateways beyond `count` stay in the file for a later, larger run.
 */
export async function ensureCredentials(options: EnsureCredentialsOptions): Promise<GatewayCredentials[]> {
  const credentials = readCredentialsFile(options.file);
  const missing = options.count - credentials.length;
  if (missing > 0) {
    const token = await options.adminToken();
    const first = credentials.length + 1;
    let next = 0;
    let created = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (next < missing && !failed) {
        const number = first + next++;
        try {
          credentials.push(await createGateway(options.apiUrl, token, `Simulated gateway ${number}`));
        } catch (error) {
          failed = true; // the other workers stop too: the same cause would fail them all
          throw error;
        }
        writeCredentialsFile(options.file, credentials);
        options.onProvisioned?.(++created, missing);
      }
    };
    const workers = Math.max(1, Math.min(options.concurrency ?? 4, missing));
    await Promise.all(Array.from({ length: workers }, () => worker()));
  }
  return credentials.slice(0, options.count);
}
