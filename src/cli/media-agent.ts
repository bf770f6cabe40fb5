/**
 * `hestia media-agent …`: the media agent and the nginx.conf of its host, from one config file
 * (JSON) and `HESTIA_AGENT_*` variables, e.g. HESTIA_AGENT_PORT, HESTIA_AGENT_SECRET,
 * HESTIA_AGENT_DISKS ("disk1,disk2=2000000000000": id[=capacityBytes]), HESTIA_AGENT_NGINX_RTMP_PORT.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { HestiaError } from '../core/errors.ts';
import { startMediaAgent } from '../media/agent/agent.ts';
import { MediaAgentOptionsSchema, configError, type MediaAgentOptions } from '../media/agent/options.ts';
import { NginxSectionSchema, nginxRtmpConfig, type NginxSection } from '../media/nginx-rtmp/config.ts';

const ENV_PREFIX = 'HESTIA_AGENT_';
/** The config file when --config is not given. */
const CONFIG_ENV = 'HESTIA_AGENT_CONFIG';

/**
 * The file: the agent's options, and on an nginx-rtmp host an `nginx` section, from which both
 * nginx.conf and the agent's cutter settings (the control URL, the application) come.
 */
const AgentFileSchema = MediaAgentOptionsSchema.omit({ cutter: true })
  .extend({ nginx: NginxSectionSchema.optional() })
  .strict();
type AgentFile = Omit<MediaAgentOptions, 'cutter'> & { nginx?: NginxSection | undefined };

export function registerMediaAgentCommand(program: Command): void {
  const command = program
    .command('media-agent')
    .description(
      'the Hestia media agent, run on a media host beside nginx-rtmp (placement, disks, deletion)',
    );

  command
    .command('start')
    .description('run the media agent')
    .option('-c, --config <file>', `configuration file (JSON; default: $${CONFIG_ENV})`)
    .addHelpText(
      'after',
      `
Keys (file) and variables: secret, serverId, hestiaUrl, contentRoot, disks, spoolDir, stateDir,
host (127.0.0.1), port (8089), maxFillRatio (0.95), remuxConcurrency (1), logLevel (info), …
as HESTIA_AGENT_SECRET, HESTIA_AGENT_SERVER_ID, HESTIA_AGENT_DISKS="disk1,disk2=2000000000000", …`,
    )
    .action(async (flags: { config?: string }) => {
      const { nginx, ...options } = loadAgentFile(flags.config, process.env);
      const agent = await startMediaAgent({
        ...options,
        ...(nginx
          ? {
              cutter: {
                controlUrl: `http://${localHost(nginx.httpHost)}:${nginx.httpPort}`,
                application: nginx.application,
                segmentMs: nginx.segmentMs,
              },
            }
          : {}),
      });
      process.stderr.write(`\nHestia media agent is running at ${agent.url}\n\n`);
      let stopping = false;
      const shutdown = (): void => {
        // A second signal does not wait for the remux in progress.
        if (stopping) process.exit(1);
        stopping = true;
        agent.close().then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(`hestia media-agent: stop failed: ${(error as Error).message}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', shutdown);
      process.on('SIGINT', shutdown);
    });

  command
    .command('nginx-config')
    .description("print the nginx.conf of this media host (nginx-rtmp), from the agent's config")
    .option('-c, --config <file>', `configuration file (JSON; default: $${CONFIG_ENV})`)
    .option(
      '-o, --output <file>',
      'write to this file (readable by its owner and group only) instead of stdout',
    )
    .action(async (flags: { config?: string; output?: string }) => {
      const text = renderNginxConfig(loadAgentFile(flags.config, process.env));
      if (flags.output)
        await writeFile(flags.output, text, { mode: 0o640 }); // it holds the secret
      else process.stdout.write(text);
    });
}

/** The nginx.conf for the agent's config: one source for the paths, secret and callback URLs. */
export function renderNginxConfig(file: AgentFile): string {
  const { nginx } = file;
  if (!nginx)
    throw new HestiaError(
      'HESTIA_CONFIG_INVALID',
      'nginx: no nginx section in the config ({} takes the defaults)',
    );
  if (file.port === 0)
    throw new HestiaError('HESTIA_CONFIG_INVALID', 'port: nginx needs the agent on a fixed port');
  const agentHost = localHost(file.host);
  try {
    const { segmentMs: _segmentMs, ...nginxOptions } = nginx; // the agent's, not nginx's
    return nginxRtmpConfig({
      ...nginxOptions,
      spoolDir: path.resolve(file.spoolDir),
      hlsDir: path.resolve(nginx.hlsDir),
      contentRoot: path.resolve(file.contentRoot),
      secret: file.secret,
      hestiaUrl: file.hestiaUrl,
      serverId: file.serverId,
      agentUrl: `http://${agentHost}:${file.port}`,
    });
  } catch (error) {
    if (error instanceof RangeError) throw new HestiaError('HESTIA_CONFIG_INVALID', error.message);
    throw error;
  }
}

/**
 * Reads the config file (if any) and the HESTIA_AGENT_* variables, and validates them; errors
 * name the key and where it came from.
 */
export function loadAgentFile(file: string | undefined, env: NodeJS.ProcessEnv): AgentFile {
  const source = file ?? env[CONFIG_ENV];
  const sources = new Map<string, string>();
  let raw: Record<string, unknown> = {};
  if (source) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(source, 'utf8'));
    } catch (error) {
      throw new HestiaError('HESTIA_CONFIG_INVALID', `${source}: ${(error as Error).message}`);
    }
    if (!isObject(parsed)) throw new HestiaError('HESTIA_CONFIG_INVALID', `${source}: not a JSON object`);
    raw = parsed;
  }
  const variables = envVariables();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || name === CONFIG_ENV || value === undefined) continue;
    const target = variables.get(name);
    if (!target) throw new HestiaError('HESTIA_CONFIG_INVALID', `${name}: unknown configuration variable`);
    let section = raw;
    if (target.section) {
      const existing = raw[target.section];
      section = isObject(existing) ? existing : {};
      raw[target.section] = section;
    }
    section[target.key] = coerce(name, value, target.schema);
    sources.set(target.section ? `${target.section}.${target.key}` : target.key, name);
  }
  const result = AgentFileSchema.safeParse(raw);
  if (!result.success) {
    throw configError(result.error, (key) => {
      const variable = [...sources].find(([path]) => key === path || key.startsWith(`${path}.`))?.[1];
      return variable ?? (source ? `${source}: ${key}` : key);
    });
  }
  return result.data;
}

interface EnvTarget {
  section: 'nginx' | undefined;
  key: string;
  schema: z.ZodType;
}

/** HESTIA_AGENT_<KEY> for the agent's keys, HESTIA_AGENT_NGINX_<KEY> for the nginx section's. */
function envVariables(): Map<string, EnvTarget> {
  const map = new Map<string, EnvTarget>();
  for (const [key, schema] of Object.entries(MediaAgentOptionsSchema.shape))
    map.set(`${ENV_PREFIX}${snakeUpper(key)}`, { section: undefined, key, schema: schema as z.ZodType });
  for (const [key, schema] of Object.entries(NginxSectionSchema.shape))
    map.set(`${ENV_PREFIX}NGINX_${snakeUpper(key)}`, { section: 'nginx', key, schema: schema as z.ZodType });
  return map;
}

/** A variable's text as the key's type: numbers, lists ("a,b"), and disks ("id[=capacityBytes],…"). */
function coerce(name: string, value: string, schema: z.ZodType): unknown {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodNumber) {
    const number = Number(value);
    return value.trim() === '' || !Number.isFinite(number) ? value : number;
  }
  if (inner instanceof z.ZodArray) {
    const items = value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    if (name !== `${ENV_PREFIX}DISKS`) return items;
    return items.map((item) => {
      const [id = '', capacity] = item.split('=');
      if (capacity === undefined) return { id };
      const capacityBytes = Number(capacity);
      if (!Number.isInteger(capacityBytes))
        throw new HestiaError(
          'HESTIA_CONFIG_INVALID',
          `${name}: ${item}: the capacity is a whole number of bytes`,
        );
      return { id, capacityBytes };
    });
  }
  return value;
}

/** An address this host reaches a server on that listens on `host`. */
function localHost(host: string): string {
  const local = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return local.includes(':') ? `[${local}]` : local;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (
    current instanceof z.ZodDefault ||
    current instanceof z.ZodOptional ||
    current instanceof z.ZodPrefault
  )
    current = current.def.innerType as z.ZodType;
  return current;
}

function snakeUpper(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}
