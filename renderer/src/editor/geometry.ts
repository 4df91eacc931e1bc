/**
 * Points and rectangles in image pixel coordinates. Pixel (x, y) covers [x, x + 1) x [y, y + 1),
 * so its centre is (x + 0.5, y + 0.5); pointer positions arrive in the same continuous space.
 */

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** An integer pixel rectangle; empty rectangles are represented by `null`, never zero sizes. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Smallest rectangle holding both (either may be null = nothing). */
export function unionRect(a: Rect | null, b: Rect | null): Rect | null {
  if (!a) return b;
  if (!b) return a;
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    width: Math.max(a.x + a.width, b.x + b.width) - x,
    height: Math.max(a.y + a.height, b.y + b.height) - y,
  };
}

/** The part of `rect` inside a width x height image, or null when nothing is left. */
export function clipRect(rect: Rect, width: number, height: number): Rect | null {
  const x0 = Math.max(0, rect.x);
  const y0 = Math.max(0, rect.y);
  const x1 = Math.min(width, rect.x + rect.width);
  const y1 = Math.min(height, rect.y + rect.height);
  if (x1 <= x0 || y1 <= y0) return null;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** `rect` grown by `margin` pixels on every side, clipped to the image. */
export function expandRect(rect: Rect, margin: number, width: number, height: number): Rect | null {
  return clipRect({ x: rect.x - margin, y: rect.y - margin, width: rect.width + 2 * margin, height: rect.height + 2 * margin }, width, height);
}

/**
 * Accumulates the bounding box of touched pixels while an operation runs; cheaper than building
 * Rect objects per pixel or per span.
 */
export class BoundsTracker {
  minX = Infinity;
  minY = Infinity;
  maxX = -Infinity;
  maxY = -Infinity;

  /** Adds the span [x0, x1] (inclusive) on row y. */
  addSpan(x0: number, x1: number, y: number): void {
    if (x0 < this.minX) this.minX = x0;
    if (x1 > this.maxX) this.maxX = x1;
    if (y < this.minY) this.minY = y;
    if (y > this.maxY) this.maxY = y;
  }

  /** The rectangle seen so far, or null when nothing was added. */
  toRect(): Rect | null {
    if (this.maxX < this.minX) return null;
    return { x: this.minX, y: this.minY, width: this.maxX - this.minX + 1, height: this.maxY - this.minY + 1 };
  }
}
