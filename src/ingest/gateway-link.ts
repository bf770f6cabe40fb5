/**
 * How services reach a gateway: its down topic, and whether it is connected now. The embedded
 * broker implements it; an external broker adapter implements the same port.
 */
export interface GatewayLink {
  /** Publishes `payload` as JSON on the gateway's down topic (QoS 1); resolves once the broker took it. */
  publishToGateway(gatewayId: string, payload: unknown): Promise<void>;
  /** Whether the gateway has a live session now. */
  isConnected(gatewayId: string): boolean;
}
