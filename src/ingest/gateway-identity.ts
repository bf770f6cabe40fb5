/** The gateway an MQTT session authenticated as; every uplink is checked against it. */
export interface GatewayIdentity {
  id: string;
  tenantId: string;
}
