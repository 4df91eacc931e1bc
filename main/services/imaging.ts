/**
 * Decoding (sharp, plus our BMP reader) and the card's preprocessing. Only the model-sized
 * image is ever materialised: sharp shrinks large JPEGs on load and resizes in its own
 * threads, so a 6000x4000 photo never becomes a full-resolution buffer in JavaScript.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Metadata, type OutputInfo, type Sharp } from 'sharp';
import { BmpError, decodeBmp, isBmp, readBmpHeader } from './bmp.js';
import { ImageDecodeError, ImageTooLargeError, ImageTooSmallError, errorMessage } from './errors.js';

/** An image given by path or by bytes (from the renderer); `name` is used in messages. */
export interface ImageSource {
  path?: string;
  bytes?: Uint8Array;
  name?: string;
}

/** Limits applied before any pixel is decoded. */
export interface DecodeLimits {
  /** Largest accepted width x height (after the header is read, before decoding). */
  maxPixels: number;
  /** Smallest accepted side in pixels. */
  minSide: number;
}

/**
 * 64 megapixels: above dermatoscope and 61 MP full-frame camera output (a 6000x4000 photo is
 * 24 MP), and well below what a decompression bomb announces. Configurable per service.
 */
export const DEFAULT_LIMITS: DecodeLimits = { maxPixels: 64_000_000, minSide: 8 };

/** Formats we accept; SVG and other vector/multi-purpose loaders are refused on purpose. */
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'tiff', 'gif', 'heif', 'bmp']);

/** The decoded image at model size plus the facts about the original. */
export interface DecodedImage {
  name: string;
  format: string;
  /** Full-resolution size after EXIF orientation. */
  width: number;
  height: number;
  /** Interleaved 8-bit sRGB at model size. */
  rgb: Uint8Array;
  modelWidth: number;
  modelHeight: number;
}

/** Display name of a source for messages. */
export function sourceName(source: ImageSource): string {
  return source.name ?? (source.path ? path.basename(source.path) : 'image');
}

/** Reads the bytes of a source; a missing/unreadable file becomes ImageDecodeError. */
export async function readSource(source: ImageSource): Promise<Uint8Array> {
  if (source.bytes) return source.bytes;
  if (!source.path) throw new ImageDecodeError('no image given (neither a path nor bytes)');
  try {
    return await readFile(source.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new ImageDecodeError(`${sourceName(source)} could not be read (${why})`, { cause: error });
  }
}

function formatMegapixels(pixels: number): string {
  return `${Math.round(pixels / 1e5) / 10} megapixels`;
}

/** Turns a libvips/sharp message into a short reason a user can read. */
function explainSharpError(error: unknown, format: string | undefined): string {
  const message = errorMessage(error);
  const m = message.toLowerCase();
  const kind = format ? `${format.toUpperCase()} ` : '';
  if (m.includes('unsupported image format')) return 'unrecognised file format';
  // libjpeg words damaged scan data as "Corrupt JPEG data: premature end of data segment"
  // and a cut-off file as "premature end of JPEG image": test for corruption first.
  if (m.includes('corrupt') || m.includes('invalid') || m.includes('bad ') || m.includes('crc')) return `corrupt ${kind}data`;
  if (m.includes('premature end') || m.includes('truncated') || m.includes('unexpected end') || m.includes('read error') || m.includes('not enough data'))
    return `truncated ${kind}data`;
  const firstLine = message.split('\n')[0].replace(/^vips\w*:\s*/i, '').trim();
  return firstLine.length > 0 ? firstLine : 'unknown decoder error';
}

/** Guesses the format from the first bytes, only to word error messages. */
function sniffFormat(bytes: Uint8Array): string | undefined {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 4 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a) || (b[0] === 0x4d && b[1] === 0x4d && b[3] === 0x2a))) return 'tiff';
  if (b.length >= 12 && b[0] === 0x52 && b[1] === 0x49 && b[8] === 0x57 && b[9] === 0x45) return 'webp';
  if (b.length >= 3 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return 'gif';
  return undefined;
}

function checkSize(name: string, width: number, height: number, limits: DecodeLimits): void {
  if (width * height > limits.maxPixels) {
    throw new ImageTooLargeError(
      `${name} is ${width}x${height} (${formatMegapixels(width * height)}), above the limit of ${formatMegapixels(limits.maxPixels)}`,
    );
  }
  if (width < limits.minSide || height < limits.minSide) {
    throw new ImageTooSmallError(
      `${name} is only ${width}x${height} pixels; a lesion image must be at least ${limits.minSide}x${limits.minSide}`,
    );
  }
}

/**
 * A sharp pipeline input for the source: the bytes themselves, or (for BMP) the decoded
 * pixels as raw input. Checks the size from the header before decoding anything.
 */
async function openImage(
  name: string,
  bytes: Uint8Array,
  limits: DecodeLimits,
): Promise<{ image: Sharp; format: string; width: number; height: number }> {
  if (bytes.length === 0) throw new ImageDecodeError(`${name} is empty (0 bytes)`);
  if (isBmp(bytes)) {
    try {
      const header = readBmpHeader(bytes);
      checkSize(name, header.width, header.height, limits);
      const bmp = decodeBmp(bytes);
      let image = sharp(bmp.data, { raw: { width: bmp.width, height: bmp.height, channels: 4 } });
      if (!bmp.hasAlpha) image = image.removeAlpha();
      return { image, format: 'bmp', width: bmp.width, height: bmp.height };
    } catch (error) {
      if (error instanceof BmpError) throw new ImageDecodeError(`${name} is not a readable image (${error.message})`, { cause: error });
      throw error;
    }
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new ImageDecodeError(`${name} is not a readable image (${explainSharpError(error, sniffFormat(bytes))})`, { cause: error });
  }
  const format = meta.format ?? 'unknown';
  if (!ACCEPTED_FORMATS.has(format)) {
    throw new ImageDecodeError(`${name} is not a readable image (${format.toUpperCase()} is not a supported photo format; use JPEG, PNG, TIFF, BMP or WebP)`);
  }
  if (!meta.width || !meta.height) throw new ImageDecodeError(`${name} is not a readable image (no size in its header)`);
  const oriented = meta.autoOrient ?? { width: meta.width, height: meta.height };
  checkSize(name, oriented.width, oriented.height, limits);
  // failOn 'warning': libjpeg reports damaged scan data only as a warning and would hand us
  // grey garbage to segment; a damaged photo must be refused, not silently mis-measured.
  const image = sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: 'warning' }).rotate();
  return { image, format, width: oriented.width, height: oriented.height };
}

/**
 * Decodes an image and resizes it to the model's input size exactly as the card says:
 * EXIF orientation applied, alpha flattened onto black, any depth/colour space (16-bit,
 * grey, CMYK) converted to 8-bit sRGB, linear (antialiased) resize to fill.
 */
export async function decodeForModel(
  source: ImageSource,
  modelWidth: number,
  modelHeight: number,
  limits: DecodeLimits = DEFAULT_LIMITS,
): Promise<DecodedImage> {
  const name = sourceName(source);
  const bytes = await readSource(source);
  const { image, format, width, height } = await openImage(name, bytes, limits);
  let data: Buffer;
  let info: OutputInfo;
  try {
    ({ data, info } = await image
      .resize(modelWidth, modelHeight, { fit: 'fill', kernel: 'linear' })
      .flatten({ background: '#000000' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true }));
  } catch (error) {
    const reason = explainSharpError(error, format);
    if (reason.includes('pixel limit')) {
      throw new ImageTooLargeError(`${name} exceeds the limit of ${formatMegapixels(limits.maxPixels)}`);
    }
    throw new ImageDecodeError(`${name} is not a readable image (${reason})`, { cause: error });
  }
  if (info.channels !== 3 || info.width !== modelWidth || info.height !== modelHeight) {
    throw new ImageDecodeError(`${name} decoded to an unexpected layout (${info.width}x${info.height}x${info.channels})`);
  }
  return { name, format, width, height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), modelWidth, modelHeight };
}

/**
 * The card's `minmax` scaling into an NCHW float32 tensor: (x - min) / (max - min) over all
 * pixels and channels of this image; a constant image becomes zeros.
 */
export function toModelInput(rgb: Uint8Array, width: number, height: number, out?: Float32Array): Float32Array {
  const plane = width * height;
  const tensor = out ?? new Float32Array(plane * 3);
  let min = 255;
  let max = 0;
  for (let i = 0; i < rgb.length; i++) {
    const v = rgb[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (max === min) {
    tensor.fill(0, 0, plane * 3);
    return tensor;
  }
  const scale = 1 / (max - min);
  for (let i = 0, s = 0; i < plane; i++, s += 3) {
    tensor[i] = (rgb[s] - min) * scale;
    tensor[plane + i] = (rgb[s + 1] - min) * scale;
    tensor[2 * plane + i] = (rgb[s + 2] - min) * scale;
  }
  return tensor;
}

/** Decodes the full-resolution, oriented, flattened sRGB image (for overlays). */
export async function decodeFull(source: ImageSource, limits: DecodeLimits = DEFAULT_LIMITS): Promise<Sharp> {
  const name = sourceName(source);
  const bytes = await readSource(source);
  const { image } = await openImage(name, bytes, limits);
  return image.flatten({ background: '#000000' }).toColourspace('srgb');
}

/** A decoded full-resolution image: oriented, flattened, 8-bit sRGB, RGB interleaved. */
export interface FullImage {
  name: string;
  width: number;
  height: number;
  rgb: Uint8Array;
}

/**
 * The whole image as pixels (EXIF orientation applied, alpha flattened onto black, 8-bit sRGB):
 * what an interactive run crops its regions from, so the photo is decoded once per run, not
 * once per click. 24 megapixels are 72 MB.
 */
export async function decodeFullRgb(source: ImageSource, limits: DecodeLimits = DEFAULT_LIMITS): Promise<FullImage> {
  const name = sourceName(source);
  const bytes = await readSource(source);
  const { image, format } = await openImage(name, bytes, limits);
  try {
    const { data, info } = await image
      .flatten({ background: '#000000' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { name, width: info.width, height: info.height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    throw new ImageDecodeError(`${name} is not a readable image (${explainSharpError(error, format)})`, { cause: error });
  }
}

/**
 * A region [x0, x1) x [y0, y1) of a decoded image resized to size x size exactly as the card's
 * preprocessing says (fill, sharp's linear kernel, which averages when shrinking): the same
 * resize decodeForModel applies to a whole image, so a crop equals decoding a file that holds
 * only the region (tested).
 */
export async function cropForModel(full: FullImage, region: { x0: number; y0: number; x1: number; y1: number }, size: number): Promise<Uint8Array> {
  const width = region.x1 - region.x0;
  const height = region.y1 - region.y0;
  if (!(region.x0 >= 0 && region.y0 >= 0 && region.x1 <= full.width && region.y1 <= full.height && width >= 1 && height >= 1)) {
    throw new RangeError(`region ${region.x0},${region.y0},${region.x1},${region.y1} is not inside the ${full.width}x${full.height} image`);
  }
  const { data, info } = await sharp(full.rgb, { raw: { width: full.width, height: full.height, channels: 3 }, limitInputPixels: false })
    .extract({ left: region.x0, top: region.y0, width, height })
    .resize(size, size, { fit: 'fill', kernel: 'linear' })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== size || info.height !== size) {
    throw new ImageDecodeError(`${full.name}: the crop came out ${info.width}x${info.height}x${info.channels}`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
