/**
 * Decoding in the browser: images (size and thumbnail) and masks (to a BinaryMask), with
 * createImageBitmap, which decodes off the main thread, and OffscreenCanvas.
 */
import type { BinaryMask } from './binary-mask.ts';
import { decodeGrayMaskPng, encodeMaskPng } from './png.ts';

/**
 * The largest image the app can open: decoding draws it on a canvas of its size, and Chromium
 * refuses a canvas side above 32,767 pixels or an area above 268,435,456 (16,384 squared).
 */
export const maxDecodableSide = 32_767;
export const maxDecodablePixels = 16_384 * 16_384;

/** An image the browser could not decode; the message names the file for the import report. */
export class UndecodableImageError extends Error {
  constructor(fileName: string) {
    super(`${fileName} could not be read as an image (corrupt, truncated or a format this browser cannot decode).`);
    this.name = 'UndecodableImageError';
  }
}

async function bitmapOf(blob: Blob, fileName: string): Promise<ImageBitmap> {
  try {
    // No colour management: mask values and pixel comparisons must survive exactly.
    return await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw new UndecodableImageError(fileName);
  }
}

function context2d(canvas: OffscreenCanvas): OffscreenCanvasRenderingContext2D {
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('This browser gives no 2D canvas; LesionDesk cannot decode images.');
  return context;
}

/** Size of an image and a JPEG thumbnail whose longer side is `thumbnailSize` pixels. */
export async function decodeImage(
  blob: Blob,
  fileName: string,
  thumbnailSize = 160,
): Promise<{ width: number; height: number; thumbnail: Blob }> {
  const bitmap = await bitmapOf(blob, fileName);
  try {
    const { width, height } = bitmap;
    const scale = Math.min(1, thumbnailSize / Math.max(width, height));
    const canvas = new OffscreenCanvas(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)));
    const context = context2d(canvas);
    context.imageSmoothingQuality = 'medium';
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return { width, height, thumbnail: await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.85 }) };
  } finally {
    bitmap.close();
  }
}

/**
 * A mask image (PNG of any colour type) as a BinaryMask: lesion where the pixel is opaque and
 * its brightest channel is at least 128, which covers 0/255, 0/1-scaled and coloured masks.
 * The grayscale PNGs LesionDesk stores are inflated directly (several times faster than a
 * canvas, which exports and the case view felt); any other image goes through the browser.
 */
export async function decodeMaskImage(blob: Blob, fileName = 'mask'): Promise<BinaryMask> {
  return (await decodeGrayMaskPng(new Uint8Array(await blob.arrayBuffer()), maxDecodablePixels)) ?? decodeMaskImageOnCanvas(blob, fileName);
}

/** decodeMaskImage through the browser's decoder and a canvas: any image it reads (and the benchmark's baseline). */
export async function decodeMaskImageOnCanvas(blob: Blob, fileName = 'mask'): Promise<BinaryMask> {
  const bitmap = await bitmapOf(blob, fileName);
  try {
    const { width, height } = bitmap;
    const canvas = new OffscreenCanvas(width, height);
    const context = context2d(canvas);
    context.drawImage(bitmap, 0, 0);
    const rgba = context.getImageData(0, 0, width, height).data;
    const data = new Uint8Array(width * height);
    for (let i = 0, p = 0; i < data.length; i++, p += 4) {
      data[i] = rgba[p + 3]! >= 128 && Math.max(rgba[p]!, rgba[p + 1]!, rgba[p + 2]!) >= 128 ? 1 : 0;
    }
    return { width, height, data };
  } finally {
    bitmap.close();
  }
}

/** The mask as the PNG Blob LesionDesk stores and exports (8-bit grayscale, 0/255). */
export function maskToPngBlob(mask: BinaryMask): Blob {
  return new Blob([encodeMaskPng(mask)], { type: 'image/png' });
}
