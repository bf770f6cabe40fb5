/**
 * The versioned MQTT topic contract (DESIGN §3):
 *   hestia/v1/gw/<gatewayId>/up      uplink, gateway → Hestia
 *   hestia/v1/gw/<gatewayId>/down    commands and registration, Hestia → gateway
 *   hestia/v1/gw/<gatewayId>/status  retained online/offline, also the Last Will
 */
export const TOPIC_PREFIX = 'hestia/v1/gw/';

export type GatewayTopicKind = 'up' | 'down' | 'status';

export function gatewayTopic(gatewayId: string, kind: GatewayTopicKind): string {
  return `${TOPIC_PREFIX}${gatewayId}/${kind}`;
}

/** Splits a concrete topic into gateway id and kind; undefined when it is not a gateway topic. */
export function parseGatewayTopic(topic: string): { gatewayId: string; kind: GatewayTopicKind } | undefined {
  if (!topic.startsWith(TOPIC_PREFIX)) return undefined;
  const rest = topic.slice(TOPIC_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const gatewayId = rest.slice(0, slash);
  const kind = rest.slice(slash + 1);
  if (kind !== 'up' && kind !== 'down' && kind !== 'status') return undefined;
  return { gatewayId, kind };
}

/** Gateway ids: printable, no MQTT wildcard or level separator, bounded length. */
export const GATEWAY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
