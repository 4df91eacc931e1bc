/**
 * Which rows of a fixed-height list to render. The library keeps 10,000 cases smooth by putting
 * only the visible rows plus a little overscan in the DOM, positioned by one offset.
 */

/** The rows to render and where the first one sits. */
export interface VirtualWindow {
  /** First row index to render (inclusive). */
  start: number;
  /** Row index after the last one to render (exclusive). */
  end: number;
  /** Top of row `start`, in pixels from the top of the list content. */
  offsetY: number;
  /** Height of the whole list content, in pixels. */
  totalHeight: number;
}

/** The window of rows visible at `scrollTop` in a viewport `viewportHeight` tall, with overscan rows either side. */
export function visibleWindow(scrollTop: number, viewportHeight: number, rowHeight: number, total: number, overscan = 6): VirtualWindow {
  if (!(rowHeight > 0)) throw new RangeError(`Row height must be positive, got ${rowHeight}.`);
  const count = Math.max(0, Math.floor(total));
  const top = Math.max(0, scrollTop);
  const first = Math.min(count, Math.floor(top / rowHeight));
  const visible = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + visible + overscan);
  return { start, end, offsetY: start * rowHeight, totalHeight: count * rowHeight };
}

/** The scrollTop that brings row `index` fully into view, or null when it already is. */
export function scrollToReveal(index: number, scrollTop: number, viewportHeight: number, rowHeight: number): number | null {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return null;
}
