/**
 * The nginx.conf of a media host running nginx with the RTMP module (DESIGN.md §6): RTMP in,
 * publish checks by Hestia, manual recording to a spool that the Hestia media agent empties,
 * live HLS, and an HTTP server for the control API, signed live playlists and signed archive
 * files. Generated from options so that the paths, the secret and the callback URLs written
 * into it always agree with the agent's and Hestia's.
 */
import { z } from 'zod';
import {
  ARCHIVE_PATH_PATTERN,
  STREAM_NAME_PATTERN,
  archiveSignedPath,
  hookToken,
  liveSignedPath,
} from '../../core/media-signing.ts';

/**
 * The two manual recorders of the application (`rec=` of /control/record/…). Recording starts on
 * the first; the media agent cuts a recording into files by starting the other one and stopping
 * the running one once the other has written its first key frame, so that no frame falls
 * between two files. nginx-rtmp's own record_interval cannot do it: it applies to automatic
 * recorders only (ngx_rtmp_record_node_av skips it for `manual`).
 */
export const RECORDERS = ['archive', 'archive2'] as const;
export type RecorderName = (typeof RECORDERS)[number];
/** What each recorder appends to `<stream>-<unix seconds>`, so that their files never collide. */
export const RECORDER_SUFFIXES: Record<RecorderName, string> = { archive: '.flv', archive2: '.2.flv' };
/** Where Debian's libnginx-mod-rtmp installs the module. */
export const DEFAULT_RTMP_MODULE_PATH = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

export interface NginxRtmpConfigOptions {
  rtmpHost: string;
  rtmpPort: number;
  httpHost: string;
  httpPort: number;
  /** The live application cameras publish to (`rtmp://host/<application>/<stream>`). */
  application?: string;
  /** Where nginx writes the files it records; the agent moves them to the disks. */
  spoolDir: string;
  hlsDir: string;
  /** The content root: disk `<id>` is `<contentRoot>/<id>`; archive URLs are served from here. */
  contentRoot: string;
  /** The media server's secret (publish keys, hook token, playback signatures). */
  secret: string;
  /** Hestia's base URL, for the publish hooks. */
  hestiaUrl: string;
  /** This server's id in Hestia (named in the publish hooks). */
  serverId: string;
  /** The Hestia media agent on this host, for the record-done hook. */
  agentUrl: string;
  /** Addresses allowed to use /stat and /control (the adapter in Hestia must be one of them). */
  controlAllow?: readonly string[];
  /** Addresses allowed to play over RTMP; cameras' video is otherwise only served signed, as HLS. */
  playAllow?: readonly string[];
  /** The unprivileged user of the worker (with a master process started as root). */
  user?: string;
  /**
   * false: a single process in the foreground (`daemon off; master_process off`), for tests and
   * supervisors that run nginx themselves. true (default): neither is written, so Debian's
   * systemd unit can pass its own `-g 'daemon on; master_process on;'` without a duplicate.
   */
  masterProcess?: boolean;
  rtmpModulePath?: string;
  pidFile?: string;
  errorLog?: string;
  /** `off` (default) or a file. */
  accessLog?: string;
  /** Where nginx keeps request bodies and proxy buffers; the compiled-in default when unset. */
  tempDir?: string;
}

/**
 * The `nginx` section of the media agent's config file (`hestia media-agent nginx-config`):
 * the options that are not the agent's own already (secret, server id, Hestia URL, spool,
 * content root, the agent's address).
 */
export const NginxSectionSchema = z
  .object({
    rtmpHost: z.string().min(1).default('0.0.0.0'),
    rtmpPort: z.number().int().min(1).max(65_535).default(1935),
    httpHost: z.string().min(1).default('0.0.0.0'),
    httpPort: z.number().int().min(1).max(65_535).default(8088),
    application: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('live'),
    hlsDir: z.string().min(1).default('/var/lib/hestia-media/hls'),
    /** Length of the recorded files when Hestia does not say; the agent cuts the recordings. */
    segmentMs: z.number().int().min(1000).default(1_800_000), // 30 minutes
    controlAllow: z.array(z.string().min(1)).default(['127.0.0.1']),
    playAllow: z.array(z.string().min(1)).default(['127.0.0.1']),
    user: z.string().min(1).optional(),
    rtmpModulePath: z.string().min(1).default(DEFAULT_RTMP_MODULE_PATH),
    pidFile: z.string().min(1).default('/run/nginx.pid'),
    errorLog: z.string().min(1).default('/var/log/nginx/error.log'),
    accessLog: z.string().min(1).default('off'),
  })
  .strict();
export type NginxSection = z.infer<typeof NginxSectionSchema>;

/** HLS fragment length; the archive remux uses the same so that live and archive play alike. */
const HLS_FRAGMENT_S = 2;
/** A publisher that sends nothing this long is dropped, which also ends its recording. */
const DROP_IDLE_PUBLISHER_S = 10;

/**
 * The complete nginx.conf. Throws a RangeError naming the option when a value cannot be written
 * into nginx's configuration language safely (nginx has no escape for `$` or quotes).
 */
export function nginxRtmpConfig(options: NginxRtmpConfigOptions): string {
  const application = options.application ?? 'live';
  checkWord('application', application, /^[A-Za-z0-9_-]+$/);
  // The secret is written into secure_link_md5, a string with variables: `$`, quotes, `;` or
  // whitespace would change the expression, so only these characters are accepted.
  checkWord('secret', options.secret, /^[A-Za-z0-9_.~+/=-]{16,}$/);
  for (const [name, value] of [
    ['spoolDir', options.spoolDir],
    ['hlsDir', options.hlsDir],
    ['contentRoot', options.contentRoot],
  ] as const) {
    checkWord(name, value, /^\/[A-Za-z0-9_./-]*$/);
  }
  for (const name of ['pidFile', 'errorLog', 'accessLog', 'tempDir', 'rtmpModulePath', 'user'] as const) {
    const value = options[name];
    if (value !== undefined) checkWord(name, value, /^[A-Za-z0-9_./:-]+$/);
  }
  for (const name of ['rtmpPort', 'httpPort'] as const) {
    if (!Number.isInteger(options[name]) || options[name] <= 0)
      throw new RangeError(`${name}: expected a positive whole number`);
  }
  const hestiaUrl = checkUrl('hestiaUrl', options.hestiaUrl);
  const agentUrl = checkUrl('agentUrl', options.agentUrl);
  const token = hookToken(options.secret);
  const server = encodeURIComponent(options.serverId);
  const controlAllow = options.controlAllow ?? ['127.0.0.1'];
  const playAllow = options.playAllow ?? ['127.0.0.1'];
  for (const address of [...controlAllow, ...playAllow]) checkWord('allow', address, /^[0-9A-Fa-f.:/]+$/);
  const spool = trimSlash(options.spoolDir);
  const hls = trimSlash(options.hlsDir);
  const content = trimSlash(options.contentRoot);

  const main = [
    `load_module ${options.rtmpModulePath ?? DEFAULT_RTMP_MODULE_PATH};`,
    ...(options.masterProcess === false ? ['daemon off;', 'master_process off;'] : []),
    ...(options.user ? [`user ${options.user};`] : []),
    // One worker: nginx-rtmp keeps streams, /stat and /control per worker, so with more than one
    // a control request would only see the streams of the worker that happened to take it.
    'worker_processes 1;',
    ...(options.pidFile ? [`pid ${options.pidFile};`] : []),
    ...(options.errorLog ? [`error_log ${options.errorLog} info;`] : []),
    'events {',
    '  worker_connections 4096;',
    '}',
  ];

  const rtmp = [
    'rtmp {',
    '  server {',
    `    listen ${listenAddress(options.rtmpHost, options.rtmpPort)};`,
    '    chunk_size 4096;',
    '    notify_method post;',
    `    drop_idle_publisher ${DROP_IDLE_PUBLISHER_S}s;`,
    `    application ${application} {`,
    '      live on;',
    ...playAllow.map((address) => `      allow play ${address};`),
    '      deny play all;',
    // Hestia checks the stream's publish key (the `key` argument nginx posts along) and that
    // the camera was sent to this server; anything but 2xx refuses the publication.
    `      on_publish "${hestiaUrl}/v1/media/hooks/publish?server=${server}&token=${token}";`,
    `      on_publish_done "${hestiaUrl}/v1/media/hooks/publish-done?server=${server}&token=${token}";`,
    ...RECORDERS.flatMap((recorder) => [
      `      recorder ${recorder} {`,
      '        record all manual;',
      `        record_path ${spool};`,
      // <stream>-<unix seconds><suffix>: the agent reads the stream and the opening time from it.
      '        record_unique on;',
      `        record_suffix ${RECORDER_SUFFIXES[recorder]};`,
      // A write lock on the file being recorded: the agent tells recording streams by it and
      // never picks up a file nginx is still writing.
      '        record_lock on;',
      `        on_record_done "${agentUrl}/v1/hooks/record-done?token=${token}";`,
      '      }',
    ]),
    '      hls on;',
    `      hls_path ${hls};`,
    '      hls_nested on;',
    `      hls_fragment ${HLS_FRAGMENT_S}s;`,
    '    }',
    '  }',
    '}',
  ];

  const cors = [
    'add_header Access-Control-Allow-Origin "*" always;',
    'add_header Access-Control-Allow-Methods "GET, HEAD, OPTIONS" always;',
    'add_header Access-Control-Allow-Headers "Range" always;',
    'add_header Access-Control-Expose-Headers "Content-Range, Content-Length, Accept-Ranges" always;',
    'add_header Access-Control-Max-Age 86400 always;',
  ];
  // nginx's secure_link sets $secure_link to "" when the signature does not match and to "0"
  // when it matches but has expired (it checks the expiry only for a valid signature).
  const signed = (signedPath: string): string[] => [
    // A CORS preflight carries no signature of its own meaning: answer it before the check.
    'if ($request_method = OPTIONS) {',
    '  return 204;',
    '}',
    'secure_link $sig,$expires;',
    `secure_link_md5 "$expires${signedPath} ${options.secret}";`,
    'if ($secure_link = "") {',
    '  return 403;',
    '}',
    'if ($secure_link = "0") {',
    '  return 410;',
    '}',
  ];
  const signature = '(?<sig>[A-Za-z0-9_-]{22})/(?<expires>[0-9]{1,12})';
  const location = (pattern: string, body: string[]): string[] => [
    `    location ~ "^${pattern}$" {`,
    ...body.map((line) => `      ${line}`),
    '    }',
  ];

  const http = [
    'http {',
    '  types {',
    '    application/vnd.apple.mpegurl m3u8;',
    '    video/mp2t ts;',
    '    video/mp4 mp4;',
    '  }',
    '  default_type application/octet-stream;',
    '  sendfile on;',
    '  tcp_nopush on;',
    '  server_tokens off;',
    `  access_log ${options.accessLog ?? 'off'};`,
    ...(options.tempDir
      ? ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
          (kind) => `  ${kind}_temp_path ${trimSlash(options.tempDir!)}/${kind};`,
        )
      : []),
    '  server {',
    `    listen ${listenAddress(options.httpHost, options.httpPort)};`,
    '    location = /stat {',
    ...controlAllow.map((address) => `      allow ${address};`),
    '      deny all;',
    '      rtmp_stat all;',
    '    }',
    '    location /control {',
    ...controlAllow.map((address) => `      allow ${address};`),
    '      deny all;',
    '      rtmp_control all;',
    '    }',
    ...location(`/live/${signature}/(?<stream>${STREAM_NAME_PATTERN})/playlist\\.m3u8`, [
      ...cors,
      // The playlist changes every fragment: a cached one would stall the player.
      'add_header Cache-Control "no-cache" always;',
      ...signed(liveSignedPath('$stream')),
      `alias ${hls}/$stream/index.m3u8;`,
    ]),
    ...location(`/live/${signature}/(?<stream>${STREAM_NAME_PATTERN})/(?<fragment>[0-9]{1,20}\\.ts)`, [
      ...cors,
      ...signed(liveSignedPath('$stream')),
      `alias ${hls}/$stream/$fragment;`,
    ]),
    // Served as static files: nginx answers Range requests with 206 by itself.
    ...location(`/archive/${signature}/(?<path>${ARCHIVE_PATH_PATTERN})`, [
      ...cors,
      ...signed(archiveSignedPath('$path')),
      `alias ${content}/$path;`,
    ]),
    '    location / {',
    '      return 404;',
    '    }',
    '  }',
    '}',
  ];

  return (
    [
      '# Generated by `hestia media-agent nginx-config`; edit the agent config, not this file.',
      ...main,
      ...rtmp,
      ...http,
    ].join('\n') + '\n'
  );
}

function checkWord(name: string, value: string, pattern: RegExp): void {
  if (!pattern.test(value))
    throw new RangeError(`${name}: ${JSON.stringify(value)} cannot be written into nginx.conf (${pattern})`);
}

function checkUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RangeError(`${name}: not a URL: ${value}`);
  }
  if (url.protocol !== 'http:') throw new RangeError(`${name}: nginx-rtmp calls back over plain http only`);
  const text = trimSlash(url.href);
  checkWord(name, text, /^[A-Za-z0-9_.~:/%-]+$/);
  return text;
}

function listenAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function trimSlash(value: string): string {
  return value.length > 1 ? value.replace(/\/+$/, '') : value;
}
