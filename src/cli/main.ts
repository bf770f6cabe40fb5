import { Command, CommanderError } from 'commander';
import { Hestia } from '../app.ts';
import { loadConfig } from '../core/config.ts';
import { isHestiaError } from '../core/errors.ts';
import { registerAdminCommands } from './admin.ts';
import { registerSimulateCommand } from './simulate.ts';
import { registerMediaAgentCommand } from './media-agent.ts';

const program = new Command()
  .name('hestia')
  .description('Hestia, the self-hostable smart-home cloud')
  .showHelpAfterError()
  .exitOverride();

program
  .command('start')
  .description('run Hestia: embedded MQTT broker (TCP + WebSocket), HTTP API and storage in one process')
  .option('-c, --config <file>', 'configuration file (default: ./hestia.config.json if present)')
  .addHelpText(
    'after',
    `
Configuration: a JSON file and HESTIA_* environment variables, e.g.
  HESTIA_HTTP_PORT (8080)   HESTIA_MQTT_PORT (1883)   HESTIA_MQTT_WS_PORT (8083)
  HESTIA_DATA_DIR (./data)  HESTIA_STORAGE (sqlite | postgres)  HESTIA_DATABASE_URL
  HESTIA_LOG_LEVEL (info)   HESTIA_INGEST_MAX_PAYLOAD_BYTES (65536)
Port 0 picks a free port; the chosen ports are written to <dataDir>/ports.json.
See docs/configuration.md for every key.`,
  )
  .action(async (options: { config?: string }) => {
    const config = loadConfig({ file: options.config });
    const hestia = await Hestia.start(config, { firstRunSetup: true });
    const { logger } = hestia.ctx;
    let stopping = false;
    const shutdown = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutdown requested');
      const force = setTimeout(() => {
        logger.error('shutdown took longer than 30 s; exiting');
        process.exit(1);
      }, 30_000);
      force.unref();
      hestia.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    const host = config.http.host === '0.0.0.0' ? 'localhost' : config.http.host;
    process.stderr.write(
      `\nHestia is running.\n` +
        (config.http.dashboard ? `  Dashboard  http://${host}:${hestia.ports.http}/\n` : '') +
        `  API        http://${host}:${hestia.ports.http}/v1  (docs: http://${host}:${hestia.ports.http}/docs)\n` +
        `  MQTT       mqtt://${host}:${hestia.ports.mqtt}` +
        (hestia.ports.ws ? `   MQTT/WebSocket ws://${host}:${hestia.ports.ws}` : '') +
        `\n  Data       ${config.dataDir}\n\n`,
    );
  });

registerAdminCommands(program);
registerSimulateCommand(program);
registerMediaAgentCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else if (isHestiaError(error)) {
    process.stderr.write(`hestia: ${error.code}: ${error.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`hestia: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
