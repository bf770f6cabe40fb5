import type { Logger } from 'pino';
import type { Store } from './ports/store.ts';
import type { EventBus } from './bus.ts';
import type { Clock } from './clock.ts';
import type { HestiaConfig } from './config.ts';
import type { Metrics } from './metrics.ts';

/** The one typed context handed to services, extensions and API plugins. */
export interface AppContext {
  readonly config: Readonly<HestiaConfig>;
  readonly logger: Logger;
  readonly store: Store;
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly metrics: Metrics;
}
