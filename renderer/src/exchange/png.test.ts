import { unzlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { crc32, encodeMaskPng } from './png.ts';

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
