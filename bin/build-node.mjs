#!/usr/bin/env node
// Compiles the CLI, the services and the benchmark (main/cli/tsconfig.json) to out/node when a
// source is newer than the output, so `npx lesiondesk` and `npm run bench` run on plain Node 20
// without a TypeScript loader. Run directly to force a build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cliEntry = path.join(root, 'out', 'node', 'main', 'cli', 'index.js');
const sourceRoots = ['main/cli', 'main/services', 'preload/api.ts', 'preload/split.ts', 'preload/interactive.ts', 'bench/run.ts', 'bench/finetune.ts', 'bench/uncertainty.ts', 'bench/interactive.ts', 'test/fixtures'];

function newestMtime(p) {
  if (!existsSync(p)) return 0;
  const s = statSync(p);
  if (!s.isDirectory()) return p.endsWith('.ts') || p.endsWith('.json') ? s.mtimeMs : 0;
  let newest = 0;
  for (const name of readdirSync(p)) {
    if (name === 'results' || name === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(path.join(p, name)));
  }
  return newest;
}

/** Builds out/node if it is missing or older than any source; returns true when it built. */
export function ensureBuilt({ force = false, quiet = false } = {}) {
  const built = existsSync(cliEntry) ? statSync(cliEntry).mtimeMs : 0;
  const newest = Math.max(...sourceRoots.map((r) => newestMtime(path.join(root, r))));
  if (!force && built > newest) return false;
  if (!quiet) process.stderr.write('lesiondesk: compiling the CLI (once per source change)...\n');
  const require = createRequire(import.meta.url);
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc');
  } catch {
    process.stderr.write('lesiondesk: TypeScript is not installed; run `npm ci` first.\n');
    process.exit(2);
  }
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'main', 'cli', 'tsconfig.json')], {
    cwd: root,
    encoding: 'utf8',
  });
  // tsc still emits JavaScript when it reports type errors; only a missing output is fatal.
  if (!existsSync(cliEntry) || statSync(cliEntry).mtimeMs <= built) {
    process.stderr.write(`lesiondesk: could not compile the CLI:\n${result.stdout}${result.stderr}`);
    process.exit(2);
  }
  if (result.status !== 0 && !quiet) process.stderr.write(`lesiondesk: type errors (the build still ran):\n${result.stdout}`);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureBuilt({ force: process.argv.includes('--force') });
}
