import type {
  Alarm,
  ApiClient,
  Availability,
  CameraEventKind,
  Command,
  HomeMode,
  RecordingState,
} from './api.ts';

// ---- the live feed of a home: its messages (src/api/live-hub.ts) and its WebSocket ----

export type LiveState = 'connecting' | 'connected' | 'offline';

export type LiveMessage =
  | { type: 'ready'; homeId: string }
  | {
      type: 'state';
      homeId: string;
      deviceId: string;
      label: string;
      capability: string | null;
      value: number | null;
      text: string | null;
      unit: string | null;
      ts: string;
    }
  | { type: 'availability'; homeId: string; deviceId: string; availability: Availability; at: string }
  | { type: 'alarm'; homeId: string; change: 'raised' | 'acknowledged' | 'cleared'; alarm: Alarm }
  | { type: 'mode'; homeId: string; mode: HomeMode; previous: HomeMode; at: string }
  | { type: 'command'; homeId: string; command: Command }
  | { type: 'gateway'; homeId: string; gatewayId: string; status: string; at: string }
  | { type: 'automation'; homeId: string; automationId: string; runId: string; outcome: string; at: string }
  | {
      type: 'notification';
      homeId: string;
      notificationId: string;
      severity: string;
      title: string;
      body: string;
    }
  | {
      type: 'recording';
      homeId: string;
      deviceId: string;
      state: RecordingState;
      reason: string | null;
      at: string;
    }
  | { type: 'cameraEvent'; homeId: string; deviceId: string; kind: CameraEventKind; at: string }
  | { type: 'pong' }
  | { type: 'error'; code: string; message: string };

export interface LiveHandlers {
  message(message: LiveMessage): void;
  state(state: LiveState): void;
  /** After every (re)connection: what happened while away must be reloaded over REST. */
  resync(): void;
}

/** Close codes of the live feed (src/api/routes/live.ts). */
const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_FORBIDDEN = 4403;
const CLOSE_NOT_FOUND = 4404;
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;

/**
 * The WebSocket of one home: authenticates with its first message (browsers cannot set
 * headers on a WebSocket), reconnects with exponential backoff and jitter, and asks for a
 * reload after each connection so nothing missed while away stays missing.
 */
export class LiveFeed {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private current: LiveState = 'connecting';

  constructor(
    private readonly homeId: string,
    private readonly client: ApiClient,
    private readonly handlers: LiveHandlers,
  ) {}

  get state(): LiveState {
    return this.current;
  }

  start(): void {
    this.stopped = false;
    globalThis.addEventListener('online', this.reconnectNow);
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    globalThis.removeEventListener('online', this.reconnectNow);
    this.socket?.close(1000, 'left the page');
    this.socket = null;
  }

  private readonly reconnectNow = (): void => {
    if (this.stopped || this.current === 'connected') return;
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    void this.connect();
  };

  private setState(state: LiveState): void {
    if (state === this.current) return;
    this.current = state;
    this.handlers.state(state);
  }

  private async connect(renew = false): Promise<void> {
    this.socket?.close();
    this.socket = null;
    this.setState('connecting');
    let token: string | null;
    try {
      token = renew ? await this.client.renewNow() : await this.client.accessToken();
    } catch {
      this.retryLater();
      return;
    }
    if (this.stopped) return;
    if (!token) {
      this.setState('offline');
      return;
    }
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(
      `${scheme}://${location.host}/v1/homes/${encodeURIComponent(this.homeId)}/live`,
    );
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token }));
    socket.onmessage = (event: MessageEvent) => {
      if (socket !== this.socket || typeof event.data !== 'string') return;
      let message: LiveMessage;
      try {
        message = JSON.parse(event.data) as LiveMessage;
      } catch {
        return; // the server sends JSON only; a broken frame is skipped, the next one counts
      }
      if (message.type === 'ready') {
        this.attempt = 0;
        this.setState('connected');
        this.handlers.resync();
      } else {
        this.handlers.message(message);
      }
    };
    socket.onclose = (event: CloseEvent) => {
      if (socket !== this.socket || this.stopped) return;
      this.socket = null;
      if (event.code === CLOSE_FORBIDDEN || event.code === CLOSE_NOT_FOUND) {
        this.setState('offline'); // no access to this home (any more): retrying will not help
      } else if (event.code === CLOSE_UNAUTHENTICATED && this.attempt === 0) {
        this.attempt = 1;
        void this.connect(true); // the token expired while connected: renew and come back at once
      } else {
        this.retryLater();
      }
    };
  }

  private retryLater(): void {
    if (this.stopped) return;
    this.setState('offline');
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
    this.attempt += 1;
    // Jitter: a restarted Hestia is not met by every panel in the same millisecond.
    const delayMs = ceiling / 2 + Math.random() * (ceiling / 2);
    this.retryTimer = setTimeout(() => void this.connect(), delayMs);
  }
}
