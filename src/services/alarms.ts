import type { AppContext } from '../core/context.ts';
import type { Extension } from '../core/extension.ts';
import type { AuditService } from './audit.ts';
import type { Authorizer } from './authorization.ts';
import type { NotificationService } from './notifications/notifications.ts';

export interface AlarmDeps {
  authorize: Authorizer;
  audit: AuditService;
  notifications: NotificationService;
}

/** Alarms from readings (critical hazards, intrusion while armed, heat and freeze) and home modes. */
export class AlarmService implements Extension {
  constructor(
    private readonly ctx: AppContext,
    private readonly deps: AlarmDeps,
  ) {}

  start(): void {}

  async stop(): Promise<void> {}
}
