/**
 * The `<stem>_overlay.jpg` picture: the image with the mask as a translucent fill and its
 * outline, drawn from the outline polygons as SVG (librsvg in sharp), so no full-resolution
 * mask or RGBA buffer is built in JavaScript.
 */
import sharp from 'sharp';
import { decodeFull, type ImageSource } from '../services/imaging.js';

/** SVG path data of outline rings (even-odd fill makes holes). */
export function outlinePath(outline: number[][]): string {
  return outline
    .map((ring) => {
      let d = `M${ring[0]} ${ring[1]}`;
      for (let i = 2; i < ring.length; i += 2) d += `L${ring[i]} ${ring[i + 1]}`;
      return `${d}Z`;
    })
    .join('');
}

/** Renders the overlay JPEG for an image and its outline. */
export async function renderOverlay(source: ImageSource, width: number, height: number, outline: number[][]): Promise<Buffer> {
  const stroke = Math.max(2, Math.round(Math.max(width, height) / 400));
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<path d="${outlinePath(outline)}" fill="#00e5ff" fill-opacity="0.25" fill-rule="evenodd" stroke="#00e5ff" stroke-width="${stroke}"/></svg>`;
  const image = await decodeFull(source);
  const base = await image.raw().toBuffer({ resolveWithObject: true });
  return sharp(base.data, { raw: { width: base.info.width, height: base.info.height, channels: base.info.channels as 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .jpeg({ quality: 85 })
    .toBuffer();
}
