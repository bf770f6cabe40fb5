import { randomUUID } from 'node:crypto';
import type { AppContext } from '../core/context.ts';
import type { Role, User } from '../core/domain/person.ts';
import {
  API_KEY_SCOPES,
  type ApiKey,
  type ApiKeyScope,
  type Branding,
  type Tenant,
} from '../core/domain/tenant.ts';
import { HestiaError } from '../core/errors.ts';
import { validateEmail, validatePassword, AccountService } from './accounts.ts';
import { AuditService } from './audit.ts';
import { Authorizer } from './authorization.ts';
import { InvitationService } from './invitations.ts';
import type { Principal, RequestOrigin } from './principal.ts';
import { hashToken, newToken } from './secrets.ts';
import {
  type WebhookCredentials,
  type PushCredentials,
  webhookEndpoints,
  parseServiceAccount,
} from '../core/domain/push-credentials.ts';

const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
const COLOR_PATTERN = /^#[0-9a-fA-F]{6}$/;

/**
 * Credentials as an admin sends them: a secret left out keeps the stored one of the same app id,
 * project or webhook URL, so changing one provider does not mean typing every other secret again.
 */
export interface PushCredentialsInput {
  oneSignal?: { appId: string; restApiKey?: string | undefined } | undefined;
  fcm?: { projectId: string; serviceAccountJson?: string | undefined } | undefined;
  webhook?: WebhookInput | undefined;
  webhooks?: WebhookInput[] | undefined;
}
type WebhookInput = Omit<WebhookCredentials, 'secret'> & { secret?: string | undefined };

/** The credentials to store: `input` with each left-out secret taken from `stored`, or an error naming it. */
export function withStoredSecrets(input: PushCredentialsInput, stored: PushCredentials): PushCredentials {
  const missing = (field: string, what: string) =>
    new HestiaError('HESTIA_VALIDATION_FAILED', `${field}: required (no stored ${what} to keep)`);
  const storedWebhooks = webhookEndpoints(stored);
  const webhook = (endpoint: WebhookInput, field: string): WebhookCredentials => {
    const secret = endpoint.secret ?? storedWebhooks.find((known) => known.url === endpoint.url)?.secret;
    if (secret === undefined) throw missing(`${field}.secret`, 'secret for this URL');
    return { ...endpoint, secret };
  };
  const result: PushCredentials = {};
  if (input.oneSignal) {
    const restApiKey =
      input.oneSignal.restApiKey ??
      (stored.oneSignal?.appId === input.oneSignal.appId ? stored.oneSignal.restApiKey : undefined);
    if (restApiKey === undefined) throw missing('oneSignal.restApiKey', 'key for this app id');
    result.oneSignal = { appId: input.oneSignal.appId, restApiKey };
  }
  if (input.fcm) {
    const serviceAccountJson =
      input.fcm.serviceAccountJson ??
      (stored.fcm?.projectId === input.fcm.projectId ? stored.fcm.serviceAccountJson : undefined);
    if (serviceAccountJson === undefined)
      throw missing('fcm.serviceAccountJson', 'service account for this project');
    result.fcm = { projectId: input.fcm.projectId, serviceAccountJson };
  }
  if (input.webhook) result.webhook = webhook(input.webhook, 'webhook');
  if (input.webhooks)
    result.webhooks = input.webhooks.map((endpoint, i) => webhook(endpoint, `webhooks[${i}]`));
  return result;
}

/** Most webhooks one tenant may have: each notification is POSTed to every one of them. */
export const MAX_WEBHOOKS = 10;

function validateWebhook(endpoint: WebhookCredentials, field: string): void {
  let url: URL | undefined;
  try {
    url = new URL(endpoint.url);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new HestiaError('HESTIA_VALIDATION_FAILED', `${field}.url: an http(s) URL`);
}

function assertPlatformAdmin(principal: Principal): void {
  if (principal.kind !== 'user' || principal.role !== 'platform_admin')
    throw new HestiaError('HESTIA_FORBIDDEN');
}

function validateBranding(branding: Partial<Branding>): void {
  for (const key of ['primaryColor', 'accentColor'] as const) {
    const value = branding[key];
    if (value != null && !COLOR_PATTERN.test(value))
      throw new HestiaError('HESTIA_VALIDATION_FAILED', `branding.${key}: a colour like #1a2b3c`);
  }
  const logo = branding.logoUrl;
  if (logo != null) {
    let url: URL | undefined;
    try {
      url = new URL(logo);
    } catch {
      url = undefined;
    }
    // Only https (or http for local testing): a javascript: or data: URL in an <img> or link is an attack.
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
      throw new HestiaError('HESTIA_VALIDATION_FAILED', 'branding.logoUrl: an http(s) URL');
  }
}

export interface TenantDeps {
  accounts: AccountService;
  invitations: InvitationService;
  audit: AuditService;
  authorize: Authorizer;
}

/**
 * Service providers (tenants) and what their admins manage tenant-wide: the tenant's people
 * and roles, its API keys and its push-provider credentials. Creating and suspending tenants is
 * for platform admins.
 */
export class TenantService {
  constructor(
    private readonly ctx: AppContext,
    private readonly deps: TenantDeps,
  ) {}

  private get directory() {
    return this.ctx.store.directory;
  }

  /**
   * A tenant with its first admin: invited by mail when no password is given (the usual way),
   * or created at once with a password (bootstrap, CLI).
   */
  async createTenant(
    principal: Principal | null,
    input: {
      name: string;
      slug?: string | undefined;
      adminEmail: string;
      adminPassword?: string | undefined;
      signupOpen?: boolean | undefined;
      branding?: Partial<Branding> | undefined;
    },
    origin: RequestOrigin,
  ): Promise<{ tenant: Tenant; admin: User | null; invitationId: string | null }> {
    if (principal) assertPlatformAdmin(principal);
    const name = input.name.trim();
    if (name.length === 0 || name.length > 100)
      throw new HestiaError('HESTIA_VALIDATION_FAILED', 'name: 1 to 100 characters');
    const slug = input.slug ?? slugify(name);
    if (!SLUG_PATTERN.test(slug))
      throw new HestiaError(
        'HESTIA_VALIDATION_FAILED',
        'slug: 1 to 40 lower-case letters, digits and hyphens',
      );
    if (input.branding) validateBranding(input.branding);
    // Check the admin's account first: a refused admin must not leave a tenant without one.
    const adminEmail = validateEmail(input.adminEmail);
    if (input.adminPassword !== undefined) validatePassword(input.adminPassword);
    if (await this.directory.tenants.findTenantBySlug(slug))
      throw new HestiaError('HESTIA_CONFLICT', `A tenant with slug ${slug} already exists`);
    const tenant = await this.directory.tenants.createTenant({
      id: randomUUID(),
      slug,
      name,
      createdAtMs: this.ctx.clock.now(),
      signupOpen: input.signupOpen ?? true,
      branding: input.branding ?? {},
    });
    await this.deps.audit.record({
      tenantId: tenant.id,
      action: 'tenant.created',
      actor: principal ?? { kind: 'system' },
      origin,
      target: { type: 'tenant', id: tenant.id },
      detail: { slug },
    });
    if (input.adminPassword !== undefined) {
      const admin = await this.deps.accounts.createUser({
        tenantId: tenant.id,
        email: adminEmail,
        password: input.adminPassword,
        name: null,
        role: 'tenant_admin',
      });
      this.ctx.logger.info({ tenantId: tenant.id, userId: admin.id }, 'tenant and admin created');
      return { tenant, admin, invitationId: null };
    }
    const invitation = await this.deps.invitations.inviteToTenant(
      principal ?? null,
      tenant.id,
      { email: adminEmail, role: 'tenant_admin' },
      origin,
    );
    return { tenant, admin: null, invitationId: invitation.id };
  }

  async listTenants(principal: Principal): Promise<Tenant[]> {
    assertPlatformAdmin(principal);
    return this.directory.tenants.listTenants();
  }

  async getTenant(principal: Principal, tenantId: string): Promise<Tenant> {
    this.deps.authorize.assertTenant(principal, tenantId, 'tenant');
    if (principal.kind === 'api_key' && !principal.scopes.includes('tenant:read'))
      throw new HestiaError('HESTIA_FORBIDDEN', 'This API key lacks the scope tenant:read');
    const tenant = await this.directory.tenants.findTenant(tenantId);
    if (!tenant) throw new HestiaError('HESTIA_NOT_FOUND', 'No such tenant');
    return tenant;
  }

  /** Name, branding and sign-up policy: the tenant's admins (or a platform admin). */
  async updateTenant(
    principal: Principal,
    tenantId: string,
    patch: {
      name?: string | undefined;
      branding?: Partial<Branding> | undefined;
      signupOpen?: boolean | undefined;
    },
    origin: RequestOrigin,
  ): Promise<Tenant> {
    this.assertTenantAdminUser(principal, tenantId);
    const current = await this.getTenant(principal, tenantId);
    if (patch.name !== undefined && (patch.name.trim().length === 0 || patch.name.length > 100))
      throw new HestiaError('HESTIA_VALIDATION_FAILED', 'name: 1 to 100 characters');
    if (patch.branding) validateBranding(patch.branding);
    const updated = await this.directory.tenants.updateTenant(tenantId, {
      name: patch.name?.trim(),
      branding: patch.branding ? { ...current.branding, ...patch.branding } : undefined,
      signupOpen: patch.signupOpen,
    });
    await this.deps.audit.record({
      tenantId,
      action: 'tenant.updated',
      actor: principal,
      origin,
      target: { type: 'tenant', id: tenantId },
      detail: { fields: Object.keys(patch) },
    });
    return updated!;
  }

  /**
   * Suspends or resumes a tenant. Suspension refuses its users' logins and tokens at once and
   * disconnects its gateways (the broker also refuses their reconnects).
   */
  async setSuspended(principal: Principal, tenantId: string, suspended: boolean, origin: RequestOrigin) {
    assertPlatformAdmin(principal);
    const tenant = await this.getTenant(principal, tenantId);
    await this.directory.tenants.setTenantStatus(
      tenant.id,
      suspended ? 'suspended' : 'active',
      this.ctx.clock.now(),
    );
    if (suspended) {
      const gatewayIds = await this.directory.gateways.listTenantGatewayIds(tenant.id);
      for (const gatewayId of gatewayIds) {
        this.ctx.bus.emit('gateway.credentials_changed', { gatewayId, reason: 'tenant_suspended' });
      }
    }
    await this.deps.audit.record({
      tenantId,
      action: suspended ? 'tenant.suspended' : 'tenant.resumed',
      actor: principal,
      origin,
      target: { type: 'tenant', id: tenantId },
    });
    return (await this.directory.tenants.findTenant(tenantId))!;
  }

  async setPushCredentials(
    principal: Principal,
    tenantId: string,
    input: PushCredentialsInput | null,
    origin: RequestOrigin,
  ): Promise<void> {
    this.assertTenantAdminUser(principal, tenantId);
    const storedJson = input ? await this.directory.tenants.findTenantPushCredentials(tenantId) : null;
    const credentials = input
      ? withStoredSecrets(input, storedJson ? (JSON.parse(storedJson) as PushCredentials) : {})
      : null;
    if (credentials?.webhook) validateWebhook(credentials.webhook, 'webhook');
    credentials?.webhooks?.forEach((endpoint, index) => validateWebhook(endpoint, `webhooks[${index}]`));
    if (credentials && webhookEndpoints(credentials).length > MAX_WEBHOOKS)
      throw new HestiaError('HESTIA_VALIDATION_FAILED', `webhooks: at most ${MAX_WEBHOOKS}`);
    if (credentials?.fcm) parseServiceAccount(credentials.fcm.serviceAccountJson);
    await this.directory.tenants.setTenantPushCredentials(
      tenantId,
      credentials ? JSON.stringify(credentials) : null,
    );
    await this.deps.audit.record({
      tenantId,
      action: 'tenant.push_credentials_changed',
      actor: principal,
      origin,
      target: { type: 'tenant', id: tenantId },
      detail: { providers: credentials ? Object.keys(credentials) : [] },
    });
  }

  /** Which providers are configured; the secrets themselves never leave the store. */
  async pushCredentialStatus(principal: Principal, tenantId: string) {
    this.assertTenantAdminUser(principal, tenantId);
    const json = await this.directory.tenants.findTenantPushCredentials(tenantId);
    const credentials = json ? (JSON.parse(json) as PushCredentials) : {};
    return {
      oneSignal: credentials.oneSignal
        ? { configured: true, appId: credentials.oneSignal.appId }
        : { configured: false },
      fcm: credentials.fcm
        ? { configured: true, projectId: credentials.fcm.projectId }
        : { configured: false },
      webhook: credentials.webhook
        ? {
            configured: true,
            url: credentials.webhook.url,
            minSeverity: credentials.webhook.minSeverity ?? 'info',
          }
        : { configured: false },
      webhooks: webhookEndpoints(credentials).map((endpoint) => ({
        url: endpoint.url,
        minSeverity: endpoint.minSeverity ?? 'info',
      })),
    };
  }

  // ---- people of a tenant ----

  async listUsers(
    principal: Principal,
    tenantId: string,
    page: { limit: number; after?: string | undefined },
  ) {
    this.deps.authorize.assertTenantAdmin(principal, tenantId, 'users:read', 'tenant');
    return this.directory.people.listUsers(tenantId, page);
  }

  /** Role changes and disabling are for the tenant's admins; an admin cannot demote or disable itself. */
  async updateUser(
    principal: Principal,
    tenantId: string,
    userId: string,
    patch: { role?: Role | undefined; disabled?: boolean | undefined },
    origin: RequestOrigin,
  ): Promise<User> {
    this.assertTenantAdminUser(principal, tenantId);
    const user = await this.directory.people.findUser(userId);
    if (!user || user.tenantId !== tenantId) throw new HestiaError('HESTIA_NOT_FOUND', 'No such user');
    if (principal.kind === 'user' && principal.userId === userId)
      throw new HestiaError(
        'HESTIA_FORBIDDEN',
        'Administrators cannot change their own role or disable themselves',
      );
    const now = this.ctx.clock.now();
    if (patch.role !== undefined && patch.role !== user.role) {
      if (patch.role === 'platform_admin')
        throw new HestiaError('HESTIA_FORBIDDEN', 'Platform administrators are not members of a tenant');
      await this.directory.people.setUserRole(userId, patch.role);
      await this.deps.audit.record({
        tenantId,
        action: 'user.role_changed',
        actor: principal,
        origin,
        target: { type: 'user', id: userId },
        detail: { from: user.role, to: patch.role },
      });
    }
    if (patch.disabled !== undefined && patch.disabled !== (user.disabledAtMs !== null)) {
      await this.directory.people.setUserDisabled(userId, patch.disabled ? now : null);
      if (patch.disabled) await this.directory.sessions.revokeUserSessions(userId, now);
      await this.deps.audit.record({
        tenantId,
        action: patch.disabled ? 'user.disabled' : 'user.enabled',
        actor: principal,
        origin,
        target: { type: 'user', id: userId },
      });
    }
    const { passwordHash: _secret, ...updated } = (await this.directory.people.findUser(userId))!;
    return updated;
  }

  // ---- API keys ----

  async createApiKey(
    principal: Principal,
    tenantId: string,
    input: { name: string; scopes: string[] },
    origin: RequestOrigin,
  ): Promise<{ apiKey: ApiKey; key: string }> {
    this.assertTenantAdminUser(principal, tenantId);
    const name = input.name.trim();
    if (name.length === 0 || name.length > 100)
      throw new HestiaError('HESTIA_VALIDATION_FAILED', 'name: 1 to 100 characters');
    const unknown = input.scopes.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0 || input.scopes.length === 0)
      throw new HestiaError(
        'HESTIA_VALIDATION_FAILED',
        `scopes: one or more of ${API_KEY_SCOPES.join(', ')}`,
      );
    const key = newToken('hak');
    const apiKey = await this.directory.apiKeys.createApiKey({
      id: randomUUID(),
      tenantId,
      name,
      scopes: [...new Set(input.scopes)] as ApiKeyScope[],
      createdBy: principal.kind === 'user' ? principal.userId : null,
      createdAtMs: this.ctx.clock.now(),
      keyHash: hashToken(key),
    });
    await this.deps.audit.record({
      tenantId,
      action: 'api_key.created',
      actor: principal,
      origin,
      target: { type: 'api_key', id: apiKey.id },
      detail: { scopes: apiKey.scopes },
    });
    return { apiKey, key };
  }

  async listApiKeys(principal: Principal, tenantId: string): Promise<ApiKey[]> {
    this.assertTenantAdminUser(principal, tenantId);
    return this.directory.apiKeys.listApiKeys(tenantId);
  }

  async revokeApiKey(
    principal: Principal,
    tenantId: string,
    id: string,
    origin: RequestOrigin,
  ): Promise<void> {
    this.assertTenantAdminUser(principal, tenantId);
    if (!(await this.directory.apiKeys.findApiKey(tenantId, id)))
      throw new HestiaError('HESTIA_NOT_FOUND', 'No such API key');
    await this.directory.apiKeys.revokeApiKey(tenantId, id, this.ctx.clock.now());
    await this.deps.audit.record({
      tenantId,
      action: 'api_key.revoked',
      actor: principal,
      origin,
      target: { type: 'api_key', id },
    });
  }

  async listAudit(
    principal: Principal,
    tenantId: string,
    query: { limit: number; beforeId?: number | undefined; action?: string | undefined },
  ) {
    this.deps.authorize.assertTenantAdmin(principal, tenantId, 'audit:read', 'tenant');
    return this.directory.audit.listAudit({ tenantId, ...query });
  }

  /**
   * Tenant-wide settings and keys are for people who administer the tenant, never for API
   * keys: a leaked key must not be able to mint more keys or change where pushes go.
   */
  private assertTenantAdminUser(principal: Principal, tenantId: string): void {
    this.deps.authorize.assertTenant(principal, tenantId, 'tenant');
    if (principal.kind === 'api_key' || principal.role === 'user') throw new HestiaError('HESTIA_FORBIDDEN');
  }
}

export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  return slug || 'tenant';
}
