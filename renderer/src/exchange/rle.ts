/**
 * COCO run-length encoding, ported from pycocotools' maskApi.c so that files we write decode
 * identically there: runs over the mask in column-major (Fortran) order, alternating
 * background/lesion and always starting with a (possibly empty) background run.
 */
import type { BinaryMask } from './binary-mask.ts';

/** An RLE with uncompressed counts (pycocotools `frPyObjects` input form). */
export interface UncompressedRle {
  size: [height: number, width: number];
  counts: number[];
}

/** An RLE with counts compressed to a string (pycocotools `rleToString` / `encode` output). */
export interface CompressedRle {
  size: [height: number, width: number];
  counts: string;
}

/** Side of the tiles the column-major copy is made in: a tile's rows and columns stay in cache. */
const transposeTile = 64;

/**
 * Run lengths of a row-major mask, read column by column (pycocotools `rleEncode`). Reading a
 * column of a row-major mask touches a new cache line at every pixel (a 24 MP mask took ~0.4 s
 * that way), so the mask is first copied column-major tile by tile, then scanned straight.
 */
export function rleCounts(mask: BinaryMask): number[] {
  const { width, height, data } = mask;
  const columns = new Uint8Array(width * height);
  for (let y0 = 0; y0 < height; y0 += transposeTile) {
    const y1 = Math.min(height, y0 + transposeTile);
    for (let x0 = 0; x0 < width; x0 += transposeTile) {
      const x1 = Math.min(width, x0 + transposeTile);
      for (let y = y0; y < y1; y++) {
        const row = y * width;
        for (let x = x0; x < x1; x++) columns[x * height + y] = data[row + x] ? 1 : 0;
      }
    }
  }
  const counts: number[] = [];
  let previous = 0;
  let start = 0;
  for (let i = 0; i < columns.length; i++) {
    if (columns[i] !== previous) {
      counts.push(i - start);
      start = i;
      previous = columns[i]!;
    }
  }
  counts.push(columns.length - start);
  return counts;
}

/** Uncompressed COCO RLE of a mask. */
export function encodeRle(mask: BinaryMask): UncompressedRle {
  return { size: [mask.height, mask.width], counts: rleCounts(mask) };
}

/**
 * pycocotools `rleToString`: each count (from the fourth on, as the difference to the count two
 * before) in 5-bit little-endian groups, bit 0x20 = more groups follow, 0x10 of the last group =
 * sign, each group offset by 48 into printable ASCII.
 */
export function rleCountsToString(counts: readonly number[]): string {
  let out = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i]!;
    if (i > 2) x -= counts[i - 2]!;
    let more = true;
    while (more) {
      let c = x & 0x1f;
      // Arithmetic shift (sign-preserving), as on the C `long`; counts fit 32 bits.
      x >>= 5;
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out += String.fromCharCode(c + 48);
    }
  }
  return out;
}

/** pycocotools `rleFrString`: counts from the compressed string form. */
export function rleCountsFromString(text: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < text.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= text.length) throw new Error('The RLE string ends in the middle of a count.');
      const c = text.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new Error(`The RLE string has a character outside its alphabet at ${p}.`);
      // Multiplication, not shifts: 5*k may pass 31 bits, where JavaScript shifts wrap.
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x -= 2 ** (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2]!;
    counts.push(x);
  }
  return counts;
}

/** Compressed COCO RLE of a mask (what pycocotools' `mask.encode` returns, counts as text). */
export function encodeCompressedRle(mask: BinaryMask): CompressedRle {
  return { size: [mask.height, mask.width], counts: rleCountsToString(rleCounts(mask)) };
}

/** Decode either RLE form back to a row-major mask. */
export function decodeRle(rle: UncompressedRle | CompressedRle): BinaryMask {
  const [height, width] = rle.size;
  const counts = typeof rle.counts === 'string' ? rleCountsFromString(rle.counts) : rle.counts;
  const data = new Uint8Array(width * height);
  let index = 0;
  let value = 0;
  for (const run of counts) {
    if (index + run > width * height) throw new Error('The RLE counts cover more pixels than its size.');
    if (value) {
      for (let i = index; i < index + run; i++) {
        const x = Math.floor(i / height);
        data[(i - x * height) * width + x] = 1;
      }
    }
    index += run;
    value = 1 - value;
  }
  if (index !== width * height) throw new Error('The RLE counts do not cover its size.');
  return { width, height, data };
}

/** Lesion pixels of an RLE (pycocotools `area`). */
export function rleArea(counts: readonly number[]): number {
  let area = 0;
  for (let i = 1; i < counts.length; i += 2) area += counts[i]!;
  return area;
}

/** Bounding box [x, y, width, height] of an RLE, as pycocotools `toBbox` computes it. */
export function rleBbox(counts: readonly number[], height: number): [number, number, number, number] {
  const m = Math.floor(counts.length / 2) * 2;
  if (m === 0) return [0, 0, 0, 0];
  let xs = Infinity;
  let ys = Infinity;
  let xe = 0;
  let ye = 0;
  let cc = 0;
  let xp = 0;
  for (let j = 0; j < m; j++) {
    cc += counts[j]!;
    const t = cc - (j % 2);
    const y = t % height;
    const x = (t - y) / height;
    if (j % 2 === 0) xp = x;
    else if (xp < x) {
      // A lesion run that wraps into the next column covers the full column height.
      ys = 0;
      ye = height - 1;
    }
    xs = Math.min(xs, x);
    xe = Math.max(xe, x);
    ys = Math.min(ys, y);
    ye = Math.max(ye, y);
  }
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}
