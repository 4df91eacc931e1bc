import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { BmpError, decodeBmp, encodeBmp24, readBmpHeader } from './bmp.js';

/** Builds a BMP with a 40-byte info header and the given pixel rows (already padded). */
function bmp(width: number, height: number, bpp: number, rows: number[][], palette: number[][] = [], compression = 0): Uint8Array {
  const paletteBytes = palette.length * 4;
  const rowBytes = Math.ceil((width * bpp) / 32) * 4;
  const offset = 54 + paletteBytes;
  const out = new Uint8Array(offset + rowBytes * Math.abs(height));
  const v = new DataView(out.buffer);
  out[0] = 0x42;
  out[1] = 0x4d;
  v.setUint32(2, out.length, true);
  v.setUint32(10, offset, true);
  v.setUint32(14, 40, true);
  v.setInt32(18, width, true);
  v.setInt32(22, height, true);
  v.setUint16(26, 1, true);
  v.setUint16(28, bpp, true);
  v.setUint32(30, compression, true);
  v.setUint32(46, palette.length, true);
  palette.forEach(([r, g, b], i) => out.set([b, g, r, 0], 54 + i * 4));
  rows.forEach((row, i) => out.set(row, offset + i * rowBytes));
  return out;
}

describe('BMP reader', () => {
  it('round-trips a 24-bit bottom-up BMP', () => {
    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90]); // 3x2
    const d = decodeBmp(encodeBmp24(rgb, 3, 2));
    expect([d.width, d.height, d.hasAlpha]).toEqual([3, 2, false]);
    const back = Array.from(d.data).filter((_, i) => i % 4 !== 3);
    expect(back).toEqual(Array.from(rgb));
  });

  it('reads 8-bit and 1-bit palettes and top-down rows', () => {
    const pal = [[0, 0, 0], [200, 100, 50]];
    const eight = decodeBmp(bmp(2, -2, 8, [[1, 0, 0, 0], [0, 1, 0, 0]], pal));
    expect(Array.from(eight.data.slice(0, 8))).toEqual([200, 100, 50, 255, 0, 0, 0, 255]);
    const one = decodeBmp(bmp(3, 1, 1, [[0b10100000, 0, 0, 0]], pal));
    expect(Array.from(one.data)).toEqual([200, 100, 50, 255, 0, 0, 0, 255, 200, 100, 50, 255]);
  });

  it('reads 32-bit pixels and treats an all-zero alpha channel as opaque', () => {
    const d = decodeBmp(bmp(1, 1, 32, [[30, 20, 10, 0]]));
    expect(Array.from(d.data)).toEqual([10, 20, 30, 255]);
    expect(d.hasAlpha).toBe(false);
  });

  it('refuses RLE and truncated files with a reason', () => {
    expect(() => decodeBmp(bmp(2, 2, 8, [], [[0, 0, 0]], 1))).toThrow(/RLE-compressed BMP is not supported/);
    const full = encodeBmp24(new Uint8Array(300), 10, 10);
    expect(() => decodeBmp(full.subarray(0, 100))).toThrow(BmpError);
    expect(() => decodeBmp(full.subarray(0, 100))).toThrow(/truncated BMP pixel data/);
    expect(readBmpHeader(full)).toMatchObject({ width: 10, height: 10, bitsPerPixel: 24 });
  });

  it('produces pixels sharp accepts as raw input', async () => {
    const d = decodeBmp(encodeBmp24(new Uint8Array(8 * 8 * 3).fill(128), 8, 8));
    const meta = await sharp(d.data, { raw: { width: 8, height: 8, channels: 4 } }).metadata();
    expect([meta.width, meta.height]).toEqual([8, 8]);
  });
});
