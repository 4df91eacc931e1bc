/**
 * Painting operations: round brush dabs along a pointer segment and polygon/lasso fills. Each
 * writes `value` (1 adds, 0 erases) and returns the rectangle of pixels it actually changed.
 */
import { BoundsTracker, clipRect, type Point, type Rect } from './geometry.js';
import type { MaskRaster } from './mask-raster.js';

/**
 * Paints every pixel whose centre lies within `radius` of the segment from `from` to `to` (a
 * capsule), so consecutive pointer samples join without gaps however fast the stroke is. A
 * single click is the segment from a point to itself: a round dab.
 */
export function stampSegment(raster: MaskRaster, from: Point, to: Point, radius: number, value: 0 | 1): Rect | null {
  const r = Math.max(0.5, radius);
  const area = clipRect(
    {
      x: Math.floor(Math.min(from.x, to.x) - r),
      y: Math.floor(Math.min(from.y, to.y) - r),
      width: Math.ceil(Math.abs(to.x - from.x) + 2 * r) + 2,
      height: Math.ceil(Math.abs(to.y - from.y) + 2 * r) + 2,
    },
    raster.width,
    raster.height,
  );
  if (!area) return null;
  const { data, width } = raster;
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const lengthSquared = dx * dx + dy * dy;
  const r2 = r * r;
  const changed = new BoundsTracker();
  for (let y = area.y; y < area.y + area.height; y++) {
    const py = y + 0.5 - from.y;
    const row = y * width;
    let first = -1;
    let last = -1;
    for (let x = area.x; x < area.x + area.width; x++) {
      const px = x + 0.5 - from.x;
      // Distance from the pixel centre to the closest point of the segment.
      let t = lengthSquared > 0 ? (px * dx + py * dy) / lengthSquared : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = px - t * dx;
      const ey = py - t * dy;
      if (ex * ex + ey * ey <= r2 && data[row + x] !== value) {
        data[row + x] = value;
        if (first < 0) first = x;
        last = x;
      }
    }
    if (first >= 0) changed.addSpan(first, last, y);
  }
  const rect = changed.toRect();
  raster.markChanged(rect);
  return rect;
}

/** How overlapping parts of a self-intersecting outline count: nonzero fills loops, even-odd makes holes. */
export type FillRule = 'nonzero' | 'evenodd';

/**
 * Fills the polygon (closed implicitly) with `value`: every pixel whose centre is inside. A
 * freehand lasso crosses itself often, so the default rule is nonzero: a loop stays filled.
 */
export function fillPolygon(raster: MaskRaster, points: readonly Point[], value: 0 | 1, rule: FillRule = 'nonzero'): Rect | null {
  if (points.length < 3) return null;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    minY = Math.min(minY, p.y);
    maxY = Math.max(maxY, p.y);
  }
  const { width, height } = raster;
  const y0 = Math.max(0, Math.floor(minY));
  const y1 = Math.min(height - 1, Math.ceil(maxY));
  const crossingX: number[] = [];
  const crossingDir: number[] = [];
  const order: number[] = [];
  const changed = new BoundsTracker();
  const n = points.length;
  for (let y = y0; y <= y1; y++) {
    const sy = y + 0.5;
    crossingX.length = 0;
    crossingDir.length = 0;
    for (let i = 0; i < n; i++) {
      const a = points[i]!;
      const b = points[(i + 1) % n]!;
      // Half-open in y so a vertex shared by two edges is counted once.
      if ((a.y <= sy && sy < b.y) || (b.y <= sy && sy < a.y)) {
        crossingX.push(a.x + ((sy - a.y) * (b.x - a.x)) / (b.y - a.y));
        crossingDir.push(b.y > a.y ? 1 : -1);
      }
    }
    if (crossingX.length < 2) continue;
    order.length = 0;
    for (let i = 0; i < crossingX.length; i++) order.push(i);
    order.sort((i, j) => crossingX[i]! - crossingX[j]!);
    let winding = 0;
    for (let k = 0; k < order.length - 1; k++) {
      const idx = order[k]!;
      winding += rule === 'nonzero' ? crossingDir[idx]! : 1;
      const inside = rule === 'nonzero' ? winding !== 0 : winding % 2 === 1;
      if (!inside) continue;
      // Pixels whose centre x + 0.5 lies in [left, right).
      const xa = Math.max(0, Math.ceil(crossingX[idx]! - 0.5));
      const xb = Math.min(width, Math.ceil(crossingX[order[k + 1]!]! - 0.5));
      if (xa < xb) raster.setSpan(y, xa, xb, value, changed);
    }
  }
  const rect = changed.toRect();
  raster.markChanged(rect);
  return rect;
}
