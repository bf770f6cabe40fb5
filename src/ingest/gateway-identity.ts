/** The gateway an MQTT session authenticated as; every uplink is checked against it. */
export interface GatewayIdentity {
  id: string;
  tenantId: string;
  /**
   * The home it is registered to, or null while registration is pending (uplinks are counted,
   * not stored). Updated on the live session when the registration changes.
   */
  homeId: string | null;
}
