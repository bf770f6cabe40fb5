import type { GatewayIdentity } from './gateway-identity.ts';

/** The outcome of a CONNECT's credential check. */
export type CredentialCheck =
  | {
      ok: true;
      gateway: GatewayIdentity;
      /** The stored digest of the token it authenticated with: a later change means rotation. */
      tokenHash: string;
    }
  | { ok: false; reason: 'unknown_gateway' | 'bad_token' | 'revoked' | 'tenant_suspended' };

/** The message a gateway receives on its `down` topic about its registration (seed: CheckGatewayExistance). */
export type RegistrationMessage =
  | { messageType: 'registration'; gatewayId: string; status: 'pending' }
  | { messageType: 'registration'; gatewayId: string; status: 'accepted'; homeId: string; homeName: string };

/**
 * What the broker asks of whoever keeps the gateways, without importing the services: the
 * gateway service implements it and the process hands it to the broker (as it hands the
 * command service to ingest as its `CommandResultSink`).
 */
export interface GatewayAuthority {
  /** The check run at every CONNECT: username = gateway id, password = its token. */
  verifyCredentials(gatewayId: string, token: string): Promise<CredentialCheck>;
  /** What the gateway is told on `down` when it subscribes and whenever its registration changes. */
  registrationMessage(gatewayId: string): Promise<RegistrationMessage>;
}
