/**
 * A small BMP reader, because sharp's prebuilt libvips has no BMP loader (it needs
 * ImageMagick). Covers what scanners and old dermatoscope software write: BITMAPINFOHEADER
 * and its V4/V5 extensions, 1/4/8-bit palettes, 16-bit (5-5-5 or bitfields), 24-bit and 32-bit
 * (with or without bitfields), bottom-up and top-down rows. RLE-compressed BMPs are rejected
 * with a clear message.
 */

/** Header facts, read without touching pixel data. */
export interface BmpHeader {
  width: number;
  height: number;
  bitsPerPixel: number;
  compression: number;
  topDown: boolean;
  dataOffset: number;
  headerSize: number;
}

/** Decoded pixels: interleaved 8-bit RGBA, top row first. */
export interface BmpPixels {
  width: number;
  height: number;
  channels: 4;
  data: Uint8Array;
  hasAlpha: boolean;
}

/** Thrown for a BMP we cannot read; the message is a short reason. */
export class BmpError extends Error {}

/** True when the bytes start with the BMP signature and a plausible header. */
export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 26 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

/** Reads the BMP header; throws BmpError when it is truncated or unsupported. */
export function readBmpHeader(bytes: Uint8Array): BmpHeader {
  if (bytes.length < 26) throw new BmpError('truncated BMP header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  if (headerSize === 12) {
    // OS/2 BITMAPCOREHEADER: 16-bit dimensions.
    return {
      width: view.getUint16(18, true),
      height: view.getUint16(20, true),
      bitsPerPixel: view.getUint16(24, true),
      compression: 0,
      topDown: false,
      dataOffset,
      headerSize,
    };
  }
  if (headerSize < 40 || bytes.length < 14 + 40) throw new BmpError('truncated or unsupported BMP header');
  const width = view.getInt32(18, true);
  const rawHeight = view.getInt32(22, true);
  const bitsPerPixel = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  if (width <= 0 || rawHeight === 0) throw new BmpError('BMP header has zero or negative size');
  return { width, height: Math.abs(rawHeight), bitsPerPixel, compression, topDown: rawHeight < 0, dataOffset, headerSize };
}

function maskShift(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

/** Decodes a BMP to RGBA; call readBmpHeader first to check the size against a limit. */
export function decodeBmp(bytes: Uint8Array): BmpPixels {
  const h = readBmpHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { width, height, bitsPerPixel: bpp } = h;
  const BI_RGB = 0;
  const BI_BITFIELDS = 3;
  const BI_ALPHABITFIELDS = 6;
  if (h.compression === 1 || h.compression === 2) throw new BmpError('RLE-compressed BMP is not supported');
  if (h.compression !== BI_RGB && h.compression !== BI_BITFIELDS && h.compression !== BI_ALPHABITFIELDS) {
    throw new BmpError(`BMP compression type ${h.compression} is not supported`);
  }
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) throw new BmpError(`${bpp}-bit BMP is not supported`);

  const rowBytes = Math.ceil((width * bpp) / 32) * 4;
  if (h.dataOffset + rowBytes * height > bytes.length) throw new BmpError('truncated BMP pixel data');

  // Palette for <= 8 bits: BGRX quads (BGR triples for OS/2 headers).
  let palette: Uint8Array | null = null;
  if (bpp <= 8) {
    const entrySize = h.headerSize === 12 ? 3 : 4;
    const paletteStart = 14 + h.headerSize;
    const declared = h.headerSize >= 40 ? view.getUint32(46, true) : 0;
    const count = declared > 0 ? Math.min(declared, 1 << bpp) : 1 << bpp;
    palette = new Uint8Array(256 * 3);
    for (let i = 0; i < count; i++) {
      const o = paletteStart + i * entrySize;
      if (o + 2 >= bytes.length) break;
      palette[i * 3] = bytes[o + 2];
      palette[i * 3 + 1] = bytes[o + 1];
      palette[i * 3 + 2] = bytes[o];
    }
  }

  // Channel masks for 16/32-bit.
  let masks = { r: 0, g: 0, b: 0, a: 0 };
  if (bpp === 16) masks = { r: 0x7c00, g: 0x03e0, b: 0x001f, a: 0 };
  if (bpp === 32) masks = { r: 0x00ff0000, g: 0x0000ff00, b: 0x000000ff, a: 0 };
  if ((bpp === 16 || bpp === 32) && h.compression !== BI_RGB) {
    // Masks follow a 40-byte header, or live inside V4/V5 headers at the same offset.
    masks = {
      r: view.getUint32(54, true),
      g: view.getUint32(58, true),
      b: view.getUint32(62, true),
      a: h.headerSize >= 56 || h.compression === BI_ALPHABITFIELDS ? view.getUint32(66, true) : 0,
    };
  } else if (bpp === 32 && h.headerSize >= 56) {
    masks.a = view.getUint32(66, true);
  }
  const mr = maskShift(masks.r);
  const mg = maskShift(masks.g);
  const mb = maskShift(masks.b);
  const ma = maskShift(masks.a);
  const scale = (v: number, m: { max: number }): number => (m.max === 0 ? 0 : Math.round((v * 255) / m.max));

  const out = new Uint8Array(width * height * 4);
  let anyAlpha = false;
  for (let y = 0; y < height; y++) {
    const srcRow = h.topDown ? y : height - 1 - y;
    let s = h.dataOffset + srcRow * rowBytes;
    let d = y * width * 4;
    if (bpp === 24) {
      for (let x = 0; x < width; x++, s += 3, d += 4) {
        out[d] = bytes[s + 2];
        out[d + 1] = bytes[s + 1];
        out[d + 2] = bytes[s];
        out[d + 3] = 255;
      }
    } else if (bpp === 32 || bpp === 16) {
      const step = bpp / 8;
      for (let x = 0; x < width; x++, s += step, d += 4) {
        const v = bpp === 32 ? view.getUint32(s, true) : view.getUint16(s, true);
        out[d] = scale((v & masks.r) >>> mr.shift, mr);
        out[d + 1] = scale((v & masks.g) >>> mg.shift, mg);
        out[d + 2] = scale((v & masks.b) >>> mb.shift, mb);
        if (ma.max > 0) {
          const a = scale((v & masks.a) >>> ma.shift, ma);
          out[d + 3] = a;
          if (a !== 255) anyAlpha = true;
        } else {
          out[d + 3] = 255;
        }
      }
    } else {
      const pal = palette as Uint8Array;
      const perByte = 8 / bpp;
      const valueMask = (1 << bpp) - 1;
      for (let x = 0; x < width; x++, d += 4) {
        const byte = bytes[s + Math.floor(x / perByte)];
        const shift = 8 - bpp * ((x % perByte) + 1);
        const index = (byte >> shift) & valueMask;
        out[d] = pal[index * 3];
        out[d + 1] = pal[index * 3 + 1];
        out[d + 2] = pal[index * 3 + 2];
        out[d + 3] = 255;
      }
    }
  }
  // Many writers leave a 32-bit alpha channel all zero; treat "all transparent" as opaque.
  if (anyAlpha) {
    let allZero = true;
    for (let i = 3; i < out.length; i += 4) {
      if (out[i] !== 0) {
        allZero = false;
        break;
      }
    }
    if (allZero) {
      for (let i = 3; i < out.length; i += 4) out[i] = 255;
      anyAlpha = false;
    }
  }
  return { width, height, channels: 4, data: out, hasAlpha: anyAlpha };
}

/** Encodes RGB pixels as a 24-bit bottom-up BMP (used by tests and fixtures). */
export function encodeBmp24(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const rowBytes = Math.ceil((width * 24) / 32) * 4;
  const size = 54 + rowBytes * height;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = 0x42;
  out[1] = 0x4d;
  view.setUint32(2, size, true);
  view.setUint32(10, 54, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, width, true);
  view.setInt32(22, height, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, 24, true);
  view.setUint32(34, rowBytes * height, true);
  for (let y = 0; y < height; y++) {
    const d0 = 54 + (height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      const d = d0 + x * 3;
      out[d] = rgb[s + 2];
      out[d + 1] = rgb[s + 1];
      out[d + 2] = rgb[s];
    }
  }
  return out;
}
