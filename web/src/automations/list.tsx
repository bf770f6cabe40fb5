import { useEffect, useState } from 'preact/hooks';
import { api, type Device } from '../api.ts';
import { HomeTabs } from '../components/home-tabs.tsx';
import { ErrorMessage, Loading, PageError } from '../components/status.tsx';
import { formatDateTime } from '../format.ts';
import { useResource, useTitle } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { canControl } from '../model.ts';
import { showHome, useLive } from '../state.ts';
import {
  automationPath,
  homePath,
  type Automation,
  type AutomationRun,
  type HomeWithPlace,
  type LastRun,
  type Scene,
} from './api.ts';
import { ScenesSection } from './scenes.tsx';
import { ConfirmButton, InlineError, OutcomeBadge } from './shared.tsx';
import { ruleSummary, type Names } from './summary.ts';

interface ListData {
  home: HomeWithPlace;
  /** Each with its newest run (`lastRun`): the listing carries it. */
  automations: Automation[];
  devices: Device[];
  scenes: Scene[];
}

async function loadList(homeId: string, signal: AbortSignal): Promise<ListData> {
  const base = homePath(homeId);
  const [home, automations, devices, scenes] = await Promise.all([
    api.get<HomeWithPlace>(base, { signal }),
    api.get<{ items: Automation[] }>(`${base}/automations`, { signal }),
    api.get<{ items: Device[] }>(`${base}/devices`, { signal }),
    api.get<{ items: Scene[] }>(`${base}/scenes`, { signal }),
  ]);
  return { home, automations: automations.items, devices: devices.items, scenes: scenes.items };
}

/** The home's automations (and scenes): what each does, its last run, and switches to run it. */
export function AutomationsPage({ homeId }: { homeId: string }) {
  const { t, locale } = useI18n();
  const list = useResource((signal) => loadList(homeId, signal), [homeId]);
  const data = list.state.data;
  useTitle(data ? `${t('automations.title')} · ${data.home.name}` : t('automations.title'));
  const loadedHomeId = data?.home.id;
  useEffect(() => {
    if (loadedHomeId) showHome(loadedHomeId);
  }, [loadedHomeId]);

  useLive(
    (message) => {
      if (message.type !== 'automation' || message.homeId !== homeId) return;
      // A run may also have flagged (and disabled) the rule: the whole list is read again.
      list.reload(true);
    },
    () => list.reload(true),
  );

  const { state } = list;
  if (data === undefined) {
    return state.status === 'error' ? (
      <PageError error={state.error} onRetry={() => list.reload()} />
    ) : (
      <div class="page">
        <Loading />
      </div>
    );
  }

  const control = canControl(data.home);
  const names: Names = { devices: data.devices, scenes: data.scenes, t, locale };
  const replace = (automation: Automation) =>
    list.update((shown) => ({
      ...shown,
      automations: shown.automations.map((item) => (item.id === automation.id ? automation : item)),
    }));
  const remove = (id: string) =>
    list.update((shown) => ({ ...shown, automations: shown.automations.filter((item) => item.id !== id) }));
  const ran = (run: AutomationRun) => {
    const lastRun: LastRun = { id: run.id, at: run.startedAt, outcome: run.outcome, error: run.error };
    list.update((shown) => ({
      ...shown,
      automations: shown.automations.map((item) =>
        item.id === run.automationId ? { ...item, lastRun } : item,
      ),
    }));
  };

  return (
    <div class="page automations-page">
      <div class="page-head">
        <h1>{data.home.name}</h1>
      </div>
      <HomeTabs homeId={data.home.id} current="automations" />
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={() => list.reload()} />}
      <section class="section" aria-labelledby="automations-heading">
        <div class="auto-section-head">
          <h2 id="automations-heading">{t('automations.title')}</h2>
          {control && (
            <a
              class="button button-primary"
              href={`/homes/${encodeURIComponent(homeId)}/automations/new`}
              data-testid="automation-new"
            >
              {t('automations.new')}
            </a>
          )}
        </div>
        {!control && <p class="notice">{t('automations.readOnly')}</p>}
        {data.automations.length === 0 ? (
          <p class="empty" data-testid="automations-empty">
            {t('automations.empty')}
          </p>
        ) : (
          <ul class="auto-list" data-testid="automation-list">
            {data.automations.map((automation) => (
              <AutomationItem
                key={automation.id}
                automation={automation}
                names={names}
                control={control}
                timezone={data.home.timezone}
                locale={locale}
                onChanged={replace}
                onDeleted={remove}
                onRan={ran}
              />
            ))}
          </ul>
        )}
      </section>
      <ScenesSection
        home={data.home}
        devices={data.devices}
        scenes={data.scenes}
        control={control}
        onChange={(scenes) => list.update((shown) => ({ ...shown, scenes }))}
      />
    </div>
  );
}

function AutomationItem(props: {
  automation: Automation;
  names: Names;
  control: boolean;
  timezone: string;
  locale: string;
  onChanged: (automation: Automation) => void;
  onDeleted: (id: string) => void;
  onRan: (run: AutomationRun) => void;
}) {
  const { t } = useI18n();
  const { automation, control } = props;
  const { lastRun } = automation;
  const [busy, setBusy] = useState<'enable' | 'run' | 'delete' | null>(null);
  const [error, setError] = useState<unknown>(null);
  /** The switch's position while its PATCH is under way. */
  const [switching, setSwitching] = useState<boolean | null>(null);
  const enabled = switching ?? automation.enabled;
  const summary = ruleSummary(automation, props.names);
  const editUrl = `/homes/${encodeURIComponent(automation.homeId)}/automations/${encodeURIComponent(automation.id)}`;
  const nameId = `automation-name-${automation.id}`;

  const act = async (kind: 'enable' | 'run' | 'delete', request: () => Promise<void>) => {
    setBusy(kind);
    setError(null);
    try {
      await request();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(null);
    }
  };

  return (
    <li
      class={`card auto-item ${automation.enabled ? '' : 'auto-item-off'}`}
      data-testid={`automation-${automation.id}`}
      data-name={automation.name}
      data-enabled={String(automation.enabled)}
      aria-labelledby={nameId}
    >
      <div class="auto-item-head">
        <h3 id={nameId} class="auto-item-name">
          <a href={editUrl}>{automation.name}</a>
        </h3>
        <label class="auto-switch">
          <input
            type="checkbox"
            role="switch"
            checked={enabled}
            disabled={!control || busy !== null}
            aria-label={t('automations.enabledOf', { name: automation.name })}
            data-testid="automation-enabled"
            onChange={(event) => {
              const wanted = event.currentTarget.checked;
              setSwitching(wanted);
              void act('enable', async () => {
                try {
                  props.onChanged(
                    await api.patch<Automation>(automationPath(automation.id), { enabled: wanted }),
                  );
                } finally {
                  setSwitching(null);
                }
              });
            }}
          />
          <span aria-hidden="true">{enabled ? t('automations.on') : t('automations.off')}</span>
        </label>
      </div>
      <dl class="auto-summary">
        <div>
          <dt>{t('automations.when')}</dt>
          <dd data-testid="automation-when">{summary.when}</dd>
        </div>
        {summary.conditions && (
          <div>
            <dt>{t('automations.if')}</dt>
            <dd>{summary.conditions}</dd>
          </div>
        )}
        <div>
          <dt>{t('automations.then')}</dt>
          <dd data-testid="automation-then">{summary.then}</dd>
        </div>
      </dl>
      {automation.flagReason && (
        <p class="notice notice-warning" data-testid="automation-flag" data-reason={automation.flagReason}>
          {t(`automations.flag.${automation.flagReason}`, {
            time: automation.flaggedAt
              ? formatDateTime(automation.flaggedAt, props.locale, props.timezone)
              : '',
          })}
        </p>
      )}
      <p class="auto-last-run" data-testid="automation-last-run">
        {lastRun ? (
          <>
            {t('automations.lastRun', {
              time: formatDateTime(lastRun.at, props.locale, props.timezone),
            })}{' '}
            <OutcomeBadge outcome={lastRun.outcome} />
            {lastRun.error && (
              <span class="auto-run-error" data-testid="automation-last-error">
                {lastRun.error}
              </span>
            )}
          </>
        ) : (
          <span class="muted">{t('automations.neverRun')}</span>
        )}
      </p>
      <InlineError error={error} />
      <div class="row-actions">
        {control && (
          <button
            type="button"
            class="button button-small"
            data-testid="automation-run"
            disabled={busy !== null}
            onClick={() =>
              void act('run', async () =>
                props.onRan(await api.post<AutomationRun>(`${automationPath(automation.id)}/run`, {})),
              )
            }
          >
            {busy === 'run' ? t('automations.running') : t('automations.runNow')}
          </button>
        )}
        <a class="button button-small" href={editUrl} data-testid="automation-edit">
          {control ? t('automations.edit') : t('automations.view')}
        </a>
        {control && (
          <ConfirmButton
            label={t('automations.delete')}
            question={t('automations.deleteConfirm', { name: automation.name })}
            confirm={t('automations.delete')}
            testId="automation-delete"
            busy={busy !== null}
            onConfirm={() =>
              void act('delete', async () => {
                await api.delete(automationPath(automation.id));
                props.onDeleted(automation.id);
              })
            }
          />
        )}
      </div>
    </li>
  );
}
