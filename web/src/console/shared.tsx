import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, session, type Page } from '../api.ts';
import { ErrorMessage, Loading } from '../components/status.tsx';
import { useResource, type Resource } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { createStore, type Store } from '../store.ts';

const PICKED_TENANT_KEY = 'hestia.console.tenant';

function readPickedTenant(): string | null {
  try {
    return globalThis.sessionStorage?.getItem(PICKED_TENANT_KEY) ?? null;
  } catch {
    return null;
  }
}

/**
 * The provider a platform admin manages in the console (`?tenant=<id>`), remembered for the
 * browser tab: the console's links carry it, and a link without it opens the last one picked.
 */
export const pickedTenant: Store<string | null> = createStore(readPickedTenant());
pickedTenant.subscribe((value) => {
  try {
    if (value) globalThis.sessionStorage?.setItem(PICKED_TENANT_KEY, value);
    else globalThis.sessionStorage?.removeItem(PICKED_TENANT_KEY);
  } catch {
    // A private window without storage: the pick lives in the URL only.
  }
});
session.subscribe((value) => {
  if (!value) pickedTenant.set(null);
});

/** Counts changes to the providers (created, renamed, suspended): the picker reloads on each. */
export const tenantsChanged: Store<number> = createStore(0);

/** The console's address of a section, with the provider a platform admin manages. */
export function consoleHref(section: string, tenantId: string | null): string {
  return `/console/${section}${tenantId ? `?tenant=${encodeURIComponent(tenantId)}` : ''}`;
}

/** Whether the signed-in person administers the platform (every provider) rather than one provider. */
export function isPlatformAdmin(): boolean {
  return session.get()?.user.role === 'platform_admin';
}

/**
 * The provider the console manages: a provider admin's own, or the one a platform admin picked
 * (the console shows a provider's sections only once one is picked).
 */
export function tenantIdOf(): string {
  const user = session.get()?.user;
  const id = user?.role === 'platform_admin' ? pickedTenant.get() : user?.tenantId;
  if (!id) throw new Error('The console has no provider to manage');
  return id;
}

/**
 * The `tenantId` that tenant-wide listings and creations (`/v1/gateways`, `/v1/tariffs`, …) need
 * from a platform admin; a provider admin acts in their own provider and names none.
 */
export function tenantScope(): { tenantId?: string } {
  return isPlatformAdmin() ? { tenantId: tenantIdOf() } : {};
}

/** The pages of a keyset listing loaded so far, and a way to load the next one. */
export interface PagedList<T> extends Resource<Page<T>> {
  loadMore: () => void;
  loadingMore: boolean;
  moreError: unknown;
}

/** A keyset-paged listing (`items`, `nextCursor`): the first page, then "Load more". */
export function usePagedList<T>(
  path: string,
  pageSize = 50,
  query: Record<string, string | undefined> = {},
): PagedList<T> {
  const resource = useResource(
    (signal) => api.get<Page<T>>(path, { query: { ...query, limit: pageSize }, signal }),
    [path, JSON.stringify(query)],
  );
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);
  const loadMore = () => {
    const cursor = resource.state.data?.nextCursor;
    if (!cursor || loadingMore) return;
    setLoadingMore(true);
    setMoreError(null);
    api.get<Page<T>>(path, { query: { ...query, limit: pageSize, cursor } }).then(
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
