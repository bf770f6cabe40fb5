import type { AppContext } from '../core/context.ts';
import type { NotificationProvider } from '../core/ports/notification-provider.ts';
import { FcmProvider } from './fcm.ts';
import { OneSignalProvider } from './onesignal.ts';
import { WebhookProvider } from './webhook.ts';

/**
 * The push adapters of one process: OneSignal, Firebase Cloud Messaging HTTP v1 and signed
 * webhooks, at the endpoints the configuration names. The notification service gets them as
 * ports beside its own channels (mail, in-app).
 */
export function createPushProviders(
  ctx: Pick<AppContext, 'config' | 'clock' | 'store'>,
): NotificationProvider[] {
  const store = ctx.store.control.recipients;
  const now = (): number => ctx.clock.now();
  const settings = ctx.config.notifications;
  return [
    new OneSignalProvider({ baseUrl: settings.oneSignalUrl, store }),
    new FcmProvider({ baseUrl: settings.fcmUrl, tokenUrl: settings.fcmTokenUrl, store, now }),
    new WebhookProvider({ now }),
  ];
}
