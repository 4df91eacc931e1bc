/**
 * A browser-test command (vitest.browser.config.ts): the CLI's crops of a test photo, made in
 * Node with main/services/imaging.ts (decodeFullRgb + cropForModel, sharp), so the renderer's
 * crop can be compared with them in Chromium (renderer/src/case/interactive-crop.browser.test.ts).
 */
import sharp from 'sharp';
import { cropForModel, decodeFullRgb } from '../../main/services/imaging.ts';
import { lesionRgb, seededRandom } from '../fixtures/images.ts';

export interface CropFixture {
  /** The photo as a JPEG (base64), what the library stores. */
  jpeg: string;
  width: number;
  height: number;
  /** sharp's 256 x 256 RGB crop of each region (base64). */
  crops: string[];
}

/** A synthetic dermoscopy photo of `width` x `height`, JPEG q90, and the CLI's crop of each region. */
export async function interactiveCropFixture(_context: unknown, width: number, height: number, regions: { x0: number; y0: number; x1: number; y1: number }[]): Promise<CropFixture> {
  const rgb = lesionRgb(width, height, { cx: width * 0.48, cy: height * 0.52, r: height * 0.3 }, 7);
  // Fine texture and hairs, as a dermoscopy photo has: where a resize that does not average
  // (point-sampled bilinear) would alias, and so differ from sharp's area-averaging one.
  const random = seededRandom(3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = Math.max(0, Math.min(255, rgb[i]! + Math.round((random() - 0.5) * 36)));
  const hairs = Array.from({ length: 40 }, () => {
    const x = random() * width;
    const y = random() * height;
    return `<path d="M ${x} ${y} q ${(random() - 0.5) * 800} ${(random() - 0.5) * 800} ${(random() - 0.5) * 1600} ${(random() - 0.5) * 1600}" stroke="#2a1a12" stroke-width="${2 + random() * 4}" fill="none"/>`;
  }).join('');
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${hairs}</svg>`);
  const jpeg = await sharp(Buffer.from(rgb), { raw: { width, height, channels: 3 } })
    .composite([{ input: svg }])
    .jpeg({ quality: 90 })
    .toBuffer();
  const full = await decodeFullRgb({ bytes: new Uint8Array(jpeg), name: "photo.jpg" });
  const crops = await Promise.all(regions.map(async (region) => Buffer.from(await cropForModel(full, region, 256)).toString('base64')));
  return { jpeg: jpeg.toString('base64'), width, height, crops };
}
