import type { AppContext } from '../core/context.ts';
import type { Extension } from '../core/extension.ts';
import type { GatewayLink } from '../ingest/gateway-link.ts';
import type { AuditService } from './audit.ts';
import type { Authorizer } from './authorization.ts';

export interface CommandDeps {
  authorize: Authorizer;
  audit: AuditService;
}

/** Commands to devices: checked against capabilities, sent on the down topic, answered by commandResult. */
export class CommandService implements Extension {
  private link: GatewayLink | null = null;

  constructor(
    private readonly ctx: AppContext,
    private readonly deps: CommandDeps,
  ) {}

  /** The broker is built after the services; it is attached before the process starts. */
  attachLink(link: GatewayLink): void {
    this.link = link;
  }

  start(): void {}

  async stop(): Promise<void> {}
}
