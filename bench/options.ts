import { InvalidArgumentError } from 'commander';

/** Command-line value parsers and the `--hestia-env` option shared by the benchmark programs. */

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
