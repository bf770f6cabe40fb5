import { randomUUID } from 'node:crypto';
import { IANAZone } from 'luxon';
import type { AppContext } from '../../core/context.ts';
import { HestiaError } from '../../core/errors.ts';
import type { Extension } from '../../core/extension.ts';
import { DEFAULT_LANGUAGE, renderNotification, type NotificationMessage } from '../../core/messages.ts';
import type { MailPort } from '../../core/ports/mail.ts';
import type { SqlRunner } from '../../core/ports/sql.ts';
import {
  DEFAULT_CHANNELS,
  NOTIFICATION_SEVERITIES,
  PERSONAL_CHANNELS,
  type ChannelsBySeverity,
  type DeliveryStatus,
  type DeliveryWithRequest,
  type InAppNotification,
  type NotificationChannel,
  type NotificationInput,
  type NotificationPreferences,
  type PersonalChannel,
  type PushDevice,
  type PushProvider,
} from '../../core/domain/notification.ts';
import type { AuditService } from '../audit.ts';
import type { Authorizer } from '../authorization.ts';
import type { Principal, RequestOrigin, UserPrincipal } from '../principal.ts';
import { webhookEndpoints } from '../../core/domain/push-credentials.ts';
import { CLOCK_TIME } from './decide.ts';
import { OutboxDispatcher } from './dispatcher.ts';
import { parsePushCredentials } from '../../core/domain/push-credentials.ts';
import { EmailProvider } from './channels/email.ts';
import { InAppProvider } from './channels/in-app.ts';
import type { NotificationProvider } from '../../core/ports/notification-provider.ts';

export interface NotificationDeps {
  authorize: Authorizer;
  audit: AuditService;
  mailer: MailPort;
  /** The push providers and webhooks (src/push/), beside the service's own mail and in-app channels. */
  pushProviders: readonly NotificationProvider[];
}

/** Push devices one person may have; registering more forgets the one seen least recently. */
export const MAX_PUSH_DEVICES_PER_USER = 20;
const MAX_TITLE_CHARS = 200;
const MAX_BODY_CHARS = 2000;
const MAX_DATA_ENTRIES = 50;

/** A person's preferences as the API shows them: their own, or the defaults. */
export interface EffectivePreferences extends NotificationPreferences {
  isDefault: boolean;
}

/** Notifications through a durable outbox to push providers, webhooks, email and the in-app feed. */
export class NotificationService implements Extension {
  private readonly dispatcher: OutboxDispatcher;

  constructor(
    private readonly ctx: AppContext,
    private readonly deps: NotificationDeps,
  ) {
    const providers: NotificationProvider[] = [
      ...deps.pushProviders,
      new EmailProvider({
        mailer: deps.mailer,
        tenants: ctx.store.directory.tenants,
      }),
      new InAppProvider({ store: ctx.store.control.recipients, bus: ctx.bus }),
    ];
    this.dispatcher = new OutboxDispatcher(ctx, {
      providers: new Map(providers.map((provider) => [provider.channel, provider])),
    });
  }

  private get store() {
    return this.ctx.store.control.notifications;
  }

  private get recipients() {
    return this.ctx.store.control.recipients;
  }

  start(): void {
    this.dispatcher.start();
  }

  /** Waits for sends in flight (a short grace), gives back what is still waiting on a provider. */
  async stop(): Promise<void> {
    await this.dispatcher.stop();
  }

  // ---- the outbox (alarms, automations, tests) ----

  /**
   * Adds a request to the outbox, in the caller's transaction when `tx` is given; the same
   * `sourceKey` twice creates nothing. Call `kick()` once that transaction has committed.
   */
  async enqueue(input: NotificationInput, tx?: SqlRunner): Promise<{ id: string; created: boolean }> {
    validateInput(input);
    return this.store.enqueue(input, tx);
  }

  /** Wakes the dispatcher now, so a new request does not wait for the sweep. */
  kick(): void {
    this.dispatcher.kick();
  }

  /** `enqueue` and `kick`, for callers without a transaction of their own. */
  async notify(input: NotificationInput): Promise<{ id: string; created: boolean }> {
    const result = await this.enqueue(input);
    if (result.created) this.kick();
    return result;
  }

  // ---- a person's own settings ----

  async getPreferences(principal: UserPrincipal): Promise<EffectivePreferences> {
    const stored = await this.recipients.findPreferences(principal.userId);
    return stored
      ? { ...stored, isDefault: false }
      : {
          userId: principal.userId,
          channels: DEFAULT_CHANNELS,
          quietStart: null,
          quietEnd: null,
          quietTimezone: null,
          updatedAtMs: null,
          isDefault: true,
        };
  }

  /** Replaces the person's preferences; severities left out keep the defaults. */
  async setPreferences(
    principal: UserPrincipal,
    input: {
      channels?: Partial<Record<string, string[]>> | undefined;
      quietHours?: { start: string; end: string; timezone?: string | null | undefined } | null | undefined;
    },
  ): Promise<EffectivePreferences> {
    const channels: ChannelsBySeverity = { ...DEFAULT_CHANNELS };
    for (const [severity, list] of Object.entries(input.channels ?? {})) {
      if (!(NOTIFICATION_SEVERITIES as readonly string[]).includes(severity))
        throw new HestiaError(
          'HESTIA_VALIDATION_FAILED',
          `channels.${severity}: not a severity (critical, warning, info)`,
        );
      const unknown = (list ?? []).filter(
        (channel) => !(PERSONAL_CHANNELS as readonly string[]).includes(channel),
      );
      if (unknown.length > 0)
        throw new HestiaError(
          'HESTIA_VALIDATION_FAILED',
          `channels.${severity}: ${unknown.join(', ')} is not one of ${PERSONAL_CHANNELS.join(', ')}`,
        );
      channels[severity as keyof ChannelsBySeverity] = [...new Set(list as PersonalChannel[])];
    }
    const quiet = input.quietHours ?? null;
    if (quiet) {
      for (const key of ['start', 'end'] as const) {
        if (!CLOCK_TIME.test(quiet[key]))
          throw new HestiaError('HESTIA_VALIDATION_FAILED', `quietHours.${key}: a time of day like 22:00`);
      }
      if (quiet.timezone != null && !IANAZone.isValidZone(quiet.timezone))
        throw new HestiaError(
          'HESTIA_VALIDATION_FAILED',
          'quietHours.timezone: an IANA zone like Europe/Berlin',
        );
    }
    const preferences = {
      userId: principal.userId,
      channels,
      quietStart: quiet?.start ?? null,
      quietEnd: quiet?.end ?? null,
      quietTimezone: quiet?.timezone ?? null,
      updatedAtMs: this.ctx.clock.now(),
    };
    await this.recipients.savePreferences(principal.tenantId, preferences);
    return { ...preferences, isDefault: false };
  }

  async registerPushDevice(
    principal: UserPrincipal,
    input: { provider: PushProvider; token: string; platform?: string | undefined },
  ): Promise<PushDevice> {
    const token = input.token.trim();
    if (token.length === 0) throw new HestiaError('HESTIA_VALIDATION_FAILED', 'token: must not be blank');
    const device = await this.recipients.registerPushDevice({
      userId: principal.userId,
      tenantId: principal.tenantId,
      provider: input.provider,
      token,
      platform: input.platform ?? null,
      createdAtMs: this.ctx.clock.now(),
    });
    const devices = await this.recipients.listPushDevices(principal.userId);
    if (devices.length > MAX_PUSH_DEVICES_PER_USER) {
      const stale = [...devices]
        .sort((a, b) => a.lastSeenAtMs - b.lastSeenAtMs)
        .slice(0, devices.length - MAX_PUSH_DEVICES_PER_USER);
      for (const old of stale) await this.recipients.deletePushDevice(principal.userId, old.id);
    }
    return device;
  }

  async listPushDevices(principal: UserPrincipal): Promise<PushDevice[]> {
    return this.recipients.listPushDevices(principal.userId);
  }

  async deletePushDevice(principal: UserPrincipal, id: string): Promise<void> {
    if (!(await this.recipients.deletePushDevice(principal.userId, id)))
      throw new HestiaError('HESTIA_NOT_FOUND', 'No such push device');
  }

  async listInApp(
    principal: UserPrincipal,
    query: { unreadOnly: boolean; limit: number; before?: string | undefined },
  ): Promise<{ items: InAppNotification[]; unreadCount: number }> {
    const items = await this.recipients.listInApp({ userId: principal.userId, ...query });
    return { items, unreadCount: await this.recipients.countUnreadInApp(principal.userId) };
  }

  async markRead(principal: UserPrincipal, id: string): Promise<InAppNotification> {
    const notification = await this.recipients.markInAppRead(principal.userId, id, this.ctx.clock.now());
    if (!notification) throw new HestiaError('HESTIA_NOT_FOUND', 'No such notification');
    return notification;
  }

  // ---- the delivery log ----

  /** Every delivery of the tenant, newest first: tenant admins, or an API key with audit:read. */
  async listDeliveries(
    principal: Principal,
    tenantId: string,
    query: { status?: DeliveryStatus | undefined; limit: number; before?: string | undefined },
  ): Promise<DeliveryWithRequest[]> {
    this.deps.authorize.assertTenantAdmin(principal, tenantId, 'audit:read', 'tenant');
    return this.store.listDeliveries({ tenantId, ...query });
  }

  /** The deliveries of one home's notifications: its owner, or the provider's staff. */
  async listHomeDeliveries(
    principal: Principal,
    homeId: string,
    query: { status?: DeliveryStatus | undefined; limit: number; before?: string | undefined },
  ): Promise<DeliveryWithRequest[]> {
    const { home } = await this.deps.authorize.home(principal, homeId, 'manage');
    return this.store.listDeliveries({ tenantId: home.tenantId, homeId, ...query });
  }

  /**
   * A test notification through one channel, to a person of the tenant (the caller by default)
   * or, for `webhook`, to the tenant's webhooks. For tenant admins (people, not API keys): it
   * reaches people's phones. Its deliveries show in the delivery log under the returned id.
   */
  async sendTest(
    principal: Principal,
    tenantId: string,
    input: { channel: NotificationChannel; userId?: string | undefined },
    origin: RequestOrigin,
  ): Promise<{ requestId: string }> {
    this.deps.authorize.assertTenantAdmin(principal, tenantId, 'users:write', 'tenant');
    if (principal.kind !== 'user')
      throw new HestiaError(
        'HESTIA_FORBIDDEN',
        'Test notifications are sent by an administrator, not an API key',
      );
    const credentials = parsePushCredentials(
      await this.ctx.store.directory.tenants.findTenantPushCredentials(tenantId),
    );
    const configured =
      input.channel === 'onesignal'
        ? credentials.oneSignal !== undefined
        : input.channel === 'fcm'
          ? credentials.fcm !== undefined
          : input.channel === 'webhook'
            ? webhookEndpoints(credentials).length > 0
            : true;
    if (!configured)
      throw new HestiaError(
        'HESTIA_PROVIDER_NOT_CONFIGURED',
        `The tenant has not configured ${input.channel}`,
      );
    let userIds: string[] = [];
    if (input.channel !== 'webhook') {
      if (input.userId === undefined && principal.tenantId !== tenantId)
        throw new HestiaError('HESTIA_VALIDATION_FAILED', "userId: required outside one's own tenant");
      const userId = input.userId ?? principal.userId;
      const user = await this.ctx.store.directory.people.findUser(userId);
      if (!user || user.tenantId !== tenantId) throw new HestiaError('HESTIA_NOT_FOUND', 'No such user');
      userIds = [userId];
    }
    const tenant = await this.ctx.store.directory.tenants.findTenant(tenantId);
    const brand = tenant?.branding.displayName ?? tenant?.name ?? 'Hestia';
    const message: NotificationMessage = {
      key: 'notification.test',
      params: { brand, channel: input.channel },
    };
    const { id } = await this.notify({
      tenantId,
      homeId: null,
      sourceKey: `test:${randomUUID()}`,
      kind: 'system',
      severity: 'info',
      ...renderNotification(message, DEFAULT_LANGUAGE)!,
      message,
      data: { type: 'test', channel: input.channel },
      userIds,
      channels: [input.channel],
      createdAtMs: this.ctx.clock.now(),
    });
    await this.deps.audit.record({
      tenantId,
      action: 'notification.test_sent',
      actor: principal,
      origin,
      target: { type: 'notification_request', id },
      detail: { channel: input.channel, userIds },
    });
    return { requestId: id };
  }
}

function validateInput(input: NotificationInput): void {
  const fail = (message: string) => new HestiaError('HESTIA_VALIDATION_FAILED', `notification ${message}`);
  if (input.sourceKey.length === 0 || input.sourceKey.length > 300)
    throw fail('sourceKey: 1 to 300 characters');
  if (!(NOTIFICATION_SEVERITIES as readonly string[]).includes(input.severity))
    throw fail(`severity: one of ${NOTIFICATION_SEVERITIES.join(', ')}`);
  if (input.title.length === 0 || input.title.length > MAX_TITLE_CHARS)
    throw fail(`title: 1 to ${MAX_TITLE_CHARS} characters`);
  if (input.body.length > MAX_BODY_CHARS) throw fail(`body: at most ${MAX_BODY_CHARS} characters`);
  if (input.message && !renderNotification(input.message, DEFAULT_LANGUAGE))
    throw fail(`message: ${input.message.key} is not a notification of the catalogue`);
  const entries = Object.entries(input.data);
  if (entries.length > MAX_DATA_ENTRIES || entries.some(([, value]) => typeof value !== 'string'))
    throw fail(`data: at most ${MAX_DATA_ENTRIES} entries, each a string (FCM and OneSignal carry strings)`);
}
