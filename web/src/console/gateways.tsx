import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, isAbort, type Gateway, type Home, type Page } from '../api.ts';
import { ErrorMessage } from '../components/status.tsx';
import { formatDateTime } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { homes } from '../state.ts';
import { useStore } from '../store.ts';
import { isPlatformAdmin, LoadMore, tenantScope, usePagedList, type PagedList } from './shared.tsx';
import { ListState, Table } from '../components/list.tsx';
import { Dialog, SecretValue } from '../components/dialog.tsx';
import { TextField, useSubmission } from '../components/form.tsx';

/** How often the list asks for its gateways' status while the tab is visible. */
const STATUS_REFRESH_MS = 10_000; // 10 seconds
/** The API's largest page: the rows shown are refreshed in one request up to this many. */
const MAX_PAGE_SIZE = 1000;
const GATEWAYS_PAGE_SIZE = 50;

/** What `POST /v1/gateways` answers: the only time the token and claim code are readable. */
interface Provisioned {
  gateway: Gateway;
  token: string;
  claimCode: string;
  mqtt: { username: string; clientId: string; up: string; down: string; status: string };
}

/** One bad row of an import (`HESTIA_CSV_INVALID` details). */
interface CsvRowError {
  line: number;
  column?: string;
  message: string;
}

/** What the one-time dialog shows: a new gateway, a rotated token or an import's credentials. */
type Shown =
  | { kind: 'provisioned'; result: Provisioned }
  | { kind: 'rotated'; gatewayId: string; token: string }
  | { kind: 'imported'; count: number; csv: string };

export function GatewaysPage() {
  const { t } = useI18n();
  const list = usePagedList<Gateway>('/v1/gateways', GATEWAYS_PAGE_SIZE, tenantScope());
  const refresh = useStatusRefresh(list);
  const [shown, setShown] = useState<Shown | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);

  const replace = (gateway: Gateway) =>
    list.update((page) => ({
      ...page,
      items: page.items.map((item) => (item.id === gateway.id ? gateway : item)),
    }));

  const rotate = async (gateway: Gateway) => {
    if (!globalThis.confirm(t('gateways.rotateConfirm', { name: gateway.name }))) return;
    setActionError(null);
    try {
      const { token } = await api.post<{ token: string }>(
        `/v1/gateways/${encodeURIComponent(gateway.id)}/credentials/rotate`,
      );
      setShown({ kind: 'rotated', gatewayId: gateway.id, token });
      list.reload(true);
    } catch (error) {
      setActionError(error);
    }
  };

  const revoke = async (gateway: Gateway) => {
    if (!globalThis.confirm(t('gateways.revokeConfirm', { name: gateway.name }))) return;
    setActionError(null);
    try {
      await api.delete(`/v1/gateways/${encodeURIComponent(gateway.id)}/credentials`);
      replace({ ...gateway, credentialsRevokedAt: new Date().toISOString() });
      list.reload(true);
    } catch (error) {
      setActionError(error);
    }
  };

  return (
    <>
      <div class="page-head">
        <h1>{t('console.gateways')}</h1>
        <RefreshNote refresh={refresh} />
      </div>
      {actionError !== null && <ErrorMessage error={actionError} />}
      <ListState resource={list} isEmpty={(page) => page.items.length === 0} empty={t('gateways.empty')}>
        {(page) => (
          <GatewayTable
            gateways={page.items}
            onRotate={(g) => void rotate(g)}
            onRevoke={(g) => void revoke(g)}
          />
        )}
      </ListState>
      <LoadMore list={list} />
      <div class="console-forms">
        <ProvisionForm
          onProvisioned={(result) => {
            setShown({ kind: 'provisioned', result });
            list.update((page) => ({ ...page, items: [result.gateway, ...page.items] }));
          }}
        />
        <ImportForm
          onImported={(count, csv) => {
            setShown({ kind: 'imported', count, csv });
            list.reload(true);
          }}
        />
      </div>
      {shown && <CredentialsDialog shown={shown} onClose={() => setShown(null)} />}
    </>
  );
}

interface StatusRefresh {
  /** When the rows last came from the API (ms since the epoch), null before the first load. */
  refreshedAt: number | null;
  error: unknown;
}

/**
 * Keeps the shown gateways' status and last-seen fresh: asks every 10 s while the tab is
 * visible, at once when it becomes visible again, and not while it is hidden. Rows are updated
 * in place (no loading state, no reordering), so nothing flickers.
 */
function useStatusRefresh(list: PagedList<Gateway>): StatusRefresh {
  const [state, setState] = useState<StatusRefresh>({ refreshedAt: null, error: null });
  const current = useRef(list);
  current.current = list;
  const loadedStatus = list.state.status;
  useEffect(() => {
    if (loadedStatus === 'ready') setState({ refreshedAt: Date.now(), error: null });
  }, [loadedStatus]);

  useEffect(() => {
    let timer: ReturnType<typeof setInterval> | undefined;
    let running: AbortController | null = null;
    const refresh = async () => {
      const shown = current.current.state.data?.items.length;
      if (shown === undefined) return;
      running?.abort();
      const controller = new AbortController();
      running = controller;
      try {
        const fresh = await api.get<Page<Gateway>>('/v1/gateways', {
          query: {
            ...tenantScope(),
            limit: Math.min(MAX_PAGE_SIZE, Math.max(GATEWAYS_PAGE_SIZE, shown)),
          },
          signal: controller.signal,
        });
        const byId = new Map(fresh.items.map((gateway) => [gateway.id, gateway]));
        current.current.update((page) => ({
          ...page,
          items: page.items.map((item) => byId.get(item.id) ?? item),
        }));
        setState({ refreshedAt: Date.now(), error: null });
      } catch (error) {
        if (!isAbort(error)) setState((previous) => ({ ...previous, error }));
      }
    };
    const stop = () => {
      clearInterval(timer);
      running?.abort();
    };
    const start = () => {
      stop();
      timer = setInterval(() => void refresh(), STATUS_REFRESH_MS);
    };
    const onVisibility = () => {
      if (document.visibilityState === 'visible') {
        void refresh();
        start();
      } else stop();
    };
    document.addEventListener('visibilitychange', onVisibility);
    if (document.visibilityState === 'visible') start();
    return () => {
      document.removeEventListener('visibilitychange', onVisibility);
      stop();
    };
  }, []);
  return state;
}

/** "Updated 14:05:09", or why the last refresh failed (the rows shown stay). */
function RefreshNote({ refresh }: { refresh: StatusRefresh }) {
  const { t, locale } = useI18n();
  if (refresh.refreshedAt === null) return null;
  const time = new Intl.DateTimeFormat(locale, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  }).format(refresh.refreshedAt);
  return (
    <p class="muted small refresh-note" data-testid="gateways-refreshed">
      {refresh.error === null ? t('consoleX.updatedAt', { time }) : t('consoleX.refreshFailed', { time })}
    </p>
  );
}

function GatewayTable(props: {
  gateways: Gateway[];
  onRotate: (gateway: Gateway) => void;
  onRevoke: (gateway: Gateway) => void;
}) {
  const { t, locale } = useI18n();
  const ownHomes = useStore(homes);
  // A platform admin's own home list is not the provider's: its homes are asked for.
  const providerHomes = useResource(
    (signal) =>
      isPlatformAdmin()
        ? api.get<{ items: Home[] }>('/v1/homes', {
            query: { limit: MAX_PAGE_SIZE, ...tenantScope() },
            signal,
          })
        : Promise.resolve(null),
    [],
  );
  const homeList = providerHomes.state.data?.items ?? ownHomes.data;
  const homeName = (homeId: string) => homeList?.find((home) => home.id === homeId)?.name ?? homeId;
  return (
    <Table
      testId="gateways-table"
      columns={[
        t('gateways.name'),
        t('gateways.status'),
        t('gateways.registration'),
        t('gateways.lastSeen'),
        t('gateways.firmware'),
        t('gateways.credentials'),
      ]}
    >
      {props.gateways.map((gateway) => (
        <tr
          key={gateway.id}
          data-testid={`gateway-${gateway.id}`}
          data-status={gateway.status}
          data-registration={gateway.registration}
        >
          <th scope="row">
            {gateway.name}
            <div class="muted small mono">{gateway.id}</div>
          </th>
          <td>
            <span class={`badge badge-gw-${gateway.status}`}>
              <span class="dot" aria-hidden="true" />
              {t(`gateways.status.${gateway.status}`)}
            </span>
          </td>
          <td data-testid="registration">
            {gateway.registration === 'registered' && gateway.homeId
              ? t('gateways.registeredTo', { home: homeName(gateway.homeId) })
              : t('gateways.pending')}
          </td>
          <td>{gateway.lastSeenAt ? formatDateTime(gateway.lastSeenAt, locale) : t('common.never')}</td>
          <td>{gateway.firmware ?? '—'}</td>
          <td>
            {gateway.credentialsRevokedAt && (
              <span class="badge badge-unavailable">{t('gateways.revoked')}</span>
            )}
            <div class="row-actions">
              <button type="button" class="button button-small" onClick={() => props.onRotate(gateway)}>
                {t('gateways.rotate')}
              </button>
              {!gateway.credentialsRevokedAt && (
                <button type="button" class="button button-small" onClick={() => props.onRevoke(gateway)}>
                  {t('gateways.revoke')}
                </button>
              )}
            </div>
          </td>
        </tr>
      ))}
    </Table>
  );
}

function ProvisionForm({ onProvisioned }: { onProvisioned: (result: Provisioned) => void }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [serial, setSerial] = useState('');
  const [claimCode, setClaimCode] = useState('');
  const { busy, error, run } = useSubmission();

  const submit = async (event: Event) => {
    event.preventDefault();
    await run(async () => {
      const result = await api.post<Provisioned>('/v1/gateways', {
        name: name.trim(),
        ...(serial.trim() && { id: serial.trim() }),
        ...(claimCode.trim() && { claimCode: claimCode.trim() }),
        ...tenantScope(),
      });
      setName('');
      setSerial('');
      setClaimCode('');
      onProvisioned(result);
    });
  };

  return (
    <form class="card console-form" onSubmit={(event) => void submit(event)} data-testid="provision-form">
      <h2>{t('gateways.provisionTitle')}</h2>
      <TextField
        id="gw-name"
        label={t('gateways.name')}
        required
        maxLength={100}
        value={name}
        onValue={setName}
      />
      <TextField
        id="gw-serial"
        label={t('gateways.serial')}
        maxLength={64}
        value={serial}
        onValue={setSerial}
        hint={t('gateways.serialHint')}
      />
      <TextField
        id="gw-claim"
        label={t('gateways.claimCode')}
        minLength={8}
        maxLength={64}
        value={claimCode}
        onValue={setClaimCode}
        hint={t('gateways.claimHint')}
      />
      {error !== null && <ErrorMessage error={error} />}
      <button type="submit" class="button button-primary" disabled={busy || !name.trim()}>
        {busy ? t('common.saving') : t('gateways.provision')}
      </button>
    </form>
  );
}

function ImportForm({ onImported }: { onImported: (count: number, csv: string) => void }) {
  const { t } = useI18n();
  const [file, setFile] = useState<File | null>(null);
  const { busy, error, run } = useSubmission();
  const rowErrors =
    error instanceof ApiError && error.code === 'HESTIA_CSV_INVALID'
      ? ((error.details as { rows?: CsvRowError[] } | undefined)?.rows ?? [])
      : [];

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!file) return;
    await run(async () => {
      const { text, headers } = await api.postText('/v1/gateways/import', await file.text(), 'text/csv', {
        query: tenantScope(),
      });
      const count = Number(headers.get('x-hestia-imported') ?? parseCsv(text).length - 1);
      (event.target as HTMLFormElement).reset();
      setFile(null);
      onImported(count, text);
    });
  };

  return (
    <form class="card console-form" onSubmit={(event) => void submit(event)} data-testid="import-form">
      <h2>{t('gateways.importTitle')}</h2>
      <p class="hint">{t('gateways.importHint')}</p>
      <div class="field">
        <label for="gw-csv">{t('gateways.csvFile')}</label>
        <input
          id="gw-csv"
          type="file"
          accept=".csv,text/csv"
          onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
        />
      </div>
      {error !== null && <ErrorMessage error={error} />}
      {rowErrors.length > 0 && (
        <ul class="csv-errors" data-testid="csv-errors">
          {rowErrors.map((row, index) => (
            <li key={index}>
              {t('gateways.csvLine', { line: row.line })}
              {row.column ? ` (${row.column})` : ''}: {row.message}
            </li>
          ))}
        </ul>
      )}
      <button type="submit" class="button" disabled={busy || !file}>
        {busy ? t('common.saving') : t('gateways.import')}
      </button>
    </form>
  );
}

/** The credentials, shown this once: the API keeps only their hashes. */
function CredentialsDialog({ shown, onClose }: { shown: Shown; onClose: () => void }) {
  const { t } = useI18n();
  const title =
    shown.kind === 'provisioned'
      ? t('gateways.provisionedTitle', { name: shown.result.gateway.name })
      : shown.kind === 'rotated'
        ? t('gateways.rotatedTitle')
        : t('gateways.importedTitle', { count: shown.count });
  return (
    <Dialog title={title} testId="gateway-credentials" onClose={onClose}>
      <p class="notice notice-warning" role="note">
        {t('gateways.onceWarning')}
      </p>
      {shown.kind === 'provisioned' && (
        <>
          <SecretValue label={t('gateways.serial')} value={shown.result.gateway.id} testId="gateway-id" />
          <SecretValue label={t('gateways.token')} value={shown.result.token} testId="gateway-token" />
          <SecretValue
            label={t('gateways.claimCode')}
            value={shown.result.claimCode}
            testId="gateway-claim-code"
          />
          <p class="muted small">
            {t('gateways.mqttUser', { user: shown.result.mqtt.username })} · {shown.result.mqtt.up}
          </p>
        </>
      )}
      {shown.kind === 'rotated' && (
        <>
          <SecretValue label={t('gateways.serial')} value={shown.gatewayId} testId="gateway-id" />
          <SecretValue label={t('gateways.token')} value={shown.token} testId="gateway-token" />
        </>
      )}
      {shown.kind === 'imported' && <ImportedCredentials csv={shown.csv} />}
    </Dialog>
  );
}

function ImportedCredentials({ csv }: { csv: string }) {
  const { t } = useI18n();
  const [header, ...rows] = parseCsv(csv);
  const [href] = useState(() => URL.createObjectURL(new Blob([csv], { type: 'text/csv' })));
  // The file holds secrets: it lives only as long as the dialog.
  useEffect(() => () => URL.revokeObjectURL(href), [href]);
  return (
    <>
      <a class="button" href={href} download="gateway-credentials.csv" data-testid="credentials-download">
        {t('gateways.download')}
      </a>
      <div class="table-scroll dialog-table">
        <table class="table">
          <thead>
            <tr>
              {(header ?? []).map((cell) => (
                <th key={cell} scope="col">
                  {cell}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, index) => (
              <tr key={index}>
                {row.map((cell, column) => (
                  <td key={column} class="mono">
                    {cell}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** RFC 4180 records (quoted cells, doubled quotes), enough for the credentials the API returns. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      record.push(cell);
      cell = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
    } else cell += char;
  }
  if (cell !== '' || record.length > 0) records.push([...record, cell]);
  return records;
}
