import { describe, expect, it } from 'vitest';
import { maskFromAscii, maskToAscii } from './ascii-mask.ts';
import { MaskRaster } from './mask-raster.ts';

describe('MaskRaster', () => {
  it('rejects sizes and buffers that do not fit', () => {
    expect(() => new MaskRaster(0, 10)).toThrow(RangeError);
    expect(() => new MaskRaster(2, 2, new Uint8Array(3))).toThrow(/expected 4/);
  });

  it('converts from and to 0/255 grayscale with a threshold', () => {
    const raster = MaskRaster.fromGrayscale(3, 1, [0, 127, 128]);
    expect(Array.from(raster.data)).toEqual([0, 0, 1]);
    expect(Array.from(raster.toGrayscale())).toEqual([0, 0, 255]);
    expect(raster.readGrayscale([0, 0, 255])).toBeNull();
    expect(raster.readGrayscale([255, 0, 255], 200)).toEqual({ x: 0, y: 0, width: 3, height: 1 });
  });

  it('measures area and bounding box', () => {
    const raster = maskFromAscii(['.....', '..#..', '.##..', '.....']);
    expect(raster.area()).toBe(3);
    expect(raster.boundingBox()).toEqual({ x: 1, y: 1, width: 2, height: 2 });
    expect(new MaskRaster(4, 4).boundingBox()).toBeNull();
  });

  it('tracks dirty and unrecorded rectangles independently', () => {
    const raster = new MaskRaster(10, 10);
    raster.markChanged({ x: 1, y: 1, width: 2, height: 2 });
    raster.markChanged({ x: 8, y: 8, width: 5, height: 5 });
    expect(raster.takeDirty()).toEqual({ x: 1, y: 1, width: 9, height: 9 });
    expect(raster.takeDirty()).toBeNull();
    expect(raster.takeUnrecorded()).toEqual({ x: 1, y: 1, width: 9, height: 9 });
    expect(raster.version).toBe(2);
  });

  it('renders an RGBA overlay of a region with the colour at the given opacity', () => {
    const raster = maskFromAscii(['#..', '.#.', '..#']);
    const rgba = raster.overlayRgba({ x: 1, y: 0, width: 2, height: 2 }, { r: 10, g: 20, b: 30 }, 0.5);
    expect(Array.from(rgba)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 10, 20, 30, 128, 0, 0, 0, 0]);
    expect(() => raster.overlayRgba({ x: 2, y: 0, width: 2, height: 1 }, { r: 0, g: 0, b: 0 }, 1)).toThrow(RangeError);
  });

  it('round-trips through the ASCII helpers', () => {
    const rows = ['#.#', '.#.'];
    expect(maskToAscii(maskFromAscii(rows))).toEqual(rows);
  });

  it('finds the same area and bounding box as a pixel-by-pixel count, on odd sizes and unaligned buffers', () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let trial = 0; trial < 60; trial++) {
      const width = 1 + Math.floor(random() * 37);
      const height = 1 + Math.floor(random() * 23);
      const offset = trial % 4; // a view that does not start on a 4-byte boundary
      const buffer = new Uint8Array(width * height + offset + 3);
      const data = buffer.subarray(offset, offset + width * height);
      const density = trial % 3 === 0 ? 0.002 : random() * 0.3;
      for (let i = 0; i < data.length; i++) data[i] = random() < density ? 1 : 0;
      if (trial === 1) data[0] = 1; // corners
      if (trial === 2) data[data.length - 1] = 1;
      const raster = new MaskRaster(width, height, data);
      let area = 0;
      let minX = width, minY = height, maxX = -1, maxY = -1;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          if (!data[y * width + x]) continue;
          area++;
          minX = Math.min(minX, x);
          maxX = Math.max(maxX, x);
          minY = Math.min(minY, y);
          maxY = Math.max(maxY, y);
        }
      }
      expect(raster.area()).toBe(area);
      expect(raster.boundingBox()).toEqual(area ? { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 } : null);
    }
  });
});
