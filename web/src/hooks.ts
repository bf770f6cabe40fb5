import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { isAbort } from './api.ts';
import type { Loadable } from './state.ts';

export interface Resource<T> {
  state: Loadable<T>;
  /** Loads again; `quietly` keeps showing the data meanwhile (a live-feed resync). */
  reload(quietly?: boolean): void;
  /** Changes the data in place (a live update), without a request. */
  update(change: (data: T) => T): void;
}

/**
 * Data from the API for a component: loading, ready or error, aborted when the component
 * goes or `deps` change, and only the newest answer counts.
 */
export function useResource<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: unknown[],
  /** How fresh data joins what is shown (e.g. keep live values newer than the answer). */
  merge?: (shown: T, fresh: T) => T,
): Resource<T> {
  const [state, setState] = useState<Loadable<T>>({ status: 'loading' });
  const loader = useRef({ load, merge });
  loader.current = { load, merge };
  const running = useRef<AbortController | null>(null);

  const run = useCallback((quietly: boolean) => {
    running.current?.abort();
    const controller = new AbortController();
    running.current = controller;
    if (!quietly) setState((previous) => ({ status: 'loading', data: previous.data }));
    loader.current.load(controller.signal).then(
      (fresh) => {
        if (controller.signal.aborted) return;
        const { merge: join } = loader.current;
        setState((previous) => ({
          status: 'ready',
          data: join && previous.data !== undefined ? join(previous.data, fresh) : fresh,
        }));
      },
      (error: unknown) => {
        if (controller.signal.aborted || isAbort(error)) return;
        setState((previous) => ({ status: 'error', error, data: previous.data }));
      },
    );
  }, []);

  useEffect(() => {
    setState({ status: 'loading' });
    run(false);
    return () => running.current?.abort();
  }, deps); // the caller names what the load depends on

  const update = useCallback((change: (data: T) => T) => {
    setState((previous) =>
      previous.data === undefined ? previous : { ...previous, data: change(previous.data) },
    );
  }, []);

  return { state, reload: (quietly = false) => run(quietly), update };
}

/** The browser tab's title: the page's subject, then the app's name. */
export function useTitle(subject: string | undefined): void {
  useEffect(() => {
    document.title = subject ? `${subject} · Hestia` : 'Hestia';
  }, [subject]);
}
