import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { meterFileFor, readInitialAdmin, readPortsFile } from '../simulator/files.ts';
import { DEVICES_PER_GATEWAY } from '../simulator/model.ts';
import { ensureCredentials, login } from '../simulator/provision.ts';
import type { SessionEvent } from '../simulator/session.ts';
import { Simulator, type SimulatorStats } from '../simulator/simulator.ts';

interface SimulateOptions {
  gateways: number;
  url?: string;
  api?: string;
  credentials?: string;
  email?: string;
  password?: string;
  speed: number;
  duration?: number;
  quiet?: boolean;
}

const PROGRESS_INTERVAL_MS = 2000; // 2 seconds
/** Above this many gateways, per-gateway connection lines would drown the terminal: only the progress line tells. */
const VERBOSE_GATEWAY_LIMIT = 10;
const DOWN_PAYLOAD_SHOWN_CHARS = 500;

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return number;
}

function positiveNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('expected a number > 0');
  return number;
}

/** `hestia simulate`: gateways in the seed's format, against a running Hestia. */
export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      `simulate gateways, each with ${DEVICES_PER_GATEWAY} devices (5 Z-Wave sensors, 3 cameras), publishing over MQTT`,
    )
    .option('--gateways <n>', 'number of simulated gateways', positiveInteger, 1)
    .option(
      '--url <mqtt url>',
      'MQTT broker (default: mqtt://localhost:<mqtt in <dataDir>/ports.json>, else 1883)',
    )
    .option(
      '--api <http url>',
      'Hestia API, to provision gateways (default: http://localhost:<http in ports.json>, else 8080)',
    )
    .option(
      '--credentials <file>',
      'gateway credentials, a JSON list of {gatewayId, token} (default: <dataDir>/sim-credentials.json)',
    )
    .option('--email <email>', 'admin email, to provision missing gateways')
    .option('--password <password>', 'admin password, to provision missing gateways')
    .option(
      '--speed <factor>',
      'time compression: 1 = real rates, 60 = one simulated hour per minute',
      positiveNumber,
      1,
    )
    .option(
      '--duration <seconds>',
      'stop after this many seconds (default: run until Ctrl-C or SIGTERM)',
      positiveNumber,
    )
    .option('--quiet', 'no progress line and no per-message log (errors still go to stderr)')
    .addHelpText(
      'after',
      `
Each gateway is a home with the seed's devices (document 002): temperature (°C), humidity (%)
and energy meter (kWh, cumulative) report every 60 s; the motion sensor ("true"/"false") and
the door ("open"/"closed") report events at random, more often mornings and evenings; three
ONVIF cameras report streamingOn at every connect, motion events, and a preview every 10 min.
Values follow the time of day of the simulated clock; --speed compresses time, timestamps
stay on the real clock, so nothing lies in the future.

MQTT: client id = user name = gateway id, password = token, QoS 1, persistent session, retained
"online"/"offline" on hestia/v1/gw/<id>/status (also the Last Will), gatewayConfig with all
devices on every connect; reconnects every second when Hestia restarts, and unacknowledged
messages are sent again. Messages arriving on hestia/v1/gw/<id>/down are printed.

Gateways missing from the credentials file are created through the API (POST /v1/gateways)
with an admin token: --email/--password, else HESTIA_TOKEN, else <dataDir>/initial-admin.json.
Device ids derive from the gateway id, so a new run reuses the same devices; the energy meters
continue from <credentials>.meters.json. <dataDir> is HESTIA_DATA_DIR, else ./data.

A progress line goes to stderr every 2 s: connected/total, published, acknowledged, msg/s,
reconnects.

Examples:
  hestia simulate --gateways 10 --speed 60
  hestia simulate --gateways 100 --duration 300 --url mqtt://hestia.example:1883 --api https://hestia.example`,
    )
    .action((options: SimulateOptions) => runSimulate(options));
}

async function runSimulate(options: SimulateOptions): Promise<void> {
  const dataDir = process.env.HESTIA_DATA_DIR ?? './data';
  const ports = readPortsFile(dataDir);
  const url = options.url ?? `mqtt://localhost:${ports?.mqtt ?? 1883}`;
  const apiUrl = options.api ?? process.env.HESTIA_API_URL ?? `http://localhost:${ports?.http ?? 8080}`;
  const credentialsFile = options.credentials ?? path.join(dataDir, 'sim-credentials.json');
  if ((options.email === undefined) !== (options.password === undefined)) {
    throw new Error('give both --email and --password, or neither');
  }
  const say = (line: string): void => {
    if (!options.quiet) process.stderr.write(`${line}\n`);
  };

  mkdirSync(path.dirname(path.resolve(credentialsFile)), { recursive: true });
  const gateways = await ensureCredentials({
    file: credentialsFile,
    count: options.gateways,
    apiUrl,
    adminToken: () => adminToken(apiUrl, dataDir, options),
    onProvisioned: (created, missing) => {
      if (created === missing || created % 50 === 0)
        say(`provisioned ${created}/${missing} gateways → ${credentialsFile}`);
    },
  });

  const lastReason = new Map<string, string>();
  let lastError: string | null = null;
  const verbose = !options.quiet && gateways.length <= VERBOSE_GATEWAY_LIMIT;
  const onEvent = (event: SessionEvent): void => {
    switch (event.kind) {
      case 'connected':
        lastReason.delete(event.gatewayId);
        if (verbose)
          process.stderr.write(
            `gateway ${event.gatewayId} ${event.reconnect ? 'reconnected' : 'connected'}\n`,
          );
        break;
      case 'disconnected':
        if (verbose) process.stderr.write(`gateway ${event.gatewayId} disconnected; reconnecting\n`);
        break;
      case 'down':
        say(
          `gateway ${event.gatewayId} ← ${event.topic}: ${event.payload.slice(0, DOWN_PAYLOAD_SHOWN_CHARS)}`,
        );
        break;
      case 'refused':
        process.stderr.write(
          `gateway ${event.gatewayId}: ${event.reason} (does ${credentialsFile} belong to this Hestia?)\n`,
        );
        break;
      case 'error':
        lastError = event.reason;
        // A broker that is down fails every attempt the same way: say it once per gateway.
        if (verbose && lastReason.get(event.gatewayId) !== event.reason) {
          process.stderr.write(`gateway ${event.gatewayId}: ${event.reason}\n`);
        }
        lastReason.set(event.gatewayId, event.reason);
        break;
    }
  };

  say(
    `simulating ${gateways.length} gateway(s) × ${DEVICES_PER_GATEWAY} devices on ${url}, speed ×${options.speed}`,
  );
  const simulator = Simulator.start({
    url,
    gateways,
    speed: options.speed,
    meterFile: meterFileFor(credentialsFile),
    onEvent,
  });

  let finish: (reason: string) => void = () => undefined;
  let previous = simulator.stats();
  let previousAtMs = Date.now();
  const progress = setInterval(() => {
    const stats = simulator.stats();
    const nowMs = Date.now();
    const rate = ((stats.published - previous.published) * 1000) / Math.max(1, nowMs - previousAtMs);
    previous = stats;
    previousAtMs = nowMs;
    const trouble = stats.connected < stats.gateways && lastError ? `  last error: ${lastError}` : '';
    say(progressLine(stats, rate) + trouble);
    if (stats.refused === stats.gateways) finish('every gateway was refused');
  }, PROGRESS_INTERVAL_MS);

  let onSignal: (name: NodeJS.Signals) => void = () => undefined;
  let durationTimer: NodeJS.Timeout | undefined;
  const reason = await new Promise<string>((resolve) => {
    finish = resolve;
    onSignal = (name) => resolve(name);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    if (options.duration !== undefined)
      durationTimer = setTimeout(() => resolve('duration reached'), options.duration * 1000);
  });
  clearInterval(progress);
  clearTimeout(durationTimer);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  // A second Ctrl-C while disconnecting means "now".
  const forceExit = (): never => process.exit(130);
  process.once('SIGINT', forceExit);
  say(`stopping (${reason}): waiting for acknowledgements, then status offline`);
  await simulator.stop();
  process.off('SIGINT', forceExit);
  const stats = simulator.stats();
  say(`stopped: ${progressLine(stats, null)}`);
  if (stats.refused === stats.gateways) {
    throw new Error(`every gateway was refused by ${url}; delete ${credentialsFile} to provision new ones`);
  }
}

function progressLine(stats: SimulatorStats, ratePerSec: number | null): string {
  const parts = [
    `${stats.connected}/${stats.gateways} connected`,
    `published ${stats.published}`,
    `acknowledged ${stats.acknowledged}`,
    ...(ratePerSec === null ? [] : [`${ratePerSec.toFixed(1)} msg/s`]),
    `reconnects ${stats.reconnects}`,
    ...(stats.dropped > 0 ? [`dropped ${stats.dropped}`] : []),
    ...(stats.failed > 0 ? [`failed ${stats.failed}`] : []),
    ...(stats.refused > 0 ? [`refused ${stats.refused}`] : []),
    `simulated ${formatDuration(stats.simulatedMs)}`,
  ];
  return parts.join('  ');
}

function formatDuration(ms: number): string {
  const totalSeconds = Math.floor(ms / 1000);
  const days = Math.floor(totalSeconds / 86_400);
  const clock = new Date((totalSeconds % 86_400) * 1000).toISOString().slice(11, 19);
  return days > 0 ? `${days}d ${clock}` : clock;
}

/** The admin bearer token that provisions gateways: flags, then HESTIA_TOKEN, then initial-admin.json. */
async function adminToken(apiUrl: string, dataDir: string, options: SimulateOptions): Promise<string> {
  if (options.email !== undefined && options.password !== undefined) {
    return login(apiUrl, options.email, options.password);
  }
  const token = process.env.HESTIA_TOKEN;
  if (token) return token;
  const initial = readInitialAdmin(dataDir);
  if (initial) return login(apiUrl, initial.email, initial.password);
  throw new Error(
    `gateways must be provisioned but no admin credentials were given: use --email/--password, set HESTIA_TOKEN, ` +
      `or run where ${path.join(dataDir, 'initial-admin.json')} exists`,
  );
}
