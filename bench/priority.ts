/**
 * `npm run bench:priority`: how long opening a case takes while background predictions wait in
 * main's inference queue, against the same opens on an idle server, side by side in one run.
 * The real app in browser mode (`out/main/serve.js`, real services and model) driven in the
 * system Chromium (Playwright, no browser download).
 *
 * Setup: a data folder of its own; 2 x --opens + 4 JPEGs of --size imported through the toolbar's
 * file input, pre-annotation cancelled at once so the probes have no prediction (opening one
 * then runs the model, as opening a case no background task has reached yet does).
 * 1. idle: open --opens probes one after another (nothing else runs).
 * 2. with background: --queued segmentImage calls marked `background` (what pre-annotation and
 *    re-prediction send) are posted to the server from Node, each a different image of the same
 *    size; once they are all queued, open --opens other probes.
 * 3. unmarked (reference, one open): the same number of calls without a priority, as every call
 *    was before the queue had one: the open then waits with them.
 *
 * Timed in the page: from the click on the case's row to the case view showing that case ready
 * (image, prediction, probability map). Writes bench/results/priority.json and prints a table.
 * Never run by the tests.
 *
 * Before each open the bench waits --pause ms, as a person looks at a case before the next: long
 * enough for main to go back to background work (its quiet time after a person's request is 1 s),
 * so each open starts while a background request runs, as it would.
 *
 * Options: --opens N (default 7), --queued N (default 200), --size WxH (default 3000x2000),
 * --pause MS (default 2000).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from '@playwright/test';
import sharp from 'sharp';
import { createClient, createHttpInvoke, type LesionDeskApi } from '../preload/api.js';
import { startServe } from '../test/e2e/browser-mode.js';
import { storedLibrary } from '../test/e2e/workspace.js';
import { chromiumLaunchArgs, chromiumPath, loadAverage, median, numberOption, repoRootFrom, round, stringOption } from './common.js';

const root = repoRootFrom(import.meta.url);
const opens = numberOption('opens', 7);
const pauseMs = numberOption('pause', 2000);
const queued = numberOption('queued', 200);
const [width, height] = (stringOption('size') ?? '3000x2000').split('x').map(Number) as [number, number];
if (!(width > 0) || !(height > 0)) throw new Error('--size needs WxH in positive numbers, e.g. 2000x1500.');

/**
 * A dermoscopy-like JPEG whose lesion depends on `seed` (distinct bytes, so no import is a
 * duplicate), on skin with fine noise: a photo's texture, which a flat synthetic image lacks,
 * is what makes decoding cost what it does.
 */
async function lesionJpeg(seed: number): Promise<Buffer> {
  const frac = (k: number): number => (seed * k * 0.6180339887) % 1;
  const cx = width * (0.4 + 0.2 * frac(1));
  const cy = height * (0.4 + 0.2 * frac(2));
  const r = Math.min(width, height) * (0.18 + 0.1 * frac(3));
  const tone = 40 + Math.round(40 * frac(5));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="rgb(${190 + Math.round(20 * frac(7))},150,120)" fill-opacity="0.85"/>
    <ellipse cx="${cx}" cy="${cy}" rx="${r * 1.2}" ry="${r}" fill="rgb(${tone + 30},${tone},${tone - 20})"/>
  </svg>`;
  return sharp({ create: { width, height, channels: 3, background: { r: 128, g: 128, b: 128 }, noise: { type: 'gaussian', mean: 128, sigma: 12 } } })
    .composite([{ input: Buffer.from(svg) }])
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** Opens the case named `fileName` from the library and returns milliseconds to its view being ready (page clock). */
async function timedOpen(page: Page, fileName: string): Promise<number> {
  await page.getByTestId('case-search').fill(fileName);
  await page.locator('[data-testid="case-item"]', { hasText: fileName }).waitFor();
  await new Promise((resolve) => setTimeout(resolve, pauseMs));
  return page.evaluate<number>(`new Promise((resolve) => {
    const name = ${JSON.stringify(fileName)};
    const row = [...document.querySelectorAll('[data-testid="case-item"]')].find((e) => e.textContent.includes(name));
    const clicked = performance.now();
    row.click();
    const check = () => {
      const view = document.querySelector('[data-testid="case-view"]');
      if (view && view.getAttribute('data-phase') === 'ready' && view.textContent.includes(name)) resolve(performance.now() - clicked);
      else setTimeout(check, 5);
    };
    check();
  })`);
}

/** Posts `n` background (or unmarked) predictions from Node; counts answers as they come. */
function queueBackground(api: LesionDeskApi, images: readonly Buffer[], n: number, priority: 'background' | undefined): { answered: () => number; all: Promise<unknown> } {
  let answered = 0;
  const calls = Array.from({ length: n }, (_, i) =>
    api
      .segmentImage({ bytes: new Uint8Array(images[i % images.length]!), fileName: `background_${i}.jpg`, ...(priority ? { priority } : {}) })
      .then(() => answered++),
  );
  return { answered: () => answered, all: Promise.allSettled(calls) };
}

/** Waits until the server answers the first call (it is working through them), then a moment for the last uploads. */
async function untilQueued(calls: { answered: () => number }): Promise<void> {
  while (calls.answered() === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setTimeout(resolve, 300));
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'lesiondesk-bench-priority-'));
  const loadStart = loadAverage();
  const server = await startServe(0, { env: { LESIONDESK_DATA_DIR: path.join(tmp, 'data') } });
  const browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumLaunchArgs] });
  try {
    const token = new URL(server.url).searchParams.get('token')!;
    const nodeApi = createClient(createHttpInvoke(token, server.origin));
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.getByTestId('profile-name').fill('Bench Annotator');
    await page.getByTestId('profile-save').click();
    await page.getByTestId('status-model').waitFor({ timeout: 120_000 });

    const probeCount = 2 * opens + 6;
    console.error(`Importing ${probeCount} ${width}x${height} JPEGs…`);
    const files = await Promise.all(Array.from({ length: probeCount }, async (_, i) => ({ name: `probe_${String(i).padStart(3, '0')}.jpg`, mimeType: 'image/jpeg', buffer: await lesionJpeg(i + 1) })));
    await page.getByTestId('import-files').setInputFiles(files);
    await page.getByTestId('import-report').waitFor({ timeout: 300_000 });
    // Leave the probes without a prediction: cancel pre-annotation (a case or two may be done by then).
    const cancel = page.getByTestId('preannotation-cancel');
    if (await cancel.count()) await cancel.click().catch(() => undefined);
    await page.getByTestId('preannotation-progress').waitFor({ state: 'detached', timeout: 120_000 });
    await page.locator('[data-testid="case-view"][data-phase="ready"]').waitFor({ timeout: 120_000 });
    const unpredicted = (await storedLibrary(page, { versions: false }))
      .filter((c) => c.activeModel === null)
      .map((c) => c.fileName)
      .sort();
    if (unpredicted.length < 2 * opens + 3) throw new Error(`Only ${unpredicted.length} probes were left without a prediction; raise the import or cancel sooner.`);
    const [idleProbes, busyProbes, referenceProbe] = [unpredicted.slice(0, opens), unpredicted.slice(opens, 2 * opens), unpredicted[2 * opens]!];

    // Warm-up opens (the first decodes and canvas set-up cost more than the rest).
    await timedOpen(page, unpredicted.at(-1)!);
    await timedOpen(page, unpredicted.at(-2)!);

    console.error(`Idle: opening ${opens} cases…`);
    const idle: number[] = [];
    for (const name of idleProbes) idle.push(await timedOpen(page, name));

    const images = await Promise.all(Array.from({ length: 8 }, (_, i) => lesionJpeg(1000 + i)));
    console.error(`Queueing ${queued} background predictions, then opening ${opens} cases…`);
    const background = queueBackground(nodeApi, images, queued, 'background');
    await untilQueued(background);
    const busy: number[] = [];
    const answeredDuring: number[] = [];
    const queuedAtFirstOpen = queued - background.answered();
    for (const name of busyProbes) {
      const before = background.answered();
      busy.push(await timedOpen(page, name));
      answeredDuring.push(background.answered() - before);
    }
    const backgroundLeft = queued - background.answered();
    console.error(`${backgroundLeft} background predictions still queued after the opens; waiting for them…`);
    await background.all;

    console.error(`Reference: ${queued} unmarked predictions queued, one open…`);
    const unmarked = queueBackground(nodeApi, images, queued, undefined);
    await untilQueued(unmarked);
    const reference = await timedOpen(page, referenceProbe);
    const unmarkedAnsweredFirst = unmarked.answered();
    await unmarked.all;
    if (errors.length) throw new Error(`The page reported errors: ${errors.join('; ')}`);

    const idleMedian = median(idle);
    const busyMedian = median(busy);
    const output = {
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        model: os.cpus()[0]?.model.trim() ?? 'unknown',
        loadAverage: { start: loadStart, end: loadAverage() },
        note: 'shared, contended CPU; browser mode (out/main/serve.js), real model on the CPU execution provider; Chromium headless',
      },
      setup: {
        image: { width, height, format: 'JPEG q85, gaussian noise sigma 12 under the lesion drawing' },
        opens,
        queued,
        pauseBeforeEachOpenMs: pauseMs,
        measured: "click on the case's row to the case view ready with that case (its prediction run on open), page clock",
      },
      idleMs: idle.map((x) => round(x)),
      withBackgroundMs: busy.map((x) => round(x)),
      backgroundQueuedAtFirstOpen: queuedAtFirstOpen,
      backgroundAnsweredDuringEachOpen: answeredDuring,
      backgroundStillQueuedAfterOpens: backgroundLeft,
      unmarkedReference: { openMs: round(reference), unmarkedAnsweredBeforeTheOpenEnded: unmarkedAnsweredFirst },
      summary: {
        idleMedianMs: round(idleMedian),
        withBackgroundMedianMs: round(busyMedian),
        ratio: round(busyMedian / idleMedian, 2),
        target: 'ratio <= 1.2',
        unmarkedReferenceMs: round(reference),
      },
    };
    const out = path.join(root, 'bench', 'results', 'priority.json');
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(output, null, 2)}\n`);
    console.log(`| case open (median of ${opens}) | ms |\n|---|---|`);
    console.log(`| idle | ${round(idleMedian)} |`);
    console.log(`| ${queued} background predictions queued | ${round(busyMedian)} (x${round(busyMedian / idleMedian, 2)}) |`);
    console.log(`| ${queued} unmarked predictions queued (one open, reference) | ${round(reference)} |`);
    console.log(`\nWrote ${path.relative(root, out)}`);
  } finally {
    await browser.close();
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
