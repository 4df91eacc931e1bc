/**
 * `npm run bench:interactive-ui`: the Box and Click tools in the real app (browser mode:
 * out/main/serve.js with the real automatic and interactive models on the CPU), driven in the
 * system Chromium with real pointer events (Playwright's mouse: pointerdown/up, right button for
 * skin), on a 1024 x 768 and a 6000 x 4000 image, side by side in one run.
 *
 * Per image: a box dragged around the lesion, then --clicks N clicks inside it (lesion and skin
 * alternating), then Escape and --clicks N clicks without a box (the region grown around the
 * clicks and the mask). Timed in the page, from the pointer-up of the gesture to the first
 * animation frame after the answer is pasted (the stage's own frame callback, requested by the
 * paste, runs earlier in that same frame, so the mask is on screen then). The bar's data
 * attributes give where the time went: the crop (createImageBitmap, once per region), the call to
 * main and back (the model's own time included), the paste.
 *
 * Writes bench/results/interactive-browser.json and prints a markdown table. Never run by the tests.
 * Options: --clicks N (default 12), --sizes 1024x768,6000x4000, --pause MS between gestures
 * (default 1000: a person looks at each answer; autosave and the measurements run meanwhile).
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { startServe, syntheticLesionJpeg } from '../test/e2e/browser-mode.js';
import { stagePoint } from '../test/e2e/workspace.js';
import { chromiumLaunchArgs, chromiumPath, loadAverage, median, numberOption, profiled, quantile, repoRootFrom, round, stringOption } from './common.js';

const root = repoRootFrom(import.meta.url);
const clicks = numberOption('clicks', 12);
// A person looks at each answer before the next click: the saving and measuring that follow an
// edit share the 2 cores with the next click if it comes sooner.
const pauseMs = numberOption('pause', 1000);
const sizes = (stringOption('sizes') ?? '1024x768,6000x4000').split(',').map((s) => {
  const [w, h] = s.split('x').map(Number) as [number, number];
  if (!(w > 0) || !(h > 0)) throw new Error(`--sizes takes WxH,WxH…, not ${s}.`);
  return { width: w, height: h };
});

interface Sample {
  /** Pointer-up to the frame that shows the answer. */
  ms: number;
  cropMs: number;
  callMs: number;
  inferMs: number;
  pasteMs: number;
}

/** Records a Sample for every answer the bar reports (data-steps changes), timed from the last pointer-up. */
const instrument = `(() => {
  const state = { t0: 0, samples: [] };
  window.addEventListener('pointerup', () => (state.t0 = performance.now()), { capture: true });
  new MutationObserver(() => {
    const bar = document.querySelector('[data-testid="interactive-bar"]');
    if (!bar || bar.dataset.steps === state.steps) return;
    state.steps = bar.dataset.steps;
    if (state.steps === '0') return;
    const t0 = state.t0;
    requestAnimationFrame(() => state.samples.push({
      ms: performance.now() - t0,
      cropMs: Number(bar.dataset.cropMs), callMs: Number(bar.dataset.callMs), inferMs: Number(bar.dataset.inferMs), pasteMs: Number(bar.dataset.pasteMs),
    }));
  }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-steps'] });
  window.benchInteractive = state;
})()`;

async function sampleCount(page: Page): Promise<number> {
  return page.evaluate<number>('window.benchInteractive.samples.length');
}

/** Waits for the answer to the gesture just made and returns its sample. */
async function nextSample(page: Page, before: number): Promise<Sample> {
  const deadline = Date.now() + 60_000;
  while ((await sampleCount(page)) <= before) {
    if (Date.now() > deadline) throw new Error('No answer from the interactive model within 60 s.');
    await page.waitForTimeout(20);
  }
  await page.waitForTimeout(pauseMs);
  return page.evaluate<Sample>(`window.benchInteractive.samples[${before}]`);
}

function summary(samples: readonly Sample[]) {
  const of = (key: keyof Sample) => samples.map((s) => s[key]);
  return {
    n: samples.length,
    p50Ms: round(median(of('ms'))),
    p90Ms: round(quantile(of('ms'), 0.9)),
    maxMs: round(Math.max(...of('ms'))),
    median: { cropMs: round(median(of('cropMs'))), callMs: round(median(of('callMs'))), inferMs: round(median(of('inferMs'))), pasteMs: round(median(of('pasteMs'))) },
  };
}

async function runImage(page: Page, size: { width: number; height: number }) {
  const name = `bench-${size.width}x${size.height}.jpg`;
  await page.getByTestId('import-files').setInputFiles([{ name, mimeType: 'image/jpeg', buffer: await syntheticLesionJpeg(size.width, size.height) }]);
  await page.getByTestId('case-item').filter({ hasText: name }).click();
  await page.locator('[data-testid="case-view"][data-phase="ready"]').waitFor({ timeout: 300_000 });
  await page.getByTestId('tool-box').and(page.locator(':not([disabled])')).waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1000);
  await page.evaluate(instrument);
  const stage = page.getByTestId('editor-stage');
  const at = (fx: number, fy: number) => stagePoint(stage, size, fx * size.width, fy * size.height);

  // The box, around the synthetic lesion (browser-mode.ts draws it within 26-70 % x 20-74 %).
  await page.keyboard.press('x');
  const from = await at(0.2, 0.14);
  const to = await at(0.76, 0.8);
  let count = await sampleCount(page);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  for (let i = 1; i <= 6; i++) await page.mouse.move(from.x + ((to.x - from.x) * i) / 6, from.y + ((to.y - from.y) * i) / 6);
  await page.mouse.up();
  const box = [await nextSample(page, count)];

  // Clicks in the box: lesion (left button) near the middle, skin (right button) near the box's edge.
  const inBox: Sample[] = [];
  await page.keyboard.press('c');
  for (let i = 0; i < clicks; i++) {
    const lesion = i % 2 === 0;
    const p = lesion ? await at(0.45 + 0.01 * i, 0.45 + 0.005 * i) : await at(0.23 + 0.004 * i, 0.17 + 0.004 * i);
    count = await sampleCount(page);
    inBox.push(
      await profiled(page, `${size.width}x${size.height} click ${i} (in the box)`, async () => {
        await page.mouse.click(p.x, p.y, { button: lesion ? 'left' : 'right' });
        return nextSample(page, count);
      }),
    );
  }

  // Escape, then clicks without a box: the region grows around the first click and the mask.
  await page.keyboard.press('Escape');
  const grown: Sample[] = [];
  for (let i = 0; i < clicks; i++) {
    const lesion = i % 2 === 0;
    const p = lesion ? await at(0.6 + 0.004 * i, 0.5 + 0.004 * i) : await at(0.72 + 0.002 * i, 0.62 + 0.002 * i);
    count = await sampleCount(page);
    grown.push(
      await profiled(page, `${size.width}x${size.height} click ${i} (grown region)`, async () => {
        await page.mouse.click(p.x, p.y, { button: lesion ? 'left' : 'right' });
        return nextSample(page, count);
      }),
    );
  }
  await page.keyboard.press('Escape');
  return { image: size, box: summary(box), clicksInBox: summary(inBox), clicksGrownRegion: summary(grown), allClicks: summary([...inBox, ...grown]) };
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'lesiondesk-bench-interactive-'));
  const loadStart = loadAverage();
  const server = await startServe(0, { env: { LESIONDESK_DATA_DIR: path.join(tmp, 'data') } });
  const browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumLaunchArgs] });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.getByTestId('profile-name').fill('Bench Annotator');
    await page.getByTestId('profile-save').click();
    const results = [];
    for (const size of sizes) {
      console.error(`${size.width} x ${size.height}: a box, ${clicks} clicks in it, ${clicks} clicks without a box…`);
      results.push(await runImage(page, size));
    }
    if (errors.length) throw new Error(`The page reported errors: ${errors.join('; ')}`);
    const output = {
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        model: os.cpus()[0]?.model.trim() ?? 'unknown',
        loadAverage: { start: loadStart, end: loadAverage() },
        note: 'shared, contended CPU; browser mode (out/main/serve.js), real models on the CPU execution provider; Chromium headless, software rendering',
      },
      measured: 'pointer-up of the box or click to the first animation frame after the answer is pasted (the mask is on screen in that frame); breakdown from the session: crop, call to main and back (model included), paste',
      target: { clickP50Ms: 100, at: '6000x4000' },
      pauseBetweenGesturesMs: pauseMs,
      interactiveModel: (() => {
        const card = JSON.parse(readFileSync(path.join(root, 'models/scsonet-interactive-v1.json'), 'utf8')) as { name: string; version: string; sha256: string };
        return { name: card.name, version: card.version, sha256: card.sha256 };
      })(),
      results,
    };
    const file = path.join(root, 'bench/results/interactive-browser.json');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(output, null, 2) + '\n');
    console.log(JSON.stringify(output, null, 2));
    console.log('\n| image | gesture | p50 ms | p90 ms | crop | call (model) | paste |\n| --- | --- | --- | --- | --- | --- | --- |');
    for (const r of results) {
      for (const [label, s] of [['box', r.box], ['click in box', r.clicksInBox], ['click, grown region', r.clicksGrownRegion]] as const) {
        console.log(`| ${r.image.width} x ${r.image.height} | ${label} (${s.n}) | ${s.p50Ms} | ${s.p90Ms} | ${s.median.cropMs} | ${s.median.callMs} (${s.median.inferMs}) | ${s.median.pasteMs} |`);
      }
    }
  } finally {
    await browser.close();
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
