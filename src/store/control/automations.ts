import type { AutomationStore, ScheduleRow } from '../../core/ports/control.ts';
import type { SqlRunner, Row } from '../../core/ports/sql.ts';
import { jsonColumn } from '../rows.ts';
import type {
  Automation,
  AutomationInput,
  AutomationRun,
  AutomationWithLastRun,
  FlagReason,
  LastRun,
  RunOutcome,
  Scene,
  SceneInput,
} from '../../core/domain/automation.ts';

function toAutomation(row: Row): Automation {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string,
    homeId: row.home_id as string,
    name: row.name as string,
    enabled: Number(row.enabled) === 1,
    triggers: jsonColumn(row.triggers),
    conditions: jsonColumn(row.conditions),
    actions: jsonColumn(row.actions),
    cooldownSeconds: Number(row.cooldown_seconds),
    flaggedAtMs: row.flagged_at_ms as number | null,
    flagReason: row.flag_reason as FlagReason | null,
    createdBy: row.created_by as string | null,
    createdAtMs: row.created_at_ms as number,
    updatedAtMs: row.updated_at_ms as number,
  };
}

/** The `last_run_*` columns of a rule joined with its newest run (NULL when it never ran). */
function toLastRun(row: Row): LastRun | null {
  if (row.last_run_id === null || row.last_run_id === undefined) return null;
  return {
    id: row.last_run_id as string,
    atMs: Number(row.last_run_at_ms),
    outcome: row.last_run_outcome as RunOutcome,
    error: (row.last_run_error as string | null) ?? null,
  };
}

/**
 * A rule with its newest run, in one statement for any number of rules: the correlated
 * subquery reads one entry of `automation_runs_by_automation` (automation_id, started_at_ms, id)
 * per rule, newest first, on both engines.
 */
const AUTOMATION_WITH_LAST_RUN = `
  SELECT a.*, r.id AS last_run_id, r.started_at_ms AS last_run_at_ms, r.outcome AS last_run_outcome,
    r.error AS last_run_error
  FROM automations a
  LEFT JOIN automation_runs r ON r.id = (
    SELECT newest.id FROM automation_runs newest WHERE newest.automation_id = a.id
    ORDER BY newest.started_at_ms DESC, newest.id DESC LIMIT 1
  )`;

function toScene(row: Row): Scene {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string,
    homeId: row.home_id as string,
    name: row.name as string,
    actions: jsonColumn(row.actions),
    createdBy: row.created_by as string | null,
    createdAtMs: row.created_at_ms as number,
    updatedAtMs: row.updated_at_ms as number,
  };
}

function toRun(row: Row): AutomationRun {
  return {
    id: row.id as string,
    automationId: row.automation_id as string,
    tenantId: row.tenant_id as string,
    homeId: row.home_id as string,
    trigger: jsonColumn(row.trigger_json),
    startedAtMs: row.started_at_ms as number,
    finishedAtMs: row.finished_at_ms as number | null,
    outcome: row.outcome as RunOutcome,
    actions: jsonColumn(row.action_results),
    error: row.error as string | null,
    pending: jsonColumn(row.pending_actions),
    nextActionIndex: row.next_action_index as number | null,
    resumeAtMs: row.resume_at_ms as number | null,
    causes: jsonColumn(row.causes),
  };
}

function toSchedule(row: Row): ScheduleRow {
  return {
    automationId: row.automation_id as string,
    triggerIndex: Number(row.trigger_index),
    nextFireAtMs: row.next_fire_at_ms as number | null,
  };
}

/**
 * Automations, scenes, run history and the schedule of timed triggers.
 * Written once in SQL both engines accept, against the `SqlRunner` port. Methods take an
 * optional `tx` so that a caller can write to several control stores in one transaction.
 */
export class SqlAutomationStore implements AutomationStore {
  constructor(private readonly sql: SqlRunner) {}

  // ---- automations ----

  async createAutomation(
    automation: Omit<Automation, 'flaggedAtMs' | 'flagReason'>,
    tx: SqlRunner = this.sql,
  ): Promise<Automation> {
    await tx.run(
      `INSERT INTO automations (id, tenant_id, home_id, name, enabled, triggers, conditions, actions,
         cooldown_seconds, created_by, created_at_ms, updated_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        automation.id,
        automation.tenantId,
        automation.homeId,
        automation.name,
        automation.enabled ? 1 : 0,
        JSON.stringify(automation.triggers),
        JSON.stringify(automation.conditions),
        JSON.stringify(automation.actions),
        automation.cooldownSeconds,
        automation.createdBy,
        automation.createdAtMs,
        automation.updatedAtMs,
      ],
    );
    return { ...automation, flaggedAtMs: null, flagReason: null };
  }

  /**
   * Replaces a rule's definition. Enabling clears a loop-protection flag (the person has looked
   * at the rule again); a disabled rule keeps its flag so the API still says why it stopped.
   */
  async replaceAutomation(
    id: string,
    input: AutomationInput,
    atMs: number,
    tx: SqlRunner = this.sql,
  ): Promise<boolean> {
    return (
      (await tx.run(
        `UPDATE automations SET name = ?, enabled = ?, triggers = ?, conditions = ?, actions = ?,
           cooldown_seconds = ?, updated_at_ms = ?,
           flagged_at_ms = CASE WHEN ? = 1 THEN NULL ELSE flagged_at_ms END,
           flag_reason = CASE WHEN ? = 1 THEN NULL ELSE flag_reason END
         WHERE id = ?`,
        [
          input.name,
          input.enabled ? 1 : 0,
          JSON.stringify(input.triggers),
          JSON.stringify(input.conditions),
          JSON.stringify(input.actions),
          input.cooldownSeconds,
          atMs,
          input.enabled ? 1 : 0,
          input.enabled ? 1 : 0,
          id,
        ],
      )) === 1
    );
  }

  /** Loop protection stopped the rule: disabled and flagged, in one statement. False if already stopped. */
  async flagAutomation(
    id: string,
    reason: FlagReason,
    atMs: number,
    tx: SqlRunner = this.sql,
  ): Promise<boolean> {
    return (
      (await tx.run(
        `UPDATE automations SET enabled = 0, flagged_at_ms = ?, flag_reason = ?, updated_at_ms = ?
         WHERE id = ? AND enabled = 1`,
        [atMs, reason, atMs, id],
      )) === 1
    );
  }

  async findAutomation(id: string, tx: SqlRunner = this.sql): Promise<Automation | undefined> {
    const row = await tx.get('SELECT * FROM automations WHERE id = ?', [id]);
    return row ? toAutomation(row) : undefined;
  }

  /** A home's rules, oldest first, each with its newest run (one statement for the page). */
  async listHomeAutomations(homeId: string, tx: SqlRunner = this.sql): Promise<AutomationWithLastRun[]> {
    const rows = await tx.all(
      `${AUTOMATION_WITH_LAST_RUN} WHERE a.home_id = ? ORDER BY a.created_at_ms, a.id`,
      [homeId],
    );
    return rows.map((row) => ({ ...toAutomation(row), lastRun: toLastRun(row) }));
  }

  /** One rule with its newest run. */
  async findAutomationWithLastRun(
    id: string,
    tx: SqlRunner = this.sql,
  ): Promise<AutomationWithLastRun | undefined> {
    const row = await tx.get(`${AUTOMATION_WITH_LAST_RUN} WHERE a.id = ?`, [id]);
    return row ? { ...toAutomation(row), lastRun: toLastRun(row) } : undefined;
  }

  async countHomeAutomations(homeId: string, tx: SqlRunner = this.sql): Promise<number> {
    const row = await tx.get('SELECT count(*) AS n FROM automations WHERE home_id = ?', [homeId]);
    return Number(row?.n ?? 0);
  }

  /** Every enabled rule (the trigger index at start). */
  async listEnabledAutomations(tx: SqlRunner = this.sql): Promise<Automation[]> {
    const rows = await tx.all('SELECT * FROM automations WHERE enabled = 1 ORDER BY id');
    return rows.map(toAutomation);
  }

  /** Ids and versions of enabled rules: a cheap diff for refreshing the trigger index. */
  async listEnabledVersions(tx: SqlRunner = this.sql): Promise<Array<{ id: string; updatedAtMs: number }>> {
    const rows = await tx.all('SELECT id, updated_at_ms FROM automations WHERE enabled = 1');
    return rows.map((row) => ({ id: row.id as string, updatedAtMs: row.updated_at_ms as number }));
  }

  async deleteAutomation(id: string, tx: SqlRunner = this.sql): Promise<boolean> {
    return (await tx.run('DELETE FROM automations WHERE id = ?', [id])) === 1;
  }

  // ---- scenes ----

  async createScene(scene: Scene, tx: SqlRunner = this.sql): Promise<Scene> {
    await tx.run(
      `INSERT INTO scenes (id, tenant_id, home_id, name, actions, created_by, created_at_ms, updated_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        scene.id,
        scene.tenantId,
        scene.homeId,
        scene.name,
        JSON.stringify(scene.actions),
        scene.createdBy,
        scene.createdAtMs,
        scene.updatedAtMs,
      ],
    );
    return scene;
  }

  async replaceScene(
    id: string,
    input: SceneInput,
    atMs: number,
    tx: SqlRunner = this.sql,
  ): Promise<boolean> {
    return (
      (await tx.run('UPDATE scenes SET name = ?, actions = ?, updated_at_ms = ? WHERE id = ?', [
        input.name,
        JSON.stringify(input.actions),
        atMs,
        id,
      ])) === 1
    );
  }

  async findScene(id: string, tx: SqlRunner = this.sql): Promise<Scene | undefined> {
    const row = await tx.get('SELECT * FROM scenes WHERE id = ?', [id]);
    return row ? toScene(row) : undefined;
  }

  async listHomeScenes(homeId: string, tx: SqlRunner = this.sql): Promise<Scene[]> {
    const rows = await tx.all('SELECT * FROM scenes WHERE home_id = ? ORDER BY created_at_ms, id', [homeId]);
    return rows.map(toScene);
  }

  async countHomeScenes(homeId: string, tx: SqlRunner = this.sql): Promise<number> {
    const row = await tx.get('SELECT count(*) AS n FROM scenes WHERE home_id = ?', [homeId]);
    return Number(row?.n ?? 0);
  }

  async deleteScene(id: string, tx: SqlRunner = this.sql): Promise<boolean> {
    return (await tx.run('DELETE FROM scenes WHERE id = ?', [id])) === 1;
  }

  // ---- runs ----

  async insertRun(run: AutomationRun, tx: SqlRunner = this.sql): Promise<void> {
    await tx.run(
      `INSERT INTO automation_runs (id, automation_id, tenant_id, home_id, trigger_json, started_at_ms,
         finished_at_ms, outcome, action_results, error, pending_actions, next_action_index, resume_at_ms, causes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        run.id,
        run.automationId,
        run.tenantId,
        run.homeId,
        JSON.stringify(run.trigger),
        run.startedAtMs,
        run.finishedAtMs,
        run.outcome,
        JSON.stringify(run.actions),
        run.error,
        JSON.stringify(run.pending),
        run.nextActionIndex,
        run.resumeAtMs,
        JSON.stringify(run.causes),
      ],
    );
  }

  /** Writes a run's progress (after a resume: further results, a new pause, or its end). */
  async saveRun(run: AutomationRun, tx: SqlRunner = this.sql): Promise<void> {
    await tx.run(
      `UPDATE automation_runs SET finished_at_ms = ?, outcome = ?, action_results = ?, error = ?,
         pending_actions = ?, next_action_index = ?, resume_at_ms = ?, causes = ?
       WHERE id = ?`,
      [
        run.finishedAtMs,
        run.outcome,
        JSON.stringify(run.actions),
        run.error,
        JSON.stringify(run.pending),
        run.nextActionIndex,
        run.resumeAtMs,
        JSON.stringify(run.causes),
        run.id,
      ],
    );
  }

  async findRun(id: string, tx: SqlRunner = this.sql): Promise<AutomationRun | undefined> {
    const row = await tx.get('SELECT * FROM automation_runs WHERE id = ?', [id]);
    return row ? toRun(row) : undefined;
  }

  /** Newest first; `before` (a run id of the previous page) pages further back. */
  async listRuns(
    automationId: string,
    page: { limit: number; before?: string | undefined },
    tx: SqlRunner = this.sql,
  ): Promise<AutomationRun[]> {
    if (page.before !== undefined) {
      const cursor = await tx.get(
        'SELECT started_at_ms, id FROM automation_runs WHERE id = ? AND automation_id = ?',
        [page.before, automationId],
      );
      if (!cursor) return [];
      const rows = await tx.all(
        `SELECT * FROM automation_runs WHERE automation_id = ?
           AND (started_at_ms < ? OR (started_at_ms = ? AND id < ?))
         ORDER BY started_at_ms DESC, id DESC LIMIT ?`,
        [automationId, cursor.started_at_ms, cursor.started_at_ms, cursor.id, page.limit],
      );
      return rows.map(toRun);
    }
    const rows = await tx.all(
      'SELECT * FROM automation_runs WHERE automation_id = ? ORDER BY started_at_ms DESC, id DESC LIMIT ?',
      [automationId, page.limit],
    );
    return rows.map(toRun);
  }

  /** Paused runs due to continue. */
  async listDueRuns(nowMs: number, limit: number, tx: SqlRunner = this.sql): Promise<AutomationRun[]> {
    const rows = await tx.all(
      'SELECT * FROM automation_runs WHERE resume_at_ms IS NOT NULL AND resume_at_ms <= ? ORDER BY resume_at_ms LIMIT ?',
      [nowMs, limit],
    );
    return rows.map(toRun);
  }

  /** Takes a paused run to continue it; true for exactly one caller (worker) per pause. */
  async claimRun(id: string, resumeAtMs: number, tx: SqlRunner = this.sql): Promise<boolean> {
    return (
      (await tx.run(
        `UPDATE automation_runs SET resume_at_ms = NULL, outcome = 'running'
         WHERE id = ? AND resume_at_ms = ? AND outcome = 'waiting'`,
        [id, resumeAtMs],
      )) === 1
    );
  }

  /** Runs left 'running' by a process that died mid-run (before `olderThanMs`) end as failed. */
  async failAbandonedRuns(olderThanMs: number, atMs: number, tx: SqlRunner = this.sql): Promise<number> {
    return tx.run(
      `UPDATE automation_runs SET outcome = 'failed', finished_at_ms = ?,
         error = 'interrupted: the process stopped during the run'
       WHERE outcome = 'running' AND started_at_ms < ? AND resume_at_ms IS NULL`,
      [atMs, olderThanMs],
    );
  }

  /** Run history retention: finished runs started before `beforeMs`. */
  async deleteRunsBefore(beforeMs: number, tx: SqlRunner = this.sql): Promise<number> {
    return tx.run(
      "DELETE FROM automation_runs WHERE started_at_ms < ? AND outcome NOT IN ('waiting', 'running')",
      [beforeMs],
    );
  }

  // ---- schedules ----

  /** Sets the timed triggers of a rule (replacing any earlier ones). */
  async replaceSchedules(automationId: string, rows: ScheduleRow[], tx: SqlRunner = this.sql): Promise<void> {
    await tx.run('DELETE FROM automation_schedules WHERE automation_id = ?', [automationId]);
    for (const row of rows) {
      await tx.run(
        'INSERT INTO automation_schedules (automation_id, trigger_index, next_fire_at_ms) VALUES (?, ?, ?)',
        [automationId, row.triggerIndex, row.nextFireAtMs],
      );
    }
  }

  async listSchedules(automationId: string, tx: SqlRunner = this.sql): Promise<ScheduleRow[]> {
    const rows = await tx.all(
      'SELECT * FROM automation_schedules WHERE automation_id = ? ORDER BY trigger_index',
      [automationId],
    );
    return rows.map(toSchedule);
  }

  async listDueSchedules(nowMs: number, limit: number, tx: SqlRunner = this.sql): Promise<ScheduleRow[]> {
    const rows = await tx.all(
      `SELECT * FROM automation_schedules WHERE next_fire_at_ms IS NOT NULL AND next_fire_at_ms <= ?
       ORDER BY next_fire_at_ms LIMIT ?`,
      [nowMs, limit],
    );
    return rows.map(toSchedule);
  }

  /**
   * Takes the fire due at `dueMs` by moving the trigger on to `followingMs`; true for exactly one
   * caller: a second worker, or the same fire seen again after a restart, finds it moved.
   */
  async claimSchedule(
    row: { automationId: string; triggerIndex: number },
    dueMs: number,
    followingMs: number | null,
    tx: SqlRunner = this.sql,
  ): Promise<boolean> {
    return (
      (await tx.run(
        `UPDATE automation_schedules SET next_fire_at_ms = ?
         WHERE automation_id = ? AND trigger_index = ? AND next_fire_at_ms = ?`,
        [followingMs, row.automationId, row.triggerIndex, dueMs],
      )) === 1
    );
  }

  /** Sets the next fire outright (tests, and a rule whose home moved). */
  async setNextFire(
    row: { automationId: string; triggerIndex: number },
    nextFireAtMs: number | null,
    tx: SqlRunner = this.sql,
  ): Promise<void> {
    await tx.run(
      'UPDATE automation_schedules SET next_fire_at_ms = ? WHERE automation_id = ? AND trigger_index = ?',
      [nextFireAtMs, row.automationId, row.triggerIndex],
    );
  }

  /** The earliest time anything timed is due (a schedule or a paused run), for the one timer. */
  async nextDueAt(tx: SqlRunner = this.sql): Promise<number | null> {
    const schedule = await tx.get('SELECT min(next_fire_at_ms) AS at FROM automation_schedules');
    const run = await tx.get(
      'SELECT min(resume_at_ms) AS at FROM automation_runs WHERE resume_at_ms IS NOT NULL',
    );
    const times = [schedule?.at, run?.at].filter((at) => at !== null && at !== undefined).map(Number);
    return times.length > 0 ? Math.min(...times) : null;
  }
}
