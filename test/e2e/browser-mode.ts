/** Starts `node out/main/serve.js` (real services, real model) and yields its URL. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from '@playwright/test';

/** The repository: the nearest folder above with a package.json (this file also runs compiled, from out/). */
export const root = ((): string => {
  let dir = import.meta.dirname;
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();

/** Model folder the server loads: the shipped models/, or LESIONDESK_E2E_MODELS. */
export const modelsDir = process.env['LESIONDESK_E2E_MODELS'] ?? path.join(root, 'models');

export interface RunningServer {
  url: string;
  origin: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Start browser mode and wait for the URL line: on a free port unless `port` is given (the
 * library benchmark keeps one, because IndexedDB belongs to the origin, port included), with
 * extra environment variables (e.g. its own LESIONDESK_DATA_DIR), and unpinned (`pinModel: false`)
 * to run the active model version, as `npm run serve` without --model does.
 */
export async function startServe(port = 0, options: { env?: Record<string, string>; pinModel?: boolean } = {}): Promise<RunningServer> {
  const entry = path.join(root, 'out/main/serve.js');
  if (!existsSync(entry)) throw new Error('out/main/serve.js is missing: run `npm run build` first.');
  // Pinned to modelsDir by default; unpinned, the server runs the data folder's active version.
  const modelArgs = options.pinModel === false ? [] : ['--model', modelsDir];
  const child = spawn(process.execPath, [entry, '--port', String(port), ...modelArgs], {
    cwd: root,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start in 120 s: ${stderr}`)), 120_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${stderr}`));
    });
  });
  return {
    url,
    origin: new URL(url).origin,
    process: child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Names of the automatic models' cards in modelsDir (the status bar must show one of them). */
export function modelCardNames(): string[] {
  return readdirSync(modelsDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(modelsDir, f), 'utf8')) as { format?: string; name?: string; kind?: string })
    // The interactive model (the Box and Click tools) is never the active segmentation model.
    .filter((card) => card.format?.startsWith('lesiondesk-model-card/') && typeof card.name === 'string' && card.kind !== 'interactive')
    .map((card) => card.name!);
}

/** A synthetic dermoscopy-like JPEG: a dark irregular lesion on skin, with some texture. */
export async function syntheticLesionJpeg(width = 800, height = 600): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs>
      <radialGradient id="skin" cx="50%" cy="50%" r="75%">
        <stop offset="0%" stop-color="#e2b49a"/><stop offset="100%" stop-color="#b98068"/>
      </radialGradient>
      <radialGradient id="lesion" cx="45%" cy="45%" r="60%">
        <stop offset="0%" stop-color="#3b2216"/><stop offset="70%" stop-color="#6b4030"/><stop offset="100%" stop-color="#8d5a45"/>
      </radialGradient>
    </defs>
    <rect width="100%" height="100%" fill="url(#skin)"/>
    <path d="M ${width * 0.32} ${height * 0.38} C ${width * 0.38} ${height * 0.2}, ${width * 0.62} ${height * 0.22}, ${width * 0.66} ${height * 0.4}
             S ${width * 0.7} ${height * 0.72}, ${width * 0.5} ${height * 0.74} S ${width * 0.26} ${height * 0.58}, ${width * 0.32} ${height * 0.38} Z"
          fill="url(#lesion)"/>
  </svg>`;
  return sharp(Buffer.from(svg)).blur(2).jpeg({ quality: 90 }).toBuffer();
}

/** Collects console errors, CSP violations and uncaught page errors into `sink`, so a test can assert there were none. */
export function watchPageProblems(page: Page, sink: string[]): void {
  page.on('console', (msg) => {
    if (msg.type() === 'error' || /Content Security Policy/i.test(msg.text())) sink.push(msg.text());
  });
  page.on('pageerror', (error) => sink.push(error.message));
}
