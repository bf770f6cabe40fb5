import { useEffect, useRef } from 'preact/hooks';
import { api, session, type Home } from './api.ts';
import type { LiveMessage, LiveState } from './live-feed.ts';
import { LiveFeed } from './live-feed.ts';
import { createStore, storage } from './store.ts';

// ---- the homes of the signed-in person, and the one in view ----

export type Loadable<T> =
  | { status: 'loading'; data?: T }
  | { status: 'ready'; data: T }
  | { status: 'error'; error: unknown; data?: T };

export const homes = createStore<Loadable<Home[]>>({ status: 'loading' });
let homesLoading: Promise<void> | null = null;

/** Loads (or reloads) the person's homes: the home switcher and the home list share them. */
export function loadHomes(): Promise<void> {
  homesLoading ??= api
    .get<{ items: Home[] }>('/v1/homes', { query: { limit: 1000 } })
    .then(
      ({ items }) => homes.set({ status: 'ready', data: items }),
      (error: unknown) => homes.set({ status: 'error', error, data: homes.get().data }),
    )
    .finally(() => {
      homesLoading = null;
    });
  return homesLoading;
}

const LAST_HOME_KEY = 'hestia.lastHome';

/** The last home this person looked at, for `/` to open it again. */
export function lastHomeId(): string | null {
  const userId = session.get()?.user.id;
  try {
    const saved = JSON.parse(storage.read(LAST_HOME_KEY) ?? 'null') as {
      userId?: string;
      homeId?: string;
    } | null;
    return saved && saved.userId === userId && typeof saved.homeId === 'string' ? saved.homeId : null;
  } catch {
    return null;
  }
}

/** The home in view (its panel, or the home of the device in view); its live feed runs. */
export const currentHomeId = createStore<string | null>(null);

export function showHome(homeId: string): void {
  currentHomeId.set(homeId);
  const userId = session.get()?.user.id;
  if (userId) storage.write(LAST_HOME_KEY, JSON.stringify({ userId, homeId }));
}

/** Which home each device seen so far belongs to: the device page then needs no lookup. */
export const deviceHomes = new Map<string, string>();

session.subscribe((value) => {
  if (value) return;
  homes.set({ status: 'loading' });
  currentHomeId.set(null);
  deviceHomes.clear();
});

// ---- the live feed of the current home ----

export const liveState = createStore<LiveState>('connecting');

interface LiveListener {
  message(message: LiveMessage): void;
  resync(): void;
}
const liveListeners = new Set<LiveListener>();

/** Runs the current home's live feed while the returned function is not called. */
export function runLiveFeed(homeId: string): () => void {
  const feed = new LiveFeed(homeId, api, {
    message: (message) => {
      for (const listener of [...liveListeners]) listener.message(message);
    },
    state: (state) => liveState.set(state),
    resync: () => {
      for (const listener of [...liveListeners]) listener.resync();
    },
  });
  liveState.set('connecting');
  feed.start();
  return () => feed.stop();
}

/**
 * Follows the live feed of the current home: `onMessage` for each message, `onResync` after
 * each (re)connection (reload what may have been missed).
 */
export function useLive(onMessage: (message: LiveMessage) => void, onResync?: () => void): void {
  const handlers = useRef({ onMessage, onResync });
  handlers.current = { onMessage, onResync };
  useEffect(() => {
    const listener: LiveListener = {
      message: (message) => handlers.current.onMessage(message),
      resync: () => handlers.current.onResync?.(),
    };
    liveListeners.add(listener);
    return () => liveListeners.delete(listener);
  }, []);
}
