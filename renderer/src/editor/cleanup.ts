/**
 * Whole-mask clean-up: flood fill, fill holes, keep the largest region, remove islands, clear,
 * invert. Work is confined to the lesion's bounding box (plus a one-pixel ring), because a
 * lesion rarely covers a 24 MP image and nothing outside that box can change; regions and holes
 * are found by labelling runs (runs.ts), not pixel by pixel.
 */
import { spanFill } from './flood.js';
import { BoundsTracker, expandRect, type Rect } from './geometry.js';
import type { MaskRaster } from './mask-raster.js';
import { labelRuns, type RunLabels } from './runs.js';

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

/**
 * Fills every hole: background not 4-connected to the image border (4-connected background is
 * the counterpart of 8-connected lesion regions, so a diagonal gap does not make a hole open).
 */
export function fillHoles(raster: MaskRaster): Rect | null {
  const box = raster.boundingBox();
  if (!box) return null;
  // Everything outside the box is background that reaches the border in a straight line, so a
  // background run touching the ring just outside the box (or the image edge) is open.
  const region = expandRect(box, 1, raster.width, raster.height)!;
  const runs = labelRuns(raster.data, raster.width, region, 0, 4);
  const open = new Uint8Array(runs.count);
  const right = region.x + region.width;
  const bottom = region.y + region.height - 1;
  for (let k = 0; k < runs.count; k++) {
    const y = runs.row[k]!;
    if (y === region.y || y === bottom || runs.start[k] === region.x || runs.end[k] === right) open[runs.root[k]!] = 1;
  }
  const changed = new BoundsTracker();
  for (let k = 0; k < runs.count; k++) {
    if (!open[runs.root[k]!]) raster.setSpan(runs.row[k]!, runs.start[k]!, runs.end[k]!, 1, changed);
  }
  const rect = changed.toRect();
  raster.markChanged(rect);
  return rect;
}

interface Component {
  /** The component's first pixel in scan order. */
  readonly seedX: number;
  readonly seedY: number;
  readonly size: number;
}

/** The 8-connected lesion regions in scan order of their first pixel, and their runs. */
function findComponents(raster: MaskRaster): { components: Component[]; runs: RunLabels; index: Int32Array } | null {
  const box = raster.boundingBox();
  if (!box) return null;
  const runs = labelRuns(raster.data, raster.width, box, 1, 8);
  // Roots are each component's first run, so scanning runs in order meets them in scan order.
  const index = new Int32Array(runs.count).fill(-1);
  const components: { seedX: number; seedY: number; size: number }[] = [];
  for (let k = 0; k < runs.count; k++) {
    const root = runs.root[k]!;
    if (index[root] === -1) {
      index[root] = components.length;
      components.push({ seedX: runs.start[k]!, seedY: runs.row[k]!, size: 0 });
    }
    components[index[root]!]!.size += runs.end[k]! - runs.start[k]!;
  }
  return { components, runs, index };
}

/** Erases every 8-connected region for which `keep` is false. */
function filterComponents(raster: MaskRaster, keep: (component: Component, all: readonly Component[]) => boolean): Rect | null {
  const found = findComponents(raster);
  if (!found) return null;
  const { components, runs, index } = found;
  const erase = components.map((c) => !keep(c, components));
  const changed = new BoundsTracker();
  for (let k = 0; k < runs.count; k++) {
    if (erase[index[runs.root[k]!]!]) raster.setSpan(runs.row[k]!, runs.start[k]!, runs.end[k]!, 0, changed);
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
  return findComponents(raster)?.components.length ?? 0;
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
