import type { DeadLetter } from '../api.ts';
import { formatDateTime } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { LoadMore, tenantScope, usePagedList } from './shared.tsx';
import { ListState, Table } from '../components/list.tsx';

/** Characters of a rejected payload shown in the table; the API keeps up to its configured size. */
const PAYLOAD_EXCERPT_CHARS = 160;

export function DeadLettersPage() {
  const { t, locale } = useI18n();
  const list = usePagedList<DeadLetter>('/v1/dead-letters', 50, tenantScope());
  return (
    <>
      <h1>{t('console.deadLetters')}</h1>
      <p class="hint">{t('deadLetters.hint')}</p>
      <ListState resource={list} isEmpty={(page) => page.items.length === 0} empty={t('deadLetters.empty')}>
        {(page) => (
          <Table
            testId="dead-letters-table"
            columns={[
              t('deadLetters.received'),
              t('deadLetters.gateway'),
              t('deadLetters.reason'),
              t('deadLetters.detail'),
              t('deadLetters.payload'),
            ]}
          >
            {page.items.map((letter) => (
              <tr key={letter.id} data-testid={`dead-letter-${letter.id}`}>
                <td>{formatDateTime(letter.receivedAt, locale)}</td>
                <td class="mono small">{letter.gatewayId ?? '—'}</td>
                <td>
                  <code>{letter.reason}</code>
                </td>
                <td>{letter.detail}</td>
                <td>
                  <code class="excerpt" title={t('deadLetters.bytes', { bytes: letter.payloadBytes })}>
                    {letter.payload.length > PAYLOAD_EXCERPT_CHARS
                      ? `${letter.payload.slice(0, PAYLOAD_EXCERPT_CHARS)}…`
                      : letter.payload}
                  </code>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
      <LoadMore list={list} />
    </>
  );
}
