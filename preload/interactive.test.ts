import { describe, expect, it } from 'vitest';
import {
  boxProblem,
  clicksToGrid,
  encodeClicks,
  pasteProbability,
  probabilityBytes,
  regionFromBox,
  regionFromClicks,
  samplePrev,
  toGrid,
  type MaskPlane,
} from './interactive.ts';

function plane(width: number, height: number, fill: (x: number, y: number) => boolean = () => false): MaskPlane {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = fill(x, y) ? 1 : 0;
  return { width, height, data };
}

describe('boxes', () => {
  it('clamps a box that overshoots the image and refuses inverted, outside and tiny ones by name', () => {
    expect(regionFromBox({ x0: -10, y0: 5, x1: 50, y1: 120 }, 100, 80)).toEqual({ x0: 0, y0: 5, x1: 50, y1: 80 });
    expect(boxProblem({ x0: 30, y0: 5, x1: 20, y1: 40 }, 100, 80)).toMatch(/box 30,5,20,40 is inverted/);
    expect(boxProblem({ x0: 100, y0: 0, x1: 140, y1: 40 }, 100, 80)).toMatch(/lies outside the 100x80 image/);
    expect(boxProblem({ x0: 95, y0: 0, x1: 140, y1: 40 }, 100, 80)).toMatch(/smaller than 8x8/);
    expect(boxProblem({ x0: 0, y0: 0, x1: 101, y1: 40 }, 100, 80, true)).toMatch(/reaches outside the 100x80 image/);
    expect(boxProblem({ x0: 0, y0: 0, x1: 100, y1: 80 }, 100, 80, true)).toBeNull();
    expect(boxProblem({ x0: 0.5, y0: 0, x1: 50, y1: 40 }, 100, 80)).toMatch(/whole pixels/);
    expect(() => regionFromBox({ x0: 5, y0: 5, x1: 5, y1: 40 }, 100, 80)).toThrow(RangeError);
  });
});

describe('regions grown around clicks', () => {
  it('is the clicks widened by 40 % of the larger side, at least 64 a side, clamped to the image', () => {
    // Two clicks 100 px apart horizontally: box 101x1, a margin of ceil(40.4) = 41 on every side.
    const r = regionFromClicks([{ x: 200, y: 300, positive: true }, { x: 300, y: 300, positive: false }], null, 1000, 800);
    expect(r).toEqual({ x0: 159, y0: 259, x1: 342, y1: 342 });
    // One click: 1x1 grown to 64 a side about it.
    expect(regionFromClicks([{ x: 500, y: 400, positive: true }], null, 1000, 800)).toEqual({ x0: 469, y0: 369, x1: 533, y1: 433 });
    // One click in a corner: 64x64 about it, clamped to the image.
    expect(regionFromClicks([{ x: 1, y: 798, positive: true }], null, 1000, 800)).toEqual({ x0: 0, y0: 767, x1: 34, y1: 800 });
  });

  it('takes in the mask part a click reaches, not a far one', () => {
    // Lesion A at x 100..199, y 100..149; lesion B far away at x 800..899.
    const mask = plane(1000, 800, (x, y) => y >= 100 && y < 150 && ((x >= 100 && x < 200) || (x >= 800 && x < 900)));
    // A click 60 px right of A (reach is max(64, ceil(5 % of 1000)) = 64 px).
    const r = regionFromClicks([{ x: 259, y: 120, positive: false }], mask, 1000, 800);
    // Bounding box x 100..259, y 100..149: 160 x 50, margin ceil(0.4 * 160) = 64.
    expect(r).toEqual({ x0: 36, y0: 36, x1: 324, y1: 214 });
    // 65 px away it does not reach A.
    expect(regionFromClicks([{ x: 264, y: 120, positive: false }], mask, 1000, 800)).toEqual({ x0: 233, y0: 89, x1: 297, y1: 153 });
    // A click in the middle of clear skin reaches neither lesion.
    expect(regionFromClicks([{ x: 500, y: 500, positive: true }], mask, 1000, 800)).toEqual({ x0: 469, y0: 469, x1: 533, y1: 533 });
  });

  it('refuses a click outside the image and a mask of another size', () => {
    expect(() => regionFromClicks([{ x: 100, y: 5, positive: true }], null, 100, 80)).toThrow(/click 100,5 lies outside the 100x80 image/);
    expect(() => regionFromClicks([{ x: 1, y: 5, positive: true }], plane(10, 10), 100, 80)).toThrow(/mask is 10x10/);
  });
});

describe('image to grid', () => {
  it('maps pixel centres onto grid centres', () => {
    const region = { x0: 100, y0: 50, x1: 612, y1: 306 }; // 512 x 256: two image pixels per grid pixel across
    expect(toGrid(100, 50, region)).toEqual({ u: -0.25, v: 0 });
    expect(toGrid(611, 305, region)).toEqual({ u: 255.25, v: 255 });
    expect(clicksToGrid([{ x: 356, y: 178, positive: false }], region)).toEqual([{ u: 127.75, v: 128, positive: false }]);
  });
});

describe('click discs', () => {
  it('sets the grid pixels within the radius, positive in channel 0 and negative in channel 1', () => {
    const maps = encodeClicks([{ u: 10, v: 20, positive: true }, { u: 0.4, v: 255.5, positive: false }], 5);
    const at = (c: number, i: number, j: number) => maps[c * 65536 + i * 256 + j];
    expect(at(0, 20, 10)).toBe(1);
    expect(at(0, 20, 15)).toBe(1);
    expect(at(0, 20, 16)).toBe(0);
    expect(at(0, 23, 14)).toBe(1); // 3^2 + 4^2 = 25
    expect(at(0, 24, 14)).toBe(0);
    expect(at(1, 20, 10)).toBe(0);
    let positives = 0;
    for (let k = 0; k < 65536; k++) positives += maps[k];
    expect(positives).toBe(81); // lattice points in a disc of radius 5
    expect(at(1, 255, 0)).toBe(1);
    expect(at(1, 251, 0)).toBe(1); // (0 - 0.4)^2 + (251 - 255.5)^2 = 20.41
    expect(at(1, 250, 0)).toBe(0); // 0.16 + 30.25 > 25
  });
});

describe('previous mask', () => {
  it('samples the nearest full-resolution pixel at each grid pixel centre', () => {
    // 512 x 512 region at (0, 0): grid (i, j) reads pixel (2j + 1, 2i + 1).
    const mask = plane(600, 600, (x, y) => x === 3 && y === 5);
    const prev = samplePrev(mask, { x0: 0, y0: 0, x1: 512, y1: 512 });
    expect(prev[2 * 256 + 1]).toBe(1);
    expect(prev.reduce((a, b) => a + b, 0)).toBe(1);
    // A 128-pixel region: each image pixel read by two grid pixels.
    const small = samplePrev(plane(200, 200, (x, y) => x === 10 && y === 20), { x0: 10, y0: 20, x1: 138, y1: 148 });
    expect([small[0], small[1], small[256], small[257], small[2]]).toEqual([1, 1, 1, 1, 0]);
  });
});

describe('paste back', () => {
  it('changes only pixels inside the region and thresholds the bilinear probability', () => {
    const mask = plane(40, 30, () => true);
    const prob = new Float32Array(256 * 256); // all skin
    for (let i = 0; i < 256; i++) for (let j = 128; j < 256; j++) prob[i * 256 + j] = 1; // right half lesion
    const r = pasteProbability(prob, { x0: 4, y0: 2, x1: 20, y1: 10 }, mask, 0.5, 255);
    // Region 16 x 8: the left 8 columns (source x <= 127.5) flip to skin, the right 8 become 255.
    expect(r).toEqual({ changed: 64, areaDelta: -64 });
    expect(mask.data[2 * 40 + 4]).toBe(0);
    expect(mask.data[2 * 40 + 11]).toBe(0);
    expect(mask.data[2 * 40 + 12]).toBe(255);
    expect(mask.data[1 * 40 + 4]).toBe(1); // above the region: untouched
    expect(mask.data[10 * 40 + 4]).toBe(1); // below (y1 exclusive)
    expect(mask.data[2 * 40 + 20]).toBe(1); // right of it (x1 exclusive)
  });

  it('fills whole source cells at once exactly as pixel-by-pixel bilinear thresholding would', () => {
    // Smooth blobs with values on the threshold itself and a 1-pixel spike: the shortcut's hard cases.
    const prob = new Float32Array(256 * 256);
    for (let i = 0; i < 256; i++) for (let j = 0; j < 256; j++) prob[i * 256 + j] = 0.5 + 0.5 * Math.sin(i / 17) * Math.cos(j / 23);
    for (let j = 0; j < 256; j += 9) prob[100 * 256 + j] = 0.5;
    prob[40 * 256 + 40] = 1;
    for (const [w, h] of [[2000, 1500], [300, 97], [256, 256], [37, 600]]) {
      const region = { x0: 3, y0: 2, x1: 3 + w, y1: 2 + h };
      const fast = plane(w + 5, h + 4, (x, y) => (x + y) % 3 === 0);
      const before = fast.data.slice();
      const result = pasteProbability(prob, region, fast, 0.5);
      // The reference: every pixel interpolated (half-pixel centres, edge-clamped) and compared.
      const ref = before.slice();
      const src = (d: number, n: number) => Math.min(255, Math.max(0, ((d + 0.5) * 256) / n - 0.5));
      let changed = 0;
      for (let y = 0; y < h; y++) {
        const sy = src(y, h);
        const i0 = Math.floor(sy);
        const i1 = Math.min(i0 + 1, 255);
        for (let x = 0; x < w; x++) {
          const sx = src(x, w);
          const j0 = Math.floor(sx);
          const j1 = Math.min(j0 + 1, 255);
          const a = prob[i0 * 256 + j0] + (prob[i1 * 256 + j0] - prob[i0 * 256 + j0]) * (sy - i0);
          const b = prob[i0 * 256 + j1] + (prob[i1 * 256 + j1] - prob[i0 * 256 + j1]) * (sy - i0);
          const v = a + (b - a) * (sx - j0) >= 0.5 ? 1 : 0;
          const k = (2 + y) * (w + 5) + 3 + x;
          if ((ref[k] !== 0) !== (v === 1)) changed++;
          ref[k] = v;
        }
      }
      expect(fast.data.findIndex((v, k) => v !== ref[k])).toBe(-1);
      expect(result.changed).toBe(changed);
    }
  });

  it('interpolates with half-pixel centres, so bytes and floats agree away from the threshold', () => {
    const prob = new Float32Array(256 * 256);
    for (let i = 0; i < 256; i++) for (let j = 0; j < 256; j++) prob[i * 256 + j] = j / 255;
    const a = plane(512, 4);
    const b = plane(512, 4);
    pasteProbability(prob, { x0: 0, y0: 0, x1: 512, y1: 4 }, a, 0.5);
    pasteProbability(probabilityBytes(prob), { x0: 0, y0: 0, x1: 512, y1: 4 }, b, 0.5);
    // Output x maps to source (x + 0.5) / 2 - 0.5; p >= 0.5 from source 127.5, i.e. x >= 256.
    expect(a.data[255]).toBe(0);
    expect(a.data[256]).toBe(1);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });
});
