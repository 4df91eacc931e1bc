/**
 * `npm run bench:browser`: the case view's editor in the system Chromium (Playwright, no
 * browser download) on a 6000 x 4000 image: frame times while painting a 3-second brush stroke
 * (requestAnimationFrame timestamps), undo of that stroke, fill holes and remove islands as the
 * user triggers them (input event to the next drawn frame), and the memory of the mask and its
 * history. Builds bench/editor-browser.html with Vite, serves it on 127.0.0.1 and writes
 * bench/results/editor-browser.json. `--screenshot FILE` also saves a screenshot. Never run by
 * the tests. The library scroll at 10,000 cases belongs to the library's own benchmark.
 *
 * Then, on a 3000 x 2000 and a 6000 x 4000 image, how soon the measurements follow an eraser
 * stroke, its undo and fill holes (real pointer and key events): from the pointer-up (or key
 * down) to the area's text changing, and to the full measurements being current again.
 */
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { build } from 'vite';
import { chromiumLaunchArgs, chromiumPath, numberOption, profiled, quantile, repoRootFrom, round, stringOption } from './common.js';

const root = repoRootFrom(import.meta.url);
const outDir = path.join(root, 'out/bench-editor-browser');
const screenshotPath = stringOption('screenshot');
// `--cpu-throttle N`: Chromium runs N times slower (DevTools' CPU throttling), to see the editor as
// a slower clinic laptop would, where an operation's frame comes later.
const cpuThrottle = numberOption('cpu-throttle', 1);
if (cpuThrottle < 1) throw new Error('--cpu-throttle is a slow-down factor of 1 or more.');

// The callbacks passed to page.evaluate run in Chromium; this file is compiled for Node without
// the DOM library, so the few page globals they touch are declared here.
declare const window: Record<string, unknown> & {
  addEventListener(type: string, listener: () => void, options?: { capture: boolean }): void;
};
declare const document: {
  body: unknown;
  querySelector(selector: string): { textContent: string | null; disabled?: boolean; getAttribute(name: string): string | null } | null;
};
declare function requestAnimationFrame(callback: (time: number) => void): number;
declare const MutationObserver: new (callback: () => void) => { observe(target: unknown, options: Record<string, unknown>): void };



async function buildPage(): Promise<void> {
  await build({
    root,
    base: './',
    logLevel: 'warn',
    configFile: false,
    plugins: [svelte({ configFile: path.join(root, 'svelte.config.js') })],
    build: { outDir, emptyOutDir: true, minify: !process.env['BENCH_PROFILE'], rolldownOptions: { input: path.join(root, 'bench/editor-browser.html') } },
  });
}

function serve(): Promise<{ url: string; close: () => void }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
  const server = http.createServer((request, response) => {
    const file = path.join(outDir, decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    if (!file.startsWith(outDir) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(response);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}/bench/editor-browser.html`, close: () => server.close() });
    });
  });
}

/** Installs frame and input timers in the page: rAF timestamps, and input -> handler end -> next frame. */
async function instrument(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as Record<string, unknown>;
    const frames: number[] = [];
    let recording = false;
    const loop = (t: number): void => {
      if (recording) frames.push(t);
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
    w['benchFrames'] = { start: () => ((frames.length = 0), (recording = true)), stop: () => ((recording = false), frames.slice()) };
    const timings: { type: string; handlerMs: number; frameMs: number }[] = [];
    for (const type of ['keydown', 'click']) {
      let t0 = 0;
      window.addEventListener(type, () => (t0 = performance.now()), { capture: true });
      // Registered after the case view's own listeners, so it runs once they have finished.
      window.addEventListener(type, () => {
        const t1 = performance.now();
        // This event's start, before a later key of the same chord (Ctrl, Shift, Z) overwrites t0.
        const start = t0;
        requestAnimationFrame(() => requestAnimationFrame(() => timings.push({ type, handlerMs: t1 - start, frameMs: performance.now() - start })));
      });
    }
    w['benchTimings'] = timings;
  });
}

async function lastTiming(page: Page): Promise<{ handlerMs: number; frameMs: number }> {
  await page.waitForFunction(() => ((window as unknown as { benchTimings: unknown[] }).benchTimings.length > 0));
  return page.evaluate(() => (window as unknown as { benchTimings: { handlerMs: number; frameMs: number }[] }).benchTimings.pop()!);
}

/** Times from the last pointer-up or key-down to the area's text changing and to the full measurements being current. */
async function instrumentMeasurements(page: Page): Promise<void> {
  await page.evaluate(() => {
    const state = { t0: 0, text: '', areaMs: [] as number[], fullMs: [] as number[], busy: '' };
    const start = (): void => {
      state.t0 = performance.now();
      state.areaMs = [];
      state.fullMs = [];
    };
    window.addEventListener('pointerup', start, { capture: true });
    window.addEventListener('keydown', start, { capture: true });
    state.text = document.querySelector('[data-testid="mask-area"]')?.textContent ?? '';
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="mask-area"]')?.textContent ?? '';
      const busy = document.querySelector('[aria-label="Measurements"]')?.getAttribute('aria-busy') ?? '';
      if (text !== state.text) state.areaMs.push(performance.now() - state.t0);
      if (busy === 'false' && state.busy !== 'false') state.fullMs.push(performance.now() - state.t0);
      state.text = text;
      state.busy = busy;
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['aria-busy'] });
    (window as unknown as { benchMeasure: typeof state }).benchMeasure = state;
  });
}

/** Waits for the area and the full measurements after the action just taken; returns both times. */
async function measurementTimes(page: Page): Promise<{ areaMs: number; fullMs: number }> {
  await page.waitForFunction(() => {
    const state = (window as unknown as { benchMeasure: { areaMs: number[]; fullMs: number[] } }).benchMeasure;
    return state.areaMs.length > 0 && state.fullMs.length > 0;
  }, null, { timeout: 60_000 });
  // Let a late second change land (a stale value replaced once more) before the next action.
  await page.waitForTimeout(300);
  return page.evaluate(() => {
    const state = (window as unknown as { benchMeasure: { areaMs: number[]; fullMs: number[] } }).benchMeasure;
    return { areaMs: state.areaMs[0]!, fullMs: state.fullMs.at(-1)! };
  });
}

/** Eraser stroke inside the lesion, its undo (then redo) and fill holes, `rounds` times, on a `width` x `height` image. */
async function measurementsFollow(browser: Awaited<ReturnType<typeof chromium.launch>>, url: string, width: number, height: number, rounds: number) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  try {
    await page.goto(`${url}?width=${width}&height=${height}`);
    await page.waitForFunction(() => (window as unknown as { benchStart?: Promise<void> }).benchStart !== undefined);
    await page.evaluate(() => (window as unknown as { benchStart: Promise<void> }).benchStart);
    const stage = page.getByTestId('editor-stage');
    await stage.waitFor({ timeout: 180_000 });
    await page.waitForFunction(() => document.querySelector('[aria-label="Measurements"]')?.getAttribute('aria-busy') === 'false', null, { timeout: 120_000 });
    await page.getByTestId('tool-eraser').click();
    await page.getByTestId('brush-size').fill(String(Math.round(width / 100)));
    await page.waitForTimeout(500);
    await instrumentMeasurements(page);
    const box = (await stage.boundingBox())!;
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    const times = { stroke: [] as { areaMs: number; fullMs: number }[], undo: [] as { areaMs: number; fullMs: number }[], fill: [] as { areaMs: number; fullMs: number }[] };
    for (let round = 0; round < rounds; round++) {
      // A short band inside the lesion: erased, it is a hole that fill holes closes again.
      const y = cy + (round - rounds / 2) * box.height * 0.03;
      await page.mouse.move(cx - box.width * 0.08, y);
      await page.mouse.down();
      for (let i = 1; i <= 10; i++) await page.mouse.move(cx - box.width * 0.08 + (i * box.width * 0.16) / 10, y);
      await page.mouse.up();
      times.stroke.push(await measurementTimes(page));
      await page.keyboard.press('Control+z');
      times.undo.push(await measurementTimes(page));
      await page.keyboard.press('Control+Shift+z');
      await measurementTimes(page);
      await page.getByTestId('tool-fill-holes').click();
      times.fill.push(await measurementTimes(page));
    }
    const summary = (xs: { areaMs: number; fullMs: number }[]) => ({
      areaP50Ms: round(quantile(xs.map((x) => x.areaMs), 0.5)),
      areaMaxMs: round(Math.max(...xs.map((x) => x.areaMs))),
      fullP50Ms: round(quantile(xs.map((x) => x.fullMs), 0.5)),
      fullMaxMs: round(Math.max(...xs.map((x) => x.fullMs))),
    });
    return { image: { width, height }, rounds, stroke: summary(times.stroke), undo: summary(times.undo), fillHoles: summary(times.fill), targets: { areaP50Ms: 50, fullMs: 300 } };
  } finally {
    await page.close();
  }
}

async function main(): Promise<void> {
  await buildPage();
  const server = await serve();
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [...chromiumLaunchArgs, '--disable-dev-shm-usage', '--enable-precise-memory-info'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    if (cpuThrottle > 1) await (await page.context().newCDPSession(page)).send('Emulation.setCPUThrottlingRate', { rate: cpuThrottle });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as { benchStart?: Promise<void> }).benchStart !== undefined);
    await page.evaluate(() => (window as unknown as { benchStart: Promise<void> }).benchStart);
    const stage = page.getByTestId('editor-stage');
    await stage.waitFor({ timeout: 180_000 });
    await page.waitForFunction(() => !document.querySelector('[data-testid="mask-area"]')?.textContent?.startsWith('0 '), null, { timeout: 120_000 });
    await instrument(page);
    await page.getByTestId('tool-brush').click();
    await page.getByTestId('brush-size').fill('120');
    const box = (await stage.boundingBox())!;
    const bytesBefore = Number(await stage.getAttribute('data-editor-bytes'));
    const heapBefore = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0);

    // A 3-second stroke: 180 moves at about 60 Hz along a wide loop over the lesion border.
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await page.mouse.move(cx + box.width * 0.3, cy);
    await page.evaluate(() => {
      (window as unknown as { benchFrames: { start(): void } }).benchFrames.start();
      (window as unknown as { benchEditorFrames: unknown[] }).benchEditorFrames = [];
    });
    const strokeStart = Date.now();
    await page.mouse.down();
    for (let i = 1; i <= 180; i++) {
      const a = (i / 180) * Math.PI * 2;
      await page.mouse.move(cx + Math.cos(a) * box.width * 0.3, cy + Math.sin(a * 2) * box.height * 0.3);
      const due = strokeStart + (i * 1000) / 60;
      const wait = due - Date.now();
      if (wait > 0) await page.waitForTimeout(wait);
    }
    await page.mouse.up();
    const frames = await page.evaluate(() => (window as unknown as { benchFrames: { stop(): number[] } }).benchFrames.stop());
    const strokeMs = Date.now() - strokeStart;
    const intervals = frames.slice(1).map((t, i) => t - frames[i]!);
    // Main-thread cost of each editor frame (drawing + the pointer handling before it): at
    // 60 Hz the interval between frames cannot go below 16.7 ms, so it is the work that says
    // whether a frame could be on time.
    const editorFrames = await page.evaluate(() => (window as unknown as { benchEditorFrames: { time: number; workMs: number }[] }).benchEditorFrames);
    const work = editorFrames.map((f) => f.workMs);
    await page.waitForFunction(() => document.querySelector('[data-testid="undo"]')?.disabled === false);
    const bytesAfterStroke = Number(await stage.getAttribute('data-editor-bytes'));

    await page.evaluate(() => ((window as unknown as { benchTimings: unknown[] }).benchTimings.length = 0));
    const undo = await profiled(page, 'undo', async () => {
      await page.keyboard.press('Control+z');
      return lastTiming(page);
    }, 400);
    await page.keyboard.press('Control+Shift+z');
    const redo = await lastTiming(page);
    const fillHoles = await profiled(page, 'fill holes', async () => {
      await page.getByTestId('tool-fill-holes').click();
      return lastTiming(page);
    }, 400);
    await page.locator('input[type=number]').nth(1).fill('5000');
    const removeIslands = await profiled(page, 'remove islands', async () => {
      await page.getByTestId('remove-islands').click();
      return lastTiming(page);
    }, 400);
    await page.waitForFunction(() => document.querySelector('[data-testid="save-state"]')?.textContent === 'All changes saved', null, { timeout: 60_000 });
    const heapAfter = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0);
    const bytesAfter = Number(await stage.getAttribute('data-editor-bytes'));

    if (screenshotPath) await page.screenshot({ path: screenshotPath });
    await page.close();
    const rounds = numberOption('rounds', 5);
    const measurementsFollowEdits = {
      what: 'pointer-up (or key-down) to the area text changing, and to the full measurements current again (aria-busy false)',
      '6MP': await measurementsFollow(browser, server.url, 3000, 2000, rounds),
      '24MP': await measurementsFollow(browser, server.url, 6000, 4000, rounds),
    };
    const results = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', note: 'shared, contended CPU; Chromium software rendering (--disable-gpu)', cpuThrottle },
      image: { width: 6000, height: 4000 },
      stroke: {
        durationMs: strokeMs,
        pointerMoves: 180,
        brushSizePx: 120,
        frames: frames.length,
        frameIntervalP50Ms: round(quantile(intervals, 0.5)),
        frameIntervalP95Ms: round(quantile(intervals, 0.95)),
        frameIntervalMaxMs: round(Math.max(...intervals)),
        framesLate: intervals.filter((d) => d > 25).length,
        editorFrames: work.length,
        frameWorkP50Ms: round(quantile(work, 0.5)),
        frameWorkP95Ms: round(quantile(work, 0.95)),
        frameWorkMaxMs: round(Math.max(...work)),
        targetP95Ms: 16,
      },
      undoStroke: { handlerMs: round(undo.handlerMs), toNextFrameMs: round(undo.frameMs), targetMs: 50 },
      redoStroke: { handlerMs: round(redo.handlerMs), toNextFrameMs: round(redo.frameMs) },
      fillHoles: { handlerMs: round(fillHoles.handlerMs), toNextFrameMs: round(fillHoles.frameMs), targetMs: 300 },
      removeIslands: { handlerMs: round(removeIslands.handlerMs), toNextFrameMs: round(removeIslands.frameMs), minPixels: 5000, targetMs: 300 },
      memory: {
        maskAndHistoryBytesBefore: bytesBefore,
        maskAndHistoryBytesAfterStroke: bytesAfterStroke,
        maskAndHistoryBytesAfterCleanups: bytesAfter,
        maskAndHistoryMB: round(bytesAfter / 1e6),
        jsHeapUsedMB: { before: round(heapBefore / 1e6), after: round(heapAfter / 1e6) },
        targetMB: 150,
      },
      measurementsFollowEdits,
      libraryScroll: 'measured by the library benchmark (the library is not part of the case view)',
      pageErrors: errors,
    };
    const file = path.join(root, 'bench/results/editor-browser.json');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(results, null, 2) + '\n');
    console.log(JSON.stringify(results, null, 2));
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
