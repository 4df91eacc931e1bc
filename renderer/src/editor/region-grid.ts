/**
 * Most whole-mask operations only touch the lesion's bounding box: they copy it into a scratch
 * grid, relabel the grid, and write back only the pixels that really changed.
 */
import { BoundsTracker, type Rect } from './geometry.js';
import type { MaskRaster } from './mask-raster.js';

/** Copies `region` of the mask into a new 0/1 grid that an operation may relabel freely. */
export function copyRegion(raster: MaskRaster, region: Rect): Uint8Array {
  const grid = new Uint8Array(region.width * region.height);
  for (let y = 0; y < region.height; y++) {
    const start = (region.y + y) * raster.width + region.x;
    grid.set(raster.data.subarray(start, start + region.width), y * region.width);
  }
  return grid;
}

/** Sets region pixels to `next(i)` (grid index), returning and marking the changed rectangle. */
export function writeRegion(raster: MaskRaster, region: Rect, next: (i: number) => number): Rect | null {
  const { data, width } = raster;
  const changed = new BoundsTracker();
  for (let y = 0; y < region.height; y++) {
    const row = (region.y + y) * width + region.x;
    let first = -1;
    let last = -1;
    for (let x = 0; x < region.width; x++) {
      const value = next(y * region.width + x);
      if (data[row + x] !== value) {
        data[row + x] = value;
        if (first < 0) first = x;
        last = x;
      }
    }
    if (first >= 0) changed.addSpan(region.x + first, region.x + last, region.y + y);
  }
  const rect = changed.toRect();
  raster.markChanged(rect);
  return rect;
}
