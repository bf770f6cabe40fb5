/**
 * The Hestia media agent (DESIGN.md §6): runs on a media host beside the engine and does the
 * work that needs the host's disks — placing finished recordings on the disk with the most
 * free space in the seed's layout, reporting them to Hestia, deleting them on Hestia's word,
 * telling its disks and recording streams, and, for nginx-rtmp, cutting recordings into files.
 * `hestia media-agent start` runs it.
 */
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createLogger } from '../../core/logger.ts';
import { RecordingCutter } from './cutter.ts';
import { DiskSet } from './disks.ts';
import { parseMediaAgentOptions, type MediaAgentOptions, type MediaAgentOptionsInput } from './options.ts';
import { placeRecording } from './placement.ts';
import { PlacementQueue } from './queue.ts';
import { isFinished, listSpool, recordingStreams } from './recordings.ts';
import { Outbox, SegmentReporter } from './reporter.ts';
import { buildAgentApi } from './server.ts';
import { StreamRegistry } from './streams.ts';

export interface MediaAgent {
  /** Where the agent listens, e.g. http://127.0.0.1:8089. */
  url: string;
  /**
   * Stops taking requests, lets the remux in progress finish (its file is placed and queued
   * for report) and stops reporting; what is left waits in the spool and the outbox.
   */
  close(): Promise<void>;
}

/** Starts the agent; throws HESTIA_CONFIG_INVALID for bad options, and any setup error (a missing disk). */
export async function startMediaAgent(
  input: MediaAgentOptionsInput,
  dependencies: { logger?: Logger } = {},
): Promise<MediaAgent> {
  const options: MediaAgentOptions = parseMediaAgentOptions(input);
  const logger = (dependencies.logger ?? createLogger(options.logLevel)).child({ component: 'media-agent' });
  await mkdir(options.spoolDir, { recursive: true });
  await mkdir(options.stateDir, { recursive: true });
  const disks = await DiskSet.open(options.contentRoot, options.disks, options.maxFillRatio);
  const streams = await StreamRegistry.open(options.stateDir);
  const outbox = await Outbox.open(options.stateDir);
  const reporter = new SegmentReporter({
    outbox,
    hestiaUrl: options.hestiaUrl,
    serverId: options.serverId,
    secret: options.secret,
    timeoutMs: options.reportTimeoutMs,
    retryInitialMs: options.reportRetryInitialMs,
    retryMaxMs: options.reportRetryMaxMs,
    logger,
  });
  const queue = new PlacementQueue(
    options.remuxConcurrency,
    (file) =>
      placeRecording(
        {
          disks,
          streams,
          outbox,
          spoolDir: options.spoolDir,
          ffmpegPath: options.ffmpegPath,
          fragmentSeconds: options.fragmentSeconds,
          remuxTimeoutMs: options.remuxTimeoutMs,
          logger,
          reported: () => reporter.wake(),
        },
        file,
      ),
    logger,
  );

  // nginx calls the record-done hook once; a recording finished while the agent was down or
  // unreachable is only found here.
  let sweeping = false;
  const sweep = async (): Promise<void> => {
    if (sweeping) return;
    sweeping = true;
    try {
      const now = Date.now();
      for (const file of await listSpool(options.spoolDir)) {
        if (isFinished(file, now) && queue.add(file.path))
          logger.info({ file: file.path }, 'finished recording found in the spool');
      }
    } catch (error) {
      logger.error({ err: error }, 'spool sweep failed');
    } finally {
      sweeping = false;
    }
  };

  const api = buildAgentApi({
    secret: options.secret,
    contentRoot: options.contentRoot,
    spoolDir: options.spoolDir,
    disks,
    streams,
    queue,
    outbox,
    recording: () => recordingStreams(options.spoolDir, Date.now()),
    logger,
  });
  const cutter = options.cutter
    ? new RecordingCutter({
        controlUrl: options.cutter.controlUrl,
        application: options.cutter.application,
        defaultSegmentMs: options.cutter.segmentMs,
        spoolDir: options.spoolDir,
        streams,
        timeoutMs: options.reportTimeoutMs,
        logger,
      })
    : undefined;
  await api.listen({ host: options.host, port: options.port });
  reporter.start();
  cutter?.start();
  void sweep();
  const sweeper = setInterval(() => void sweep(), options.sweepIntervalMs);

  const address = api.server.address() as AddressInfo;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  logger.info(
    {
      url,
      serverId: options.serverId,
      hestiaUrl: options.hestiaUrl,
      disks: disks.ids(),
      spoolDir: options.spoolDir,
      contentRoot: options.contentRoot,
    },
    'media agent listening',
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= (async () => {
        clearInterval(sweeper);
        // First the cutter: the files it closes are announced to the API, still listening.
        await cutter?.stop();
        await api.close();
        await queue.close();
        await reporter.stop();
        logger.info('media agent stopped');
      })();
      return closing;
    },
  };
}
