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
