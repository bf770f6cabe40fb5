import type { Directory } from '../../core/ports/directory.ts';
import type { SqlRunner } from '../../core/ports/sql.ts';
import type { Dialect } from '../dialect.ts';
import { SqlApiKeyStore } from './api-keys.ts';
import { SqlAuditStore } from './audit.ts';
import { SqlGatewayStore } from './gateways.ts';
import { SqlHomeStore } from './homes.ts';
import { SqlInvitationStore } from './invitations.ts';
import { SqlPersonStore } from './people.ts';
import { SqlSessionStore } from './sessions.ts';
import { SqlTariffStore } from './tariffs.ts';
import { SqlTenantStore } from './tenants.ts';

/**
 * The directory: who is who and who may touch what, one store per aggregate. Written once in
 * SQL both engines accept, against the `SqlRunner` port; the SQLite and PostgreSQL adapters each
 * hand it their runner, and it passes the same conformance suite on both.
 */
export class SqlDirectory implements Directory {
  readonly tenants: SqlTenantStore;
  readonly people: SqlPersonStore;
  readonly sessions: SqlSessionStore;
  readonly apiKeys: SqlApiKeyStore;
  readonly homes: SqlHomeStore;
  readonly invitations: SqlInvitationStore;
  readonly gateways: SqlGatewayStore;
  readonly tariffs: SqlTariffStore;
  readonly audit: SqlAuditStore;

  constructor(sql: SqlRunner, dialect: Dialect) {
    this.tenants = new SqlTenantStore(sql);
    this.people = new SqlPersonStore(sql);
    this.sessions = new SqlSessionStore(sql);
    this.apiKeys = new SqlApiKeyStore(sql);
    this.homes = new SqlHomeStore(sql);
    this.invitations = new SqlInvitationStore(sql);
    this.gateways = new SqlGatewayStore(sql, dialect);
    this.tariffs = new SqlTariffStore(sql);
    this.audit = new SqlAuditStore(sql);
  }
}
