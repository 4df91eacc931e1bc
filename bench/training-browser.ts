/**
 * `npm run bench:training`: the training panel in the real app, browser mode (`out/main/serve.js`
 * with the real services and the real Python trainer), driven in the system Chromium (Playwright,
 * no browser download). The two numbers issue 10 asks for:
 *
 * 1. From "start" to the first progress event in the panel. Timed in the page: a capture-phase
 *    click listener and a MutationObserver (installed before the click) take performance.now()
 *    when `training-start` is clicked, when the progress section appears (the job exists, phase
 *    'receiving'), at every phase change after that ('starting' is main's first progress event:
 *    every pair received and the trainer spawned; 'loading' is the first line from Python), and
 *    when the panel shows epoch 1. Then the job is cancelled and the panel must say so.
 * 2. Memory of the page while a job runs with 1,000 cases in the library: every 500 ms, Chrome's
 *    Performance.getMetrics (JS heap used and total, DOM nodes) and the RSS of the page's renderer
 *    process (pids from the browser's SystemInfo.getProcessInfo, RSS from /proc), sampled for a
 *    while before the click (idle, same library, panel open) and from the click until the job has
 *    ended; the ratio is during / idle.
 *
 * The library: an ISIC-layout folder (images/<stem>.jpg, masks/<stem>_segmentation.png) made by
 * `python -m scsonet synth` once and cached in os.tmpdir(), imported through the `import-folder`
 * input into a fresh page; 12 cases (at least 5 of them validation cases, by main's split rule)
 * are approved through the case view. The server gets a data folder of its own and a small
 * trainer (LESIONDESK_TRAINER_ARGS, default below) so a job is short. Writes
 * bench/results/training-browser.json and prints a markdown table. Never run by the tests.
 *
 * Options: --runs N (default 3), --cases N (default 1000), --epochs N (default 2),
 * --idle-seconds S (default 10).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type CDPSession, type Page } from '@playwright/test';
import { splitOfContent } from '../preload/api.js';
import { startServe, type RunningServer } from '../test/e2e/browser-mode.js';
import { libraryCaseRows as caseRows } from '../test/e2e/workspace.js';
import { chromiumLaunchArgs, chromiumPath, loadAverage, median, numberOption, repoRootFrom, round } from './common.js';

const root = repoRootFrom(import.meta.url);
const python = process.env['LESIONDESK_PYTHON'] ?? '/usr/bin/python3';
const trainerArgs = process.env['LESIONDESK_TRAINER_ARGS'] ?? '--size 64 --threads 2 --replay-max 24 --batch-size 8';
const cacheRoot = path.join(os.tmpdir(), 'lesiondesk-bench-training');

const runs = numberOption('runs', 3);
const caseCount = numberOption('cases', 1000);
const epochs = numberOption('epochs', 2);
const idleSeconds = numberOption('idle-seconds', 10);
const sampleEveryMs = 500;
const approveCount = 12;
const minValidation = 5;

// The callbacks passed to page.evaluate run in Chromium; this file is compiled for Node without
// the DOM library, so the few page globals they touch are declared here.
interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  closest(selector: string): PageElement | null;
}
declare const window: Record<string, unknown> & {
  addEventListener(type: string, listener: (event: { target: PageElement }) => void, options?: { capture: boolean }): void;
};
declare const document: {
  body: unknown;
  querySelector(selector: string): PageElement | null;
};
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: unknown, options: { childList: boolean; subtree: boolean; attributes: boolean; attributeFilter: string[] }): void;
  disconnect(): void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

/** The cases on the validation side: the contract's split rule (preload/split.ts), by each image file's bytes. */
async function validatingIds(folder: string, rows: readonly { id: string; fileName: string }[]): Promise<Set<string>> {
  const sides = await Promise.all(rows.map(async (r) => splitOfContent(await readFile(path.join(folder, 'images', r.fileName)))));
  return new Set(rows.filter((_, i) => sides[i] === 'validation').map((r) => r.id));
}

// ---------------------------------------------------------------------------------------------
// The ISIC folder: made once by the trainer's own synthetic-data command, cached in os.tmpdir().

async function countFiles(dir: string): Promise<number> {
  return existsSync(dir) ? (await readdir(dir)).length : 0;
}

async function cachedIsicFolder(count: number): Promise<string> {
  const dir = path.join(cacheRoot, `isic-${count}-256x256`);
  if ((await countFiles(path.join(dir, 'images'))) === count && (await countFiles(path.join(dir, 'masks'))) === count) return dir;
  // `synth` writes images/<stem>.jpg and masks/<stem>.png into a work folder; it becomes the
  // cached folder (with the ISIC mask names) only when complete, so an interrupted run leaves none.
  const synth = path.join(cacheRoot, `synth-${count}-256x256.part`);
  if ((await countFiles(path.join(synth, 'images'))) !== count || (await countFiles(path.join(synth, 'masks'))) !== count) {
    console.error(`Generating ${count} 256x256 image/mask pairs in ${synth} (once)…`);
    await rm(synth, { recursive: true, force: true });
    await mkdir(cacheRoot, { recursive: true });
    execFileSync(python, ['-m', 'scsonet', 'synth', '--out', synth, '--count', String(count), '--size', '256x256'], {
      cwd: root,
      env: { ...process.env, PYTHONPATH: path.join(root, 'models') },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const building = `${dir}.part`;
  await rm(building, { recursive: true, force: true });
  await mkdir(path.join(building, 'images'), { recursive: true });
  await mkdir(path.join(building, 'masks'), { recursive: true });
  for (const name of await readdir(path.join(synth, 'images'))) await rename(path.join(synth, 'images', name), path.join(building, 'images', name));
  for (const name of await readdir(path.join(synth, 'masks'))) {
    await rename(path.join(synth, 'masks', name), path.join(building, 'masks', name.replace(/\.png$/, '_segmentation.png')));
  }
  await rm(dir, { recursive: true, force: true });
  await rename(building, dir);
  await rm(synth, { recursive: true, force: true });
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Memory: the page's heap and DOM from Chrome, processes' RSS from /proc.

interface ProcEntry {
  pid: number;
  ppid: number;
  comm: string;
}

/** Every process's parent and name (from /proc/<pid>/stat). */
async function processTable(): Promise<ProcEntry[]> {
  const entries: ProcEntry[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split at the last ')'.
      const close = stat.lastIndexOf(')');
      const rest = stat.slice(close + 2).split(' ');
      entries.push({ pid: Number(name), ppid: Number(rest[1]), comm: stat.slice(stat.indexOf('(') + 1, close) });
    } catch {
      // The process ended while the table was read.
    }
  }
  return entries;
}

/** Resident set size of a process in bytes (VmRSS), or null when it has ended. */
async function rssBytes(pid: number): Promise<number | null> {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

interface MemorySample {
  /** ms since the sampler started */
  t: number;
  jsHeapUsedMB: number;
  jsHeapTotalMB: number;
  nodes: number;
  /** RSS of the page's renderer process (the largest renderer; see rendererRss). */
  rendererRssMB: number | null;
  renderers: number;
  /** The browser-mode server (main's services) and the Python trainer, for context. */
  serverRssMB: number | null;
  trainerRssMB: number | null;
}

/**
 * RSS of the page's renderer. Chromium may keep a spare renderer next to the one showing the
 * page; the page's is by far the largest (a 1,000-case library), so the largest is taken and the
 * number of renderers is recorded with it.
 */
async function rendererRss(browserCdp: CDPSession): Promise<{ rss: number | null; count: number }> {
  const info = (await browserCdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
  const renderers = info.processInfo.filter((p) => p.type === 'renderer');
  let rss: number | null = null;
  for (const r of renderers) {
    const bytes = await rssBytes(r.id);
    if (bytes !== null && (rss === null || bytes > rss)) rss = bytes;
  }
  return { rss, count: renderers.length };
}

async function trainerRss(serverPid: number): Promise<number | null> {
  const table = await processTable();
  const trainer = table.find((p) => p.ppid === serverPid && /python/i.test(p.comm));
  return trainer ? rssBytes(trainer.pid) : null;
}

/** Samples every `sampleEveryMs` until stop() is called; stop() returns the samples. */
function startSampler(pageCdp: CDPSession, browserCdp: CDPSession, server: RunningServer): { stop(): Promise<MemorySample[]> } {
  const samples: MemorySample[] = [];
  const started = Date.now();
  let running = true;
  const loop = (async () => {
    while (running) {
      const due = Date.now() + sampleEveryMs;
      const metrics = Object.fromEntries((await pageCdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
      const renderer = await rendererRss(browserCdp);
      const serverPid = server.process.pid!;
      const [serverRss, trainer] = await Promise.all([rssBytes(serverPid), trainerRss(serverPid)]);
      samples.push({
        t: Date.now() - started,
        jsHeapUsedMB: mb(metrics['JSHeapUsedSize'] ?? Number.NaN),
        jsHeapTotalMB: mb(metrics['JSHeapTotalSize'] ?? Number.NaN),
        nodes: metrics['Nodes'] ?? Number.NaN,
        rendererRssMB: renderer.rss === null ? null : mb(renderer.rss),
        renderers: renderer.count,
        serverRssMB: serverRss === null ? null : mb(serverRss),
        trainerRssMB: trainer === null ? null : mb(trainer),
      });
      const wait = due - Date.now();
      if (wait > 0 && running) await sleep(wait);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

interface MemorySummary {
  samples: number;
  jsHeapUsedMB: { median: number; max: number };
  jsHeapTotalMB: { median: number; max: number };
  nodes: { median: number; max: number };
  rendererRssMB: { median: number; max: number };
  serverRssMB: { median: number; max: number };
  trainerRssMB: { median: number; max: number } | null;
}

function summarizeMemory(samples: readonly MemorySample[]): MemorySummary {
  const stat = (pick: (s: MemorySample) => number | null) => {
    const xs = samples.map(pick).filter((x): x is number => x !== null && Number.isFinite(x));
    return { median: round(median(xs)), max: xs.length ? round(Math.max(...xs)) : Number.NaN };
  };
  const trainer = stat((s) => s.trainerRssMB);
  return {
    samples: samples.length,
    jsHeapUsedMB: stat((s) => s.jsHeapUsedMB),
    jsHeapTotalMB: stat((s) => s.jsHeapTotalMB),
    nodes: stat((s) => s.nodes),
    rendererRssMB: stat((s) => s.rendererRssMB),
    serverRssMB: stat((s) => s.serverRssMB),
    trainerRssMB: Number.isFinite(trainer.median) ? trainer : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Page steps.

async function enterProfile(page: Page): Promise<void> {
  await page.getByTestId('profile-dialog').waitFor();
  await page.getByTestId('profile-name').fill('Bench Annotator');
  await page.getByTestId('profile-save').click();
  await page.getByTestId('profile-dialog').waitFor({ state: 'hidden' });
}

/** Open the case through the search box and approve it in the case view (as the e2e test does). */
async function approve(page: Page, fileName: string, id: string): Promise<void> {
  await page.getByTestId('case-search').fill(fileName);
  await page.locator(`[data-testid="case-item"][data-case-id="${id}"]`).click();
  await page.locator('[data-testid="case-view"][data-phase="ready"]').filter({ hasText: fileName }).waitFor({ timeout: 120_000 });
  await page.getByTestId('approve').click();
  await page.locator('[data-testid="review-status"][data-status="approved"]').waitFor({ timeout: 60_000 });
}

/** Import the folder through the `import-folder` input; seconds from setInputFiles to the report. */
async function importFolder(page: Page, folder: string): Promise<number> {
  const started = Date.now();
  await page.getByTestId('import-folder').setInputFiles(folder);
  await page.waitForFunction(
    (n) => (document.querySelector('[data-testid="import-report"]')?.textContent ?? '').includes(`Imported ${n} images`),
    caseCount,
    { timeout: 1_800_000, polling: 500 },
  );
  return (Date.now() - started) / 1000;
}

interface PageTimes {
  click: number;
  progress: number | null;
  phases: Record<string, number>;
  firstEpoch: number | null;
}

/** Installs the click listener and the observer that timestamp the panel's progress in the page. */
async function installProgressClock(page: Page): Promise<void> {
  await page.evaluate(() => {
    const times = { click: 0, progress: null as number | null, phases: {} as Record<string, number>, firstEpoch: null as number | null };
    window['benchTraining'] = times;
    window.addEventListener(
      'click',
      (event) => {
        if (!times.click && event.target.closest('[data-testid="training-start"]')) times.click = performance.now();
      },
      { capture: true },
    );
    const observer = new MutationObserver(() => {
      if (!times.click) return;
      const now = performance.now();
      const progress = document.querySelector('[data-testid="training-progress"]');
      if (!progress) return;
      times.progress ??= now;
      const phase = progress.dataset['phase'];
      if (phase && times.phases[phase] === undefined) times.phases[phase] = now;
      if (times.firstEpoch === null && Number(progress.dataset['epoch']) >= 1) {
        times.firstEpoch = now;
        observer.disconnect();
      }
    });
    observer.observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-phase', 'data-epoch', 'data-state'] });
  });
}

interface RunResult {
  run: number;
  loadAverage: number[];
  /** ms from the click on training-start */
  progressShownMs: number;
  firstProgressEvent: { phase: string; ms: number };
  firstTrainerEvent: { phase: string; ms: number } | null;
  phasesMs: Record<string, number>;
  firstEpochMs: number;
  cancelToResultMs: number;
  memory: { idle: MemorySummary; duringJob: MemorySummary; ratio: { jsHeapUsed: number; nodes: number; rendererRss: number } };
  samples: { idle: MemorySample[]; duringJob: MemorySample[] };
}

/** One job: open the panel, sample idle, start, time the progress, cancel, close the panel. */
async function trainingRun(run: number, page: Page, pageCdp: CDPSession, browserCdp: CDPSession, server: RunningServer): Promise<RunResult> {
  await page.getByTestId('open-training').click();
  await page.getByTestId('training-panel').waitFor();
  await page.locator('[data-testid="training-ready-count"][data-count="12"]').waitFor({ timeout: 60_000 });
  await page.getByTestId('training-epochs').fill(String(epochs));
  await page.getByTestId('training-epochs').blur();
  await page.locator('[data-testid="training-start"]:not([disabled])').waitFor({ timeout: 60_000 });

  const idleSampler = startSampler(pageCdp, browserCdp, server);
  await sleep(idleSeconds * 1000);
  const idle = await idleSampler.stop();

  await installProgressClock(page);
  const loadAverageBefore = loadAverage();
  const jobSampler = startSampler(pageCdp, browserCdp, server);
  await page.getByTestId('training-start').click();
  await page.waitForFunction(() => (window['benchTraining'] as PageTimes).firstEpoch !== null, null, { timeout: 900_000, polling: 250 });
  const times = await page.evaluate(() => window['benchTraining'] as PageTimes);
  const cancelStarted = Date.now();
  await page.getByTestId('training-cancel').click();
  await page.locator('[data-testid="training-result"][data-state="cancelled"]').waitFor({ timeout: 120_000 });
  const cancelToResultMs = Date.now() - cancelStarted;
  const during = await jobSampler.stop();
  // Closing the panel (the same button toggles it) so the next run opens it afresh.
  await page.getByTestId('open-training').click();
  await page.getByTestId('training-panel').waitFor({ state: 'hidden' });

  const since = (t: number) => round(t - times.click);
  const ordered = Object.entries(times.phases).sort((a, b) => a[1] - b[1]);
  const afterReceiving = ordered.find(([phase]) => phase !== 'receiving');
  // 'starting' comes from main (pairs received, Python spawned); the phases after it from Python.
  const fromTrainer = ordered.find(([phase]) => phase !== 'receiving' && phase !== 'starting');
  if (times.progress === null || !afterReceiving || times.firstEpoch === null) throw new Error(`Incomplete progress in run ${run}: ${JSON.stringify(times)}`);
  const idleSummary = summarizeMemory(idle);
  const duringSummary = summarizeMemory(during);
  const ratio = (a: number, b: number) => round(a / b, 2);
  const result: RunResult = {
    run,
    loadAverage: loadAverageBefore,
    progressShownMs: since(times.progress),
    firstProgressEvent: { phase: afterReceiving[0], ms: since(afterReceiving[1]) },
    firstTrainerEvent: fromTrainer ? { phase: fromTrainer[0], ms: since(fromTrainer[1]) } : null,
    phasesMs: Object.fromEntries(ordered.map(([phase, t]) => [phase, since(t)])),
    firstEpochMs: since(times.firstEpoch),
    cancelToResultMs,
    memory: {
      idle: idleSummary,
      duringJob: duringSummary,
      ratio: {
        jsHeapUsed: ratio(duringSummary.jsHeapUsedMB.median, idleSummary.jsHeapUsedMB.median),
        nodes: ratio(duringSummary.nodes.median, idleSummary.nodes.median),
        rendererRss: ratio(duringSummary.rendererRssMB.median, idleSummary.rendererRssMB.median),
      },
    },
    samples: { idle, duringJob: during },
  };
  console.error(
    `  run ${run}: progress shown ${result.progressShownMs} ms, first event (${result.firstProgressEvent.phase}) ${result.firstProgressEvent.ms} ms, ` +
      `first trainer phase ${result.firstTrainerEvent?.phase} ${result.firstTrainerEvent?.ms} ms, epoch 1 ${result.firstEpochMs} ms; ` +
      `heap ${idleSummary.jsHeapUsedMB.median} -> ${duringSummary.jsHeapUsedMB.median} MB, renderer RSS ${idleSummary.rendererRssMB.median} -> ${duringSummary.rendererRssMB.median} MB`,
  );
  return result;
}

async function main(): Promise<void> {
  const loadAverageStart = loadAverage();
  const folder = await cachedIsicFolder(caseCount);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lesiondesk-bench-training-data-'));
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  const results: RunResult[] = [];
  const pageErrors: string[] = [];
  let importSeconds: number;
  let split: { validation: number; train: number };
  try {
    server = await startServe(0, {
      pinModel: false,
      env: { LESIONDESK_DATA_DIR: path.join(dataDir, 'data'), LESIONDESK_PYTHON: python, LESIONDESK_TRAINER_ARGS: trainerArgs },
    });
    browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumLaunchArgs] });
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    await page.goto(server.url);
    await enterProfile(page);

    console.error(`Importing ${caseCount} cases from ${folder}…`);
    importSeconds = await importFolder(page, folder);
    console.error(`  imported in ${round(importSeconds, 1)} s`);
    const rows = await caseRows(page);
    const validating = await validatingIds(folder, rows);
    const validates = (id: string) => validating.has(id);
    if (rows.length !== caseCount) throw new Error(`Expected ${caseCount} cases, the library holds ${rows.length}.`);
    const validation = rows.filter((r) => validates(r.id));
    if (validation.length < minValidation) throw new Error(`Only ${validation.length} validation cases among ${rows.length}.`);
    const chosen = [...validation.slice(0, 7), ...rows.filter((r) => !validates(r.id))].slice(0, approveCount);
    split = { validation: chosen.filter((r) => validates(r.id)).length, train: chosen.filter((r) => !validates(r.id)).length };
    console.error(`Approving ${chosen.length} cases (${split.validation} validation)…`);
    for (const row of chosen) await approve(page, row.fileName, row.id);
    await page.getByTestId('case-search').fill('');
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="case-count"]')?.textContent?.replace(/\s+/g, ' ').trim() === `${n} cases`,
      caseCount,
      { timeout: 60_000 },
    );

    const pageCdp = await page.context().newCDPSession(page);
    await pageCdp.send('Performance.enable');
    const browserCdp = await browser.newBrowserCDPSession();
    for (let run = 1; run <= runs; run++) {
      console.error(`Run ${run} of ${runs} (load average ${loadAverage().join(' ')})`);
      results.push(await trainingRun(run, page, pageCdp, browserCdp, server));
    }
  } finally {
    await browser?.close();
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  const loadAverageEnd = loadAverage();

  const med = (pick: (r: RunResult) => number, digits = 1) => round(median(results.map(pick)), digits);
  const summary = {
    progressShownMs: med((r) => r.progressShownMs),
    firstProgressEventMs: med((r) => r.firstProgressEvent.ms),
    firstProgressEventPhase: results[0]!.firstProgressEvent.phase,
    firstTrainerEventMs: med((r) => r.firstTrainerEvent?.ms ?? Number.NaN),
    firstTrainerEventPhase: results[0]!.firstTrainerEvent?.phase ?? null,
    firstEpochMs: med((r) => r.firstEpochMs),
    cancelToResultMs: med((r) => r.cancelToResultMs),
    idle: {
      jsHeapUsedMB: med((r) => r.memory.idle.jsHeapUsedMB.median),
      jsHeapTotalMB: med((r) => r.memory.idle.jsHeapTotalMB.median),
      nodes: med((r) => r.memory.idle.nodes.median, 0),
      rendererRssMB: med((r) => r.memory.idle.rendererRssMB.median),
    },
    duringJob: {
      jsHeapUsedMB: med((r) => r.memory.duringJob.jsHeapUsedMB.median),
      jsHeapUsedMaxMB: med((r) => r.memory.duringJob.jsHeapUsedMB.max),
      jsHeapTotalMB: med((r) => r.memory.duringJob.jsHeapTotalMB.median),
      nodes: med((r) => r.memory.duringJob.nodes.median, 0),
      rendererRssMB: med((r) => r.memory.duringJob.rendererRssMB.median),
      rendererRssMaxMB: med((r) => r.memory.duringJob.rendererRssMB.max),
      serverRssMB: med((r) => r.memory.duringJob.serverRssMB.median),
      trainerRssMB: med((r) => r.memory.duringJob.trainerRssMB?.median ?? Number.NaN),
    },
    ratio: {
      jsHeapUsed: med((r) => r.memory.ratio.jsHeapUsed, 2),
      nodes: med((r) => r.memory.ratio.nodes, 2),
      rendererRss: med((r) => r.memory.ratio.rendererRss, 2),
    },
    note:
      'medians over runs of each run\'s value (memory: of each run\'s median sample). Times are from the click on "training-start" in the page. ' +
      `"${results[0]!.firstProgressEvent.phase}" is main's first progress event (every pair received, the trainer spawned); ` +
      'the first trainer phase is the first progress line from Python. Run 1 includes the first start of Python and torch in this server.',
  };
  const output = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? 'unknown',
      memoryGB: round(os.totalmem() / 1024 ** 3, 1),
      loadAverage: { start: loadAverageStart, end: loadAverageEnd },
      note: 'shared, contended CPU; Chromium software rendering (--disable-gpu); browser mode (out/main/serve.js) with the real Python trainer',
    },
    setup: {
      runs,
      library: { cases: caseCount, imageSize: '256x256', source: 'python -m scsonet synth, ISIC layout, imported through data-testid="import-folder"', importSeconds: round(importSeconds, 1) },
      approved: { cases: approveCount, ...split },
      job: { epochs, trainerArgs, python, cancelledAfter: 'the first epoch shown in the panel' },
      memory: {
        sampleEveryMs,
        idleSeconds,
        idle: 'training panel open, 1,000-case library, no job, right before the click',
        duringJob: 'from the click on training-start until the panel shows the job cancelled',
        sources: 'Performance.getMetrics (JSHeapUsedSize, JSHeapTotalSize, Nodes); VmRSS from /proc of the largest renderer in SystemInfo.getProcessInfo',
      },
    },
    n: results.length,
    summary,
    pageErrors,
    runs: results,
  };
  const file = path.join(root, 'bench/results/training-browser.json');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(output, null, 2) + '\n');

  const s = summary;
  const rows = [
    ['click on start → progress section shown (job created)', `${s.progressShownMs} ms`],
    [`click on start → first progress event (phase "${s.firstProgressEventPhase}")`, `${s.firstProgressEventMs} ms`],
    [`click on start → first phase from Python ("${s.firstTrainerEventPhase}")`, `${s.firstTrainerEventMs} ms`],
    ['click on start → epoch 1 shown', `${s.firstEpochMs} ms`],
    ['cancel → "cancelled" shown', `${s.cancelToResultMs} ms`],
    ['page JS heap used, idle → during job (ratio)', `${s.idle.jsHeapUsedMB} → ${s.duringJob.jsHeapUsedMB} MB (${s.ratio.jsHeapUsed}×)`],
    ['page DOM nodes, idle → during job (ratio)', `${s.idle.nodes} → ${s.duringJob.nodes} (${s.ratio.nodes}×)`],
    ['renderer RSS, idle → during job (ratio)', `${s.idle.rendererRssMB} → ${s.duringJob.rendererRssMB} MB (${s.ratio.rendererRss}×)`],
  ];
  console.log(`| training in the panel, ${caseCount} cases in the library (median of ${results.length} runs) | result |\n| --- | --- |`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log(`\nTrainer arguments: ${trainerArgs}; ${epochs} epochs; ${approveCount} approved cases (${split.validation} validation).`);
  console.log(`Load average (1, 5, 15 min) at start: ${loadAverageStart.join(', ')}; at end: ${loadAverageEnd.join(', ')}`);
  if (pageErrors.length) console.log(`Page errors: ${pageErrors.length} (see the JSON)`);
  console.log(`Written to ${path.relative(root, file)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
