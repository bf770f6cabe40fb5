import type { AppContext } from '../core/context.ts';
import type { MailPort } from '../core/ports/mail.ts';
import type { NotificationProvider } from '../core/ports/notification-provider.ts';
import type { MediaEngineFactory } from '../core/ports/media-engine.ts';
import { AccountService } from './accounts.ts';
import { AlarmService } from './alarms.ts';
import { AuditService } from './audit.ts';
import { Authorizer } from './authorization.ts';
import { AutomationService } from './automations/service.ts';
import { CommandService } from './commands.ts';
import { ExportService } from './exports.ts';
import { GatewayService } from './gateways.ts';
import { HomeService } from './homes.ts';
import { InvitationService } from './invitations.ts';
import { NotificationService } from './notifications/notifications.ts';
import { PresenceService } from './presence.ts';
import { TariffService } from './tariffs.ts';
import { TelemetryService } from './telemetry.ts';
import { TenantService } from './tenants.ts';
import { ArchiveService } from './cameras/archive.ts';
import { CameraService } from './cameras/cameras.ts';
import { MediaCluster } from './cameras/cluster.ts';
import { PlaybackService } from './cameras/playback.ts';
import { RecordingController } from './cameras/recording.ts';
import { MediaServerService } from './cameras/servers.ts';
import { VideoRetention } from './cameras/video-retention.ts';
import { DoorbellNotifier } from './cameras/doorbell.ts';

/** The services of one process: what the API, the CLI, ingest's ports and the tests use. */
export interface Services {
  authorize: Authorizer;
  audit: AuditService;
  accounts: AccountService;
  invitations: InvitationService;
  tenants: TenantService;
  homes: HomeService;
  gateways: GatewayService;
  tariffs: TariffService;
  telemetry: TelemetryService;
  exports: ExportService;
  presence: PresenceService;
  commands: CommandService;
  alarms: AlarmService;
  notifications: NotificationService;
  automations: AutomationService;
  media: MediaServices;
}

/** Cameras and the media-server cluster (DESIGN.md §6). */
export interface MediaServices {
  cluster: MediaCluster;
  servers: MediaServerService;
  cameras: CameraService;
  recording: RecordingController;
  archive: ArchiveService;
  playback: PlaybackService;
  retention: VideoRetention;
  doorbell: DoorbellNotifier;
}

/** What the services need from outside the context. */
export interface ServiceDeps {
  mailer: MailPort;
  /** Push providers and webhooks (src/push/ `createPushProviders`); none where nothing is sent. */
  pushProviders: readonly NotificationProvider[];
  /** The media-server adapters (src/media/ `createMediaEngine`). */
  mediaEngines: MediaEngineFactory;
}

/** The services of one process, wired once; `hestia start`, the CLI and the tests use the same graph. */
export function createServices(
  ctx: AppContext,
  { mailer, pushProviders, mediaEngines }: ServiceDeps,
): Services {
  const audit = new AuditService(ctx);
  const authorize = new Authorizer(ctx);
  const accounts = new AccountService(ctx, { audit, mailer });
  const invitations = new InvitationService(ctx, { accounts, audit, mailer });
  const commands = new CommandService(ctx, { authorize, audit });
  const notifications = new NotificationService(ctx, { authorize, audit, mailer, pushProviders });
  const alarms = new AlarmService(ctx, { authorize, audit, notifications });
  const automations = new AutomationService(ctx, { authorize, audit, commands, notifications, alarms });
  const cluster = new MediaCluster(ctx, { engines: mediaEngines, audit });
  const servers = new MediaServerService(ctx, { audit, commands });
  const cameras = new CameraService(ctx, { authorize, audit, cluster });
  const playback = new PlaybackService(ctx, { authorize });
  const media: MediaServices = {
    cluster,
    servers,
    cameras,
    recording: new RecordingController(ctx, {
      cameras,
      cluster,
      moveCameras: async (serverId) => {
        await servers.moveCameras(serverId);
      },
    }),
    archive: new ArchiveService(ctx, { authorize, audit }),
    playback,
    retention: new VideoRetention(ctx, { cluster }),
    doorbell: new DoorbellNotifier(ctx, { notifications, playback }),
  };
  return {
    audit,
    authorize,
    accounts,
    invitations,
    tenants: new TenantService(ctx, { accounts, invitations, audit, authorize }),
    homes: new HomeService(ctx, { authorize, invitations, audit }),
    gateways: new GatewayService(ctx, { authorize, audit }),
    tariffs: new TariffService(ctx, { authorize, audit }),
    telemetry: new TelemetryService(ctx),
    exports: new ExportService(ctx, { authorize }),
    presence: new PresenceService(ctx, { authorize }),
    commands,
    alarms,
    notifications,
    automations,
    media,
  };
}
