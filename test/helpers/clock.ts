import type { Clock } from '../../src/core/clock.ts';

/**
 * Hestia's clock in a test: the wall clock until the test freezes it; then it stands still and
 * moves only when the test advances it, so that a lock of two seconds lasts two seconds however
 * busy the machine is. Released, it goes on from where it stood.
 */
export class TestClock implements Clock {
  private frozenAtMs: number | null = null;
  private shiftMs = 0;

  now(): number {
    return this.frozenAtMs ?? Date.now() + this.shiftMs;
  }

  freeze(): void {
    this.frozenAtMs = this.now();
  }

  advance(ms: number): void {
    if (this.frozenAtMs !== null) this.frozenAtMs += ms;
    else this.shiftMs += ms;
  }

  release(): void {
    if (this.frozenAtMs === null) return;
    this.shiftMs = this.frozenAtMs - Date.now();
    this.frozenAtMs = null;
  }
}
