import type { AppContext } from '../../core/context.ts';
import type { Extension } from '../../core/extension.ts';
import type { MailPort } from '../../mail/mail-port.ts';
import type { AuditService } from '../audit.ts';
import type { Authorizer } from '../authorization.ts';

export interface NotificationDeps {
  authorize: Authorizer;
  audit: AuditService;
  mailer: MailPort;
}

/** Notifications through a durable outbox to push providers, webhooks, email and the in-app feed. */
export class NotificationService implements Extension {
  constructor(
    private readonly ctx: AppContext,
    private readonly deps: NotificationDeps,
  ) {}

  start(): void {}

  async stop(): Promise<void> {}
}
