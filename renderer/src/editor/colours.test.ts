import { describe, expect, it } from 'vitest';
import { classifyColour, colourShares, rgbToLab } from './colours.ts';

describe('rgbToLab', () => {
  it('maps white, black and sRGB red to their CIELAB values', () => {
    expect(rgbToLab(255, 255, 255).l).toBeCloseTo(100, 1);
    expect(rgbToLab(0, 0, 0).l).toBeCloseTo(0, 5);
    const red = rgbToLab(255, 0, 0);
    expect(red.l).toBeCloseTo(53.24, 1);
    expect(red.a).toBeCloseTo(80.09, 0);
    expect(red.b).toBeCloseTo(67.2, 0);
  });
});

describe('classifyColour', () => {
  it('classifies typical dermoscopy tones', () => {
    expect(classifyColour(250, 250, 248)).toBe('white');
    expect(classifyColour(204, 51, 51)).toBe('red');
    expect(classifyColour(153, 102, 51)).toBe('light-brown');
    expect(classifyColour(180, 130, 90)).toBe('light-brown');
    expect(classifyColour(90, 55, 35)).toBe('dark-brown');
    expect(classifyColour(110, 120, 140)).toBe('blue-grey');
    expect(classifyColour(51, 153, 153)).toBe('blue-grey');
    expect(classifyColour(128, 128, 128)).toBe('blue-grey');
    expect(classifyColour(20, 15, 15)).toBe('black');
    // Pink skin and saturated green are none of the six.
    expect(classifyColour(220, 150, 150)).toBeNull();
    expect(classifyColour(40, 200, 40)).toBeNull();
  });
});

describe('colourShares', () => {
  it('counts only lesion pixels and applies the presence threshold', () => {
    const n = 100;
    const mask = new Uint8Array(n * 2).fill(0);
    mask.fill(1, 0, n);
    const rgba = new Uint8Array(n * 2 * 4);
    const paint = (from: number, to: number, rgb: [number, number, number]): void => {
      for (let i = from; i < to; i++) rgba.set([...rgb, 255], i * 4);
    };
    paint(0, 40, [153, 102, 51]);
    paint(40, 70, [90, 55, 35]);
    paint(70, 90, [110, 120, 140]);
    paint(90, 96, [250, 250, 250]);
    paint(96, 100, [204, 51, 51]);
    paint(100, 200, [0, 0, 0]); // background: black, must not count
    const shares = Object.fromEntries(colourShares(rgba, mask).map((s) => [s.colour, s]));
    expect(shares['light-brown']).toMatchObject({ fraction: 0.4, present: true });
    expect(shares['dark-brown']).toMatchObject({ fraction: 0.3, present: true });
    expect(shares['blue-grey']?.present).toBe(true);
    expect(shares['white']?.present).toBe(true);
    expect(shares['red']).toMatchObject({ fraction: 0.04, present: false });
    expect(shares['black']).toMatchObject({ fraction: 0, present: false });
    expect(colourShares(rgba, mask, 0.03).find((s) => s.colour === 'red')?.present).toBe(true);
  });

  it('reports nothing present for an empty mask and rejects a size mismatch', () => {
    expect(colourShares(new Uint8Array(8), new Uint8Array(2)).some((s) => s.present)).toBe(false);
    expect(() => colourShares(new Uint8Array(4), new Uint8Array(2))).toThrow(RangeError);
  });
});
