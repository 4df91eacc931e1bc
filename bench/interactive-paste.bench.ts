/**
 * Part of `npm run bench:interactive-ui` (bench/interactive-paste.config.ts, Node): the two steps
 * of a click the renderer does itself on a 6000 x 4000 image with a 6 MP lesion, side by side
 * with what preload/interactive.ts offers for the same job, runs alternating, medians:
 *   - the region grown around a click: regionFromClicks (the mask's parts found by a pixel flood)
 *     against clickRegion (run labelling, interactive-region.ts); the regions must be equal;
 *   - the answer pasted into that region: pasteProbability (every pixel interpolated) against
 *     pasteProbabilityCells (a grid cell at a time, interactive-paste.ts); the masks must be equal.
 * Writes bench/results/interactive-paste.json. Never run by the tests.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { it } from 'vitest';
import { interactiveGrid, pasteProbability, regionFromClicks } from '../preload/api.ts';
import { pasteProbabilityCells } from '../renderer/src/case/interactive-paste.ts';
import { clickRegion } from '../renderer/src/case/interactive-region.ts';
import { MaskRaster } from '../renderer/src/editor/index.ts';

const W = 6000;
const H = 4000;
const G = interactiveGrid;
const runs = 7;

/** An elliptical lesion of about 6 MP with a wavy border, as the automatic model would give. */
function lesionMask(): MaskRaster {
  const mask = new MaskRaster(W, H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const a = Math.atan2(y - 2000, x - 3000);
      const r = 1 + 0.04 * Math.sin(5 * a);
      if (((x - 3000) / 1320) ** 2 + ((y - 2000) / 1080) ** 2 < r * r) mask.data[y * W + x] = 1;
    }
  }
  return mask;
}

/** The model's answer over the region: the lesion a little larger, soft-edged (round(p * 255)). */
function answer(region: { x0: number; y0: number; x1: number; y1: number }): Uint8Array {
  const prob = new Uint8Array(G * G);
  for (let i = 0; i < G; i++) {
    for (let j = 0; j < G; j++) {
      const x = region.x0 + ((j + 0.5) * (region.x1 - region.x0)) / G;
      const y = region.y0 + ((i + 0.5) * (region.y1 - region.y0)) / G;
      const d = Math.hypot((x - 3000) / 1400, (y - 2000) / 1120);
      prob[i * G + j] = Math.round(255 / (1 + Math.exp((d - 1) * 40)));
    }
  }
  return prob;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x * 10) / 10;

it('interactive paste and click region, 6000 x 4000', { timeout: 600_000 }, async () => {
  const mask = lesionMask();
  const clicks = [{ x: 3000 + 1300, y: 2000, positive: true }];
  const times = { flood: [] as number[], runs: [] as number[], pixels: [] as number[], cells: [] as number[] };
  let region = regionFromClicks(clicks, mask, W, H);
  for (let r = 0; r < runs; r++) {
    const order = r % 2 ? (['runs', 'flood'] as const) : (['flood', 'runs'] as const);
    for (const side of order) {
      const t0 = performance.now();
      const found = side === 'flood' ? regionFromClicks(clicks, mask, W, H) : clickRegion(clicks, mask);
      times[side].push(performance.now() - t0);
      if (JSON.stringify(found) !== JSON.stringify(region)) throw new Error(`the regions differ: ${JSON.stringify(found)} vs ${JSON.stringify(region)}`);
      region = found;
    }
  }
  const prob = answer(region);
  for (let r = 0; r < runs; r++) {
    const order = r % 2 ? (['cells', 'pixels'] as const) : (['pixels', 'cells'] as const);
    const results: Record<string, Uint8Array> = {};
    for (const side of order) {
      const copy = mask.clone();
      const t0 = performance.now();
      if (side === 'pixels') pasteProbability(prob, region, copy, 0.5);
      else pasteProbabilityCells(prob, region, copy, 0.5);
      times[side].push(performance.now() - t0);
      results[side] = copy.data;
    }
    const a = results['pixels']!;
    const b = results['cells']!;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) throw new Error(`the pasted masks differ at pixel ${i}`);
  }
  const output = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model.trim() ?? 'unknown', loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    image: { width: W, height: H, lesionPixels: mask.area() },
    region: { ...region, pixels: (region.x1 - region.x0) * (region.y1 - region.y0) },
    runs,
    clickRegionMs: { regionFromClicksFlood: round(median(times.flood)), clickRegionRuns: round(median(times.runs)), ratio: round(median(times.flood) / median(times.runs)) },
    pasteMs: { pasteProbabilityPerPixel: round(median(times.pixels)), pasteProbabilityCells: round(median(times.cells)), ratio: round(median(times.pixels) / median(times.cells)) },
  };
  const file = path.resolve(import.meta.dirname, 'results/interactive-paste.json');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(output, null, 2) + '\n');
  console.log(JSON.stringify(output, null, 2));
});
