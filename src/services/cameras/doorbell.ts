import type { AppContext } from '../../core/context.ts';
import type { Extension } from '../../core/extension.ts';
import type { NotificationService } from '../notifications/notifications.ts';
import type { PlaybackService } from './playback.ts';

/**
 * A doorbell press is a notification to the home's people, with the camera's latest preview
 * as its picture (a signed URL the phone fetches; push providers show it in the notification).
 * Whether the home is armed does not matter: a visitor is not an alarm.
 */
export class DoorbellNotifier implements Extension {
  constructor(
    private readonly ctx: AppContext,
    private readonly deps: { notifications: NotificationService; playback: PlaybackService },
  ) {}

  start(): void {
    this.ctx.bus.on(
      'camera.event',
      (event) => {
        if (event.kind !== 'doorbell') return;
        this.notify(event).catch((error: unknown) =>
          this.ctx.logger.error({ err: error, camera: event.deviceId }, 'doorbell notification failed'),
        );
      },
      this,
    );
  }

  stop(): Promise<void> {
    this.ctx.bus.removeListeners(this);
    return Promise.resolve();
  }

  private async notify(event: {
    tenantId: string;
    homeId: string;
    deviceId: string;
    atMs: number;
  }): Promise<void> {
    const { store, config, clock } = this.ctx;
    const [device, home, preview] = await Promise.all([
      store.devices.findDevice(event.deviceId),
      store.directory.homes.findHome(event.homeId),
      store.devices.findPreview(event.deviceId),
    ]);
    const deviceName = device?.name ?? 'Camera';
    const homeName = home?.name ?? '';
    const data: Record<string, string> = {
      deviceId: event.deviceId,
      event: 'doorbell',
      at: new Date(event.atMs).toISOString(),
    };
    if (preview) {
      const path = await this.deps.playback.previewImagePath(event.deviceId, preview.tsMs);
      data.imageUrl = `${config.mail.appUrl.replace(/\/+$/, '')}${path}`;
    }
    await this.deps.notifications.notify({
      tenantId: event.tenantId,
      homeId: event.homeId,
      sourceKey: `doorbell:${event.deviceId}:${event.atMs}`,
      kind: 'camera',
      severity: 'warning',
      title: `Someone is at the door — ${deviceName}`,
      body: `The doorbell rang at ${homeName}.`,
      message: { key: 'camera.doorbell', params: { device: deviceName, home: homeName } },
      data,
      userIds: null,
      createdAtMs: clock.now(),
    });
  }
}
