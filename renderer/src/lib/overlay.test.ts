import { describe, expect, it } from 'vitest';
import { fitRect, tintMask, traceOutline } from './overlay.ts';

describe('fitRect', () => {
  it('letterboxes a wide image and centres it', () => {
    expect(fitRect(200, 100, 100, 100)).toEqual({ x: 0, y: 25, width: 100, height: 50 });
    expect(fitRect(100, 200, 100, 100)).toEqual({ x: 25, y: 0, width: 50, height: 100 });
  });

  it('is empty for empty inputs', () => {
    expect(fitRect(0, 10, 100, 100).width).toBe(0);
    expect(fitRect(10, 10, 0, 100).height).toBe(0);
  });
});

describe('tintMask', () => {
  it('colours mask pixels at the given opacity and clears the rest', () => {
    const rgba = new Uint8ClampedArray([255, 255, 255, 255, 0, 0, 0, 255, 127, 127, 127, 255]);
    const n = tintMask(rgba, { r: 10, g: 20, b: 30 }, 0.5);
    expect(n).toBe(1);
    expect(Array.from(rgba.slice(0, 4))).toEqual([10, 20, 30, 128]);
    expect(rgba[7]).toBe(0);
    expect(rgba[11]).toBe(0);
  });
});

describe('traceOutline', () => {
  it('maps image pixels into the view rectangle and skips degenerate polygons', () => {
    const ops: string[] = [];
    const ctx = {
      moveTo: (x: number, y: number) => ops.push(`M${x},${y}`),
      lineTo: (x: number, y: number) => ops.push(`L${x},${y}`),
      closePath: () => ops.push('Z'),
    };
    traceOutline(ctx, [[0, 0, 10, 0, 10, 10], [1, 1]], 10, 10, { x: 5, y: 5, width: 20, height: 20 });
    expect(ops).toEqual(['M5,5', 'L25,5', 'L25,25', 'Z']);
  });
});
