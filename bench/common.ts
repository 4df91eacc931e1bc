/**
 * What the browser benchmark drivers share: the repository root, the system Chromium and the
 * flags it is launched with (never a downloaded browser), and their command-line options.
 */
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
