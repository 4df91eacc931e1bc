import { describe, expect, it } from 'vitest';
import { countPress, doubleClickMs } from './click-count.ts';

describe('countPress', () => {
  it('counts a second press close in time and place as a double-click when the browser says 0', () => {
    const first = countPress(null, 1000, 50, 50, 0);
    expect(first.count).toBe(1);
    expect(countPress(first, 1200, 52, 51, 0).count).toBe(2);
  });

  it('starts over after a pause or a move', () => {
    const first = countPress(null, 1000, 50, 50, 0);
    expect(countPress(first, 1000 + doubleClickMs + 1, 50, 50, 0).count).toBe(1);
    expect(countPress(first, 1100, 80, 50, 0).count).toBe(1);
  });

  it("takes the browser's own count when it reports one", () => {
    expect(countPress(null, 0, 0, 0, 2).count).toBe(2);
  });
});
