/** Gateways (home controllers): provisioning, registration to a home, connection state. */

export type GatewayStatus = 'never_connected' | 'online' | 'offline';

export interface Gateway {
  id: string;
  tenantId: string;
  name: string;
  /** The home it is registered to; null while it waits for its owner (registration pending). */
  homeId: string | null;
  registeredAtMs: number | null;
  /** Uplink messages dropped while the gateway was not registered. */
  unregisteredMessages: number;
  credentialsRotatedAtMs: number | null;
  credentialsRevokedAtMs: number | null;
  status: GatewayStatus;
  lastSeenAtMs: number | null;
  statusChangedAtMs: number | null;
  firmware: string | null;
  vendor: string | null;
  createdAtMs: number;
}

export interface GatewayWithSecret extends Gateway {
  tokenHash: string;
  claimCodeHash: string | null;
}
