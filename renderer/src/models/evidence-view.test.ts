import { describe, expect, it } from 'vitest';
import { changeOf, drawOverlay, overlayColours } from './evidence-view.ts';

describe('evidence overlay', () => {
  it('colours agreement, misses and additions against the approved mask, and leaves background alone', () => {
    const rgba = new Uint8ClampedArray(4 * 4).fill(100);
    const approved = Uint8Array.of(1, 1, 0, 0);
    const predicted = Uint8Array.of(1, 0, 1, 0);
    expect(drawOverlay(rgba, approved, predicted, 1)).toEqual({ agree: 1, missed: 1, extra: 1 });
    expect([...rgba.slice(0, 3)]).toEqual([...overlayColours.agree]);
    expect([...rgba.slice(4, 7)]).toEqual([...overlayColours.missed]);
    expect([...rgba.slice(8, 11)]).toEqual([...overlayColours.extra]);
    expect([...rgba.slice(12, 16)]).toEqual([100, 100, 100, 100]);
  });

  it('draws the approved mask alone when there is no prediction, blended by alpha', () => {
    const rgba = new Uint8ClampedArray(2 * 4).fill(0);
    expect(drawOverlay(rgba, Uint8Array.of(0, 1), null, 0.5)).toEqual({ agree: 1, missed: 0, extra: 0 });
    expect([...rgba.slice(4, 7)]).toEqual(overlayColours.agree.map((c) => Math.round(c * 0.5)));
    expect([...rgba.slice(0, 4)]).toEqual([0, 0, 0, 0]);
  });

  it('refuses masks of another size than the picture', () => {
    expect(() => drawOverlay(new Uint8ClampedArray(8), Uint8Array.of(1), null)).toThrow(/2 pixels but the masks have 1/);
  });

  it('measures change as candidate minus base', () => {
    expect(changeOf({ baseDice: 0.8, candidateDice: 0.7 })).toBeCloseTo(-0.1);
  });
});
