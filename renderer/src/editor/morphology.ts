/**
 * Morphology with a disc: dilation, erosion, opening, closing, and one-pixel grow/shrink.
 *
 * A disc of radius r has O(r^2) pixels, so testing it per pixel is hopeless at r = 30 on 24 MP.
 * Dilation works on the lesion's horizontal runs instead (runs.ts): a run widened by
 * floor(sqrt(r^2 - dy^2)) on each row dy away, merged per row, is exactly every pixel with
 * d^2 <= r^2 to the lesion; erosion dilates the background's runs and clears what they cover.
 * The work follows the number of runs times 2r + 1, not the pixels (a distance transform over
 * every pixel of the box took seconds for a smoothing on 24 MP).
 *
 * Off-image pixels count as neither lesion nor background, so a lesion cut by the image edge is
 * not eroded from the edge (and a closing may fill a gap narrower than r along the edge).
 */
import { BoundsTracker, expandRect, unionRect, type Rect } from './geometry.js';
import type { MaskRaster } from './mask-raster.js';
import { collectRuns, forEachDilatedSpan } from './runs.js';

/** Adds every pixel within `radius` (Euclidean, centre to centre) of the lesion. */
export function dilate(raster: MaskRaster, radius: number): Rect | null {
  const box = raster.boundingBox();
  if (!box || radius <= 0) return null;
  const region = expandRect(box, Math.ceil(radius), raster.width, raster.height)!;
  // The lesion's runs are read in full before any pixel is written.
  return paintSpans(raster, forEachDilatedSpan.bind(null, collectRuns(raster.data, raster.width, box, 1), radius, region), 1);
}

/** Removes every lesion pixel within `radius` of the background (on the image). */
export function erode(raster: MaskRaster, radius: number): Rect | null {
  const box = raster.boundingBox();
  if (!box || radius <= 0) return null;
  const region = expandRect(box, 1, raster.width, raster.height)!;
  return paintSpans(raster, forEachDilatedSpan.bind(null, collectRuns(raster.data, raster.width, region, 0), radius, box), 0);
}

/** Sets every pixel of the spans `spans` reports to `value`; returns the rectangle that changed. */
function paintSpans(raster: MaskRaster, spans: (cover: (y: number, x0: number, x1: number) => void) => void, value: 0 | 1): Rect | null {
  const changed = new BoundsTracker();
  spans((y, x0, x1) => raster.setSpan(y, x0, x1, value, changed));
  const rect = changed.toRect();
  raster.markChanged(rect);
  return rect;
}

/** Opening (erode, then dilate): removes spurs, bridges and islands thinner than the disc. */
export function morphologicalOpen(raster: MaskRaster, radius: number): Rect | null {
  const eroded = erode(raster, radius);
  return unionRect(eroded, dilate(raster, radius));
}

/** Closing (dilate, then erode): fills notches, gaps and holes narrower than the disc. */
export function morphologicalClose(raster: MaskRaster, radius: number): Rect | null {
  const dilated = dilate(raster, radius);
  return unionRect(dilated, erode(raster, radius));
}

/** Smooths the outline: an opening then a closing with the same disc. */
export function smoothMask(raster: MaskRaster, radius: number): Rect | null {
  const opened = morphologicalOpen(raster, radius);
  return unionRect(opened, morphologicalClose(raster, radius));
}

/** Adds the background pixels that touch the lesion along an edge (4-neighbours): a dilation by 1. */
export function growByOnePixel(raster: MaskRaster): Rect | null {
  return dilate(raster, 1);
}

/** Removes the lesion pixels that touch the background along an edge (4-neighbours, on the image): an erosion by 1. */
export function shrinkByOnePixel(raster: MaskRaster): Rect | null {
  return erode(raster, 1);
}
