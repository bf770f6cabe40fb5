import { useState } from 'preact/hooks';
import { api, type AuditEntry, type Page } from '../api.ts';
import { formatDateTime } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { tenantIdOf } from './shared.tsx';
import { ListState, Table } from '../components/list.tsx';

const AUDIT_PAGE_SIZE = 50;

/** The provider's audit log, newest first, a page at a time (back and forth). */
export function AuditPage() {
  const { t, locale } = useI18n();
  const tenantId = tenantIdOf();
  // The cursors of the pages before the one shown: "Newer" pops one.
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useResource(
    (signal) =>
      api.get<Page<AuditEntry>>(`/v1/tenants/${encodeURIComponent(tenantId)}/audit`, {
        query: { limit: AUDIT_PAGE_SIZE, cursor },
        signal,
      }),
    [cursor],
  );
  const next = page.state.data?.nextCursor;
  return (
    <>
      <h1>{t('console.audit')}</h1>
      <ListState resource={page} isEmpty={(data) => data.items.length === 0} empty={t('audit.empty')}>
        {(data) => (
          <Table
            testId="audit-table"
            columns={[
              t('audit.at'),
              t('audit.action'),
              t('audit.actor'),
              t('audit.target'),
              t('audit.outcome'),
              t('audit.ip'),
            ]}
          >
            {data.items.map((entry) => (
              <tr key={entry.id} data-testid={`audit-${entry.id}`} data-action={entry.action}>
                <td>{formatDateTime(entry.at, locale)}</td>
                <td>
                  <code>{entry.action}</code>
                </td>
                <td class="small">
                  {entry.actorType}
                  {entry.actorId && <div class="muted mono">{entry.actorId}</div>}
                </td>
                <td class="small">
                  {entry.targetType ?? '—'}
                  {entry.targetId && <div class="muted mono">{entry.targetId}</div>}
                </td>
                <td>{entry.outcome}</td>
                <td class="mono small">{entry.ip ?? '—'}</td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
      <div class="table-footer">
        <button
          type="button"
          class="button"
          disabled={cursors.length === 1}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          {t('audit.newer')}
        </button>
        <span class="muted">{t('audit.page', { page: cursors.length })}</span>
        <button
          type="button"
          class="button"
          disabled={!next}
          onClick={() => setCursors([...cursors, next ?? undefined])}
        >
          {t('audit.older')}
        </button>
      </div>
    </>
  );
}
