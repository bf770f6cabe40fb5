import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ApiInstance } from './api/context.ts';
import { buildApi } from './api/server.ts';
import { createServices, type Services } from './services/index.ts';
import { EventBus } from './core/bus.ts';
import { systemClock, type Clock } from './core/clock.ts';
import type { HestiaConfig } from './core/config.ts';
import type { AppContext } from './core/context.ts';
import { createLogger } from './core/logger.ts';
import { isHestiaError } from './core/errors.ts';
import { Metrics } from './core/metrics.ts';
import { EmbeddedBroker, type BrokerPorts } from './ingest/embedded-broker.ts';
import { IngestService } from './ingest/ingest-service.ts';
import { openMailer } from './mail/open-mailer.ts';
import type { MailPort } from './core/ports/mail.ts';
import { RetentionService } from './services/retention.ts';
import { newToken } from './services/secrets.ts';
import type { Extension } from './core/extension.ts';
import { openStore } from './store/open-store.ts';
import { createPushProviders } from './push/index.ts';
import { createMediaEngine } from './media/index.ts';

export interface HestiaPorts extends BrokerPorts {
  http: number;
}

export interface StartOptions {
  logger?: Logger;
  clock?: Clock;
  /** Create the platform administrator when there is no account yet (the `hestia start` default). */
  firstRunSetup?: boolean;
  /** Outgoing mail; by default from config.mail (files under <dataDir>/mail, or SMTP). */
  mailer?: MailPort;
}

const DEAD_LETTER_TRIM_INTERVAL_MS = 60_000; // 1 minute
const TOKEN_SWEEP_INTERVAL_MS = 60 * 60_000; // 1 hour
const API_CLOSE_GRACE_MS = 5000; // 5 seconds for requests in flight at a stop

/** The parts of a started process, as `Hestia.start` wires them. */
interface HestiaParts {
  ctx: AppContext;
  services: Services;
  mailer: MailPort;
  ingest: IngestService;
  broker: EmbeddedBroker;
  api: ApiInstance;
  ports: HestiaPorts;
  retention: RetentionService;
}

/**
 * One Hestia process in embedded mode: storage, the built-in broker, ingest and the HTTP API,
 * started in order and stopped in reverse, draining accepted writes before exit.
 */
export class Hestia {
  private ready = false;
  private readonly timers: NodeJS.Timeout[] = [];

  readonly ctx: AppContext;
  readonly services: Services;
  readonly ingest: IngestService;
  readonly broker: EmbeddedBroker;
  readonly api: ApiInstance;
  readonly ports: HestiaPorts;
  readonly retention: RetentionService;
  private readonly mailer: MailPort;

  private constructor(parts: HestiaParts) {
    this.ctx = parts.ctx;
    this.services = parts.services;
    this.ingest = parts.ingest;
    this.broker = parts.broker;
    this.api = parts.api;
    this.ports = parts.ports;
    this.retention = parts.retention;
    this.mailer = parts.mailer;
  }

  static async start(config: Readonly<HestiaConfig>, options: StartOptions = {}): Promise<Hestia> {
    const logger = options.logger ?? createLogger(config.log.level);
    mkdirSync(config.dataDir, { recursive: true });
    const store = await openStore(config, logger);
    const ctx: AppContext = {
      config,
      logger,
      store,
      bus: new EventBus(logger),
      clock: options.clock ?? systemClock,
      metrics: new Metrics(),
    };
    const mailer = options.mailer ?? openMailer(config, logger);
    const services = createServices(ctx, {
      mailer,
      pushProviders: createPushProviders(ctx),
      mediaEngines: createMediaEngine,
    });
    const ingest = new IngestService(ctx, { commandResults: services.commands });
    const broker = new EmbeddedBroker(ctx, { authority: services.gateways, ingest });
    services.commands.attachLink(broker);
    let api: ApiInstance | undefined;
    try {
      // Embedded mode has one broker: whoever was online when it last stopped is not any more.
      await store.directory.gateways.markAllGatewaysOffline(ctx.clock.now());
      if (options.firstRunSetup) await firstRunSetup(ctx, services.accounts);
      let instance: Hestia | undefined;
      api = await buildApi({ ctx, services, isReady: () => instance?.ready === true });
      const brokerPorts = await broker.listen();
      await api.listen({ port: config.http.port, host: config.http.host });
      const address = api.server.address();
      const ports: HestiaPorts = {
        ...brokerPorts,
        http: typeof address === 'object' && address ? address.port : config.http.port,
      };
      writeFileSync(path.join(config.dataDir, 'ports.json'), JSON.stringify(ports, null, 2) + '\n');
      instance = new Hestia({
        ctx,
        services,
        mailer,
        ingest,
        broker,
        api,
        ports,
        retention: new RetentionService(ctx),
      });
      instance.startHousekeeping();
      instance.ready = true;
      logger.info({ ports, storage: store.kind, dataDir: config.dataDir }, 'Hestia is ready');
      return instance;
    } catch (error) {
      await broker.close().catch(() => undefined);
      await api?.close().catch(() => undefined);
      await store.close();
      await mailer.close().catch(() => undefined);
      throw error;
    }
  }

  private startHousekeeping(): void {
    const { store, config, logger, clock } = this.ctx;
    const every = (ms: number, what: string, job: () => Promise<unknown>): void => {
      const timer = setInterval(() => {
        job().catch((error: unknown) => logger.error({ err: error }, `${what} failed`));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(DEAD_LETTER_TRIM_INTERVAL_MS, 'dead-letter trim', () =>
      store.deadLetters.trimDeadLetters(config.deadLetters.maxPerTenant),
    );
    every(TOKEN_SWEEP_INTERVAL_MS, 'expired token sweep', () =>
      store.directory.sessions.deleteExpiredTokens(clock.now()),
    );
    this.retention.start();
    for (const extension of this.extensions()) extension.start();
  }

  /** Features with a lifecycle, in start order (they stop in reverse). */
  private extensions(): Extension[] {
    const { presence, commands, alarms, notifications, automations, media } = this.services;
    return [
      presence,
      commands,
      notifications,
      alarms,
      automations,
      media.cluster,
      media.recording,
      media.retention,
      media.doorbell,
    ];
  }

  /**
   * Closes the HTTP server: idle keep-alive connections at once, requests in flight get
   * API_CLOSE_GRACE_MS to finish. A client that stalls mid-request (a media server killed while
   * it sent a callback) would otherwise hold the stop until Node's header timeout.
   */
  private async closeApi(): Promise<void> {
    const force = setTimeout(() => this.api.server.closeAllConnections(), API_CLOSE_GRACE_MS);
    try {
      await this.api.close();
    } finally {
      clearTimeout(force);
    }
  }

  /** Graceful stop: refuse new work, drain accepted writes, close everything. */
  async stop(): Promise<void> {
    if (!this.ready) return;
    this.ready = false;
    const { logger, store } = this.ctx;
    logger.info('stopping: draining in-flight writes');
    for (const timer of this.timers) clearInterval(timer);
    await this.retention.stop();
    await this.broker.close();
    await this.ingest.drain();
    await this.closeApi();
    for (const extension of this.extensions().reverse()) await extension.stop();
    await store.directory.gateways.markAllGatewaysOffline(this.ctx.clock.now());
    await store.close();
    await this.mailer.close();
    logger.info('stopped');
  }
}

/**
 * First start on an empty database: the platform administrator, its password in a 0600 file
 * (never in the log). It creates the service providers (tenants) from there.
 */
async function firstRunSetup(ctx: AppContext, accounts: Services['accounts']): Promise<void> {
  if ((await ctx.store.directory.people.countUsers()) > 0) return;
  const email = 'admin@hestia.local';
  const password = newToken('pw').slice(3, 27);
  let admin: Awaited<ReturnType<typeof accounts.createUser>>;
  try {
    admin = await accounts.createUser({
      tenantId: null,
      email,
      password,
      name: 'Platform administrator',
      role: 'platform_admin',
    });
  } catch (error) {
    // Workers started together on an empty database: another one created it first.
    if (isHestiaError(error) && error.code === 'HESTIA_CONFLICT') {
      ctx.logger.info({ email }, 'first start: another worker created the platform administrator');
      return;
    }
    throw error;
  }
  const file = path.join(ctx.config.dataDir, 'initial-admin.json');
  writeFileSync(file, JSON.stringify({ email, password, role: admin.role }, null, 2) + '\n', { mode: 0o600 });
  ctx.logger.warn(
    { email, credentialsFile: file },
    'first start: created the platform administrator; the password is in the credentials file',
  );
}
