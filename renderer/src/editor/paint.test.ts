import { describe, expect, it } from 'vitest';
import { maskToAscii } from './ascii-mask.ts';
import { MaskRaster } from './mask-raster.ts';
import { fillPolygon, stampSegment } from './paint.ts';

describe('stampSegment', () => {
  it('stamps a round dab for a click', () => {
    const raster = new MaskRaster(7, 7);
    const rect = stampSegment(raster, { x: 3.5, y: 3.5 }, { x: 3.5, y: 3.5 }, 2, 1);
    expect(maskToAscii(raster)).toEqual(['.......', '...#...', '..###..', '.#####.', '..###..', '...#...', '.......']);
    expect(rect).toEqual({ x: 1, y: 1, width: 5, height: 5 });
  });

  it('leaves no gap between samples far apart', () => {
    const raster = new MaskRaster(200, 20);
    stampSegment(raster, { x: 5, y: 10 }, { x: 195, y: 10 }, 3, 1);
    for (let x = 5; x < 195; x++) expect(raster.get(x, 10)).toBe(1);
    expect(raster.area()).toBeGreaterThan(190 * 5);
  });

  it('erases with value 0 and reports nothing when nothing changed', () => {
    const raster = new MaskRaster(10, 10);
    expect(stampSegment(raster, { x: 5, y: 5 }, { x: 5, y: 5 }, 3, 0)).toBeNull();
    raster.data.fill(1);
    stampSegment(raster, { x: 5, y: 5 }, { x: 5, y: 5 }, 1, 0);
    expect(raster.area()).toBe(100 - 4);
  });

  it('clips at the image border', () => {
    const raster = new MaskRaster(4, 4);
    expect(stampSegment(raster, { x: -1, y: -1 }, { x: 0, y: 0 }, 1.5, 1)).toEqual({ x: 0, y: 0, width: 1, height: 1 });
    expect(stampSegment(raster, { x: -50, y: -50 }, { x: -40, y: -40 }, 2, 1)).toBeNull();
  });
});

describe('fillPolygon', () => {
  it('fills pixels whose centres are inside a rectangle', () => {
    const raster = new MaskRaster(6, 5);
    const rect = fillPolygon(raster, [{ x: 1, y: 1 }, { x: 4, y: 1 }, { x: 4, y: 3 }, { x: 1, y: 3 }], 1);
    expect(maskToAscii(raster)).toEqual(['......', '.###..', '.###..', '......', '......']);
    expect(rect).toEqual({ x: 1, y: 1, width: 3, height: 2 });
  });

  it('subtracts with value 0', () => {
    const raster = new MaskRaster(4, 4);
    raster.data.fill(1);
    fillPolygon(raster, [{ x: 0, y: 0 }, { x: 2, y: 0 }, { x: 2, y: 4 }, { x: 0, y: 4 }], 0);
    expect(maskToAscii(raster)).toEqual(['..##', '..##', '..##', '..##']);
  });

  it('fills a triangle to about its area', () => {
    const raster = new MaskRaster(100, 100);
    fillPolygon(raster, [{ x: 0, y: 0 }, { x: 100, y: 0 }, { x: 0, y: 100 }], 1);
    expect(Math.abs(raster.area() - 5000)).toBeLessThan(100);
  });

  it('keeps the doubly wound loop filled with nonzero and empties it with even-odd', () => {
    // Two overlapping squares traced in one outline, both counter-clockwise.
    const outline = [
      { x: 0, y: 0 }, { x: 6, y: 0 }, { x: 6, y: 6 }, { x: 0, y: 6 }, { x: 0, y: 0 },
      { x: 2, y: 2 }, { x: 4, y: 2 }, { x: 4, y: 4 }, { x: 2, y: 4 }, { x: 2, y: 2 },
    ];
    const nonzero = new MaskRaster(6, 6);
    fillPolygon(nonzero, outline, 1, 'nonzero');
    expect(nonzero.area()).toBe(36);
    const evenOdd = new MaskRaster(6, 6);
    fillPolygon(evenOdd, outline, 1, 'evenodd');
    expect(evenOdd.area()).toBe(32);
    expect(evenOdd.get(3, 3)).toBe(0);
  });

  it('ignores degenerate polygons', () => {
    expect(fillPolygon(new MaskRaster(4, 4), [{ x: 0, y: 0 }, { x: 3, y: 3 }], 1)).toBeNull();
  });
});
