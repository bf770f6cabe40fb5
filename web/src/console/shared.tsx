import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, session, type Page } from '../api.ts';
import { ErrorMessage, Loading } from '../components/status.tsx';
import { useResource, type Resource } from '../hooks.ts';
import { useI18n } from '../i18n.ts';

/** The provider the console manages: the signed-in admin's own. */
export function tenantIdOf(): string {
  const id = session.get()?.user.tenantId;
  if (!id) throw new Error('The console needs a provider admin');
  return id;
}

/** The pages of a keyset listing loaded so far, and a way to load the next one. */
export interface PagedList<T> extends Resource<Page<T>> {
  loadMore: () => void;
  loadingMore: boolean;
  moreError: unknown;
}

/** A keyset-paged listing (`items`, `nextCursor`): the first page, then "Load more". */
export function usePagedList<T>(path: string, pageSize = 50): PagedList<T> {
  const resource = useResource(
    (signal) => api.get<Page<T>>(path, { query: { limit: pageSize }, signal }),
    [path],
  );
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);
  const loadMore = () => {
    const cursor = resource.state.data?.nextCursor;
    if (!cursor || loadingMore) return;
    setLoadingMore(true);
    setMoreError(null);
    api.get<Page<T>>(path, { query: { limit: pageSize, cursor } }).then(
      (next) => {
        resource.update((shown) => ({ items: [...shown.items, ...next.items], nextCursor: next.nextCursor }));
        setLoadingMore(false);
      },
      (error: unknown) => {
        setMoreError(error);
        setLoadingMore(false);
      },
    );
  };
  return { ...resource, loadMore, loadingMore, moreError };
}

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

/** "Load more" under a paged table, while there is more. */
export function LoadMore<T>({ list }: { list: PagedList<T> }) {
  const { t } = useI18n();
  if (!list.state.data?.nextCursor) return null;
  return (
    <div class="table-footer">
      {list.moreError !== null && <ErrorMessage error={list.moreError} onRetry={() => list.loadMore()} />}
      <button type="button" class="button" disabled={list.loadingMore} onClick={() => list.loadMore()}>
        {list.loadingMore ? t('common.loading') : t('console.loadMore')}
      </button>
    </div>
  );
}

/**
 * A modal dialog (the browser's own `<dialog>`: focus kept inside, Escape closes it), open while
 * it is rendered.
 */
export function Dialog(props: {
  title: string;
  testId: string;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const { t } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      class="dialog"
      data-testid={props.testId}
      aria-labelledby={`${props.testId}-title`}
      onClose={props.onClose}
    >
      <h2 id={`${props.testId}-title`}>{props.title}</h2>
      {props.children}
      <div class="dialog-actions">
        <button type="button" class="button button-primary" onClick={() => ref.current?.close()}>
          {t('common.close')}
        </button>
      </div>
    </dialog>
  );
}

/** A secret shown once, with a button that copies it. */
export function SecretValue({ label, value, testId }: { label: string; value: string; testId: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const copy = () => {
    navigator.clipboard?.writeText(value).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return (
    <div class="secret">
      <span class="field-label">{label}</span>
      <code class="secret-value" data-testid={testId}>
        {value}
      </code>
      <button
        type="button"
        class="button button-small"
        onClick={copy}
        aria-label={t('console.copy', { what: label })}
      >
        {copied ? t('console.copied') : t('console.copyShort')}
      </button>
    </div>
  );
}
