/**
 * Click counting for pointer events. Chromium reports `detail` 0 on pointerdown (only mouse
 * events carry the click count), so a double-click would never reach the polygon tool: the
 * stage counts presses itself, close in time and place, and prefers the browser's count when
 * it gives one.
 */

/** Longest gap between the presses of a double-click (the common desktop default). */
export const doubleClickMs = 500;
/** Farthest the pointer may move between them, in screen pixels. */
export const doubleClickSlopPx = 5;

export interface PressRecord {
  readonly at: number;
  readonly x: number;
  readonly y: number;
  readonly count: number;
}

/** The count of this press and the record for the next one. */
export function countPress(previous: PressRecord | null, at: number, x: number, y: number, detail: number): PressRecord {
  const near = previous !== null && at - previous.at <= doubleClickMs && Math.hypot(x - previous.x, y - previous.y) <= doubleClickSlopPx;
  const counted = near ? previous.count + 1 : 1;
  return { at, x, y, count: detail > 0 ? detail : counted };
}
