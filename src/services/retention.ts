import { setTimeout as sleep } from 'node:timers/promises';
import type { AppContext } from '../core/context.ts';

const DAY_MS = 86_400_000;
/**
 * Rows one trim call deletes at most before the pause: one short statement's worth, so that a
 * group commit waits for at most one statement between its turns.
 */
const ROWS_PER_TRIM = 2000;

export interface RetentionPassResult {
  gateways: number;
  readings: number;
  rollups: number;
  audit: number;
  durationMs: number;
}

/**
 * Applies each gateway's tariff to its stored history in the background: raw readings older
 * than the tariff's raw window and rollups older than its sensor retention are deleted in short
 * statements (at most 2,000 rows) with a pause of `retention.pauseMs` after each, taking turns
 * with ingestion's group commits, so a large pass (after a tariff change or an upgrade) slows
 * ingestion a little and never stops it. A pass runs every
 * `retention.intervalSeconds`, and soon after a tenant's tariffs or homes' tariffs change.
 * Audit records older than `retention.auditDays` go too.
 *
 * Gateways take turns: each gives up after `rowsPerTurn` rows and the pass comes back for the
 * rest, so one gateway with years to delete does not hold the others back.
 */
export class RetentionService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetentionPassResult> | undefined;
  private rerun = false;
  private stopped = false;

  /** `onProgress` hears the running totals of a pass after each step (the CLI prints them). */
  constructor(
    private readonly ctx: AppContext,
    private readonly options: { onProgress?: (sofar: RetentionPassResult) => void } = {},
  ) {}

  start(): void {
    const { config, bus } = this.ctx;
    this.schedule(config.retention.initialDelaySeconds * 1000);
    bus.on('retention.policy_changed', () => this.requestPass(), this);
  }

  /** Runs a pass soon: at once when idle, right after the current one otherwise. */
  requestPass(): void {
    if (this.stopped) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.runPass()
        .catch((error: unknown) => this.ctx.logger.error({ err: error }, 'retention pass failed'))
        .finally(() => {
          if (this.rerun) {
            this.rerun = false;
            this.schedule(0);
          } else {
            this.schedule(this.ctx.config.retention.intervalSeconds * 1000);
          }
        });
    }, delayMs);
    this.timer.unref();
  }

  /** One pass over every gateway; concurrent callers share the pass in progress. */
  runPass(): Promise<RetentionPassResult> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<RetentionPassResult> {
    const { store, clock, config, metrics, logger } = this.ctx;
    const startedMs = Date.now();
    const result: RetentionPassResult = { gateways: 0, readings: 0, rollups: 0, audit: 0, durationMs: 0 };
    metrics.retentionRunning.set(1);
    try {
      const policies = await store.directory.tariffs.retentionPolicies();
      result.gateways = policies.length;
      let pending = policies;
      while (pending.length > 0 && !this.stopped) {
        const again: typeof policies = [];
        for (const policy of pending) {
          if (this.stopped) break;
          // One gateway's turn: short deletes with a pause after each, so that group commits
          // waiting for the database get it between them.
          let turnRows = 0;
          for (;;) {
            const nowMs = clock.now();
            const trimmed = await store.telemetry.trimHistory({
              gatewayId: policy.gatewayId,
              rawBeforeMs: nowMs - policy.rawRetentionDays * DAY_MS,
              rollupsBeforeMs: nowMs - policy.sensorRetentionDays * DAY_MS,
              maxRows: ROWS_PER_TRIM,
            });
            result.readings += trimmed.readings;
            result.rollups += trimmed.rollups;
            metrics.retentionDeleted.inc({ kind: 'readings' }, trimmed.readings);
            metrics.retentionDeleted.inc({ kind: 'rollups' }, trimmed.rollups);
            turnRows += trimmed.readings + trimmed.rollups;
            this.options.onProgress?.(result);
            if (!trimmed.more || this.stopped) break;
            if (config.retention.pauseMs > 0) await sleep(config.retention.pauseMs);
            if (turnRows >= config.retention.rowsPerTurn) {
              again.push(policy);
              break;
            }
          }
        }
        pending = again;
      }
      for (;;) {
        const deleted = await store.directory.audit.trimAuditLog(
          clock.now() - config.retention.auditDays * DAY_MS,
          2000,
        );
        result.audit += deleted;
        metrics.retentionDeleted.inc({ kind: 'audit' }, deleted);
        if (deleted < 2000 || this.stopped) break;
      }
      result.durationMs = Date.now() - startedMs;
      metrics.retentionPasses.inc();
      if (result.readings + result.rollups + result.audit > 0) {
        logger.info({ retention: result }, 'retention pass deleted expired history');
      }
      return result;
    } finally {
      metrics.retentionRunning.set(0);
    }
  }

  /** Stops scheduling and lets a pass in progress end after its current statement. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.ctx.bus.removeListeners(this);
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
