import { api, type Device } from '../api.ts';
import { ErrorMessage, Loading } from '../components/status.tsx';
import { useSubmission } from '../components/form.tsx';
import { MoreButton } from '../components/list.tsx';
import { channelName, formatDateTime, formatMeasure } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { deviceName } from '../model.ts';
import { useLive } from '../state.ts';
import {
  automationPath,
  type Automation,
  type AutomationRun,
  type HomeWithPlace,
  type Scene,
} from './api.ts';
import { OutcomeBadge } from './shared.tsx';
import { actionSummary, triggerSummary, type Names } from './summary.ts';

const PAGE_SIZE = 20;

/** What started a run, with the device's own names (the stored description names ids). */
function runTriggerText(run: AutomationRun, automation: Automation, names: Names): string {
  const { t, locale } = names;
  const { trigger } = run;
  if (trigger.type === 'manual') return t('automations.run.manual');
  if (trigger.type === 'device' && trigger.deviceId && trigger.label) {
    const device = names.devices.find((candidate) => candidate.id === trigger.deviceId);
    const channel = device?.channels.find((candidate) => candidate.label === trigger.label);
    const shown = (value: number | string | null | undefined) =>
      typeof value === 'number'
        ? formatMeasure(value, channel?.capability ?? null, channel?.unit ?? null, locale)
        : String(value ?? '—');
    return t(
      trigger.previous === undefined || trigger.previous === null
        ? 'automations.run.device'
        : 'automations.run.deviceFrom',
      {
        channel: channel ? channelName(channel, t) : trigger.label,
        device: device ? deviceName(device) : t('automations.sum.removedDevice'),
        value: shown(trigger.value),
        previous: shown(trigger.previous),
      },
    );
  }
  const rule = trigger.index === undefined ? undefined : automation.triggers[trigger.index];
  return t('automations.run.trigger', {
    what: rule && rule.type === trigger.type ? triggerSummary(rule, names) : trigger.description,
  });
}

interface RunsPage {
  items: AutomationRun[];
  /** False once a page came back shorter than asked: nothing older. */
  more: boolean;
}

/** Runs shown, with fresher copies of the same runs (a waiting run that finished) and new ones first. */
function mergeRuns(shown: AutomationRun[], fresh: AutomationRun[]): AutomationRun[] {
  const freshIds = new Set(fresh.map((run) => run.id));
  const oldest = fresh.at(-1)?.startedAt ?? '';
  const older = shown.filter((run) => !freshIds.has(run.id) && run.startedAt <= oldest);
  return [...fresh, ...older];
}

/**
 * The automation's runs, newest first, a page at a time; the first page is read again when the
 * live feed says this automation ran.
 */
export function RunHistory(props: {
  automation: Automation;
  home: HomeWithPlace;
  devices: Device[];
  scenes: Scene[];
}) {
  const { t, locale } = useI18n();
  const { automation, home } = props;
  const path = `${automationPath(automation.id)}/runs`;
  const runs = useResource(
    async (signal): Promise<RunsPage> => {
      const { items } = await api.get<{ items: AutomationRun[] }>(path, {
        query: { limit: PAGE_SIZE },
        signal,
      });
      return { items, more: items.length === PAGE_SIZE };
    },
    [path],
    (shown, fresh) => ({
      items: mergeRuns(shown.items, fresh.items),
      more: shown.items.length > fresh.items.length ? shown.more : fresh.more,
    }),
  );
  const more = useSubmission();

  useLive(
    (message) => {
      if (message.type === 'automation' && message.automationId === automation.id) runs.reload(true);
    },
    () => runs.reload(true),
  );

  const loadMore = () => {
    const last = runs.state.data?.items.at(-1);
    if (!last || more.busy) return;
    void more.run(async () => {
      const { items } = await api.get<{ items: AutomationRun[] }>(path, {
        query: { limit: PAGE_SIZE, before: last.id },
      });
      runs.update((shown) => {
        const known = new Set(shown.items.map((run) => run.id));
        return {
          items: [...shown.items, ...items.filter((run) => !known.has(run.id))],
          more: items.length === PAGE_SIZE,
        };
      });
    });
  };

  const names: Names = { devices: props.devices, scenes: props.scenes, t, locale };
  const { state } = runs;
  const data = state.data;
  return (
    <section class="section auto-runs" aria-labelledby="runs-heading" data-testid="automation-runs">
      <h2 id="runs-heading">{t('automations.runs')}</h2>
      {state.status === 'loading' && data === undefined && <Loading />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={() => runs.reload()} />}
      {data &&
        (data.items.length === 0 ? (
          <p class="empty" data-testid="runs-empty">
            {t('automations.runsEmpty')}
          </p>
        ) : (
          <ol class="auto-run-list" aria-live="polite">
            {data.items.map((run) => (
              <li
                key={run.id}
                class="auto-run"
                data-testid="run"
                data-run-id={run.id}
                data-outcome={run.outcome}
              >
                <div class="auto-run-head">
                  <time dateTime={run.startedAt}>{formatDateTime(run.startedAt, locale, home.timezone)}</time>
                  <OutcomeBadge outcome={run.outcome} />
                </div>
                <p class="auto-run-trigger" data-testid="run-trigger">
                  {runTriggerText(run, automation, names)}
                </p>
                {run.error && (
                  <p class="auto-run-error" data-testid="run-error">
                    {run.error}
                  </p>
                )}
                {run.outcome === 'waiting' && run.resumeAt && (
                  <p class="muted small">
                    {t('automations.run.resumes', {
                      time: formatDateTime(run.resumeAt, locale, home.timezone),
                    })}
                  </p>
                )}
                {run.actions.length > 0 && (
                  <ul class="auto-run-actions" aria-label={t('automations.run.actions')}>
                    {run.actions.map((result) => {
                      const action = automation.actions[result.index];
                      return (
                        <li key={result.index} data-testid="run-action" data-status={result.status}>
                          <span class={result.status === 'done' ? 'auto-ok' : 'auto-bad'}>
                            {t(result.status === 'done' ? 'automations.run.done' : 'automations.run.failed')}
                          </span>{' '}
                          {action && action.type === result.type
                            ? actionSummary(action, names)
                            : t(`automations.actionType.${result.type}`)}
                          {result.error && <span class="muted"> — {result.error}</span>}
                        </li>
                      );
                    })}
                  </ul>
                )}
                {run.causes.length > 0 && (
                  <p class="muted small">{t('automations.run.causes', { count: run.causes.length })}</p>
                )}
              </li>
            ))}
          </ol>
        ))}
      {data?.more && data.items.length > 0 && (
        <MoreButton loading={more} label={t('automations.loadMore')} onMore={loadMore} testId="runs-more" />
      )}
    </section>
  );
}
