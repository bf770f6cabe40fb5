import type { AppContext } from '../core/context.ts';
import type { Extension } from '../core/extension.ts';
import type { AlarmService } from './alarms.ts';
import type { AuditService } from './audit.ts';
import type { Authorizer } from './authorization.ts';
import type { CommandService } from './commands.ts';
import type { NotificationService } from './notifications/notifications.ts';

export interface AutomationDeps {
  authorize: Authorizer;
  audit: AuditService;
  commands: CommandService;
  notifications: NotificationService;
  alarms: AlarmService;
}

/** Rules (triggers, conditions, actions), scenes and schedules of a home. */
export class AutomationService implements Extension {
  constructor(
    private readonly ctx: AppContext,
    private readonly deps: AutomationDeps,
  ) {}

  start(): void {}

  async stop(): Promise<void> {}
}
