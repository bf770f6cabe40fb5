import { randomUUID } from 'node:crypto';
import type { AppContext } from '../core/context.ts';
import type { Gateway } from '../core/domain.ts';
import { HestiaError } from '../core/errors.ts';
import type { GatewayIdentity } from '../ingest/gateway-identity.ts';
import { GATEWAY_ID_PATTERN } from '../ingest/topics.ts';
import { ABSENT_TOKEN_HASH, hashToken, newToken, tokenMatches } from './secrets.ts';

export type CredentialCheck =
  { ok: true; gateway: GatewayIdentity } | { ok: false; reason: 'unknown_gateway' | 'bad_token' };

/** Gateway provisioning and the credential check the broker runs at every CONNECT. */
export class GatewayService {
  constructor(private readonly ctx: AppContext) {}

  /**
   * Creates a gateway of a tenant. The id is the one printed on the device if given, else a new
   * UUID. The token is returned once, here, and only its digest is stored.
   */
  async createGateway(
    tenantId: string,
    input: { id?: string | undefined; name: string },
  ): Promise<{ gateway: Gateway; token: string }> {
    const id = input.id ?? randomUUID();
    if (!GATEWAY_ID_PATTERN.test(id)) {
      throw new HestiaError(
        'HESTIA_VALIDATION_FAILED',
        'id: 1 to 64 letters, digits and . _ : - (no MQTT wildcards or slashes)',
      );
    }
    const name = input.name.trim();
    if (name.length === 0 || name.length > 100)
      throw new HestiaError('HESTIA_VALIDATION_FAILED', 'name: 1 to 100 characters');
    if (!(await this.ctx.store.findTenant(tenantId)))
      throw new HestiaError('HESTIA_NOT_FOUND', `no tenant ${tenantId}`);
    if (await this.ctx.store.findGateway(id))
      throw new HestiaError('HESTIA_CONFLICT', `gateway ${id} already exists`);
    const token = newToken('hgw');
    const gateway = await this.ctx.store.createGateway({
      id,
      tenantId,
      name,
      tokenHash: hashToken(token),
      createdAtMs: this.ctx.clock.now(),
    });
    this.ctx.logger.info({ tenantId, gatewayId: id }, 'gateway created');
    return { gateway, token };
  }

  async verifyCredentials(gatewayId: string, token: string): Promise<CredentialCheck> {
    const gateway = await this.ctx.store.findGateway(gatewayId);
    const matches = tokenMatches(token, gateway?.tokenHash ?? ABSENT_TOKEN_HASH);
    if (!gateway) return { ok: false, reason: 'unknown_gateway' };
    if (!matches) return { ok: false, reason: 'bad_token' };
    return { ok: true, gateway: { id: gateway.id, tenantId: gateway.tenantId } };
  }
}
