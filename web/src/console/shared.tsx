import { api, session, type Page } from '../api.ts';
import { useSubmission, type Submission } from '../components/form.tsx';
import { MoreButton } from '../components/list.tsx';
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
  more: Submission;
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
  const more = useSubmission();
  const loadMore = () => {
    const cursor = resource.state.data?.nextCursor;
    if (!cursor || more.busy) return;
    void more.run(async () => {
      const next = await api.get<Page<T>>(path, { query: { ...query, limit: pageSize, cursor } });
      resource.update((shown) => ({ items: [...shown.items, ...next.items], nextCursor: next.nextCursor }));
    });
  };
  return { ...resource, loadMore, more };
}

/** "Load more" under a paged table, while there is more. */
export function LoadMore<T>({ list }: { list: PagedList<T> }) {
  const { t } = useI18n();
  if (!list.state.data?.nextCursor) return null;
  return <MoreButton loading={list.more} label={t('console.loadMore')} onMore={() => list.loadMore()} />;
}
