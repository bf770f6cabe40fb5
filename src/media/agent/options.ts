/**
 * The media agent's options: one schema, validated once at start with a message that names
 * the bad key; defaults carry their unit. The CLI reads them from a JSON file and
 * `HESTIA_AGENT_*` variables (src/cli/media-agent.ts).
 */
import { z } from 'zod';
import { HestiaError } from '../../core/errors.ts';

export const DISK_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const DiskOptionSchema = z
  .object({
    /** The disk's directory is `<contentRoot>/<id>` (a mount point or a link to one). */
    id: z.string().regex(DISK_ID_PATTERN, 'letters, digits, "_" and "-" only'),
    /**
     * How much of the disk the archive may use, in bytes. Unset: the file system's own size and
     * free space. Set: free = min(file system free, capacity − bytes under the directory).
     */
    capacityBytes: z.number().int().positive().optional(),
  })
  .strict();

export const MediaAgentOptionsSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    /** 0 picks a free port. */
    port: z.number().int().min(0).max(65_535).default(8089),
    /** The media server's secret, as registered in Hestia: bearer token, hook token, report password. */
    secret: z.string().min(16, 'at least 16 characters'),
    /** This server's id in Hestia. */
    serverId: z.string().min(1),
    /** Hestia's base URL, where segment reports go. */
    hestiaUrl: z.string().url(),
    contentRoot: z.string().min(1),
    disks: z
      .array(DiskOptionSchema)
      .min(1, 'at least one disk')
      .refine((disks) => new Set(disks.map((d) => d.id)).size === disks.length, 'disk ids must be unique'),
    /** Where the engine records; finished files are taken from here. */
    spoolDir: z.string().min(1),
    /** Streams' camera numbers and the outbox of segment reports; survives restarts. */
    stateDir: z.string().min(1),
    /** A disk filled beyond this fraction gets no new recordings. */
    maxFillRatio: z.number().gt(0).max(1).default(0.95),
    /** Remuxes at once: they are I/O-bound copies, one keeps the disks' write order sequential. */
    remuxConcurrency: z.number().int().min(1).max(16).default(1),
    /** A remux (ffmpeg -c copy of one file) taking longer is killed and its file set aside. */
    remuxTimeoutMs: z.number().int().positive().default(600_000), // 10 minutes
    /** Fragment length of the archive files (HLS by byte ranges), as nginx's live fragments. */
    fragmentSeconds: z.number().int().min(1).max(10).default(2),
    ffmpegPath: z.string().min(1).default('ffmpeg'),
    /** First pause before a failed segment report is sent again; doubles up to reportRetryMaxMs. */
    reportRetryInitialMs: z.number().int().positive().default(1000), // 1 second
    reportRetryMaxMs: z.number().int().positive().default(60_000), // 1 minute
    reportTimeoutMs: z.number().int().positive().default(10_000), // 10 seconds
    /**
     * How often the spool is searched for finished recordings nobody announced (the engine calls
     * the record-done hook once, and not again while the agent is down).
     */
    sweepIntervalMs: z.number().int().positive().default(60_000), // 1 minute
    /**
     * nginx-rtmp on this host: the agent cuts its recordings into files (nginx cannot for manual
     * recorders). Absent for engines that cut their recordings themselves.
     */
    cutter: z
      .object({
        /** nginx's HTTP server with /control, as this host reaches it. */
        controlUrl: z.string().url(),
        application: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/)
          .default('live'),
        /** Length of the files of a stream Hestia registered without one. */
        segmentMs: z.number().int().min(1000).default(1_800_000), // 30 minutes
      })
      .strict()
      .optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();

export type MediaAgentOptions = z.infer<typeof MediaAgentOptionsSchema>;
export type MediaAgentOptionsInput = z.input<typeof MediaAgentOptionsSchema>;
export type DiskOption = z.infer<typeof DiskOptionSchema>;

/**
 * Validates options; throws HESTIA_CONFIG_INVALID naming the first bad key (`disks.1.id`), with
 * `describeKey` turning the key into where it came from (a file, a variable).
 */
export function parseMediaAgentOptions(
  input: unknown,
  describeKey: (key: string) => string = (key) => key,
): MediaAgentOptions {
  const result = MediaAgentOptionsSchema.safeParse(input);
  if (result.success) return result.data;
  throw configError(result.error, describeKey);
}

/** The HESTIA_CONFIG_INVALID error for a failed zod parse, naming the key. */
export function configError(error: z.ZodError, describeKey: (key: string) => string): HestiaError {
  const issue = error.issues[0]!;
  const key = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (key ? `${key}.${k}` : k));
    return new HestiaError(
      'HESTIA_CONFIG_INVALID',
      `${keys.map(describeKey).join(', ')}: not a configuration key`,
    );
  }
  return new HestiaError('HESTIA_CONFIG_INVALID', `${describeKey(key || '(options)')}: ${issue.message}`);
}
