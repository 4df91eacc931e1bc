/**
 * `npm run bench:repredict`: time to re-predict 200 stale cases after a model switch, in the real
 * app (browser mode: `out/main/serve.js` with the real services and model) driven in the system
 * Chromium (Playwright, no browser download).
 *
 * Setup: a data folder of its own whose model store holds a second version (the shipped weights
 * under a 1.1.0 card, test/e2e/model-versions.ts); 201 distinct 1024 x 768 JPEGs imported through
 * the toolbar's file input; the app opens the first and pre-annotates the others with 1.0.0.
 * Each run switches the active version from the models panel (1.0.0 -> 1.1.0, then back, ...),
 * waits for the library to count the stale cases, clicks "Re-predict" and waits for its report.
 * The case open in the editor is left to its view, so exactly 200 cases are re-predicted.
 *
 * Timed in the page: the total from the click to the report in the DOM; per case, the intervals
 * between the creation times of the new model's versions as the repository stored them (the
 * first from the click). Writes bench/results/repredict.json and prints a markdown table.
 * Never run by the tests.
 *
 * Options: --runs N (default 2), --cases N (default 200), --size WxH (default 1024x768).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from '@playwright/test';
import sharp from 'sharp';
import { startServe } from '../test/e2e/browser-mode.js';
import { addModelVersion } from '../test/e2e/model-versions.js';
import { storedLibrary } from '../test/e2e/workspace.js';
import { chromiumLaunchArgs, chromiumPath, median, numberOption, quantile, repoRootFrom, round, stringOption } from './common.js';

const root = repoRootFrom(import.meta.url);

const runs = numberOption('runs', 2);
const caseCount = numberOption('cases', 200);
const [width, height] = (stringOption('size') ?? '1024x768').split('x').map(Number) as [number, number];
if (!(runs > 0) || !(caseCount > 0) || !(width > 0) || !(height > 0)) throw new Error('--runs, --cases and --size need positive numbers.');


/** A dermoscopy-like JPEG whose lesion shape and colour depend on `seed` (distinct bytes per case). */
async function lesionJpeg(seed: number): Promise<Buffer> {
  // Low-discrepancy fractions (golden-ratio steps): no two seeds give the same picture, so no import is a duplicate.
  const frac = (k: number): number => (seed * k * 0.6180339887) % 1;
  const cx = width * (0.4 + 0.2 * frac(1));
  const cy = height * (0.4 + 0.2 * frac(2));
  const r = Math.min(width, height) * (0.18 + 0.1 * frac(3));
  const tone = 40 + Math.round(40 * frac(5));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="rgb(${190 + Math.round(20 * frac(7))},150,120)"/>
    <ellipse cx="${cx}" cy="${cy}" rx="${r * 1.2}" ry="${r}" fill="rgb(${tone + 30},${tone},${tone - 20})"/>
    <circle cx="${cx + r * 0.5}" cy="${cy - r * 0.3}" r="${r * 0.5}" fill="rgb(${tone + 10},${tone - 10},${tone - 25})"/>
  </svg>`;
  return sharp(Buffer.from(svg)).blur(3).jpeg({ quality: 90 }).toBuffer();
}

/** Model `name@version` of every case and how many versions `author` has, read from the page's IndexedDB. */
async function libraryState(page: Page, author: string): Promise<{ models: (string | null)[]; versionsBy: number; createdBy: number[] }> {
  const cases = await storedLibrary(page);
  const mine = cases.flatMap((c) => c.versions).filter((v) => v.author === author);
  return { models: cases.map((c) => c.activeModel), versionsBy: mine.length, createdBy: mine.map((v) => v.createdAt).sort((a, b) => a - b) };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

interface RunResult {
  from: string;
  to: string;
  staleBefore: number;
  repredicted: number;
  totalSeconds: number;
  casesPerSecond: number;
  perCaseMs: { median: number; p90: number; min: number; max: number };
  report: string;
  staleAfter: number;
}

async function activate(page: Page, version: string): Promise<void> {
  await page.getByTestId('open-models').click();
  await page.locator(`[data-testid="model-item"][data-version="${version}"]`).getByTestId('model-activate').click();
  await page.locator(`[data-testid="status-model"][data-version="${version}"]`).waitFor({ timeout: 60_000 });
  // Close the drawer again (the same button toggles it).
  await page.getByTestId('open-models').click();
}

async function staleCount(page: Page): Promise<number> {
  const counter = page.getByTestId('stale-count');
  return (await counter.count()) ? Number(await counter.getAttribute('data-count')) : 0;
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'lesiondesk-bench-repredict-'));
  const dataDir = path.join(tmp, 'data');
  const v1 = 'scsonet-isic2017@1.0.0';
  const v2 = await addModelVersion(dataDir, '1.1.0');
  const loadStart = os.loadavg();
  const server = await startServe(0, { pinModel: false, env: { LESIONDESK_DATA_DIR: dataDir } });
  const browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumLaunchArgs] });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.getByTestId('profile-name').fill('Bench Annotator');
    await page.getByTestId('profile-save').click();
    await page.locator(`[data-testid="status-model"][data-version="${v1}"]`).waitFor({ timeout: 120_000 });

    // One more case than re-predicted: the first opens in the editor, which the task leaves alone.
    const imported = caseCount + 1;
    console.error(`Importing ${imported} ${width}x${height} JPEGs and pre-annotating them with ${v1}…`);
    const files = await Promise.all(Array.from({ length: imported }, async (_, i) => ({ name: `case_${String(i).padStart(4, '0')}.jpg`, mimeType: 'image/jpeg', buffer: await lesionJpeg(i) })));
    console.error('Images ready; importing…');
    await page.getByTestId('import-files').setInputFiles(files);
    await page.getByTestId('import-report').waitFor({ timeout: 600_000 });
    const headline = (await page.getByTestId('import-report').textContent())?.trim() ?? '';
    if (!headline.startsWith(`Imported ${imported} images`)) throw new Error(`The import report says "${headline}", expected ${imported} new images.`);
    const preStart = Date.now();
    let logged = Date.now();
    await waitFor(
      `${imported} pre-annotations`,
      async () => {
        const done = (await libraryState(page, v1)).models.filter((m) => m === v1).length;
        if (Date.now() - logged > 15_000) {
          logged = Date.now();
          console.error(`  ${done} of ${imported} predicted`);
        }
        return done === imported;
      },
      1_800_000,
    );
    const preAnnotationSeconds = (Date.now() - preStart) / 1000;

    const results: RunResult[] = [];
    let from = v1;
    for (let run = 0; run < runs; run++) {
      const to = from === v1 ? v2 : v1;
      await activate(page, to);
      await waitFor(`the library to count ${caseCount} stale cases`, async () => (await staleCount(page)) >= caseCount, 60_000);
      const staleBefore = await staleCount(page);
      const before = (await libraryState(page, to)).versionsBy;
      console.error(`Run ${run + 1}: re-predicting ${staleBefore} stale cases with ${to}…`);
      // Click and wait for the report in the page, timed with the page's clock (the one the repository stamps versions with).
      const timing = await page.evaluate<{ clicked: number; reported: number; text: string }>(`new Promise((resolve) => {
        const report = () => document.querySelector('[data-testid="repredict-report"]');
        const old = report();
        if (old) old.parentElement.querySelector('[aria-label="Dismiss re-prediction report"]').click();
        const clicked = Date.now();
        document.querySelector('[data-testid="repredict-stale"]').click();
        const check = () => {
          const r = report();
          if (r && !document.querySelector('[data-testid="repredict-progress"]')) resolve({ clicked, reported: Date.now(), text: r.textContent.trim() });
          else setTimeout(check, 10);
        };
        setTimeout(check, 10);
      })`);
      const state = await libraryState(page, to);
      const stamps = state.createdBy.filter((t) => t >= timing.clicked);
      const repredicted = state.versionsBy - before;
      if (repredicted !== caseCount || stamps.length !== caseCount) {
        throw new Error(`Run ${run + 1} stored ${repredicted} predictions by ${to} (${stamps.length} after the click), expected ${caseCount}: ${timing.text}`);
      }
      const intervals = stamps.map((t, i) => t - (i === 0 ? timing.clicked : stamps[i - 1]!));
      const totalSeconds = (timing.reported - timing.clicked) / 1000;
      results.push({
        from,
        to,
        staleBefore,
        repredicted,
        totalSeconds: round(totalSeconds, 2),
        casesPerSecond: round(repredicted / totalSeconds, 2),
        perCaseMs: { median: round(median(intervals)), p90: round(quantile(intervals, 0.9)), min: round(Math.min(...intervals)), max: round(Math.max(...intervals)) },
        report: timing.text.replace(/\s*×$/, ''),
        staleAfter: await staleCount(page),
      });
      from = to;
    }
    if (errors.length) throw new Error(`The page reported errors: ${errors.join('; ')}`);

    const output = {
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        model: os.cpus()[0]?.model.trim() ?? 'unknown',
        loadAverage: { start: loadStart.map((x) => round(x, 2)), end: os.loadavg().map((x) => round(x, 2)) },
        note: 'shared, contended CPU; browser mode (out/main/serve.js), real model on the CPU execution provider; Chromium headless',
      },
      setup: {
        cases: caseCount,
        imported,
        image: { width, height, format: 'JPEG q90' },
        versions: [v1, v2],
        preAnnotationSeconds: round(preAnnotationSeconds, 1),
        measured: 'click on repredict-stale to the report in the DOM; per case: intervals between the stored creation times of the new predictions',
      },
      runs: results,
      summary: {
        totalSecondsMedian: round(median(results.map((r) => r.totalSeconds)), 2),
        perCaseMsMedian: round(median(results.map((r) => r.perCaseMs.median))),
      },
    };
    const out = path.join(root, 'bench', 'results', 'repredict.json');
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(output, null, 2)}\n`);
    console.log(`| run | switch | re-predicted | total | per case median | p90 |\n|---|---|---|---|---|---|`);
    results.forEach((r, i) => console.log(`| ${i + 1} | ${r.from} → ${r.to} | ${r.repredicted} | ${r.totalSeconds} s | ${r.perCaseMs.median} ms | ${r.perCaseMs.p90} ms |`));
    console.log(`\nWrote ${path.relative(root, out)}`);
  } finally {
    await browser.close();
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
