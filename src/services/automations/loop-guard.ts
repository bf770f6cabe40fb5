/**
 * Loop protection, in memory (per process). Two signals:
 * - causality: a device that received a command from automations [A, B] reports within the
 *   window; the readings it sends count as caused by A and B, and a rule among its own causes
 *   is re-triggering itself (directly, or through other rules and scenes);
 * - rate: a rule that starts more than `maxRunsPerMinute` runs in a sliding minute.
 */
export class LoopGuard {
  private readonly commanded = new Map<string, { causes: string[]; atMs: number }>();
  private readonly runStarts = new Map<string, number[]>();

  constructor(
    private readonly windowMs: number,
    private readonly maxRunsPerMinute: number,
  ) {}

  /** An automation run (with the causes that led to it) sent a command to `deviceId`. */
  noteCommand(deviceId: string, causes: readonly string[], atMs: number): void {
    const earlier = this.causesOf(deviceId, atMs);
    // Two chains commanding one device within the window: both are its causes.
    this.commanded.set(deviceId, { causes: [...new Set([...earlier, ...causes])], atMs });
  }

  /** The automations that caused a device's state at `atMs` (empty when none within the window). */
  causesOf(deviceId: string, atMs: number): string[] {
    const entry = this.commanded.get(deviceId);
    if (!entry) return [];
    if (atMs - entry.atMs > this.windowMs) {
      this.commanded.delete(deviceId);
      return [];
    }
    return entry.causes;
  }

  /** Records a run start; true when it is beyond the rule's runs per minute. */
  overRate(automationId: string, atMs: number): boolean {
    const since = atMs - 60_000;
    const starts = (this.runStarts.get(automationId) ?? []).filter((at) => at > since);
    starts.push(atMs);
    this.runStarts.set(automationId, starts);
    return starts.length > this.maxRunsPerMinute;
  }

  forget(automationId: string): void {
    this.runStarts.delete(automationId);
  }

  /** Drops expired entries (called periodically so that quiet devices do not accumulate). */
  prune(atMs: number): void {
    for (const [deviceId, entry] of this.commanded)
      if (atMs - entry.atMs > this.windowMs) this.commanded.delete(deviceId);
    for (const [automationId, starts] of this.runStarts)
      if (starts.every((at) => at <= atMs - 60_000)) this.runStarts.delete(automationId);
  }
}
