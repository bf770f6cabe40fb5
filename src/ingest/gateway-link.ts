/**
 * How services reach a gateway: its down topic, and whether it is connected now. The embedded
 * broker implements it; an external broker adapter implements the same port.
 */
export interface GatewayLink {
  /** Publishes `payload` as JSON on the gateway's down topic (QoS 1); resolves once the broker took it. */
  publishToGateway(gatewayId: string, payload: unknown): Promise<void>;
  /**
   * Whether the gateway has a live session subscribed to its down topic now (a publish before
   * its SUBSCRIBE would be lost). When that becomes true the link emits 'gateway.down_subscribed'.
   */
  isConnected(gatewayId: string): boolean;
}
