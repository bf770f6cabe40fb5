import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Resource } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { useSubmission, type Submission } from './form.tsx';
import { ErrorMessage, Loading } from './status.tsx';

/** The loading, error and empty states of a listing around what it shows when it has data. */
export function ListState<T>(props: {
  resource: Resource<T>;
  isEmpty: (data: T) => boolean;
  empty: string;
  children: (data: T) => ComponentChildren;
}) {
  const { resource } = props;
  const { state } = resource;
  return (
    <>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={() => resource.reload()} />}
      {state.data !== undefined &&
        (props.isEmpty(state.data) ? <p class="empty">{props.empty}</p> : props.children(state.data))}
    </>
  );
}

/** "Load more" under a list that has more: busy while the next page loads, its failure with a retry. */
export function MoreButton(props: {
  loading: Submission;
  label: string;
  onMore: () => void;
  testId?: string;
}) {
  const { t } = useI18n();
  const { busy, error } = props.loading;
  return (
    <div class="table-footer">
      {error !== null && <ErrorMessage error={error} onRetry={props.onMore} />}
      <button type="button" class="button" disabled={busy} onClick={props.onMore} data-testid={props.testId}>
        {busy ? t('common.loading') : props.label}
      </button>
    </div>
  );
}

/** Requests started from the rows of a list: which row's request runs, and the last failure. */
export interface RowAction {
  busyId: string | null;
  error: unknown;
  /** Runs `work` for the row `id`; a failure becomes `error`. */
  run: (id: string, work: () => Promise<void>) => Promise<void>;
}

export function useRowAction(): RowAction {
  const [busyId, setBusyId] = useState<string | null>(null);
  const { error, run: submit } = useSubmission();
  const run = (id: string, work: () => Promise<void>) => {
    setBusyId(id);
    return submit(() => work().finally(() => setBusyId(null)));
  };
  return { busyId, error, run };
}

/**
 * A column heading: its text, or its text with a class (a column hidden on small screens …),
 * or `hidden` for a heading only screen readers need (a column of buttons).
 */
export type Column = string | { label: string; class?: string; hidden?: boolean };

/**
 * A data table in its own scrolling wrapper (the page never scrolls sideways), with a row of
 * column headings; columns given as `false` are left out.
 */
export function Table(props: {
  columns: ReadonlyArray<Column | false | null | undefined>;
  testId?: string;
  class?: string;
  scrollClass?: string;
  children: ComponentChildren;
}) {
  return (
    <div class={props.scrollClass ? `table-scroll ${props.scrollClass}` : 'table-scroll'}>
      <table class={props.class ? `table ${props.class}` : 'table'} data-testid={props.testId}>
        <thead>
          <tr>
            {props.columns.map((column, index) =>
              !column ? null : typeof column === 'string' ? (
                <th scope="col" key={index}>
                  {column}
                </th>
              ) : (
                <th scope="col" key={index} class={column.class}>
                  {column.hidden ? <span class="visually-hidden">{column.label}</span> : column.label}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}
