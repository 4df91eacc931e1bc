/**
 * Scanline flood fill on a byte grid: fills whole horizontal spans and pushes only the start of
 * each run on the rows above and below, so a 24 MP region needs a few million stack pushes at
 * most, not one per pixel. Shared by the flood-fill tool, fill holes and the island filters.
 */
import type { BoundsTracker } from './geometry.js';

// One stack reused by every fill: a fill runs to completion before the next one starts.
let stack = new Int32Array(4096);

function grow(): void {
  const bigger = new Int32Array(stack.length * 2);
  bigger.set(stack);
  stack = bigger;
}

/**
 * Replaces the connected run of cells equal to `from` that contains (sx, sy) with `to`, on a
 * w x h row-major grid. Returns the number of cells filled; `bounds` collects their extent.
 */
export function spanFill(
  grid: Uint8Array,
  w: number,
  h: number,
  sx: number,
  sy: number,
  from: number,
  to: number,
  connectivity: 4 | 8,
  bounds?: BoundsTracker,
): number {
  if (from === to || sx < 0 || sy < 0 || sx >= w || sy >= h || grid[sy * w + sx] !== from) return 0;
  const diagonal = connectivity === 8 ? 1 : 0;
  let sp = 0;
  stack[sp++] = sx;
  stack[sp++] = sy;
  let filled = 0;
  while (sp > 0) {
    const y = stack[--sp]!;
    const x = stack[--sp]!;
    const row = y * w;
    if (grid[row + x] !== from) continue;
    let left = x;
    while (left > 0 && grid[row + left - 1] === from) left--;
    let right = x;
    while (right < w - 1 && grid[row + right + 1] === from) right++;
    grid.fill(to, row + left, row + right + 1);
    filled += right - left + 1;
    bounds?.addSpan(left, right, y);
    const lo = Math.max(0, left - diagonal);
    const hi = Math.min(w - 1, right + diagonal);
    for (let ny = y - 1; ny <= y + 1; ny += 2) {
      if (ny < 0 || ny >= h) continue;
      const nrow = ny * w;
      let inRun = false;
      for (let i = lo; i <= hi; i++) {
        if (grid[nrow + i] === from) {
          if (!inRun) {
            if (sp + 2 > stack.length) grow();
            stack[sp++] = i;
            stack[sp++] = ny;
            inRun = true;
          }
        } else {
          inRun = false;
        }
      }
    }
  }
  return filled;
}
