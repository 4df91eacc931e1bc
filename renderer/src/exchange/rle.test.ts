import { describe, expect, it } from 'vitest';
import type { BinaryMask } from './binary-mask.ts';
import { decodeRle, encodeCompressedRle, encodeRle, rleArea, rleBbox, rleCountsFromString, rleCountsToString } from './rle.ts';

function maskFromRows(rows: string[]): BinaryMask {
  const height = rows.length;
  const width = rows[0]!.length;
  const data = new Uint8Array(width * height);
  rows.forEach((row, y) => [...row].forEach((c, x) => (data[y * width + x] = c === '#' ? 1 : 0)));
  return { width, height, data };
}

// 4 rows x 3 columns. Column-major pixels: col0 = 0001, col1 = 1100, col2 = 0110,
// i.e. 000 111 000 11 0 -> counts [3, 3, 3, 2, 1].
const small = maskFromRows(['.#.', '.##', '..#', '#..']);

describe('COCO RLE (pycocotools maskApi.c)', () => {
  it('runs column-major, starting with background', () => {
    expect(encodeRle(small)).toEqual({ size: [4, 3], counts: [3, 3, 3, 2, 1] });
  });

  it('starts with an empty background run when the first pixel is lesion', () => {
    expect(encodeRle(maskFromRows(['##', '#.'])).counts).toEqual([0, 3, 1]);
    expect(encodeRle(maskFromRows(['..', '..'])).counts).toEqual([4]);
  });

  it('compresses counts like rleToString', () => {
    // 3, 3, 3 -> '3' each (3 + 48). Fourth: 2 - counts[1] = -1 -> low 5 bits 31, sign bit set and
    // the rest is -1, so one group: 31 + 48 = 'O'. Fifth: 1 - counts[2] = -2 -> 30 + 48 = 'N'.
    expect(encodeCompressedRle(small)).toEqual({ size: [4, 3], counts: '333ON' });
    // 100 = 0b11_00100: group 4 with 'more' (4 | 32) + 48 = 'T', then 3 + 48 = '3'.
    expect(rleCountsToString([100])).toBe('T3');
    // 16 needs two groups: its low group 16 would read as a sign bit. (16 | 32) + 48 = 96 = '`',
    // then 0 + 48 = '0'.
    expect(rleCountsToString([16])).toBe('`0');
  });

  it('reads the compressed form back, large counts included', () => {
    expect(rleCountsFromString('333ON')).toEqual([3, 3, 3, 2, 1]);
    const counts = [24_000_000 - 7, 5, 2, 0, 0];
    expect(rleCountsFromString(rleCountsToString(counts))).toEqual(counts);
    expect(() => rleCountsFromString('T')).toThrow(/ends in the middle/);
  });

  it('decodes both forms to the same pixels', () => {
    expect(decodeRle(encodeRle(small))).toEqual(small);
    expect(decodeRle(encodeCompressedRle(small))).toEqual(small);
  });

  it('gives area and bbox as pycocotools does', () => {
    const { counts } = encodeRle(small);
    expect(rleArea(counts)).toBe(5);
    expect(rleBbox(counts, 4)).toEqual([0, 0, 3, 4]);
    const inner = encodeRle(maskFromRows(['....', '.##.', '..#.', '....']));
    expect(rleBbox(inner.counts, 4)).toEqual([1, 1, 2, 2]);
    expect(rleBbox(encodeRle(maskFromRows(['..', '..'])).counts, 2)).toEqual([0, 0, 0, 0]);
  });
});
