import { describe, expect, it } from 'vitest';
import { maskFromAscii, maskToAscii } from './ascii-mask.ts';
import { clearMask, countRegions, fillHoles, floodFill, invertMask, keepLargestRegion, removeIslands } from './cleanup.ts';
import { MaskRaster } from './mask-raster.ts';

describe('floodFill', () => {
  it('fills the 4-connected background area under the point and nothing across a diagonal', () => {
    const raster = maskFromAscii(['#####', '#...#', '#.###', '##..#', '#####']);
    const rect = floodFill(raster, 1.5, 1.5, 1);
    expect(maskToAscii(raster)).toEqual(['#####', '#####', '#####', '##..#', '#####']);
    expect(rect).toEqual({ x: 1, y: 1, width: 3, height: 2 });
  });

  it('erases a lesion part with value 0 and is a no-op on the target value or off the image', () => {
    const raster = maskFromAscii(['##..', '##..', '...#']);
    floodFill(raster, 0, 0, 0);
    expect(maskToAscii(raster)).toEqual(['....', '....', '...#']);
    expect(floodFill(raster, 0, 0, 0)).toBeNull();
    expect(floodFill(raster, -1, 0, 1)).toBeNull();
  });
});

describe('fillHoles', () => {
  it('fills enclosed background but not background open to the border', () => {
    const raster = maskFromAscii([
      '.......',
      '.#####.',
      '.#..#..',
      '.#..#..',
      '.####..',
      '.......',
    ]);
    fillHoles(raster);
    expect(maskToAscii(raster)).toEqual(['.......', '.#####.', '.####..', '.####..', '.####..', '.......']);
  });

  it('does not fill background that reaches the image edge, and a diagonal gap closes a hole', () => {
    const edge = maskFromAscii(['#.#', '#.#', '###']);
    expect(fillHoles(edge)).toBeNull();
    // 8-connected ring with diagonal steps: the centre is still a hole.
    const ring = maskFromAscii(['.....', '..#..', '.#.#.', '..#..', '.....']);
    fillHoles(ring);
    expect(ring.get(2, 2)).toBe(1);
  });

  it('handles a lesion touching every border', () => {
    const raster = maskFromAscii(['####', '#..#', '####']);
    expect(fillHoles(raster)).toEqual({ x: 1, y: 1, width: 2, height: 1 });
    expect(raster.area()).toBe(12);
  });
});

describe('regions', () => {
  const rows = ['##....#', '##.....', '....###', '#...###'];

  it('counts 8-connected regions', () => {
    expect(countRegions(maskFromAscii(rows))).toBe(4);
    expect(countRegions(maskFromAscii(['#.', '.#']))).toBe(1);
    expect(countRegions(new MaskRaster(3, 3))).toBe(0);
  });

  it('keeps the largest region only', () => {
    const raster = maskFromAscii(rows);
    keepLargestRegion(raster);
    expect(maskToAscii(raster)).toEqual(['.......', '.......', '....###', '....###']);
  });

  it('removes islands under N pixels and reports null when none', () => {
    const raster = maskFromAscii(rows);
    const rect = removeIslands(raster, 2);
    expect(maskToAscii(raster)).toEqual(['##.....', '##.....', '....###', '....###']);
    expect(rect).toEqual({ x: 0, y: 0, width: 7, height: 4 });
    expect(removeIslands(raster, 4)).toBeNull();
  });
});

describe('clear and invert', () => {
  it('clears and inverts the whole mask', () => {
    const raster = maskFromAscii(['#..', '.#.']);
    invertMask(raster);
    expect(maskToAscii(raster)).toEqual(['.##', '#.#']);
    expect(clearMask(raster)).toEqual({ x: 0, y: 0, width: 3, height: 2 });
    expect(raster.area()).toBe(0);
    expect(clearMask(raster)).toBeNull();
  });
});

/** Pixel-by-pixel reference: component labels by breadth-first search. */
function bfsLabels(data: Uint8Array, w: number, h: number, value: number, connectivity: 4 | 8): Int32Array {
  const label = new Int32Array(w * h).fill(-1);
  const steps = connectivity === 8 ? [-1, 0, 1].flatMap((dy) => [-1, 0, 1].map((dx) => [dx, dy] as const)).filter(([dx, dy]) => dx || dy) : [[1, 0], [-1, 0], [0, 1], [0, -1]] as const;
  let next = 0;
  for (let i = 0; i < w * h; i++) {
    if (data[i] !== value || label[i] !== -1) continue;
    const queue = [i];
    label[i] = next;
    while (queue.length) {
      const p = queue.pop()!;
      const x = p % w;
      const y = (p - x) / w;
      for (const [dx, dy] of steps) {
        const nx = x + dx;
        const ny = y + dy;
        const q = ny * w + nx;
        if (nx >= 0 && ny >= 0 && nx < w && ny < h && data[q] === value && label[q] === -1) {
          label[q] = next;
          queue.push(q);
        }
      }
    }
    next++;
  }
  return label;
}

describe('run labelling against a pixel-by-pixel search', () => {
  it('fills the same holes, counts and removes the same regions on random masks', () => {
    let seed = 11;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let trial = 0; trial < 80; trial++) {
      const w = 3 + Math.floor(random() * 30);
      const h = 3 + Math.floor(random() * 20);
      const density = 0.25 + random() * 0.5;
      const data = new Uint8Array(w * h).map(() => (random() < density ? 1 : 0));
      // Expected holes: background components (4-connected) that never touch the image edge.
      const background = bfsLabels(data, w, h, 0, 4);
      const open = new Set<number>();
      for (let i = 0; i < w * h; i++) {
        const x = i % w;
        const y = (i - x) / w;
        if (background[i]! >= 0 && (x === 0 || y === 0 || x === w - 1 || y === h - 1)) open.add(background[i]!);
      }
      const filled = data.map((v, i) => (v || !open.has(background[i]!) ? 1 : 0));
      const holes = new MaskRaster(w, h, data.slice());
      fillHoles(holes);
      expect(Array.from(holes.data)).toEqual(Array.from(filled));

      const lesion = bfsLabels(data, w, h, 1, 8);
      const sizes = new Map<number, number>();
      for (const l of lesion) if (l >= 0) sizes.set(l, (sizes.get(l) ?? 0) + 1);
      expect(countRegions(new MaskRaster(w, h, data.slice()))).toBe(sizes.size);
      const minPixels = 1 + Math.floor(random() * 6);
      const kept = new MaskRaster(w, h, data.slice());
      removeIslands(kept, minPixels);
      expect(Array.from(kept.data)).toEqual(Array.from(data.map((v, i) => (v && sizes.get(lesion[i]!)! >= minPixels ? 1 : 0))));
      const largestSize = Math.max(0, ...sizes.values());
      const largest = [...sizes].find(([, n]) => n === largestSize)?.[0]; // labels follow scan order
      const single = new MaskRaster(w, h, data.slice());
      keepLargestRegion(single);
      expect(Array.from(single.data)).toEqual(Array.from(data.map((v, i) => (v && lesion[i] === largest ? 1 : 0))));
    }
  });
});

