import type { AppContext } from '../../core/context.ts';
import type { Extension } from '../../core/extension.ts';
import type {
  DeliveryWithRequest,
  NotificationChannel,
  NotificationRequest,
  Recipient,
} from '../../core/domain/notification.ts';
import { parsePushCredentials } from '../../core/domain/push-credentials.ts';
import { decideDeliveries, type RecipientFacts } from './decide.ts';
import type { NotificationProvider, SendOutcome } from '../../core/ports/notification-provider.ts';

/** Requests decided per turn before the sender gets its turn (new work keeps the loop going). */
const DECIDE_BATCH = 100;
/**
 * A claimed delivery stays leased this long past its attempt's timeout: a process that died
 * mid-attempt leaves it to others once the lease runs out, while a slow live attempt keeps it.
 */
const LEASE_MARGIN_MS = 30_000; // 30 seconds
/** Longest wait between two attempts, however many there were. */
const MAX_RETRY_DELAY_MS = 60 * 60_000; // 1 hour
/** At shutdown, attempts in flight get this long (at most their own timeout) before they are abandoned. */
const STOP_GRACE_MS = 2_000;

/** The delay before attempt `attempts + 1`: base · 2^(attempts − 1), capped; a provider's Retry-After wins if longer. */
export function retryDelayMs(attempts: number, baseMs: number, retryAfterMs?: number): number {
  const backoff = Math.min(baseMs * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_MS);
  return Math.min(Math.max(backoff, retryAfterMs ?? 0), MAX_RETRY_DELAY_MS);
}

/**
 * The outbox worker. Two steps, both safe to run in several processes at once and to repeat
 * after a crash: (1) decide each undecided request in one transaction (recipients,
 * preferences, quiet hours → delivery rows, unique per request, channel and target); (2) claim
 * due deliveries with a lease (conditional update) and send them, at most `concurrency` at a
 * time, each attempt bounded by `httpTimeoutMs`. `kick()` runs both at once (new work does not
 * wait for the sweep); the sweep timer catches whatever a kick missed, and a timer wakes the
 * worker when the next retry is due.
 */
export class OutboxDispatcher implements Extension {
  private running = false;
  private stopping = false;
  private pumping: Promise<void> | null = null;
  private again = false;
  private readonly inFlight = new Map<string, { done: Promise<void>; controller: AbortController }>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAtMs = Number.POSITIVE_INFINITY;

  constructor(
    private readonly ctx: AppContext,
    private readonly deps: { providers: ReadonlyMap<NotificationChannel, NotificationProvider> },
  ) {}

  private get store() {
    return this.ctx.store.control.notifications;
  }

  private get recipients() {
    return this.ctx.store.control.recipients;
  }

  private get settings() {
    return this.ctx.config.notifications;
  }

  start(): void {
    this.running = true;
    this.stopping = false;
    this.sweepTimer = setInterval(() => {
      this.kick();
      void this.updateOutstandingGauge();
    }, this.settings.sweepIntervalSeconds * 1000);
    this.sweepTimer.unref();
    // what a previous run left (undecided requests, deliveries due, expired leases) goes first
    this.kick();
  }

  /** Wakes the worker now; call after the transaction that enqueued a request has committed. */
  kick(): void {
    if (!this.running) return;
    this.again = true;
    if (this.pumping) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      // a kick that came while the loop was finishing must not be lost
      if (this.again) this.kick();
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.sweepTimer);
    clearTimeout(this.wakeTimer);
    this.wakeAtMs = Number.POSITIVE_INFINITY;
    await this.pumping;
    if (this.inFlight.size > 0) {
      const grace = Math.min(this.settings.httpTimeoutMs, STOP_GRACE_MS);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.settled(),
        new Promise((resolve) => (timer = setTimeout(resolve, grace))),
      ]).finally(() => clearTimeout(timer));
    }
    if (this.inFlight.size > 0) {
      // What is still waiting for a provider is given back: the next start sends it again.
      this.stopping = true;
      for (const { controller } of this.inFlight.values()) controller.abort();
      await this.settled();
    }
    // awaited: the store closes right after the extensions have stopped
    await this.updateOutstandingGauge();
  }

  private settled(): Promise<unknown> {
    return Promise.allSettled([...this.inFlight.values()].map((attempt) => attempt.done));
  }

  private async pump(): Promise<void> {
    while (this.again && this.running) {
      this.again = false;
      try {
        await this.decideUndecided();
        await this.sendDue();
      } catch (error) {
        // the sweep tries again; the outbox keeps the work meanwhile
        this.ctx.logger.error({ err: error }, 'notification outbox turn failed');
      }
    }
  }

  // ---- step 1: decisions ----

  private async decideUndecided(): Promise<void> {
    for (;;) {
      const requests = await this.store.listUndecided(DECIDE_BATCH);
      for (const request of requests) {
        if (!this.running) return;
        try {
          await this.decide(request);
        } catch (error) {
          this.ctx.logger.error({ err: error, requestId: request.id }, 'deciding a notification failed');
        }
      }
      if (requests.length < DECIDE_BATCH) return;
    }
  }

  /** One request's deliveries, written in the transaction that marks it decided. */
  async decide(request: NotificationRequest): Promise<number> {
    const now = this.ctx.clock.now();
    return this.ctx.store.control.transaction(async (tx) => {
      if (!(await this.store.markDecided(request.id, now, tx))) return 0;
      const credentials = parsePushCredentials(
        await this.recipients.tenantPushCredentialsJson(request.tenantId, tx),
      );
      let people: Recipient[];
      if (request.userIds)
        people = await this.recipients.namedRecipients(request.tenantId, request.userIds, tx);
      else if (request.homeId) people = await this.recipients.homeRecipients(request.homeId, tx);
      else people = await this.recipients.tenantAdminRecipients(request.tenantId, tx);
      const recipients: RecipientFacts[] = [];
      for (const person of people) {
        const devices = await this.recipients.listPushDevices(person.userId, undefined, tx);
        recipients.push({
          ...person,
          preferences: await this.recipients.findPreferences(person.userId, tx),
          oneSignalDevices: devices.filter((device) => device.provider === 'onesignal').length,
          fcmTokens: devices.filter((device) => device.provider === 'fcm').map((device) => device.token),
        });
      }
      const homeTimezone = request.homeId
        ? ((await this.recipients.homeTimezone(request.homeId, tx)) ?? null)
        : null;
      const decisions = decideDeliveries({ request, recipients, credentials, homeTimezone });
      const created = await this.store.insertDeliveries(request, decisions, now, tx);
      for (const decision of decisions) {
        if (decision.skippedBecause !== undefined)
          this.ctx.metrics.notificationDeliveries.inc({ channel: decision.channel, outcome: 'skipped' });
      }
      return created;
    });
  }

  // ---- step 2: sending ----

  private async sendDue(): Promise<void> {
    const free = this.settings.concurrency - this.inFlight.size;
    if (free > 0) {
      const now = this.ctx.clock.now();
      const leaseUntil = now + this.settings.httpTimeoutMs + LEASE_MARGIN_MS;
      const due = await this.store.listDue(now, free);
      for (const id of due) {
        if (!this.running) return;
        if (this.inFlight.has(id)) continue;
        const delivery = await this.store.claim(id, now, leaseUntil);
        if (delivery) this.launch(delivery);
      }
      // a full page may mean more is due: finishing attempts kick again
      if (due.length === free) return;
    }
    if (this.inFlight.size === 0 || free > 0) await this.scheduleWake();
  }

  /** Times a wake-up for the next delivery that comes due (a retry, an expired lease). */
  private async scheduleWake(): Promise<void> {
    const due = await this.store.nextDueAtMs();
    if (due === null || !this.running) return;
    const now = this.ctx.clock.now();
    // further than the sweep: the sweep gets it (and setTimeout fires at once past 2^31 ms)
    if (due <= now || due >= this.wakeAtMs || due - now > this.settings.sweepIntervalSeconds * 1000) return;
    clearTimeout(this.wakeTimer);
    this.wakeAtMs = due;
    this.wakeTimer = setTimeout(() => {
      this.wakeAtMs = Number.POSITIVE_INFINITY;
      this.kick();
    }, due - now);
    this.wakeTimer.unref();
  }

  private launch(delivery: DeliveryWithRequest): void {
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(), this.settings.httpTimeoutMs);
    const done = this.attempt(delivery, controller.signal)
      .catch((error: unknown) =>
        this.ctx.logger.error({ err: error, deliveryId: delivery.id }, 'recording a delivery attempt failed'),
      )
      .finally(() => {
        clearTimeout(timeout);
        this.inFlight.delete(delivery.id);
        this.kick();
      });
    this.inFlight.set(delivery.id, { done, controller });
  }

  private async attempt(delivery: DeliveryWithRequest, signal: AbortSignal): Promise<void> {
    const { channel } = delivery;
    const lease = { leaseUntilMs: delivery.leaseUntilMs!, attempts: delivery.attempts };
    const provider = this.deps.providers.get(channel);
    let outcome: SendOutcome;
    if (!provider) {
      outcome = { status: 'failed', error: `no provider for the channel ${channel}` };
    } else {
      const credentials = parsePushCredentials(
        await this.ctx.store.directory.tenants.findTenantPushCredentials(delivery.tenantId),
      );
      if (delivery.attempts === 1) {
        this.ctx.metrics.notificationDispatchSeconds.observe(
          { channel },
          Math.max(0, this.ctx.clock.now() - delivery.request.createdAtMs) / 1000,
        );
      }
      // The decision and the claim must outlive a power cut before anything is sent on their account.
      await this.ctx.store.durable();
      const endTimer = this.ctx.metrics.notificationProviderSeconds.startTimer({ channel });
      try {
        outcome = await provider.send({ delivery, credentials, signal });
      } catch (error) {
        // a provider bug or a store error: worth another attempt, and recorded on the delivery
        outcome = { status: 'retry', error: error instanceof Error ? error.message : String(error) };
      } finally {
        endTimer();
      }
    }
    await this.record(delivery, lease, outcome, signal);
  }

  private async record(
    delivery: DeliveryWithRequest,
    lease: { leaseUntilMs: number; attempts: number },
    outcome: SendOutcome,
    signal: AbortSignal,
  ): Promise<void> {
    const now = this.ctx.clock.now();
    const { channel } = delivery;
    const count = (result: string) =>
      this.ctx.metrics.notificationDeliveries.inc({ channel, outcome: result });
    if (this.stopping && signal.aborted && outcome.status !== 'sent') {
      await this.store.finishAttempt(delivery.id, lease, { status: 'released', atMs: now });
      count('released');
      return;
    }
    const providerResponse = 'providerResponse' in outcome ? (outcome.providerResponse ?? null) : null;
    switch (outcome.status) {
      case 'sent':
        await this.store.finishAttempt(delivery.id, lease, { status: 'sent', atMs: now, providerResponse });
        count('sent');
        return;
      case 'skipped':
        await this.store.finishAttempt(delivery.id, lease, {
          status: 'skipped',
          atMs: now,
          error: outcome.reason,
          providerResponse: null,
        });
        count('skipped');
        return;
      case 'failed':
        await this.store.finishAttempt(delivery.id, lease, {
          status: 'failed',
          atMs: now,
          error: outcome.error,
          providerResponse,
        });
        count('failed');
        this.ctx.logger.warn(
          { deliveryId: delivery.id, channel, error: outcome.error },
          'notification delivery failed for good',
        );
        return;
      case 'retry': {
        if (delivery.attempts >= this.settings.maxAttempts) {
          await this.store.finishAttempt(delivery.id, lease, {
            status: 'failed',
            atMs: now,
            error: `${outcome.error} (gave up after ${delivery.attempts} attempts)`,
            providerResponse,
          });
          count('failed');
          this.ctx.logger.warn(
            { deliveryId: delivery.id, channel, error: outcome.error, attempts: delivery.attempts },
            'notification delivery failed after its last attempt',
          );
          return;
        }
        const nextAttemptAtMs =
          now + retryDelayMs(delivery.attempts, this.settings.retryBaseMs, outcome.retryAfterMs);
        await this.store.finishAttempt(delivery.id, lease, {
          status: 'pending',
          atMs: now,
          nextAttemptAtMs,
          error: outcome.error,
          providerResponse,
        });
        count('retry');
        return;
      }
    }
  }

  private updateOutstandingGauge(): Promise<void> {
    return this.store
      .countOutstanding()
      .then((count) => this.ctx.metrics.notificationOutstanding.set(count))
      .catch((error: unknown) =>
        this.ctx.logger.warn({ err: error }, 'counting the notification outbox failed'),
      );
  }
}
