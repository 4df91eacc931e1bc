/**
 * The TypeScript geometry against the cases the Python twin (models/scsonet/interactive.py)
 * wrote to models/tests/interactive-encoding-cases.json: training and inference encode clicks
 * and masks, choose regions and paste back identically.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { boxProblem, clicksToGrid, encodeClicks, pasteProbability, regionFromBox, regionFromClicks, samplePrev, type ImageClick, type Region } from './interactive.ts';

interface Size {
  width: number;
  height: number;
}
type Box = [number, number, number, number];
interface Cases {
  grid: number;
  click_radius: number;
  prob_formulas: Record<string, string>;
  encoding: { name: string; image: Size; region: Box; clicks: ImageClick[]; grid_clicks: { u: number; v: number; positive: boolean }[]; mask_rle: number[] | null; clicks_rle: { positive: number[]; negative: number[] }; prev_rle: number[] }[];
  paste: { name: string; image: Size; region: Box; prob: string; mask_rle: number[] | null; threshold: number; result_rle: number[] }[];
  click_regions: { name: string; image: Size; mask_rle: number[] | null; clicks: ImageClick[]; region: Box }[];
  clamped_boxes: { box: Box; image: Size; region: Box }[];
  refused_boxes: { box: Box; image: Size; error: string }[];
}

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'models', 'tests', 'interactive-encoding-cases.json');
const cases = JSON.parse(readFileSync(file, 'utf8')) as Cases;

function fromRle(runs: readonly number[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let pos = 0;
  let on = false;
  for (const r of runs) {
    if (on) out.fill(1, pos, pos + r);
    pos += r;
    on = !on;
  }
  expect(pos).toBe(size);
  return out;
}

const region = ([x0, y0, x1, y1]: Box): Region => ({ x0, y0, x1, y1 });

/** Index of the first value that differs (as 0/1), or -1: a readable failure without diffing 65,536 values. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if ((a[i] !== 0) !== (b[i] !== 0)) return i;
  return -1;
}

/** The prob maps the fixture names by formula (i: grid row, j: grid column). */
function probOf(name: string, grid: number): Float32Array {
  const p = new Float32Array(grid * grid);
  for (let i = 0; i < grid; i++) {
    for (let j = 0; j < grid; j++) {
      p[i * grid + j] = name === 'stripes' ? ((i * 7 + j * 13) % 256) / 255 : (i - 120) ** 2 + (j - 140) ** 2 <= 90 ** 2 ? 200 / 255 : 40 / 255;
    }
  }
  return p;
}

describe('interactive encoding parity with Python', () => {
  const g = cases.grid;
  it.each(cases.encoding.map((c) => [c.name, c] as const))('%s: grid clicks, discs and previous mask', (_name, c) => {
    const r = region(c.region);
    const gridClicks = clicksToGrid(c.clicks, r, g);
    gridClicks.forEach((gc, k) => {
      expect(gc.u).toBeCloseTo(c.grid_clicks[k].u, 10);
      expect(gc.v).toBeCloseTo(c.grid_clicks[k].v, 10);
      expect(gc.positive).toBe(c.grid_clicks[k].positive);
    });
    const maps = encodeClicks(gridClicks, cases.click_radius, g);
    expect(firstDifference(maps.subarray(0, g * g), fromRle(c.clicks_rle.positive, g * g))).toBe(-1);
    expect(firstDifference(maps.subarray(g * g), fromRle(c.clicks_rle.negative, g * g))).toBe(-1);
    const mask = c.mask_rle ? { ...c.image, data: fromRle(c.mask_rle, c.image.width * c.image.height) } : null;
    const prev = mask ? samplePrev(mask, r, g) : new Uint8Array(g * g);
    expect(firstDifference(prev, fromRle(c.prev_rle, g * g))).toBe(-1);
  });

  it.each(cases.paste.map((c) => [c.name, c] as const))('%s: paste back', (_name, c) => {
    const size = c.image.width * c.image.height;
    const mask = { ...c.image, data: c.mask_rle ? fromRle(c.mask_rle, size) : new Uint8Array(size) };
    pasteProbability(probOf(c.prob, g), region(c.region), mask, c.threshold, 1, g);
    expect(firstDifference(mask.data, fromRle(c.result_rle, size))).toBe(-1);
  });

  it.each(cases.click_regions.map((c) => [c.name, c] as const))('%s: region grown around clicks', (_name, c) => {
    const mask = c.mask_rle ? { ...c.image, data: fromRle(c.mask_rle, c.image.width * c.image.height) } : null;
    expect(regionFromClicks(c.clicks, mask, c.image.width, c.image.height)).toEqual(region(c.region));
  });

  it('clamps and refuses the same boxes', () => {
    for (const c of cases.clamped_boxes) expect(regionFromBox(region(c.box), c.image.width, c.image.height)).toEqual(region(c.region));
    for (const c of cases.refused_boxes) expect(boxProblem(region(c.box), c.image.width, c.image.height)).not.toBeNull();
  });
});
