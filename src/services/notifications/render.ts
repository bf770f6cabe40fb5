import { DEFAULT_LANGUAGE, renderNotification, type Language } from '../../core/messages.ts';
import type { DeliveryWithRequest } from '../../core/domain/notification.ts';

/**
 * What the person of a delivery reads: the request's catalogue message in the language decided
 * for them, or the request's own title and body when it has no message (a text a person wrote,
 * a request stored before languages existed) or one this version does not know.
 */
export function deliveryTexts(delivery: Pick<DeliveryWithRequest, 'language' | 'request'>): {
  title: string;
  body: string;
  language: Language;
} {
  const language = delivery.language ?? DEFAULT_LANGUAGE;
  const { request } = delivery;
  const rendered = request.message ? renderNotification(request.message, language) : undefined;
  return { ...(rendered ?? { title: request.title, body: request.body }), language };
}
