/**
 * Storage ports of what a home does on its own and on request: commands, alarms and security
 * modes, the notification outbox, automations, device presence. Methods take an optional `tx`
 * (from `Control.transaction`) so that a service can write to several stores atomically.
 * All times are epoch milliseconds.
 */

import type { SqlRunner } from './sql.ts';
import type { Alarm, AlarmCause, AlarmListQuery, AlarmRaise, HomeSecurity } from '../domain/alarm.ts';
import type {
  Automation,
  AutomationInput,
  AutomationRun,
  AutomationWithLastRun,
  FlagReason,
  Scene,
  SceneInput,
} from '../domain/automation.ts';
import type {
  Command,
  CommandInsert,
  CommandPosition,
  CommandStatus,
  FINAL_COMMAND_STATUSES,
} from '../domain/command.ts';
import type { HomeMode } from '../domain/home.ts';
import type {
  DeliveryDecision,
  DeliveryStatus,
  DeliveryWithRequest,
  InAppNotification,
  NotificationInput,
  NotificationPreferences,
  NotificationRequest,
  PushDevice,
  PushProvider,
  Recipient,
} from '../domain/notification.ts';

/**
 * Commands sent to devices, their status and idempotency keys (rate limits live in memory).
 *
 * Status changes are conditional updates (`WHERE id = ? AND status = 'sent'`) returning the
 * changed row, so that of two writers (a late commandResult and the timeout sweep, two workers
 * delivering one queue) exactly one wins and the other learns it did not.
 */
export interface CommandStore {
  /** Stores a new command as `pending`; a second command with the same device and key is HESTIA_CONFLICT. */
  insert(input: CommandInsert, tx?: SqlRunner): Promise<Command>;
  find(id: string, tx?: SqlRunner): Promise<Command | undefined>;
  findByIdempotencyKey(
    deviceId: string,
    idempotencyKey: string,
    tx?: SqlRunner,
  ): Promise<Command | undefined>;
  /** A device's commands, newest first, after `after` (keyset paging). */
  listForDevice(
    deviceId: string,
    page: {
      limit: number;
      after?: CommandPosition | undefined;
    },
    tx?: SqlRunner,
  ): Promise<Command[]>;
  /** A gateway's queue in creation order (the order it is delivered in). */
  listQueued(gatewayId: string, limit: number, tx?: SqlRunner): Promise<Command[]>;
  /** Gateways with queued commands (the sweep delivers to those connected). */
  gatewaysWithQueued(tx?: SqlRunner): Promise<string[]>;
  countQueued(tx?: SqlRunner): Promise<number>;
  /** pending → sent; undefined when it was no longer pending (another worker sent or expired it). */
  markSent(id: string, atMs: number, tx?: SqlRunner): Promise<Command | undefined>;
  /**
   * sent → succeeded | failed | timed_out (or pending → timed_out/failed for a command that never
   * left); undefined when the command had already moved on from `from`.
   */
  complete(
    input: {
      id: string;
      from: CommandStatus;
      status: (typeof FINAL_COMMAND_STATUSES)[number];
      detail: string | null;
      atMs: number;
    },
    tx?: SqlRunner,
  ): Promise<Command | undefined>;
  /** Sent commands without a result since `sentBeforeMs` become timed_out; returns them. */
  timeOutSent(sentBeforeMs: number, atMs: number, detail: string, tx?: SqlRunner): Promise<Command[]>;
  /** Queued commands whose time-to-live ran out (expires_at_ms ≤ atMs) become timed_out; returns them. */
  expireQueued(atMs: number, detail: string, tx?: SqlRunner): Promise<Command[]>;
}

/**
 * Alarms (one active per device and cause), their history, and each home's security mode and thresholds.
 */
export interface AlarmStore {
  /**
   * Raises an alarm, or counts one more occurrence of the active alarm of the same device and
   * cause — atomically, in one statement, so that concurrent readings (several workers) never
   * make two. `created` tells which; a created alarm is counted in its gateway's monthly usage.
   */
  raise(
    input: AlarmRaise,
    countedAtMs: number,
    tx?: SqlRunner,
  ): Promise<{
    alarm: Alarm;
    created: boolean;
  }>;
  find(id: string, tx?: SqlRunner): Promise<Alarm | undefined>;
  /** A home's alarms newest first (by raise time, then id). */
  list(query: AlarmListQuery, tx?: SqlRunner): Promise<Alarm[]>;
  /** (device, cause) of every active alarm: the service's cache of what a normal reading may clear. */
  listActiveKeys(tx?: SqlRunner): Promise<
    Array<{
      deviceId: string;
      cause: AlarmCause;
    }>
  >;
  /** Marks an alarm seen; a second acknowledgement keeps the first. Undefined: no such alarm. */
  acknowledge(id: string, by: string, atMs: number, tx?: SqlRunner): Promise<Alarm | undefined>;
  /** Clears an active alarm; undefined when it is not active (already cleared, or no such alarm). */
  clear(id: string, by: string, atMs: number, tx?: SqlRunner): Promise<Alarm | undefined>;
  /**
   * The sensor reported normal: clears the active alarm of that cause, unless it recurred after
   * the normal reading was measured (readings may arrive out of order).
   */
  clearByDevice(
    input: {
      deviceId: string;
      cause: AlarmCause;
      measuredAtMs: number;
      atMs: number;
    },
    tx?: SqlRunner,
  ): Promise<Alarm | undefined>;
  /** Clears a home's active alarms of the given causes (disarming clears intrusion). */
  clearHomeCauses(
    input: {
      homeId: string;
      causes: readonly AlarmCause[];
      by: string;
      atMs: number;
    },
    tx?: SqlRunner,
  ): Promise<Alarm[]>;
  findSecurity(homeId: string, tx?: SqlRunner): Promise<HomeSecurity | undefined>;
  /** Sets the mode (thresholds are kept) and returns the settings. */
  setMode(
    input: {
      homeId: string;
      tenantId: string;
      mode: HomeMode;
      by: string;
      atMs: number;
    },
    tx?: SqlRunner,
  ): Promise<HomeSecurity>;
  /** Sets the home's own thresholds (null: back to the configured default); the mode is kept. */
  setThresholds(
    input: {
      homeId: string;
      tenantId: string;
      heatThresholdC: number | null;
      freezeThresholdC: number | null;
    },
    tx?: SqlRunner,
  ): Promise<HomeSecurity>;
}

/**
 * The notification outbox: requests, per-recipient delivery decisions and their delivery log.
 */
export interface NotificationStore {
  /**
   * Adds a request to the outbox, in the caller's transaction if `tx` is given (an alarm and
   * its notification commit together). The same `sourceKey` again creates nothing.
   */
  enqueue(
    input: NotificationInput,
    tx?: SqlRunner,
  ): Promise<{
    id: string;
    created: boolean;
  }>;
  findRequest(id: string, tx?: SqlRunner): Promise<NotificationRequest | undefined>;
  findRequestBySourceKey(sourceKey: string, tx?: SqlRunner): Promise<NotificationRequest | undefined>;
  /** Requests nobody has decided yet, oldest first. */
  listUndecided(limit: number, tx?: SqlRunner): Promise<NotificationRequest[]>;
  /**
   * Marks the request decided; false when another worker (or an earlier run) already did. Call
   * it first in the deciding transaction: on PostgreSQL the row lock makes a concurrent decider
   * wait and then see 0 rows, so only one of them writes deliveries.
   */
  markDecided(id: string, atMs: number, tx?: SqlRunner): Promise<boolean>;
  /** Writes a request's deliveries; ones that exist already (same channel and target) stay as they are. */
  insertDeliveries(
    request: NotificationRequest,
    decisions: readonly DeliveryDecision[],
    atMs: number,
    tx?: SqlRunner,
  ): Promise<number>;
  /** Deliveries that may be claimed now: pending and due, or sending with an expired lease. */
  listDue(nowMs: number, limit: number, tx?: SqlRunner): Promise<string[]>;
  /**
   * Takes a delivery for one attempt, with a lease until `leaseUntilMs`. A conditional update:
   * of two workers (or a restarted process and a stale one) only one gets it.
   */
  claim(
    id: string,
    nowMs: number,
    leaseUntilMs: number,
    tx?: SqlRunner,
  ): Promise<DeliveryWithRequest | undefined>;
  findDelivery(id: string, tx?: SqlRunner): Promise<DeliveryWithRequest | undefined>;
  /**
   * Records the outcome of an attempt, only while this attempt still holds the lease (a sender
   * whose lease expired and was taken over must not overwrite the newer attempt's result).
   */
  finishAttempt(
    id: string,
    lease: {
      leaseUntilMs: number;
      attempts: number;
    },
    outcome:
      | {
          status: 'sent';
          atMs: number;
          providerResponse: string | null;
        }
      | {
          status: 'failed' | 'skipped';
          atMs: number;
          error: string;
          providerResponse: string | null;
        }
      | {
          status: 'pending';
          atMs: number;
          nextAttemptAtMs: number;
          error: string;
          providerResponse: string | null;
        }
      | {
          status: 'released';
          atMs: number;
        },
    tx?: SqlRunner,
  ): Promise<boolean>;
  /** When the next pending delivery is due, to time a wake-up for retries. */
  nextDueAtMs(tx?: SqlRunner): Promise<number | null>;
  /** Work waiting in the outbox: undecided requests plus deliveries not yet finished. */
  countOutstanding(tx?: SqlRunner): Promise<number>;
  listDeliveries(
    query: {
      tenantId: string;
      homeId?: string | undefined;
      requestId?: string | undefined;
      status?: DeliveryStatus | undefined;
      limit: number;
      /** Position of the last row of the previous page (`positionOf`). */
      before?: string | undefined;
    },
    tx?: SqlRunner,
  ): Promise<DeliveryWithRequest[]>;
}

/**
 * People as recipients of notifications: who a decision may reach (a home's members, a
 * tenant's admins), their channel preferences and quiet hours, their push devices, their in-app inbox.
 */
export interface RecipientStore {
  /** Members of a home who can be told (accounts not disabled). */
  homeRecipients(homeId: string, tx?: SqlRunner): Promise<Recipient[]>;
  /** The tenant's administrators: who hears of tenant-wide (home-less) events. */
  tenantAdminRecipients(tenantId: string, tx?: SqlRunner): Promise<Recipient[]>;
  /** Named people, only those of the tenant and not disabled (a request cannot reach across tenants). */
  namedRecipients(tenantId: string, userIds: readonly string[], tx?: SqlRunner): Promise<Recipient[]>;
  homeTimezone(homeId: string, tx?: SqlRunner): Promise<string | undefined>;
  /** The tenant's push credentials (JSON text), read in the caller's transaction. */
  tenantPushCredentialsJson(tenantId: string, tx?: SqlRunner): Promise<string | null>;
  findPreferences(userId: string, tx?: SqlRunner): Promise<NotificationPreferences | undefined>;
  savePreferences(
    tenantId: string | null,
    preferences: NotificationPreferences & {
      updatedAtMs: number;
    },
    tx?: SqlRunner,
  ): Promise<void>;
  /**
   * Registers a token for a person; a token already registered (by them or by whoever used the
   * phone before) moves to them, so a phone never gets another person's notifications.
   */
  registerPushDevice(input: Omit<PushDevice, 'id' | 'lastSeenAtMs'>, tx?: SqlRunner): Promise<PushDevice>;
  listPushDevices(userId: string, provider?: PushProvider, tx?: SqlRunner): Promise<PushDevice[]>;
  deletePushDevice(userId: string, id: string, tx?: SqlRunner): Promise<boolean>;
  /** Forgets tokens the provider reported as no longer valid (app uninstalled, token rotated). */
  deletePushTokens(provider: PushProvider, tokens: readonly string[], tx?: SqlRunner): Promise<number>;
  /** Adds the in-app notification of a request for a person; the second time returns the first. */
  insertInApp(
    input: Omit<InAppNotification, 'id' | 'readAtMs'>,
    tx?: SqlRunner,
  ): Promise<{
    notification: InAppNotification;
    created: boolean;
  }>;
  listInApp(
    query: {
      userId: string;
      unreadOnly: boolean;
      limit: number;
      before?: string | undefined;
    },
    tx?: SqlRunner,
  ): Promise<InAppNotification[]>;
  countUnreadInApp(userId: string, tx?: SqlRunner): Promise<number>;
  /** Marks it read (the first time counts); undefined when it is not the person's. */
  markInAppRead(
    userId: string,
    id: string,
    atMs: number,
    tx?: SqlRunner,
  ): Promise<InAppNotification | undefined>;
}

/**
 * Automations, scenes, run history and the schedule of timed triggers.
 */
export interface AutomationStore {
  createAutomation(
    automation: Omit<Automation, 'flaggedAtMs' | 'flagReason'>,
    tx?: SqlRunner,
  ): Promise<Automation>;
  /**
   * Replaces a rule's definition. Enabling clears a loop-protection flag (the person has looked
   * at the rule again); a disabled rule keeps its flag so the API still says why it stopped.
   */
  replaceAutomation(id: string, input: AutomationInput, atMs: number, tx?: SqlRunner): Promise<boolean>;
  /** Loop protection stopped the rule: disabled and flagged, in one statement. False if already stopped. */
  flagAutomation(id: string, reason: FlagReason, atMs: number, tx?: SqlRunner): Promise<boolean>;
  findAutomation(id: string, tx?: SqlRunner): Promise<Automation | undefined>;
  /** A home's rules, oldest first, each with its newest run (one statement for the page). */
  listHomeAutomations(homeId: string, tx?: SqlRunner): Promise<AutomationWithLastRun[]>;
  /** One rule with its newest run. */
  findAutomationWithLastRun(id: string, tx?: SqlRunner): Promise<AutomationWithLastRun | undefined>;
  countHomeAutomations(homeId: string, tx?: SqlRunner): Promise<number>;
  /** Every enabled rule (the trigger index at start). */
  listEnabledAutomations(tx?: SqlRunner): Promise<Automation[]>;
  /** Ids and versions of enabled rules: a cheap diff for refreshing the trigger index. */
  listEnabledVersions(tx?: SqlRunner): Promise<
    Array<{
      id: string;
      updatedAtMs: number;
    }>
  >;
  deleteAutomation(id: string, tx?: SqlRunner): Promise<boolean>;
  createScene(scene: Scene, tx?: SqlRunner): Promise<Scene>;
  replaceScene(id: string, input: SceneInput, atMs: number, tx?: SqlRunner): Promise<boolean>;
  findScene(id: string, tx?: SqlRunner): Promise<Scene | undefined>;
  listHomeScenes(homeId: string, tx?: SqlRunner): Promise<Scene[]>;
  countHomeScenes(homeId: string, tx?: SqlRunner): Promise<number>;
  deleteScene(id: string, tx?: SqlRunner): Promise<boolean>;
  insertRun(run: AutomationRun, tx?: SqlRunner): Promise<void>;
  /** Writes a run's progress (after a resume: further results, a new pause, or its end). */
  saveRun(run: AutomationRun, tx?: SqlRunner): Promise<void>;
  findRun(id: string, tx?: SqlRunner): Promise<AutomationRun | undefined>;
  /** Newest first; `before` (a run id of the previous page) pages further back. */
  listRuns(
    automationId: string,
    page: {
      limit: number;
      before?: string | undefined;
    },
    tx?: SqlRunner,
  ): Promise<AutomationRun[]>;
  /** Paused runs due to continue. */
  listDueRuns(nowMs: number, limit: number, tx?: SqlRunner): Promise<AutomationRun[]>;
  /** Takes a paused run to continue it; true for exactly one caller (worker) per pause. */
  claimRun(id: string, resumeAtMs: number, tx?: SqlRunner): Promise<boolean>;
  /** Runs left 'running' by a process that died mid-run (before `olderThanMs`) end as failed. */
  failAbandonedRuns(olderThanMs: number, atMs: number, tx?: SqlRunner): Promise<number>;
  /** Run history retention: finished runs started before `beforeMs`. */
  deleteRunsBefore(beforeMs: number, tx?: SqlRunner): Promise<number>;
  /** Sets the timed triggers of a rule (replacing any earlier ones). */
  replaceSchedules(automationId: string, rows: ScheduleRow[], tx?: SqlRunner): Promise<void>;
  listSchedules(automationId: string, tx?: SqlRunner): Promise<ScheduleRow[]>;
  listDueSchedules(nowMs: number, limit: number, tx?: SqlRunner): Promise<ScheduleRow[]>;
  /**
   * Takes the fire due at `dueMs` by moving the trigger on to `followingMs`; true for exactly one
   * caller: a second worker, or the same fire seen again after a restart, finds it moved.
   */
  claimSchedule(
    row: {
      automationId: string;
      triggerIndex: number;
    },
    dueMs: number,
    followingMs: number | null,
    tx?: SqlRunner,
  ): Promise<boolean>;
  /** Sets the next fire outright (tests, and a rule whose home moved). */
  setNextFire(
    row: {
      automationId: string;
      triggerIndex: number;
    },
    nextFireAtMs: number | null,
    tx?: SqlRunner,
  ): Promise<void>;
  /** The earliest time anything timed is due (a schedule or a paused run), for the one timer. */
  nextDueAt(tx?: SqlRunner): Promise<number | null>;
}

/**
 * Device presence: last heard, expected interval, stale marks. Portable SQL on the `SqlRunner`
 * port; methods take an optional `tx` like the other control stores.
 */
export interface PresenceStore {
  /**
   * Records that devices were heard (newest time wins) and clears their stale mark. The stale
   * time is computed in SQL from the device's own interval, so that an interval set by another
   * worker is honoured.
   */
  recordHeard(rows: readonly HeardWrite[], window: StaleWindow, tx?: SqlRunner): Promise<void>;
  find(deviceId: string, tx?: SqlRunner): Promise<DevicePresenceRow | undefined>;
  findMany(deviceIds: readonly string[], tx?: SqlRunner): Promise<DevicePresenceRow[]>;
  /**
   * Sets a device's expected interval (null: the default) and moves its stale time with it.
   * A device not heard from since presence was recorded starts from `heardAtMs`.
   */
  setReportInterval(
    input: HeardWrite & {
      reportIntervalSeconds: number | null;
    },
    window: StaleWindow,
    tx?: SqlRunner,
  ): Promise<DevicePresenceRow>;
  /**
   * Marks devices whose stale time has passed, and returns them. One statement: with several
   * workers sweeping, each device is returned to exactly one of them.
   */
  markStale(nowMs: number, limit: number, tx?: SqlRunner): Promise<DevicePresenceRow[]>;
  /** Ids of devices marked stale (the service keeps them in memory to notice their return). */
  listStaleIds(tx?: SqlRunner): Promise<string[]>;
  /** Devices with an interval of their own (few): the service keeps them in memory. */
  listReportIntervals(tx?: SqlRunner): Promise<Map<string, number>>;
}

export interface DevicePresenceRow {
  deviceId: string;
  tenantId: string;
  gatewayId: string;
  reportIntervalSeconds: number | null;
  lastHeardAtMs: number;
  staleAfterMs: number;
  staleSinceMs: number | null;
}

export interface HeardWrite {
  deviceId: string;
  tenantId: string;
  gatewayId: string;
  heardAtMs: number;
}

/** How the stale time follows from the last report: `missedMs` × the interval in seconds. */
export interface StaleWindow {
  /** presence.missedReportsBeforeStale × 1000, rounded: ms per second of interval. */
  missedMs: number;
  defaultIntervalSeconds: number;
}

export interface ScheduleRow {
  automationId: string;
  triggerIndex: number;
  nextFireAtMs: number | null;
}

/** The control stores, and one transaction across them (e.g. an alarm and its notification request). */
export interface Control {
  readonly commands: CommandStore;
  readonly alarms: AlarmStore;
  readonly notifications: NotificationStore;
  readonly recipients: RecipientStore;
  readonly automations: AutomationStore;
  readonly presence: PresenceStore;
  /** Runs `work` in one transaction; pass its `tx` to the stores' methods. */
  transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T>;
}
