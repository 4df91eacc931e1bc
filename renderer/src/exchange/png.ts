/**
 * A minimal PNG encoder for masks: 8-bit grayscale, 0 or 255, no colour or gamma chunks, so
 * every decoder (browsers, PIL, OpenCV, sharp) reads back exactly 0 and 255. Canvas
 * `convertToBlob` would write RGBA instead, which ISIC tooling does not expect. And its decoder
 * for the same form (every mask LesionDesk stores), which skips the canvas round trip.
 */
import { zlibSync } from 'fflate';
import type { BinaryMask } from './binary-mask.ts';

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as PNG chunks use it. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/** The mask as an 8-bit grayscale PNG, lesion = 255. */
export function encodeMaskPng(mask: BinaryMask): Uint8Array<ArrayBuffer> {
  const { width, height, data } = mask;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`A mask of ${width}x${height} pixels cannot be written as PNG.`);
  }
  const raw = new Uint8Array((width + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width + 1); // filter byte 0 (None) then the row: masks deflate well as is
    for (let x = 0; x < width; x++) raw[row + 1 + x] = data[y * width + x] ? 255 : 0;
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 0, 0, 0, 0], 8); // bit depth 8, grayscale, deflate, adaptive filter, no interlace
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlibSync(raw, { level: 6 })),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Chunks that change no pixel value of a grayscale image without transparency. */
const harmlessChunks = new Set(['IHDR', 'IDAT', 'IEND', 'pHYs', 'tEXt', 'zTXt', 'iTXt', 'tIME']);

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * A mask from an 8-bit grayscale, non-interlaced PNG without transparency or colour chunks (what
 * encodeMaskPng writes, any row filter): lesion where the value is at least 128, as the canvas
 * path reads it. Null for any other PNG, or one that is damaged (a bad CRC, a short stream): the
 * caller then decodes through the browser, which reads every form and refuses damaged files.
 * It exists for speed: drawing a 12 MP mask on a canvas and reading it back took ~0.5 s. The
 * stream is inflated by the platform's DecompressionStream (native zlib, in browsers and Node),
 * several times faster than inflating in JavaScript.
 */
export async function decodeGrayMaskPng(png: Uint8Array, maxPixels: number): Promise<BinaryMask | null> {
  if (png.length < 8 || signature.some((b, i) => png[i] !== b)) return null;
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  let ended = false;
  for (let offset = 8; offset + 12 <= png.length && !ended; ) {
    const length = view.getUint32(offset);
    const end = offset + 12 + length;
    if (end > png.length) return null;
    const type = String.fromCharCode(png[offset + 4]!, png[offset + 5]!, png[offset + 6]!, png[offset + 7]!);
    if (!harmlessChunks.has(type)) return null;
    if (view.getUint32(end - 4) !== crc32(png.subarray(offset + 4, end - 4))) return null;
    const body = png.subarray(offset + 8, end - 4);
    if (type === 'IHDR') {
      if (length !== 13) return null;
      width = view.getUint32(offset + 8);
      height = view.getUint32(offset + 12);
      // Bit depth 8, grayscale, deflate, adaptive filtering, no interlace.
      if (body[8] !== 8 || body[9] !== 0 || body[10] !== 0 || body[11] !== 0 || body[12] !== 0) return null;
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') ended = true;
    offset = end;
  }
  if (!ended || width === 0 || height === 0 || width * height > maxPixels || idat.length === 0) return null;
  const stride = width + 1;
  const raw = await inflateZlib(idat, stride * height);
  if (!raw) return null;
  // Unfilter in place (row by row, each against the unfiltered row above), then threshold.
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * stride + 1;
    const up = row - stride;
    const filter = raw[row - 1];
    switch (filter) {
      case 0:
        break;
      case 1:
        for (let x = 1; x < width; x++) raw[row + x] = (raw[row + x]! + raw[row + x - 1]!) & 0xff;
        break;
      case 2:
        if (y > 0) for (let x = 0; x < width; x++) raw[row + x] = (raw[row + x]! + raw[up + x]!) & 0xff;
        break;
      case 3:
        for (let x = 0; x < width; x++) {
          const left = x > 0 ? raw[row + x - 1]! : 0;
          const above = y > 0 ? raw[up + x]! : 0;
          raw[row + x] = (raw[row + x]! + ((left + above) >> 1)) & 0xff;
        }
        break;
      case 4:
        for (let x = 0; x < width; x++) {
          const left = x > 0 ? raw[row + x - 1]! : 0;
          const above = y > 0 ? raw[up + x]! : 0;
          const corner = x > 0 && y > 0 ? raw[up + x - 1]! : 0;
          raw[row + x] = (raw[row + x]! + paeth(left, above, corner)) & 0xff;
        }
        break;
      default:
        return null;
    }
    const out = y * width;
    // The top bit is "at least 128".
    for (let x = 0; x < width; x++) data[out + x] = raw[row + x]! >> 7;
  }
  return { width, height, data };
}

/** The inflated zlib stream of the IDAT chunks when it is exactly `size` bytes, else null. */
async function inflateZlib(parts: readonly Uint8Array[], size: number): Promise<Uint8Array | null> {
  const out = new Uint8Array(size);
  let filled = 0;
  try {
    // 'deflate' is the zlib format in the Compression Streams standard, as in PNG.
    const stream = new Blob(parts as Uint8Array<ArrayBuffer>[]).stream().pipeThrough(new DecompressionStream('deflate'));
    const reader = stream.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      if (filled + chunk.value.length > size) {
        await reader.cancel();
        return null;
      }
      out.set(chunk.value, filled);
      filled += chunk.value.length;
    }
  } catch {
    return null;
  }
  return filled === size ? out : null;
}
