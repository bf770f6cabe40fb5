import { useEffect, useState } from 'preact/hooks';
import { api, FINAL_COMMAND_STATUSES, idempotencyKey, type Command, type Device } from '../api.ts';
import { errorText } from '../format.ts';
import { hasMessage, useI18n } from '../i18n.ts';
import { newerCommand } from '../model.ts';
import { liveState, useLive } from '../state.ts';
import { useStore } from '../store.ts';

/** How often a command still under way is asked for when the live feed does (or cannot) tell. */
const POLL_CONNECTED_MS = 5_000;
const POLL_OFFLINE_MS = 1_500;

/** Setpoint bounds of `setTemperature` (docs/commands.md). */
const SETPOINT_MIN_C = 5;
const SETPOINT_MAX_C = 35;

/**
 * Controls for what the device can do (from its channels' capabilities), and the status of
 * the latest command: from the POST's answer, then the live feed's `command` messages, with
 * GET /v1/commands/{id} as the fallback while the feed is down or quiet.
 */
export function CommandControls({ device, guest }: { device: Device; guest: boolean }) {
  const { t } = useI18n();
  const live = useStore(liveState);
  const [command, setCommand] = useState<Command | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const has = (capability: string) => device.channels.some((c) => c.capability === capability);
  const valueOf = (capability: string) =>
    device.channels.find((c) => c.capability === capability)?.value ?? null;

  useLive((message) => {
    if (message.type === 'command' && message.command.deviceId === device.id)
      setCommand((shown) =>
        shown && shown.id === message.command.id ? newerCommand(shown, message.command) : shown,
      );
  });

  useEffect(() => {
    if (!command || FINAL_COMMAND_STATUSES.has(command.status)) return;
    const controller = new AbortController();
    const timer = setTimeout(
      () => {
        api
          .get<Command>(`/v1/commands/${encodeURIComponent(command.id)}`, { signal: controller.signal })
          .then(
            (fresh) => setCommand((shown) => newerCommand(shown, fresh)),
            // A failed poll is retried by the next one (a new status or a new timer).
            () => setCommand((shown) => (shown ? { ...shown } : shown)),
          );
      },
      live === 'connected' ? POLL_CONNECTED_MS : POLL_OFFLINE_MS,
    );
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [command, live]);

  const send = async (action: string, params: Record<string, unknown> = {}) => {
    setBusy(true);
    setError(null);
    try {
      const sent = await api.post<Command>(`/v1/devices/${encodeURIComponent(device.id)}/commands`, {
        action,
        params,
        idempotencyKey: idempotencyKey(),
      });
      setCommand((shown) => newerCommand(shown, sent));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const controls = [
    has('switch') && <SwitchControl key="switch" send={send} />,
    has('dimmer') && <LevelControl key="dimmer" send={send} initial={valueOf('dimmer')} />,
    has('thermostat') && <SetpointControl key="thermostat" send={send} initial={valueOf('thermostat')} />,
    has('lock') && <LockControl key="lock" send={send} />,
    has('curtain') && <CurtainControl key="curtain" send={send} />,
  ].filter(Boolean);

  if (controls.length === 0) return <p class="muted">{t('device.noControls')}</p>;
  const actionKey = command ? `command.action.${command.action}` : '';
  return (
    <div class="controls">
      {guest && (
        <p class="notice" id="controls-reason">
          {t('device.guest')}
        </p>
      )}
      <fieldset
        class="control-set"
        disabled={guest || busy}
        aria-describedby={guest ? 'controls-reason' : undefined}
      >
        <legend class="visually-hidden">{t('device.controls')}</legend>
        {controls}
      </fieldset>
      {error !== null && (
        <p class="notice notice-error" role="alert">
          {errorText(error, t)}
        </p>
      )}
      <p
        class={`command-status status-${command?.status ?? 'none'}`}
        data-testid="command-status"
        data-status={command?.status ?? ''}
        data-command-id={command?.id ?? ''}
        role="status"
        aria-live="polite"
      >
        {command &&
          t('command.status', {
            action: hasMessage(actionKey) ? t(actionKey) : command.action,
            status: t(`command.status.${command.status}`),
          })}
        {command?.detail && <span class="muted"> ({command.detail})</span>}
      </p>
    </div>
  );
}

type Send = (action: string, params?: Record<string, unknown>) => Promise<void>;

function SwitchControl({ send }: { send: Send }) {
  const { t } = useI18n();
  return (
    <div class="control">
      <button type="button" class="button" onClick={() => void send('turnOn')}>
        {t('command.turnOn')}
      </button>
      <button type="button" class="button" onClick={() => void send('turnOff')}>
        {t('command.turnOff')}
      </button>
    </div>
  );
}

function LockControl({ send }: { send: Send }) {
  const { t } = useI18n();
  return (
    <div class="control">
      <button type="button" class="button" onClick={() => void send('lock')}>
        {t('command.lock')}
      </button>
      <button type="button" class="button" onClick={() => void send('unlock')}>
        {t('command.unlock')}
      </button>
    </div>
  );
}

function CurtainControl({ send }: { send: Send }) {
  const { t } = useI18n();
  return (
    <div class="control">
      {(['open', 'close', 'stop'] as const).map((action) => (
        <button key={action} type="button" class="button" onClick={() => void send(action)}>
          {t(`command.${action}`)}
        </button>
      ))}
    </div>
  );
}

function LevelControl({ send, initial }: { send: Send; initial: number | null }) {
  const { t } = useI18n();
  const [level, setLevel] = useState(() => Math.round(initial ?? 50));
  return (
    <form
      class="control"
      onSubmit={(event) => {
        event.preventDefault();
        void send('setLevel', { level });
      }}
    >
      <label for="control-level">{t('command.level')}</label>
      <input
        id="control-level"
        type="range"
        min={0}
        max={100}
        step={1}
        value={level}
        onInput={(event) => setLevel(Number(event.currentTarget.value))}
      />
      <output for="control-level">{level}</output>
      <button type="submit" class="button">
        {t('command.set')}
      </button>
    </form>
  );
}

function SetpointControl({ send, initial }: { send: Send; initial: number | null }) {
  const { t } = useI18n();
  const [text, setText] = useState(() => String(initial ?? 20));
  const value = Number(text);
  const valid =
    text.trim() !== '' && Number.isFinite(value) && value >= SETPOINT_MIN_C && value <= SETPOINT_MAX_C;
  return (
    <form
      class="control"
      onSubmit={(event) => {
        event.preventDefault();
        if (valid) void send('setTemperature', { temperature: value });
      }}
    >
      <label for="control-setpoint">{t('command.setpoint')}</label>
      <input
        id="control-setpoint"
        type="number"
        inputMode="decimal"
        min={SETPOINT_MIN_C}
        max={SETPOINT_MAX_C}
        step="any"
        value={text}
        aria-invalid={!valid}
        onInput={(event) => setText(event.currentTarget.value)}
      />
      <button type="submit" class="button" disabled={!valid}>
        {t('command.set')}
      </button>
    </form>
  );
}
