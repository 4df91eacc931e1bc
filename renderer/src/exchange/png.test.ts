import { unzlibSync, zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { crc32, decodeGrayMaskPng, encodeMaskPng } from './png.ts';

function readChunks(png: Uint8Array): { type: string; body: Uint8Array; crcOk: boolean }[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks = [];
  for (let offset = 8; offset < png.length; ) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    const body = png.subarray(offset + 8, offset + 8 + length);
    const crcOk = view.getUint32(offset + 8 + length) === crc32(png.subarray(offset + 4, offset + 8 + length));
    chunks.push({ type, body, crcOk });
    offset += 12 + length;
  }
  return chunks;
}

describe('encodeMaskPng', () => {
  it('uses the PNG CRC-32', () => {
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082);
  });

  it('writes an 8-bit grayscale PNG with 0/255 rows', () => {
    const png = encodeMaskPng({ width: 3, height: 2, data: new Uint8Array([1, 0, 0, 0, 1, 1]) });
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const chunks = readChunks(png);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(chunks.every((c) => c.crcOk)).toBe(true);
    expect([...chunks[0]!.body]).toEqual([0, 0, 0, 3, 0, 0, 0, 2, 8, 0, 0, 0, 0]);
    expect([...unzlibSync(chunks[1]!.body)]).toEqual([0, 255, 0, 0, 0, 0, 255, 255]);
  });

  it('refuses an empty mask', () => {
    expect(() => encodeMaskPng({ width: 0, height: 2, data: new Uint8Array() })).toThrow(/0x2/);
  });
});

/** A PNG from raw chunks (the CRC computed unless `badCrc`). */
function pngOf(chunks: { type: string; body: Uint8Array; badCrc?: boolean }[]): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])];
  for (const { type, body, badCrc } of chunks) {
    const out = new Uint8Array(12 + body.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, body.length);
    for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
    out.set(body, 8);
    view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)) ^ (badCrc ? 1 : 0));
    parts.push(out);
  }
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    png.set(part, offset);
    offset += part.length;
  }
  return png;
}

function header(width: number, height: number, colourType = 0): Uint8Array {
  const body = new Uint8Array(13);
  new DataView(body.buffer).setUint32(0, width);
  new DataView(body.buffer).setUint32(4, height);
  body.set([8, colourType, 0, 0, 0], 8);
  return body;
}

/** Gray rows written with the given filter per row, as PIL or libpng may choose them. */
function filtered(rows: number[][], filters: number[]): Uint8Array {
  const width = rows[0]!.length;
  const out: number[] = [];
  rows.forEach((row, y) => {
    const above = (x: number) => (y > 0 && x >= 0 ? rows[y - 1]![x]! : 0);
    const left = (x: number) => (x > 0 ? row[x - 1]! : 0);
    const paeth = (a: number, b: number, c: number) => {
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    };
    out.push(filters[y]!);
    for (let x = 0; x < width; x++) {
      const predictor = [0, left(x), above(x), (left(x) + above(x)) >> 1, paeth(left(x), above(x), x > 0 ? above(x - 1) : 0)][filters[y]!]!;
      out.push((row[x]! - predictor) & 0xff);
    }
  });
  return zlibSync(new Uint8Array(out));
}

describe('decodeGrayMaskPng', () => {
  it('reads back what encodeMaskPng writes', async () => {
    const mask = { width: 5, height: 3, data: new Uint8Array([1, 0, 0, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1]) };
    expect(await decodeGrayMaskPng(encodeMaskPng(mask), 1e6)).toEqual(mask);
  });

  it('undoes every row filter and thresholds at 128, as the canvas path does', async () => {
    const rows = [
      [0, 200, 127, 128, 255, 3],
      [255, 129, 0, 130, 90, 250],
      [12, 255, 255, 0, 128, 127],
      [140, 20, 255, 255, 0, 200],
      [0, 0, 128, 128, 255, 255],
    ];
    const png = pngOf([{ type: 'IHDR', body: header(6, 5) }, { type: 'IDAT', body: filtered(rows, [0, 1, 2, 3, 4]) }, { type: 'IEND', body: new Uint8Array() }]);
    expect([...(await decodeGrayMaskPng(png, 1e6))!.data]).toEqual(rows.flat().map((v) => (v >= 128 ? 1 : 0)));
  });

  it('leaves any other or damaged PNG to the browser (null)', async () => {
    const idat = filtered([[0, 255]], [0]);
    const end = { type: 'IEND', body: new Uint8Array() };
    expect(await decodeGrayMaskPng(pngOf([{ type: 'IHDR', body: header(2, 1, 6) }, { type: 'IDAT', body: idat }, end]), 1e6)).toBeNull();
    expect(await decodeGrayMaskPng(pngOf([{ type: 'IHDR', body: header(2, 1) }, { type: 'tRNS', body: new Uint8Array([0, 0]) }, { type: 'IDAT', body: idat }, end]), 1e6)).toBeNull();
    expect(await decodeGrayMaskPng(pngOf([{ type: 'IHDR', body: header(2, 1) }, { type: 'IDAT', body: idat, badCrc: true }, end]), 1e6)).toBeNull();
    expect(await decodeGrayMaskPng(pngOf([{ type: 'IHDR', body: header(3, 1) }, { type: 'IDAT', body: idat }, end]), 1e6)).toBeNull();
    expect(await decodeGrayMaskPng(pngOf([{ type: 'IHDR', body: header(2, 1) }, { type: 'IDAT', body: idat }, end]), 1)).toBeNull();
    expect(await decodeGrayMaskPng(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]), 1e6)).toBeNull();
    expect(await decodeGrayMaskPng(pngOf([{ type: 'IHDR', body: header(2, 1) }, { type: 'IDAT', body: idat }, end]), 1e6)).toEqual({ width: 2, height: 1, data: new Uint8Array([0, 1]) });
  });
});
