import type { Command } from 'commander';
import { EventBus } from '../core/bus.ts';
import { systemClock } from '../core/clock.ts';
import { loadConfig } from '../core/config.ts';
import type { AppContext } from '../core/context.ts';
import { HestiaError, isHestiaError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { Metrics } from '../core/metrics.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServices, type Services } from '../services/index.ts';
import { openMailer } from '../mail/open-mailer.ts';
import { AuditService } from '../services/audit.ts';
import type { RequestOrigin } from '../services/principal.ts';
import { hashToken, newToken } from '../services/secrets.ts';
import { openStore } from '../store/open-store.ts';
import { createPushProviders } from '../push/index.ts';
import { createMediaEngine } from '../media/index.ts';
import { RetentionService } from '../services/retention.ts';

/** Runs `work` with a context on the configured store (no broker, no HTTP), then closes it. */
async function withContext<T>(
  configFile: string | undefined,
  work: (ctx: AppContext) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ file: configFile });
  const logger = createLogger(process.env.HESTIA_LOG_LEVEL ?? 'warn');
  const store = await openStore(config, logger);
  try {
    return await work({
      config,
      logger,
      store,
      bus: new EventBus(logger),
      clock: systemClock,
      metrics: new Metrics(),
    });
  } finally {
    await store.close();
  }
}

async function readPassword(options: { password?: string; passwordStdin?: boolean }): Promise<string> {
  if (options.password) return options.password;
  if (options.passwordStdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').trim();
  }
  throw new HestiaError('HESTIA_VALIDATION_FAILED', 'give --password <password> or --password-stdin');
}

async function resolveTenant(ctx: AppContext, tenantRef: string | undefined): Promise<string> {
  const { directory } = ctx.store;
  if (tenantRef) {
    const tenant =
      (await directory.tenants.findTenantBySlug(tenantRef)) ??
      (await directory.tenants.findTenant(tenantRef));
    if (!tenant) throw new HestiaError('HESTIA_NOT_FOUND', `no tenant ${tenantRef}`);
    return tenant.id;
  }
  const tenants = await directory.tenants.listTenants();
  if (tenants.length === 1) return tenants[0]!.id;
  throw new HestiaError(
    'HESTIA_VALIDATION_FAILED',
    tenants.length === 0
      ? 'no tenant yet: run `hestia admin tenant create` first'
      : '--tenant <slug or id> is required when there are several tenants',
  );
}

const print = (value: unknown): void => {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
};

/** The CLI acts as the operator of the installation: audit entries name it "system". */
const CLI_ORIGIN: RequestOrigin = { ip: null, userAgent: 'hestia-cli' };

export function registerAdminCommands(program: Command): void {
  const admin = program
    .command('admin')
    .description('administration on the configured storage (works while Hestia runs)');

  admin
    .command('platform-admin')
    .description('create a platform administrator (manages tenants)')
    .requiredOption('--email <email>', 'login email')
    .option('--password <password>', 'password (at least 10 characters)')
    .option('--password-stdin', 'read the password from standard input')
    .option('-c, --config <file>', 'configuration file')
    .action(
      async (options: { email: string; password?: string; passwordStdin?: boolean; config?: string }) => {
        const password = await readPassword(options);
        await withServices(options.config, async ({ accounts }) => {
          print(
            await accounts.createUser({
              tenantId: null,
              email: options.email,
              password,
              name: null,
              role: 'platform_admin',
            }),
          );
        });
      },
    );

  const tenant = admin.command('tenant').description('tenants (service providers)');
  tenant
    .command('create')
    .description('create a tenant and its first admin (with a password, or invited by mail without one)')
    .requiredOption('--name <name>', 'name of the service provider')
    .option('--slug <slug>', 'short name apps sign in with (default: from the name)')
    .requiredOption('--admin-email <email>', "the tenant admin's email")
    .option('--password <password>', "the tenant admin's password; without it an invitation is mailed")
    .option('--password-stdin', 'read the password from standard input')
    .option('--invite-only', 'people join by invitation only (no self sign-up)')
    .option('-c, --config <file>', 'configuration file')
    .action(
      async (options: {
        name: string;
        slug?: string;
        adminEmail: string;
        password?: string;
        passwordStdin?: boolean;
        inviteOnly?: boolean;
        config?: string;
      }) => {
        const password = options.password || options.passwordStdin ? await readPassword(options) : undefined;
        await withServices(options.config, async ({ tenants }) => {
          print(
            await tenants.createTenant(
              null,
              {
                name: options.name,
                slug: options.slug,
                adminEmail: options.adminEmail,
                adminPassword: password,
                signupOpen: !options.inviteOnly,
              },
              CLI_ORIGIN,
            ),
          );
        });
      },
    );

  tenant
    .command('list')
    .description('list tenants')
    .option('-c, --config <file>', 'configuration file')
    .action(async (options: { config?: string }) => {
      await withContext(options.config, async (ctx) =>
        print(await ctx.store.directory.tenants.listTenants()),
      );
    });

  for (const [name, suspended] of [
    ['suspend', true],
    ['resume', false],
  ] as const) {
    tenant
      .command(`${name} <tenant>`)
      .description(
        suspended
          ? 'suspend a tenant: logins refused, gateways disconnected (within mqtt.credentialRecheckSeconds)'
          : 'resume a suspended tenant',
      )
      .option('-c, --config <file>', 'configuration file')
      .action(async (tenantRef: string, options: { config?: string }) => {
        await withContext(options.config, async (ctx) => {
          const tenantId = await resolveTenant(ctx, tenantRef);
          await ctx.store.directory.tenants.setTenantStatus(
            tenantId,
            suspended ? 'suspended' : 'active',
            ctx.clock.now(),
          );
          await new AuditService(ctx).record({
            tenantId,
            action: suspended ? 'tenant.suspended' : 'tenant.resumed',
            actor: { kind: 'system' },
            origin: CLI_ORIGIN,
            target: { type: 'tenant', id: tenantId },
          });
          print(await ctx.store.directory.tenants.findTenant(tenantId));
        });
      });
  }

  const gateway = admin.command('gateway').description('gateways');
  gateway
    .command('create')
    .description('provision a gateway; prints its MQTT credentials and claim code once')
    .requiredOption('--name <name>', 'a name for people')
    .option('--id <id>', 'the serial printed on the device (default: a new UUID)')
    .option('--claim-code <code>', 'the claim code printed on the device (default: a new one)')
    .option('--tenant <tenant>', 'tenant slug or id (default: the only tenant)')
    .option('-c, --config <file>', 'configuration file')
    .action(
      async (options: {
        name: string;
        id?: string;
        claimCode?: string;
        tenant?: string;
        config?: string;
      }) => {
        await withServices(options.config, async ({ gateways }, ctx) => {
          const tenantId = await resolveTenant(ctx, options.tenant);
          const {
            gateway: created,
            token,
            claimCode,
          } = await gateways.provision(
            null,
            tenantId,
            { id: options.id, name: options.name, claimCode: options.claimCode },
            CLI_ORIGIN,
          );
          print({
            gatewayId: created.id,
            tenantId,
            token,
            claimCode,
            mqtt: { username: created.id, clientId: created.id, password: token },
          });
        });
      },
    );

  gateway
    .command('import <csv>')
    .description(
      'provision gateways from a CSV file (serial, claim_code, name); writes their credentials as CSV',
    )
    .requiredOption('--out <file>', 'where to write the credentials CSV (created with mode 0600)')
    .option('--tenant <tenant>', 'tenant slug or id (default: the only tenant)')
    .option('-c, --config <file>', 'configuration file')
    .action(async (csvFile: string, options: { out: string; tenant?: string; config?: string }) => {
      const text = readFileSync(csvFile, 'utf8');
      await withServices(options.config, async ({ gateways }, ctx) => {
        const tenantId = await resolveTenant(ctx, options.tenant);
        try {
          const { count, credentialsCsv } = await gateways.importCsv(null, tenantId, text, CLI_ORIGIN);
          writeFileSync(options.out, credentialsCsv, { mode: 0o600, flag: 'wx' });
          process.stderr.write(`imported ${count} gateway(s); credentials written to ${options.out}\n`);
        } catch (error) {
          const rows = (error as HestiaError).details as
            { rows?: Array<{ line: number; message: string }> } | undefined;
          if (isHestiaError(error) && rows?.rows) {
            for (const row of rows.rows) process.stderr.write(`${csvFile}:${row.line}: ${row.message}\n`);
          }
          throw error;
        }
      });
    });

  gateway
    .command('list')
    .description("list a tenant's gateways")
    .option('--tenant <tenant>', 'tenant slug or id (default: the only tenant)')
    .option('-c, --config <file>', 'configuration file')
    .action(async (options: { tenant?: string; config?: string }) => {
      await withContext(options.config, async (ctx) => {
        const tenantId = await resolveTenant(ctx, options.tenant);
        const all = [];
        let after: string | undefined;
        for (;;) {
          const page = await ctx.store.directory.gateways.listGateways(tenantId, { limit: 500, after });
          all.push(...page);
          if (page.length < 500) break;
          after = page[page.length - 1]!.id;
        }
        print(all);
      });
    });

  gateway
    .command('rotate <gatewayId>')
    .description(
      'issue new MQTT credentials; a running Hestia closes the old session (within mqtt.credentialRecheckSeconds)',
    )
    .option('-c, --config <file>', 'configuration file')
    .action(async (gatewayId: string, options: { config?: string }) => {
      await withContext(options.config, async (ctx) => {
        const found = await ctx.store.directory.gateways.findGateway(gatewayId);
        if (!found) throw new HestiaError('HESTIA_NOT_FOUND', `no gateway ${gatewayId}`);
        const token = newToken('hgw');
        await ctx.store.directory.gateways.setGatewayToken(gatewayId, hashToken(token), ctx.clock.now());
        await new AuditService(ctx).record({
          tenantId: found.tenantId,
          action: 'gateway.credentials_rotated',
          actor: { kind: 'system' },
          origin: CLI_ORIGIN,
          homeId: found.homeId,
          target: { type: 'gateway', id: gatewayId },
        });
        print({ gatewayId, token });
      });
    });

  const tariff = admin.command('tariff').description("tariffs: a home's retention and limits");
  tariff
    .command('list')
    .description("list a tenant's tariffs (one of them its default)")
    .option('--tenant <tenant>', 'tenant slug or id (default: the only tenant)')
    .option('-c, --config <file>', 'configuration file')
    .action(async (options: { tenant?: string; config?: string }) => {
      await withContext(options.config, async (ctx) => {
        print(await ctx.store.directory.tariffs.listTariffs(await resolveTenant(ctx, options.tenant)));
      });
    });

  tariff
    .command('set-home')
    .description("set a home's tariff (its retention and limits)")
    .requiredOption('--home <homeId>', 'the home')
    .requiredOption(
      '--tariff <tariffId>',
      "a tariff of the home's tenant, or `default` for the tenant's default",
    )
    .option('-c, --config <file>', 'configuration file')
    .action(async (options: { home: string; tariff: string; config?: string }) => {
      await withServices(options.config, async ({ tariffs }) => {
        const { home, tariff: inForce } = await tariffs.setHomeTariff(
          null,
          options.home,
          options.tariff === 'default' ? null : options.tariff,
          CLI_ORIGIN,
        );
        print({ homeId: home.id, tariffId: home.tariffId, inForce });
      });
    });

  admin
    .command('retention')
    .description("retention: delete history past each gateway's tariff horizons now")
    .command('run')
    .description(
      'one retention pass over every gateway, as the server runs it in the background (safe while it runs)',
    )
    .option('-c, --config <file>', 'configuration file')
    .action(async (options: { config?: string }) => {
      await withContext(options.config, async (ctx) => {
        let lastReport = Date.now();
        const retention = new RetentionService(ctx, {
          onProgress: (sofar) => {
            if (Date.now() - lastReport < 2000) return;
            lastReport = Date.now();
            process.stderr.write(
              `retention: ${sofar.readings} readings, ${sofar.rollups} rollups deleted so far\n`,
            );
          },
        });
        print(await retention.runPass());
      });
    });
}

/** Like withContext, with the services wired as in the server (mail from the configuration). */
async function withServices<T>(
  configFile: string | undefined,
  work: (services: Services, ctx: AppContext) => Promise<T>,
): Promise<T> {
  return withContext(configFile, async (ctx) => {
    const mailer = openMailer(ctx.config, ctx.logger);
    try {
      return await work(
        createServices(ctx, {
          mailer,
          pushProviders: createPushProviders(ctx),
          mediaEngines: createMediaEngine,
        }),
        ctx,
      );
    } finally {
      await mailer.close();
    }
  });
}
