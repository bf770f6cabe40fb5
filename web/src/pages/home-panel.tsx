import { useEffect, useRef } from 'preact/hooks';
import { api, type Alarm, type Device, type Home, type Room, type Security } from '../api.ts';
import type { LiveMessage } from '../live-feed.ts';
import { CamerasSection } from '../cameras/cameras-section.tsx';
import { AddGateway } from '../components/add-gateway.tsx';
import { AlarmsBanner } from '../components/alarms.tsx';
import { DeviceCard } from '../components/device-card.tsx';
import { HomeTabs } from '../components/home-tabs.tsx';
import { ModeControl } from '../components/mode.tsx';
import { ErrorMessage, Loading, PageError } from '../components/status.tsx';
import { useResource, useTitle } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { applyToDevice, canControl, groupByRoom, mergeDevice, upsertAlarm } from '../model.ts';
import { deviceHomes, showHome, useLive } from '../state.ts';
import { arrival } from './homes.tsx';

interface Panel {
  home: Home;
  devices: Device[];
  rooms: Room[];
  alarms: Alarm[];
  security: Security;
}

async function loadPanel(homeId: string, signal: AbortSignal): Promise<Panel> {
  const base = `/v1/homes/${encodeURIComponent(homeId)}`;
  const [home, devices, rooms, alarms, security] = await Promise.all([
    api.get<Home>(base, { signal }),
    api.get<{ items: Device[] }>(`${base}/devices`, { signal }),
    api.get<{ items: Room[] }>(`${base}/rooms`, { signal }),
    api.get<{ items: Alarm[] }>(`${base}/alarms`, { query: { state: 'active', limit: 100 }, signal }),
    api.get<Security>(`${base}/security`, { signal }),
  ]);
  return { home, devices: devices.items, rooms: rooms.items, alarms: alarms.items, security };
}

/**
 * A reload (after the live feed reconnected) keeps channel values newer than its answer: a
 * reading that arrived over the feed while the request was under way is not undone.
 */
function mergePanel(shown: Panel, fresh: Panel): Panel {
  const shownById = new Map(shown.devices.map((device) => [device.id, device]));
  return { ...fresh, devices: fresh.devices.map((device) => mergeDevice(shownById.get(device.id), device)) };
}

/** The panel after one live-feed message; `reload` when a reading names a device not shown. */
function applyLive(panel: Panel, message: LiveMessage, reload: () => void): Panel {
  switch (message.type) {
    case 'state':
    case 'availability': {
      if (!panel.devices.some((d) => d.id === message.deviceId)) {
        if (message.type === 'state') reload();
        return panel;
      }
      return { ...panel, devices: panel.devices.map((device) => applyToDevice(device, message)) };
    }
    case 'alarm':
      return { ...panel, alarms: upsertAlarm(panel.alarms, message.alarm) };
    case 'mode':
      return { ...panel, security: { ...panel.security, mode: message.mode } };
    default:
      return panel;
  }
}

export function HomePanel({ homeId }: { homeId: string }) {
  const { t } = useI18n();
  const panel = useResource((signal) => loadPanel(homeId, signal), [homeId], mergePanel);
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const loadedHomeId = panel.state.data?.home.id;
  useTitle(panel.state.data?.home.name);
  useEffect(() => {
    arrival.pending = false;
  }, []);
  // Only a home that loaded becomes the current one (its live feed, the last home used).
  useEffect(() => {
    if (loadedHomeId) showHome(loadedHomeId);
  }, [loadedHomeId]);
  useEffect(() => () => clearTimeout(reloadTimer.current), []);

  const reloadSoon = () => {
    // A new device's readings come in a burst: one reload for all of them.
    clearTimeout(reloadTimer.current);
    reloadTimer.current = setTimeout(() => panel.reload(true), 500);
  };

  useLive(
    (message) => {
      if ('homeId' in message && message.homeId !== homeId) return;
      panel.update((data) => applyLive(data, message, reloadSoon));
    },
    () => panel.reload(true),
  );

  const { state } = panel;
  if (state.data === undefined) {
    return state.status === 'error' ? (
      <PageError error={state.error} onRetry={() => panel.reload()} />
    ) : (
      <div class="page">
        <Loading />
      </div>
    );
  }

  const { home, devices, rooms, alarms, security } = state.data;
  for (const device of devices) deviceHomes.set(device.id, home.id);
  // Cameras have their own section, with their pictures: not again among the rooms' devices.
  const others = devices.filter((device) => device.type !== 'camera');
  const control = canControl(home);
  const setAlarm = (alarm: Alarm) =>
    panel.update((data) => ({ ...data, alarms: upsertAlarm(data.alarms, alarm) }));

  return (
    <div class="page home-panel">
      <div class="page-head">
        <h1>{home.name}</h1>
        <ModeControl
          homeId={home.id}
          mode={security.mode}
          canControl={control}
          onChange={(next) => panel.update((data) => ({ ...data, security: next }))}
        />
      </div>
      <HomeTabs homeId={home.id} current="devices" />
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={() => panel.reload()} />}
      <AlarmsBanner
        alarms={alarms}
        devices={devices}
        canControl={control}
        timezone={home.timezone}
        onChange={setAlarm}
      />
      <CamerasSection homeId={home.id} timezone={home.timezone} />
      {devices.length === 0 ? (
        <p class="empty">{t('home.noDevices')}</p>
      ) : (
        groupByRoom(others, rooms).map((group) => {
          const id = `room-${group.room?.id ?? 'none'}`;
          return (
            <section key={id} class="room" aria-labelledby={id}>
              <h2 id={id}>{group.room?.name ?? (rooms.length > 0 ? t('home.noRoom') : t('home.devices'))}</h2>
              <div class="device-grid">
                {group.devices.map((device) => (
                  <DeviceCard key={device.id} device={device} />
                ))}
              </div>
            </section>
          );
        })
      )}
      {home.role === 'owner' && <AddGateway homeId={home.id} onAdded={() => panel.reload(true)} />}
    </div>
  );
}
