/**
 * What the browser benchmark drivers share: the repository root, the system Chromium and the
 * flags it is launched with (never a downloaded browser), their command-line options, and the
 * profiler they print with BENCH_PROFILE=1.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';

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

/**
 * With BENCH_PROFILE=1, runs `action` under the Chromium CPU profiler and prints the functions
 * with the most self time (to find where an interaction's time goes; not part of the results).
 * `settleMs`: how long to keep sampling after the action (work it leaves for the next frames).
 */
export async function profiled<T>(page: Page, label: string, action: () => Promise<T>, settleMs = 0): Promise<T> {
  if (!process.env['BENCH_PROFILE']) return action();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  const result = await action();
  if (settleMs > 0) await page.waitForTimeout(settleMs);
  const { profile } = (await cdp.send('Profiler.stop')) as unknown as {
    profile: { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]; samples: number[]; timeDeltas: number[] };
  };
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byName = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber}`;
    byName.set(key, (byName.get(key) ?? 0) + (self.get(node.id) ?? 0) / 1000);
  }
  console.error(`--- ${label}: self time (ms)`);
  for (const [name, ms] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.error(`${ms.toFixed(1).padStart(8)}  ${name}`);
  await cdp.detach();
  return result;
}
