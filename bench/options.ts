import os from 'node:os';
import process from 'node:process';
import { InvalidArgumentError } from 'commander';
import { round } from './histogram.ts';

/**
 * Command-line value parsers, the `--hestia-env` option and the result's head, shared by the
 * benchmark programs.
 */

export const positiveNumber = (what: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${what}: expected a number > 0`);
  return n;
};

export const wholeNumber = (what: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what}: expected a whole number ≥ 1`);
  return n;
};

/** Collects repeated `--hestia-env HESTIA_<KEY>=<value>` options. */
export function collectHestiaEnv(value: string, previous: string[]): string[] {
  if (!/^HESTIA_[A-Z0-9_]+=/.test(value)) throw new InvalidArgumentError('expected HESTIA_<KEY>=<value>');
  return [...previous, value];
}

/** `KEY=VALUE` entries as an environment object. */
export function environmentOf(entries: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
}

/**
 * The head of a benchmark's JSON result: which benchmark, the command that reproduces this run
 * (with its options), when it started, and the machine it ran on.
 */
export function resultHead(benchmark: string): {
  benchmark: string;
  command: string;
  startedAt: string;
  machine: Record<string, unknown>;
} {
  const options = process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : '';
  return {
    benchmark,
    command: `npm run bench:${benchmark}${options}`,
    startedAt: new Date().toISOString(),
    machine: {
      cores: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      memoryGiB: round(os.totalmem() / 2 ** 30, 1),
      loadAverage1mAtStart: round(os.loadavg()[0] ?? 0),
    },
  };
}
