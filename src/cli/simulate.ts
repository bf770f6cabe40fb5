import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  meterFileFor,
  readGatewayCredentialsCsv,
  readInitialAdmin,
  readPortsFile,
  type GatewayCredentials,
} from '../simulator/files.ts';
import { ALL_DEVICES_PER_GATEWAY } from '../simulator/model.ts';
import { clipPreviewBase64 } from '../simulator/video.ts';
import {
  DEFAULT_TENANT_SLUG,
  SIMULATED_HOME_NAME,
  ensureSimulatedHome,
  login,
  prepareSimulation,
  registerGateways,
  type RegistrationSummary,
} from '../simulator/provision.ts';
import {
  DEFAULT_COMMAND_DELAY_MS,
  Simulator,
  type SimulatorEvent,
  type SimulatorStats,
} from '../simulator/simulator.ts';

interface SimulateOptions {
  gateways?: number;
  url?: string;
  api?: string;
  credentials?: string;
  credentialsCsv?: string;
  email?: string;
  password?: string;
  tenant?: string;
  ownerEmail?: string;
  ownerPassword?: string;
  /** false with --no-register. */
  register: boolean;
  speed: number;
  duration?: number;
  commandDelay: number;
  failCommands: number;
  leak?: number;
  leakDuration?: number;
  video?: boolean;
  quiet?: boolean;
}

/** How long the scripted leak (--leak) lasts unless --leak-duration says otherwise. */
const DEFAULT_LEAK_DURATION_S = 30;

const PROGRESS_INTERVAL_MS = 2000; // 2 seconds
/** Above this many gateways, per-gateway connection lines would drown the terminal: only the progress line tells. */
const VERBOSE_GATEWAY_LIMIT = 10;
const DOWN_PAYLOAD_SHOWN_CHARS = 500;

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return number;
}

function nonNegativeNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0)
    throw new InvalidArgumentError('expected a number ≥ 0');
  return number;
}

function ratio(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number > 1)
    throw new InvalidArgumentError('expected a fraction from 0 to 1, e.g. 0.2');
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
      `simulate gateways, each with ${ALL_DEVICES_PER_GATEWAY} devices (5 Z-Wave sensors, 3 cameras, a thermostat, ` +
        'a smart plug and a water leak sensor), publishing over MQTT and answering commands',
    )
    .option(
      '--gateways <n>',
      'number of simulated gateways (default: 1; with --credentials-csv, every row)',
      positiveInteger,
    )
    .option(
      '--url <mqtt url>',
      'MQTT broker (default: mqtt://localhost:<mqtt in <dataDir>/ports.json>, else 1883)',
    )
    .option(
      '--api <http url>',
      'Hestia API, to set up tenant, gateways and home (default: http://localhost:<http in ports.json>, else 8080)',
    )
    .option(
      '--credentials <file>',
      "the simulator's accounts and gateway credentials, kept between runs (default: <dataDir>/sim-credentials.json)",
    )
    .option(
      '--credentials-csv <file>',
      'simulate the gateways of a credentials CSV from `hestia admin gateway import` instead of provisioning',
    )
    .option('--email <email>', 'platform admin (or tenant admin) email, to set up what is missing')
    .option('--password <password>', 'platform admin (or tenant admin) password')
    .option('--tenant <slug>', `tenant to simulate in, created if missing (default: ${DEFAULT_TENANT_SLUG})`)
    .option(
      '--owner-email <email>',
      'home owner who registers the gateways (default: one the simulator signs up)',
    )
    .option('--owner-password <password>', "the home owner's password")
    .option(
      '--no-register',
      'leave new gateways pending and print their claim codes, to register them in the app',
    )
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
    .option(
      '--command-delay <ms>',
      'how long a gateway takes to execute a command before it answers',
      nonNegativeNumber,
      DEFAULT_COMMAND_DELAY_MS,
    )
    .option(
      '--fail-commands <ratio>',
      'fraction of commands answered "failed" on purpose, e.g. 0.2 (to demonstrate failed commands)',
      ratio,
      0,
    )
    .option(
      '--leak <seconds>',
      "after this many seconds (once registered) the first gateway's water leak sensor reports a leak",
      nonNegativeNumber,
    )
    .option(
      '--leak-duration <seconds>',
      `how long the --leak lasts before the sensor reports dry again (default: ${DEFAULT_LEAK_DURATION_S})`,
      positiveNumber,
    )
    .option(
      '--video',
      'cameras publish real video (needs ffmpeg): each asks Hestia for a media server and streams a looped clip there',
    )
    .option('--quiet', 'no progress line and no per-message log (errors still go to stderr)')
    .addHelpText(
      'after',
      `
Each gateway is a home with the seed's devices (document 002): temperature (°C), humidity (%)
and energy meter (kWh, cumulative) report every 60 s; the motion sensor ("true"/"false") and
the door ("open"/"closed") report events at random, more often mornings and evenings; three
ONVIF cameras report streamingOn, motion events, and a preview every 10 min. Values follow the
time of day of the simulated clock; --speed compresses time, timestamps stay on the real clock,
so nothing lies in the future. Three more devices report their state once registered, then only
on change: a thermostat (actuator, "Thermostat", setpoint in °C, starts at 20), a smart plug
(actuator, "Switch", 1/0, starts off) and a water leak sensor ("Water Leak", 1 = leak, 0 = dry).

Commands: a deviceCommand on hestia/v1/gw/<id>/down is executed after --command-delay ms and
answered with a commandResult ("succeeded", or "failed" with the reason), then the device's new
state as a sensorData reading. The thermostat accepts setTemperature {temperature: 5..35 °C} and
setMode {mode: off|heat|cool|auto}; the plug turnOn, turnOff, toggle; cameras startRecording
{durationSeconds?} and stopRecording. An unknown device, an action the device cannot do, wrong
parameters, or a command past its expiresAtMs are answered "failed"; a command delivered twice
is answered twice but executed once. --fail-commands fails a fraction of commands on purpose.
Each command and each answer is printed. Device states start afresh on every run.

Leak: --leak <seconds> makes the first gateway's water leak sensor report a leak that many
(real) seconds after the start, once the gateway is registered, and dry again after
--leak-duration seconds (default ${DEFAULT_LEAK_DURATION_S}).

Setting up (unless --credentials-csv): with a platform admin's credentials (--email/--password,
else HESTIA_TOKEN, else <dataDir>/initial-admin.json) the simulator creates the tenant (--tenant,
default ${DEFAULT_TENANT_SLUG}) with a tenant admin, provisions the gateways as that admin, signs up a home
owner, creates the home "${SIMULATED_HOME_NAME}" and registers every gateway with its claim code.
Passwords it generates, tokens and claim codes go to the credentials file (mode 0600); the next
run reuses them, provisions only what is missing and registers what is not registered. A tenant
admin's credentials work too (their own tenant). <dataDir> is HESTIA_DATA_DIR, else ./data.

Registration: a gateway waits until Hestia says it is registered to a home ("registration"
messages on hestia/v1/gw/<id>/down). While pending it announces itself once per notice (its
gatewayConfig, counted by Hestia, not stored) and withholds telemetry; once accepted it sends
its gatewayConfig, its cameras' stream state, then telemetry; removed from the home, it stops.
With --no-register, new gateways stay pending and their claim codes are printed to stdout.
With --credentials-csv, nothing is provisioned and gateways are registered only when
--owner-email/--owner-password are given.

MQTT: client id = user name = gateway id, password = token, QoS 1, persistent session, retained
"online"/"offline" on hestia/v1/gw/<id>/status (also the Last Will); reconnects every second when
Hestia restarts, and unacknowledged messages are sent again. Other messages arriving on
hestia/v1/gw/<id>/down are printed. Device ids derive from the gateway id, so a new run reuses
the same devices; the energy meters continue from <credentials>.meters.json.

A progress line goes to stderr every 2 s: connected/total, registered, published,
acknowledged, msg/s, reconnects, commands answered (and failed).

Examples:
  hestia simulate --gateways 10 --speed 60
  hestia simulate --gateways 3 --no-register        # then register them in the app
  hestia simulate --leak 20 --leak-duration 60       # a water leak in the first home after 20 s
  hestia simulate --fail-commands 0.25               # one command in four fails
  hestia simulate --tenant acme --email ops@acme.example --password '…' --gateways 5
  hestia admin gateway import serials.csv --out creds.csv --tenant acme
  hestia simulate --credentials-csv creds.csv --tenant acme --owner-email me@example.com --owner-password '…'
  hestia simulate --gateways 100 --duration 300 --url mqtt://hestia.example:1883 --api https://hestia.example`,
    )
    .action((options: SimulateOptions) => runSimulate(options));
}

async function runSimulate(options: SimulateOptions): Promise<void> {
  const dataDir = process.env.HESTIA_DATA_DIR ?? './data';
  const ports = readPortsFile(dataDir);
  const url = options.url ?? `mqtt://localhost:${ports?.mqtt ?? 1883}`;
  const apiUrl = options.api ?? process.env.HESTIA_API_URL ?? `http://localhost:${ports?.http ?? 8080}`;
  if ((options.email === undefined) !== (options.password === undefined)) {
    throw new Error('give both --email and --password, or neither');
  }
  if ((options.ownerEmail === undefined) !== (options.ownerPassword === undefined)) {
    throw new Error('give both --owner-email and --owner-password, or neither');
  }
  if (options.credentials !== undefined && options.credentialsCsv !== undefined) {
    throw new Error('give --credentials or --credentials-csv, not both');
  }
  if (options.leakDuration !== undefined && options.leak === undefined) {
    throw new Error('--leak-duration needs --leak <seconds>');
  }
  const say = (line: string): void => {
    if (!options.quiet) process.stderr.write(`${line}\n`);
  };
  const owner =
    options.ownerEmail !== undefined && options.ownerPassword !== undefined
      ? { email: options.ownerEmail, password: options.ownerPassword }
      : undefined;

  let credentialsFile: string;
  let gateways: GatewayCredentials[];
  let registration: RegistrationSummary | null = null;
  if (options.credentialsCsv !== undefined) {
    credentialsFile = options.credentialsCsv;
    const rows = readGatewayCredentialsCsv(credentialsFile);
    if (options.gateways !== undefined && options.gateways > rows.length) {
      throw new Error(
        `${credentialsFile} has ${rows.length} gateway(s), fewer than --gateways ${options.gateways}`,
      );
    }
    gateways = rows.slice(0, options.gateways ?? rows.length);
    if (owner && options.register) {
      const ownerToken = await login(apiUrl, owner.email, owner.password, options.tenant);
      const home = await ensureSimulatedHome(apiUrl, ownerToken, null);
      registration = await registerGateways(apiUrl, ownerToken, home, gateways);
    }
  } else {
    credentialsFile = options.credentials ?? path.join(dataDir, 'sim-credentials.json');
    mkdirSync(path.dirname(path.resolve(credentialsFile)), { recursive: true });
    const prepared = await prepareSimulation({
      apiUrl,
      file: credentialsFile,
      count: options.gateways ?? 1,
      ...(options.tenant === undefined ? {} : { tenantSlug: options.tenant }),
      register: options.register,
      adminToken: () => adminToken(apiUrl, dataDir, options),
      ...(owner ? { owner } : {}),
      onProgress: say,
    });
    gateways = prepared.gateways;
    registration = prepared.registration;
  }
  if (registration) reportRegistration(registration, say);
  if (!options.register) {
    say(
      'gateways waiting for registration are listed on stdout with their claim codes ("<serial> <claim code>"): ' +
        'register them in the app, or with POST /v1/homes/<homeId>/gateways {gatewayId, claimCode}',
    );
  }

  const lastReason = new Map<string, string>();
  let lastError: string | null = null;
  const verbose = !options.quiet && gateways.length <= VERBOSE_GATEWAY_LIMIT;
  const claimCodes = new Map(gateways.map((gateway) => [gateway.gatewayId, gateway.claimCode]));
  const registeredBefore = new Set<string>();
  const onEvent = (event: SimulatorEvent): void => {
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
      case 'registration': {
        if (!event.changed) break;
        const wasRegistered = registeredBefore.has(event.gatewayId);
        if (event.status === 'accepted') {
          registeredBefore.add(event.gatewayId);
          if (verbose)
            process.stderr.write(
              `gateway ${event.gatewayId} registered to home "${event.homeName}": sending its configuration, then telemetry\n`,
            );
          break;
        }
        registeredBefore.delete(event.gatewayId);
        const code = claimCodes.get(event.gatewayId) ?? '(claim code unknown)';
        // On stdout whatever the verbosity: what a person needs to register the gateway.
        process.stdout.write(`${event.gatewayId} ${code}\n`);
        if (verbose)
          process.stderr.write(
            `gateway ${event.gatewayId} ${wasRegistered ? 'removed from its home' : 'waiting for registration'}: ` +
              `telemetry withheld until it is registered (claim code ${code})\n`,
          );
        break;
      }
      case 'down':
        say(
          `gateway ${event.gatewayId} ← ${event.topic}: ${event.payload.slice(0, DOWN_PAYLOAD_SHOWN_CHARS)}`,
        );
        break;
      case 'command':
        say(
          `gateway ${event.gatewayId} ← command ${event.commandId}: ${event.action} ${JSON.stringify(event.params)} ` +
            `on device ${event.deviceId}`,
        );
        break;
      case 'commandResult':
        say(
          `gateway ${event.gatewayId} → commandResult ${event.commandId}: ${event.status}` +
            (event.error === null ? '' : ` (${event.error})`) +
            (event.repeated ? ' (delivered again: answered again, not executed again)' : ''),
        );
        break;
      case 'leak':
        say(
          `gateway ${event.gatewayId}: water leak sensor ${event.deviceId} reports ${event.detected ? 'a LEAK' : 'dry'}` +
            (event.reported ? '' : ' (not sent: the gateway is not registered)'),
        );
        break;
      case 'motion':
        say(
          `gateway ${event.gatewayId}: motion on ${event.deviceId}` +
            (event.reported ? '' : ' (not sent: the gateway is not registered)'),
        );
        break;
      case 'streaming':
        say(`gateway ${event.gatewayId}: camera ${event.deviceId} streams to media server ${event.server}`);
        break;
      case 'streamError':
        if (verbose)
          process.stderr.write(
            `gateway ${event.gatewayId}: camera ${event.deviceId} cannot stream (${event.reason}); trying again in a while\n`,
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
    `simulating ${gateways.length} gateway(s) × ${ALL_DEVICES_PER_GATEWAY} devices on ${url}, speed ×${options.speed}`,
  );
  const video = options.video ? { apiUrl, previewBase64: await clipPreviewBase64() } : undefined;
  const simulator = Simulator.start({
    url,
    gateways,
    ...(video ? { video } : {}),
    speed: options.speed,
    meterFile: meterFileFor(credentialsFile),
    commandDelayMs: options.commandDelay,
    failCommandsRatio: options.failCommands,
    ...(options.leak === undefined
      ? {}
      : {
          leak: {
            afterMs: options.leak * 1000,
            durationMs: (options.leakDuration ?? DEFAULT_LEAK_DURATION_S) * 1000,
          },
        }),
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
    throw new Error(
      options.credentialsCsv === undefined
        ? `every gateway was refused by ${url}; delete ${credentialsFile} to provision new ones`
        : `every gateway of ${credentialsFile} was refused by ${url}`,
    );
  }
}

/** What registration did, on stderr: counts, and the gateways left pending with the reason. */
function reportRegistration(summary: RegistrationSummary, say: (line: string) => void): void {
  const { home, registered, already, failed } = summary;
  say(
    `home "${home.name}" (${home.id}): registered ${registered.length} gateway(s)` +
      (already.length > 0 ? `, ${already.length} registered already` : ''),
  );
  const byReason = new Map<string, string[]>();
  for (const { gatewayId, reason } of failed)
    byReason.set(reason, [...(byReason.get(reason) ?? []), gatewayId]);
  for (const [reason, gatewayIds] of byReason) {
    const which =
      gatewayIds.length <= VERBOSE_GATEWAY_LIMIT ? gatewayIds.join(', ') : `${gatewayIds.length} gateways`;
    process.stderr.write(`stay pending (${which}): ${reason}\n`);
  }
}

function progressLine(stats: SimulatorStats, ratePerSec: number | null): string {
  const parts = [
    `${stats.connected}/${stats.gateways} connected`,
    `registered ${stats.registered}`,
    ...(stats.pending > 0 ? [`pending ${stats.pending}`, `withheld ${stats.withheld}`] : []),
    `published ${stats.published}`,
    `acknowledged ${stats.acknowledged}`,
    ...(ratePerSec === null ? [] : [`${ratePerSec.toFixed(1)} msg/s`]),
    `reconnects ${stats.reconnects}`,
    ...(stats.commands > 0 ? [`commands ${stats.commands}`] : []),
    ...(stats.commandsFailed > 0 ? [`commands failed ${stats.commandsFailed}`] : []),
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

/**
 * The admin bearer token that sets up what is missing (a platform admin, or a tenant admin):
 * flags, then HESTIA_TOKEN, then initial-admin.json (the platform admin of the first start).
 */
async function adminToken(apiUrl: string, dataDir: string, options: SimulateOptions): Promise<string> {
  if (options.email !== undefined && options.password !== undefined) {
    return login(apiUrl, options.email, options.password, options.tenant);
  }
  const token = process.env.HESTIA_TOKEN;
  if (token) return token;
  const initial = readInitialAdmin(dataDir);
  if (initial) return login(apiUrl, initial.email, initial.password);
  throw new Error(
    `the simulation must be set up but no admin credentials were given: use --email/--password, set HESTIA_TOKEN, ` +
      `or run where ${path.join(dataDir, 'initial-admin.json')} exists`,
  );
}
