import { describe, expect, it } from 'vitest';
import { seededRandom as random } from '../../../test/fixtures/random.ts';
import { interactiveGrid, pasteProbability, type Region } from '../../../preload/api.ts';
import { MaskRaster } from '../editor/index.ts';
import { clearOutsideRegion, pasteProbabilityCells } from './interactive-paste.ts';

const G = interactiveGrid;

/** A model-like answer: a soft blob (smooth, so most grid cells are all in or all out) with some noise cells. */
function answer(seed: number): Uint8Array {
  const rnd = random(seed);
  const cx = 60 + rnd() * 136;
  const cy = 60 + rnd() * 136;
  const r = 30 + rnd() * 70;
  const prob = new Uint8Array(G * G);
  for (let i = 0; i < G; i++) {
    for (let j = 0; j < G; j++) {
      const p = 1 / (1 + Math.exp((Math.hypot(j - cx, (i - cy) * 1.3) - r) / 4));
      prob[i * G + j] = Math.round((rnd() < 0.01 ? rnd() : p) * 255);
    }
  }
  return prob;
}

/** Indices where two masks differ (vitest's deep equality is slow on megapixel arrays). */
function differences(a: Uint8Array, b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

function randomMask(width: number, height: number, seed: number): MaskRaster {
  const rnd = random(seed);
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) if (rnd() < 0.5) data.fill(1, y * width + Math.floor(rnd() * width), y * width + Math.floor(rnd() * width));
  return new MaskRaster(width, height, data);
}

describe('pasteProbabilityCells', () => {
  it('writes exactly what pasteProbability writes, on regions smaller and larger than the grid, and reports the flipped pixels box', () => {
    const cases: { size: [number, number]; region: Region; threshold: number }[] = [
      { size: [900, 700], region: { x0: 13, y0: 27, x1: 890, y1: 650 }, threshold: 0.5 },
      { size: [300, 200], region: { x0: 0, y0: 0, x1: 300, y1: 200 }, threshold: 0.5 },
      { size: [400, 300], region: { x0: 100, y0: 50, x1: 180, y1: 120 }, threshold: 0.3 },
      { size: [1300, 1000], region: { x0: 333, y0: 101, x1: 1299, y1: 999 }, threshold: 0.62 },
      { size: [64, 64], region: { x0: 20, y0: 20, x1: 28, y1: 28 }, threshold: 0.5 },
    ];
    cases.forEach(({ size: [width, height], region, threshold }, k) => {
      const prob = answer(k + 1);
      const expected = randomMask(width, height, k + 11);
      const actual = new MaskRaster(width, height, expected.data.slice());
      const before = expected.data.slice();
      pasteProbability(prob, region, expected, threshold);
      const rect = pasteProbabilityCells(prob, region, actual, threshold);
      expect(differences(actual.data, expected.data)).toEqual([]);
      // The rectangle holds every flipped pixel and is tight.
      let minX = Infinity, minY = Infinity, maxX = -1, maxY = -1;
      for (const i of differences(before, expected.data)) {
        const x = i % width, y = Math.floor(i / width);
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
        minY = Math.min(minY, y);
        maxY = Math.max(maxY, y);
      }
      expect(rect).toEqual(maxX < 0 ? null : { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 });
    });
  });

  it('changes nothing outside the region, and a second paste of the same answer flips nothing', () => {
    const mask = randomMask(500, 400, 3);
    const before = mask.data.slice();
    const region = { x0: 100, y0: 80, x1: 420, y1: 330 };
    pasteProbabilityCells(answer(9), region, mask, 0.5);
    const changed = differences(before, mask.data);
    expect(changed.length).toBeGreaterThan(0);
    const outside = changed.filter((i) => i % 500 < region.x0 || i % 500 >= region.x1 || Math.floor(i / 500) < region.y0 || Math.floor(i / 500) >= region.y1);
    expect(outside).toEqual([]);
    expect(pasteProbabilityCells(answer(9), region, mask, 0.5)).toBeNull();
  });
});

describe('clearOutsideRegion', () => {
  it('clears the lesion outside the region only and reports the box of what it cleared', () => {
    const mask = new MaskRaster(50, 40);
    mask.data.fill(1);
    const rect = clearOutsideRegion(mask, { x0: 10, y0: 5, x1: 30, y1: 25 });
    expect(mask.area()).toBe(20 * 20);
    expect(rect).toEqual({ x: 0, y: 0, width: 50, height: 40 });
    expect(clearOutsideRegion(mask, { x0: 10, y0: 5, x1: 30, y1: 25 })).toBeNull();
    const one = new MaskRaster(50, 40);
    one.data[38 * 50 + 45] = 1;
    expect(clearOutsideRegion(one, { x0: 10, y0: 5, x1: 30, y1: 25 })).toEqual({ x: 45, y: 38, width: 1, height: 1 });
  });
});
