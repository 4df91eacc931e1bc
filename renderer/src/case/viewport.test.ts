import { describe, expect, it } from 'vitest';
import { fitViewport, imageToScreen, MAX_SCALE, panBy, screenToImage, wheelBrushSize, wheelZoomFactor, zoomAt, zoomTo } from './viewport.ts';

describe('viewport', () => {
  it('fits a 6000x4000 image into a 1000x800 view with padding, centred', () => {
    const v = fitViewport(6000, 4000, 1000, 800, 20);
    expect(v.scale).toBeCloseTo(960 / 6000);
    expect(v.x).toBeCloseTo(20);
    expect(v.y).toBeCloseTo((800 - 4000 * v.scale) / 2);
  });

  it('keeps the image point under the cursor fixed while zooming', () => {
    const v = { scale: 0.25, x: 30, y: -12 };
    const anchor = { x: 412, y: 287 };
    const before = screenToImage(v, anchor);
    const zoomed = zoomAt(v, 3.7, anchor);
    expect(zoomed.scale).toBeCloseTo(0.925);
    const after = screenToImage(zoomed, anchor);
    expect(after.x).toBeCloseTo(before.x);
    expect(after.y).toBeCloseTo(before.y);
  });

  it('clamps the zoom and sets an absolute 1:1 scale', () => {
    expect(zoomAt({ scale: 10, x: 0, y: 0 }, 100, { x: 0, y: 0 }).scale).toBe(MAX_SCALE);
    expect(zoomTo({ scale: 0.2, x: 5, y: 5 }, 1, { x: 100, y: 100 }).scale).toBeCloseTo(1);
  });

  it('maps screen to image and back, and pans in screen pixels', () => {
    const v = panBy({ scale: 2, x: 10, y: 20 }, 5, -5);
    const p = { x: 123.5, y: 456.25 };
    const back = screenToImage(v, imageToScreen(v, p));
    expect(back.x).toBeCloseTo(p.x);
    expect(back.y).toBeCloseTo(p.y);
    expect(imageToScreen(v, { x: 0, y: 0 })).toEqual({ x: 15, y: 15 });
  });

  it('zooms in on wheel up, out on wheel down, and converts line deltas', () => {
    expect(wheelZoomFactor(-100)).toBeGreaterThan(1.15);
    expect(wheelZoomFactor(100)).toBeLessThan(0.87);
    expect(wheelZoomFactor(3, 1)).toBeCloseTo(wheelZoomFactor(48));
  });

  it('changes the brush by at least one pixel per wheel event', () => {
    expect(wheelBrushSize(2, -100)).toBe(3);
    expect(wheelBrushSize(2, 100)).toBe(1);
    expect(wheelBrushSize(200, -100)).toBeGreaterThan(215);
    expect(wheelBrushSize(200, 0)).toBe(200);
  });
});
