import type { Language } from '../core/messages.ts';
import type { RecipientStore } from '../core/ports/control.ts';
import { deliveryTexts } from '../core/domain/notification.ts';
import { clip, httpRequest, isAnswer, outcomeOfStatus } from './http.ts';
import type { NotificationProvider, SendContext, SendOutcome } from '../core/ports/notification-provider.ts';

/**
 * OneSignal's create-notification call (REST API v1, `POST /api/v1/notifications`), the provider
 * the seed's cloud used: one call per person, to every OneSignal device (player id) they
 * registered. Auth is the app's REST API key as `Authorization: Basic <key>`.
 */
export class OneSignalProvider implements NotificationProvider {
  readonly channel = 'onesignal' as const;

  constructor(private readonly options: { baseUrl: string; store: RecipientStore }) {}

  async send({ delivery, credentials, signal }: SendContext): Promise<SendOutcome> {
    const oneSignal = credentials.oneSignal;
    if (!oneSignal) return { status: 'skipped', reason: 'OneSignal is no longer configured for the tenant' };
    if (!delivery.userId) return { status: 'failed', error: 'a OneSignal delivery without a person' };
    const players = await this.options.store.listPushDevices(delivery.userId, 'onesignal');
    if (players.length === 0)
      return { status: 'skipped', reason: 'the person has no OneSignal device any more' };
    const { request } = delivery;
    const critical = request.severity === 'critical';
    const texts = deliveryTexts(delivery);
    const body = {
      app_id: oneSignal.appId,
      include_player_ids: players.map((player) => player.token),
      headings: inLanguage(texts.title, texts.language),
      contents: inLanguage(texts.body, texts.language),
      data: { ...request.data, notificationId: request.id, severity: request.severity, kind: request.kind },
      // 10 = high priority (wakes the device on Android); OneSignal's default is normal.
      ...(critical ? { priority: 10, ios_interruption_level: 'time_sensitive' } : {}),
      // A picture (a doorbell's preview): Android's big picture, the web push image, and an iOS
      // attachment (which needs mutable_content for the app's service extension to fetch it).
      ...(request.data.imageUrl
        ? {
            big_picture: request.data.imageUrl,
            chrome_web_image: request.data.imageUrl,
            ios_attachments: { preview: request.data.imageUrl },
            mutable_content: true,
          }
        : {}),
    };
    const answer = await httpRequest(
      `${this.options.baseUrl.replace(/\/+$/, '')}/api/v1/notifications`,
      {
        headers: {
          authorization: `Basic ${oneSignal.restApiKey}`,
          'content-type': 'application/json; charset=utf-8',
        },
        body: JSON.stringify(body),
      },
      signal,
    );
    if (!isAnswer(answer)) return answer;
    const outcome = outcomeOfStatus(answer, 'OneSignal');
    if (outcome.status === 'sent') await this.forgetInvalidPlayers(answer.text);
    return outcome.status === 'sent' ? { ...outcome, providerResponse: clip(answer.text) } : outcome;
  }

  /** OneSignal names player ids that are unsubscribed or unknown; they will never receive anything. */
  private async forgetInvalidPlayers(text: string): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return; // a 2xx without JSON: nothing to learn from it
    }
    const errors = (parsed as { errors?: unknown }).errors;
    const invalid = (errors as { invalid_player_ids?: unknown } | undefined)?.invalid_player_ids;
    if (Array.isArray(invalid)) {
      await this.options.store.deletePushTokens(
        'onesignal',
        invalid.filter((id): id is string => typeof id === 'string'),
      );
    }
  }
}

/** OneSignal's language code of each language Hestia writes in. */
const ONESIGNAL_LANGUAGE: Record<Language, string> = { en: 'en', zh: 'zh-Hans' };

/**
 * OneSignal picks the text by the device's language and requires `en`, its fallback. Hestia
 * renders in the language the person chose, whatever their phone is set to, so the same text
 * goes under `en` and under that language's code.
 */
function inLanguage(text: string, language: Language): Record<string, string> {
  return { en: text, [ONESIGNAL_LANGUAGE[language]]: text };
}
