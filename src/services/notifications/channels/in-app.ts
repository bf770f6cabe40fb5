import type { EventBus } from '../../../core/bus.ts';
import type { RecipientStore } from '../../../core/ports/control.ts';
import { deliveryTexts } from '../../../core/domain/notification.ts';
import type {
  NotificationProvider,
  SendContext,
  SendOutcome,
} from '../../../core/ports/notification-provider.ts';

/**
 * The in-app feed: a row per person and request (the unique key makes a repeated attempt add
 * nothing) and a bus event the live feed turns into a message to the person's open apps.
 */
export class InAppProvider implements NotificationProvider {
  readonly channel = 'in_app' as const;

  constructor(private readonly options: { store: RecipientStore; bus: EventBus }) {}

  async send({ delivery }: SendContext): Promise<SendOutcome> {
    if (!delivery.userId) return { status: 'failed', error: 'an in-app delivery without a person' };
    const { request } = delivery;
    // Stored rendered: the feed shows what the person was sent, in their language at the time.
    const { title, body } = deliveryTexts(delivery);
    const { notification, created } = await this.options.store.insertInApp({
      tenantId: request.tenantId,
      userId: delivery.userId,
      homeId: request.homeId,
      requestId: request.id,
      severity: request.severity,
      title,
      body,
      data: request.data,
      createdAtMs: request.createdAtMs,
    });
    if (created) {
      this.options.bus.emit('notification.in_app', {
        tenantId: request.tenantId,
        homeId: request.homeId,
        userId: delivery.userId,
        notificationId: notification.id,
        severity: request.severity,
        title,
        body,
        atMs: request.createdAtMs,
      });
    }
    return { status: 'sent', providerResponse: notification.id };
  }
}
