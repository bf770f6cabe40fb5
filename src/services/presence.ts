import type { AppContext } from '../core/context.ts';
import type { Extension } from '../core/extension.ts';

/** Device presence: stale when a device misses its reporting interval, unavailable behind an offline gateway. */
export class PresenceService implements Extension {
  constructor(private readonly ctx: AppContext) {}

  start(): void {}

  async stop(): Promise<void> {}
}
