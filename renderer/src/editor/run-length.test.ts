import { describe, expect, it } from 'vitest';
import { MaskRaster } from './mask-raster.js';
import { decodeRunLengths, encodeRunLengths, runLengthArea } from './run-length.js';

function randomMask(length: number, seed: number, density: number): Uint8Array {
  let state = seed;
  const data = new Uint8Array(length);
  let value = 0;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    if (state / 2 ** 32 < density) value = 1 - value;
    data[i] = value;
  }
  return data;
}

describe('run lengths', () => {
  it('round-trips masks that start and end with either value', () => {
    const cases = [
      new Uint8Array([]),
      new Uint8Array([0, 0, 0]),
      new Uint8Array([1, 1, 1]),
      new Uint8Array([1, 0, 0, 1]),
      new Uint8Array([0, 1, 1, 0, 1]),
      randomMask(10_000, 7, 0.01),
      randomMask(10_000, 9, 0.5),
    ];
    for (const mask of cases) {
      const lengths = encodeRunLengths(mask);
      expect(lengths.reduce((a, b) => a + b, 0)).toBe(mask.length);
      expect(decodeRunLengths(lengths, mask.length)).toEqual(mask);
      // The area read from the runs is the pixel count of the mask.
      expect(runLengthArea(lengths)).toBe(mask.length === 0 ? 0 : new MaskRaster(mask.length, 1, mask).area());
    }
  });

  it('starts with background: a mask starting with lesion has a first run of 0', () => {
    expect([...encodeRunLengths(new Uint8Array([1, 1, 0]))]).toEqual([0, 2, 1]);
    expect([...encodeRunLengths(new Uint8Array([0, 1, 1]))]).toEqual([1, 2]);
  });

  it('refuses runs that do not cover the mask', () => {
    expect(() => decodeRunLengths(new Uint32Array([2, 1]), 4)).toThrow(/3 pixels, not the mask's 4/);
    expect(() => decodeRunLengths(new Uint32Array([2, 5]), 4)).toThrow(/not the mask's 4/);
  });
});
