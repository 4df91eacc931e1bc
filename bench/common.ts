/**
 * What the browser benchmark drivers share: the repository root, the system Chromium and the
 * flags it is launched with (never a downloaded browser), and their command-line options.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from a driver compiled to out/<folder>/bench/<name>.js. */
export function repoRootFrom(moduleUrl: string): string {
  return path.resolve(path.dirname(fileURLToPath(moduleUrl)), '..', '..', '..');
}

export const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export const chromiumLaunchArgs: readonly string[] = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** `--name VALUE` from the command line, or undefined when absent. */
export function stringOption(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** `--name N`, a positive number; `fallback` when absent. A wrong value stops the run with a message. */
export function numberOption(name: string, fallback: number): number {
  const given = stringOption(name);
  const value = given === undefined ? fallback : Number(given);
  if (!(value > 0)) throw new Error(`--${name} needs a positive number, not ${given}.`);
  return value;
}

/** The nearest-rank quantile (q in [0, 1]); NaN for no samples. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** The median (the mean of the middle two for an even count); NaN for no samples. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** The 1, 5 and 15 minute load averages, recorded with each result: this VM is shared. */
export const loadAverage = (): number[] => os.loadavg().map((x) => round(x, 2));
