import { describe, expect, it } from 'vitest';
import { maskFromAscii, maskToAscii } from './ascii-mask.ts';
import { MaskRaster } from './mask-raster.ts';
import { dilate, erode, growByOnePixel, morphologicalClose, morphologicalOpen, shrinkByOnePixel, smoothMask } from './morphology.ts';
import { stampSegment } from './paint.ts';

/** Reference: squared distance to the nearest target by brute force. */
function bruteForce(grid: Uint8Array, w: number, h: number, target: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let best = Infinity;
      for (let qy = 0; qy < h; qy++) for (let qx = 0; qx < w; qx++) if (grid[qy * w + qx] === target) best = Math.min(best, (x - qx) ** 2 + (y - qy) ** 2);
      out.push(best);
    }
  }
  return out;
}

describe('dilate and erode against the definition', () => {
  it('match brute force on random masks, radii and image edges', () => {
    let seed = 5;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let trial = 0; trial < 40; trial++) {
      const w = 4 + Math.floor(random() * 26);
      const h = 4 + Math.floor(random() * 18);
      const grid = new Uint8Array(w * h).map(() => (random() < 0.3 ? 1 : 0));
      const radius = [1, 1.5, 2, 3, 4.2][trial % 5]!;
      const toLesion = bruteForce(grid, w, h, 1);
      const toBackground = bruteForce(grid, w, h, 0);
      const dilated = new MaskRaster(w, h, grid.slice());
      dilate(dilated, radius);
      expect(Array.from(dilated.data)).toEqual(toLesion.map((d) => (d <= radius * radius ? 1 : 0)));
      // Off-image pixels are not background: only background on the image erodes.
      const eroded = new MaskRaster(w, h, grid.slice());
      erode(eroded, radius);
      expect(Array.from(eroded.data)).toEqual(Array.from(grid).map((v, i) => (v && toBackground[i]! > radius * radius ? 1 : 0)));
    }
  });
});

describe('dilate and erode', () => {
  it('dilating a point gives the digital disc of that radius', () => {
    const raster = new MaskRaster(9, 9);
    raster.data[4 * 9 + 4] = 1;
    dilate(raster, 2);
    expect(maskToAscii(raster)).toEqual([
      '.........', '.........', '....#....', '...###...', '..#####..', '...###...', '....#....', '.........', '.........',
    ]);
  });

  it('erosion undoes dilation of a large disc exactly (radius independent cost)', () => {
    const raster = new MaskRaster(400, 400);
    stampSegment(raster, { x: 200, y: 200 }, { x: 200, y: 200 }, 100, 1);
    const before = raster.clone();
    dilate(raster, 40);
    expect(raster.area()).toBeGreaterThan(before.area() * 1.8);
    erode(raster, 40);
    let differing = 0;
    for (let i = 0; i < raster.data.length; i++) if (raster.data[i] !== before.data[i]) differing++;
    expect(differing).toBe(0);
  });

  it('does not erode from the image edge', () => {
    const raster = maskFromAscii(['###..', '###..', '###..']);
    erode(raster, 1);
    expect(maskToAscii(raster)).toEqual(['##...', '##...', '##...']);
  });
});

describe('opening, closing, smoothing', () => {
  it('opening removes a thin spur and a small island, keeps the body', () => {
    const raster = new MaskRaster(60, 40);
    stampSegment(raster, { x: 20, y: 20 }, { x: 20, y: 20 }, 12, 1);
    stampSegment(raster, { x: 30, y: 20 }, { x: 50, y: 20 }, 0.5, 1); // one-pixel spur
    raster.data[5 * 60 + 55] = 1; // island
    morphologicalOpen(raster, 3);
    expect(raster.get(45, 20)).toBe(0);
    expect(raster.get(55, 5)).toBe(0);
    expect(raster.get(20, 20)).toBe(1);
  });

  it('closing fills a narrow notch and a small hole', () => {
    const raster = new MaskRaster(60, 60);
    stampSegment(raster, { x: 30, y: 30 }, { x: 30, y: 30 }, 20, 1);
    raster.data[30 * 60 + 30] = 0;
    for (let y = 10; y < 30; y++) raster.data[y * 60 + 30] = 0; // one-pixel slit from the top
    morphologicalClose(raster, 2);
    expect(raster.get(30, 30)).toBe(1);
    expect(raster.get(30, 20)).toBe(1);
  });

  it('smoothing a square rounds its corners and keeps the centre', () => {
    const raster = new MaskRaster(40, 40);
    for (let y = 10; y < 30; y++) for (let x = 10; x < 30; x++) raster.data[y * 40 + x] = 1;
    const rect = smoothMask(raster, 4);
    expect(raster.get(10, 10)).toBe(0);
    expect(raster.get(20, 20)).toBe(1);
    expect(rect).not.toBeNull();
  });
});

describe('grow and shrink by one pixel', () => {
  it('grow adds the 4-neighbours, shrink removes the edge pixels', () => {
    const raster = maskFromAscii(['.....', '.....', '..#..', '.....', '.....']);
    growByOnePixel(raster);
    expect(maskToAscii(raster)).toEqual(['.....', '..#..', '.###.', '..#..', '.....']);
    shrinkByOnePixel(raster);
    expect(maskToAscii(raster)).toEqual(['.....', '.....', '..#..', '.....', '.....']);
    expect(growByOnePixel(new MaskRaster(2, 2))).toBeNull();
  });
});
