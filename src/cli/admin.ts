import type { Command } from 'commander';
import { EventBus } from '../core/bus.ts';
import { systemClock } from '../core/clock.ts';
import { loadConfig } from '../core/config.ts';
import type { AppContext } from '../core/context.ts';
import { HestiaError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { Metrics } from '../core/metrics.ts';
import { AccountService } from '../services/accounts.ts';
import { GatewayService } from '../services/gateways.ts';
import { openStore } from '../store/open-store.ts';

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

async function resolveTenant(ctx: AppContext, tenantId: string | undefined): Promise<string> {
  if (tenantId) {
    if (!(await ctx.store.findTenant(tenantId)))
      throw new HestiaError('HESTIA_NOT_FOUND', `no tenant ${tenantId}`);
    return tenantId;
  }
  const tenants = await ctx.store.listTenants();
  if (tenants.length === 1) return tenants[0]!.id;
  throw new HestiaError(
    'HESTIA_VALIDATION_FAILED',
    tenants.length === 0
      ? 'no tenant yet: run `hestia admin init` first'
      : '--tenant <id> is required when there are several tenants',
  );
}

export function registerAdminCommands(program: Command): void {
  const admin = program
    .command('admin')
    .description('administration on the configured storage (works while Hestia runs)');

  admin
    .command('init')
    .description('create a tenant (service provider) and its admin account')
    .requiredOption('--tenant-name <name>', 'name of the tenant')
    .requiredOption('--email <email>', "admin's email (login)")
    .option('--password <password>', "admin's password (at least 10 characters)")
    .option('--password-stdin', 'read the password from standard input')
    .option('-c, --config <file>', 'configuration file')
    .action(
      async (options: {
        tenantName: string;
        email: string;
        password?: string;
        passwordStdin?: boolean;
        config?: string;
      }) => {
        const password = await readPassword(options);
        await withContext(options.config, async (ctx) => {
          const { tenant, admin: user } = await new AccountService(ctx).createTenantWithAdmin({
            tenantName: options.tenantName,
            email: options.email,
            password,
          });
          process.stdout.write(JSON.stringify({ tenant, admin: user }, null, 2) + '\n');
        });
      },
    );

  const tenant = admin.command('tenant').description('tenants');
  tenant
    .command('list')
    .description('list tenants')
    .option('-c, --config <file>', 'configuration file')
    .action(async (options: { config?: string }) => {
      await withContext(options.config, async (ctx) => {
        process.stdout.write(JSON.stringify(await ctx.store.listTenants(), null, 2) + '\n');
      });
    });

  const gateway = admin.command('gateway').description('gateways');
  gateway
    .command('create')
    .description('provision a gateway; prints its MQTT credentials once')
    .requiredOption('--name <name>', 'a name for people, e.g. the home it is in')
    .option('--id <id>', 'the id printed on the device (default: a new UUID)')
    .option('--tenant <tenantId>', 'tenant (default: the only tenant)')
    .option('-c, --config <file>', 'configuration file')
    .action(async (options: { name: string; id?: string; tenant?: string; config?: string }) => {
      await withContext(options.config, async (ctx) => {
        const tenantId = await resolveTenant(ctx, options.tenant);
        const { gateway: created, token } = await new GatewayService(ctx).createGateway(tenantId, {
          id: options.id,
          name: options.name,
        });
        process.stdout.write(
          JSON.stringify(
            {
              gatewayId: created.id,
              tenantId,
              token,
              mqtt: { username: created.id, clientId: created.id, password: token },
            },
            null,
            2,
          ) + '\n',
        );
      });
    });

  gateway
    .command('list')
    .description("list a tenant's gateways")
    .option('--tenant <tenantId>', 'tenant (default: the only tenant)')
    .option('-c, --config <file>', 'configuration file')
    .action(async (options: { tenant?: string; config?: string }) => {
      await withContext(options.config, async (ctx) => {
        const tenantId = await resolveTenant(ctx, options.tenant);
        const all = [];
        let after: string | undefined;
        for (;;) {
          const page = await ctx.store.listGateways(tenantId, { limit: 500, after });
          all.push(...page);
          if (page.length < 500) break;
          after = page[page.length - 1]!.id;
        }
        process.stdout.write(JSON.stringify(all, null, 2) + '\n');
      });
    });
}
