/**
 * The interactive model's answer pasted into a full-resolution mask, pixel for pixel what
 * preload/interactive.ts pasteProbability writes (bilinear, align_corners=False, thresholded),
 * but a grid cell at a time: a bilinear value lies between its four grid corners, so where all
 * four are on one side of the threshold the whole patch of image pixels between them is too, and
 * is written as one span (a 4000 px wide region is about 16 image pixels per grid cell). Only the
 * cells the threshold crosses are interpolated pixel by pixel. It returns the rectangle of the
 * pixels that flipped, so the history, the journal and the canvas upload look at that, not at the
 * whole region (on a 24 MP image the region grown around a click can be 20 MP).
 */
import { bilinearAxis, interactiveGrid, type Region } from '../../../preload/api.ts';
import type { MaskRaster, Rect } from '../editor/index.ts';

/** Runs of output columns [start, end) that interpolate between the same two grid columns. */
function columnCells(xs: { i0: Int32Array; i1: Int32Array }, w: number): { start: number[]; end: number[]; j0: number[]; j1: number[] } {
  const cells = { start: [] as number[], end: [] as number[], j0: [] as number[], j1: [] as number[] };
  for (let x = 0; x < w; ) {
    const a = xs.i0[x]!;
    const b = xs.i1[x]!;
    let e = x + 1;
    while (e < w && xs.i0[e] === a && xs.i1[e] === b) e++;
    cells.start.push(x);
    cells.end.push(e);
    cells.j0.push(a);
    cells.j1.push(b);
    x = e;
  }
  return cells;
}

/** Tracks the bounding box of flipped pixels. */
class FlipBounds {
  minX = Infinity;
  minY = Infinity;
  maxX = -1;
  maxY = -1;
  add(x0: number, x1: number, y: number): void {
    if (x0 < this.minX) this.minX = x0;
    if (x1 > this.maxX) this.maxX = x1;
    if (y < this.minY) this.minY = y;
    if (y > this.maxY) this.maxY = y;
  }
  rect(): Rect | null {
    return this.maxX < 0 ? null : { x: this.minX, y: this.minY, width: this.maxX - this.minX + 1, height: this.maxY - this.minY + 1 };
  }
}

/** Sets mask[from, to) of row `y` (offset `row`) to `value`, noting what flipped (a MaskRaster holds only 0 and 1). */
function fillSpan(data: Uint8Array, row: number, from: number, to: number, value: 0 | 1, y: number, flips: FlipBounds): void {
  if (to <= from) return;
  const span = data.subarray(row + from, row + to);
  const first = span.indexOf(1 - value);
  if (first < 0) return;
  flips.add(from + first, from + span.lastIndexOf(1 - value), y);
  span.fill(value);
}

/**
 * Pastes the contract's probability bytes (round(p * 255), `grid` x `grid`) into `region` of the
 * mask: p >= threshold is lesion (1), else 0; nothing outside the region changes. Marks nothing
 * (the caller marks the returned rectangle); returns the bounding box of the flipped pixels, or null.
 */
export function pasteProbabilityCells(prob: Uint8Array, region: Region, mask: MaskRaster, threshold: number, grid = interactiveGrid): Rect | null {
  const w = region.x1 - region.x0;
  const h = region.y1 - region.y0;
  const t = threshold * 255;
  const xs = bilinearAxis(w, grid);
  const ys = bilinearAxis(h, grid);
  const cells = columnCells(xs, w);
  const n = cells.start.length;
  const data = mask.data;
  const flips = new FlipBounds();
  const line = new Float64Array(grid);
  // Per cell of the current pair of grid rows: 1 all lesion, 0 all skin, 2 the threshold crosses it.
  const state = new Uint8Array(n);
  let pair = -1;
  for (let y = 0; y < h; y++) {
    const r0 = ys.i0[y]! * grid;
    const r1 = ys.i1[y]! * grid;
    const fy = ys.f[y]!;
    if (r0 * grid + r1 !== pair) {
      pair = r0 * grid + r1;
      for (let c = 0; c < n; c++) {
        const a = prob[r0 + cells.j0[c]!]!;
        const b = prob[r0 + cells.j1[c]!]!;
        const d = prob[r1 + cells.j0[c]!]!;
        const e = prob[r1 + cells.j1[c]!]!;
        const lo = Math.min(a, b, d, e);
        const hi = Math.max(a, b, d, e);
        state[c] = lo >= t ? 1 : hi < t ? 0 : 2;
      }
    }
    let lineReady = false;
    const row = (region.y0 + y) * mask.width + region.x0;
    const imageY = region.y0 + y;
    for (let c = 0; c < n; ) {
      const s = state[c]!;
      if (s !== 2) {
        // Merge the neighbouring cells on the same side into one span.
        let e = c + 1;
        while (e < n && state[e] === s) e++;
        fillSpan(data, row, cells.start[c]!, cells.end[e - 1]!, s as 0 | 1, imageY, flips);
        c = e;
        continue;
      }
      if (!lineReady) {
        // As pasteProbability: the two grid rows blended first (Float64, like the Python twin), then along the row.
        for (let j = 0; j < grid; j++) line[j] = prob[r0 + j]! + (prob[r1 + j]! - prob[r0 + j]!) * fy;
        lineReady = true;
      }
      for (let x = cells.start[c]!; x < cells.end[c]!; x++) {
        const a = line[xs.i0[x]!]!;
        const inside = a + (line[xs.i1[x]!]! - a) * xs.f[x]! >= t;
        const was = data[row + x] !== 0;
        if (inside !== was) flips.add(x, x, imageY);
        data[row + x] = inside ? 1 : 0;
      }
      c++;
    }
  }
  const rect = flips.rect();
  return rect && { ...rect, x: rect.x + region.x0 };
}

/** Clears every lesion pixel outside the region; returns the bounding box of what was cleared, or null. */
export function clearOutsideRegion(mask: MaskRaster, region: Region): Rect | null {
  const { width, height, data } = mask;
  const flips = new FlipBounds();
  for (let y = 0; y < height; y++) {
    const row = y * width;
    if (y < region.y0 || y >= region.y1) {
      fillSpan(data, row, 0, width, 0, y, flips);
    } else {
      fillSpan(data, row, 0, region.x0, 0, y, flips);
      fillSpan(data, row, region.x1, width, 0, y, flips);
    }
  }
  return flips.rect();
}
