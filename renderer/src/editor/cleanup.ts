/**
 * Whole-mask clean-up: flood fill, fill holes, keep the largest region, remove islands, clear,
 * invert. Work is confined to the lesion's bounding box (plus a one-pixel ring), because a
 * lesion rarely covers a 24 MP image and nothing outside that box can change.
 */
import { spanFill } from './flood.js';
import { BoundsTracker, expandRect, type Rect } from './geometry.js';
import type { MaskRaster } from './mask-raster.js';
import { copyRegionToScratch } from './region-grid.js';

/**
 * Sets the 4-connected run of pixels that share the value at (x, y) to `value` (paint bucket:
 * 1 fills background, 0 erases a lesion part). Returns the changed area, null if nothing changed.
 */
export function floodFill(raster: MaskRaster, x: number, y: number, value: 0 | 1): Rect | null {
  const px = Math.floor(x);
  const py = Math.floor(y);
  if (raster.get(px, py) === value || px < 0 || py < 0 || px >= raster.width || py >= raster.height) return null;
  const bounds = new BoundsTracker();
  spanFill(raster.data, raster.width, raster.height, px, py, 1 - value, value, 4, bounds);
  const rect = bounds.toRect();
  raster.markChanged(rect);
  return rect;
}

const OUTSIDE = 2;

/**
 * Fills every hole: background not 4-connected to the image border (4-connected background is
 * the counterpart of 8-connected lesion regions, so a diagonal gap does not make a hole open).
 */
export function fillHoles(raster: MaskRaster): Rect | null {
  const box = raster.boundingBox();
  if (!box) return null;
  // Everything outside the box is background that reaches the border in a straight line, so the
  // ring just outside the box (or the image edge) is where "outside" starts.
  const region = expandRect(box, 1, raster.width, raster.height)!;
  const grid = copyRegionToScratch(raster, region);
  const w = region.width;
  const h = region.height;
  for (let x = 0; x < w; x++) {
    spanFill(grid, w, h, x, 0, 0, OUTSIDE, 4);
    spanFill(grid, w, h, x, h - 1, 0, OUTSIDE, 4);
  }
  for (let y = 0; y < h; y++) {
    spanFill(grid, w, h, 0, y, 0, OUTSIDE, 4);
    spanFill(grid, w, h, w - 1, y, 0, OUTSIDE, 4);
  }
  // Holes are the cells still 0: only they change, so write them alone instead of the region.
  const { data, width } = raster;
  const changed = new BoundsTracker();
  for (let y = 0; y < h; y++) {
    // Native indexOf jumps from hole to hole: most rows have none, and a loop here over the
    // whole box cost more than the filling itself.
    const cells = grid.subarray(y * w, (y + 1) * w);
    let x = cells.indexOf(0);
    if (x < 0) continue;
    const row = (region.y + y) * width + region.x;
    const first = x;
    let last = x;
    for (; x >= 0; x = cells.indexOf(0, x + 1)) {
      data[row + x] = 1;
      last = x;
    }
    changed.addSpan(region.x + first, region.x + last, region.y + y);
  }
  const rect = changed.toRect();
  raster.markChanged(rect);
  return rect;
}

interface Component {
  readonly seedX: number;
  readonly seedY: number;
  readonly size: number;
}

const SEEN = 2;

/** Finds the 8-connected lesion regions of a region grid, marking them SEEN. */
function findComponents(grid: Uint8Array, w: number, h: number): Component[] {
  const components: Component[] = [];
  for (let i = 0; i < grid.length; i++) {
    if (grid[i] !== 1) continue;
    const seedX = i % w;
    const seedY = (i - seedX) / w;
    components.push({ seedX, seedY, size: spanFill(grid, w, h, seedX, seedY, 1, SEEN, 8) });
  }
  return components;
}

/** Erases every 8-connected region for which `keep` is false. */
function filterComponents(raster: MaskRaster, keep: (component: Component, all: readonly Component[]) => boolean): Rect | null {
  const box = raster.boundingBox();
  if (!box) return null;
  const grid = copyRegionToScratch(raster, box);
  const { width: w, height: h } = box;
  const components = findComponents(grid, w, h);
  // Components in the copy are the raster's own, so erase the rejected ones in place: only
  // their pixels are touched, not the whole box.
  const changed = new BoundsTracker();
  for (const c of components) {
    if (!keep(c, components)) {
      spanFill(raster.data, raster.width, raster.height, box.x + c.seedX, box.y + c.seedY, 1, 0, 8, changed);
    }
  }
  const rect = changed.toRect();
  raster.markChanged(rect);
  return rect;
}

/** Erases every region but the largest (8-connected); ties keep the first in scan order. */
export function keepLargestRegion(raster: MaskRaster): Rect | null {
  let largest: Component | null = null;
  return filterComponents(raster, (c, all) => {
    if (!largest) for (const other of all) if (!largest || other.size > largest.size) largest = other;
    return c === largest;
  });
}

/** Erases every 8-connected region smaller than `minPixels`. */
export function removeIslands(raster: MaskRaster, minPixels: number): Rect | null {
  return filterComponents(raster, (c) => c.size >= minPixels);
}

/** Number of 8-connected lesion regions. */
export function countRegions(raster: MaskRaster): number {
  const box = raster.boundingBox();
  if (!box) return 0;
  return findComponents(copyRegionToScratch(raster, box), box.width, box.height).length;
}

/** Erases the whole mask. */
export function clearMask(raster: MaskRaster): Rect | null {
  const box = raster.boundingBox();
  if (!box) return null;
  const { data, width } = raster;
  for (let y = box.y; y < box.y + box.height; y++) data.fill(0, y * width + box.x, y * width + box.x + box.width);
  raster.markChanged(box);
  return box;
}

/** Swaps lesion and background everywhere. */
export function invertMask(raster: MaskRaster): Rect {
  const data = raster.data;
  for (let i = 0; i < data.length; i++) data[i] = data[i]! ^ 1;
  raster.markChanged(raster.bounds);
  return raster.bounds;
}
