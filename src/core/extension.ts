/**
 * A feature with a lifecycle (timers, subscriptions, work in flight). The process starts its
 * extensions in a fixed order after the stores are open and stops them in reverse before they
 * close. `start` registers the extension's bus listeners with itself as owner
 * (`bus.on(name, listener, this)`); `stop` removes them all (`bus.removeListeners(this)`) and
 * resolves once the extension's work in flight has finished or been abandoned.
 */
export interface Extension {
  start(): void;
  stop(): Promise<void>;
}
