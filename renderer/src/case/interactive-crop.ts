/**
 * The interactive model's `image` input, made where the decoded pixels are: the region of the
 * case's ImageBitmap drawn onto a 256 x 256 OffscreenCanvas (drawImage with a source rectangle,
 * `imageSmoothingQuality: 'high'`) and read back as RGB. Only the 256 x 256 crop (196,608 bytes)
 * goes to main; the full image never crosses a message.
 *
 * The CLI makes the same crop with sharp (antialiased linear: averaging when shrinking). 'high'
 * draws from the bitmap's mipmaps, which average as well; createImageBitmap's own resize and the
 * lower qualities point-sample and alias fine hair and texture (mean difference 5 of 255 on a
 * 7x shrink, against under 1 here). interactive-crop.browser.test.ts holds the tolerance. Mipmaps
 * are chosen by the milder of the two shrinks, so a region far longer than wide would still alias
 * along its long side (3-4 % of values more than 8 apart from the CLI's crop on a 6:1 band or a
 * 1:8 column): there, the long side is first halved (each halving a 2:1 bilinear draw, which
 * averages pixel pairs) until its shrink is within 1.5x of the other's, and the mipmapped draw does
 * the rest (1.2-2 % then; sharp's box-then-triangle filter is not reproduced exactly).
 */
import { interactiveGrid, type Region } from '../../../preload/api.ts';

/** Returns the cropper for one decoded image: region -> 256 x 256 RGB bytes (row-major). */
export function regionCropper(image: CanvasImageSource, grid = interactiveGrid): (region: Region) => Promise<Uint8Array> {
  const canvas = new OffscreenCanvas(grid, grid);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('This browser gives no 2D canvas; the interactive tools cannot crop the image.');
  return async (region) => {
    const w = region.x1 - region.x0;
    const h = region.y1 - region.y0;
    const steps = halvingSteps(w, h, grid);
    let source: CanvasImageSource = image;
    let rect = { x: region.x0, y: region.y0, w, h };
    for (const step of steps) {
      const next = new OffscreenCanvas(step.w, step.h);
      const ctx = next.getContext('2d');
      if (!ctx) throw new Error('This browser gives no 2D canvas; the interactive tools cannot crop the image.');
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(source, rect.x, rect.y, rect.w, rect.h, 0, 0, step.w, step.h);
      source = next;
      rect = { x: 0, y: 0, w: step.w, h: step.h };
    }
    context.clearRect(0, 0, grid, grid);
    context.imageSmoothingEnabled = true;
    context.imageSmoothingQuality = 'high';
    context.drawImage(source, rect.x, rect.y, rect.w, rect.h, 0, 0, grid, grid);
    return rgbOf(context.getImageData(0, 0, grid, grid).data);
  };
}

/**
 * The intermediate sizes for a w x h region shrunk onto grid x grid: the side that shrinks more is
 * halved (rounded up) while its shrink is over 1.5 times the other's (or 1.5x, where the other side
 * is enlarged); none for boxes within about 3:2 of the grid's shape, which keep the one mipmapped draw.
 */
export function halvingSteps(w: number, h: number, grid = interactiveGrid): { w: number; h: number }[] {
  const steps: { w: number; h: number }[] = [];
  let cw = w;
  let ch = h;
  for (;;) {
    const sx = cw / grid;
    const sy = ch / grid;
    if (sx > 1.5 * Math.max(1, sy)) cw = Math.ceil(cw / 2);
    else if (sy > 1.5 * Math.max(1, sx)) ch = Math.ceil(ch / 2);
    else return steps;
    steps.push({ w: cw, h: ch });
  }
}

/** RGBA bytes to RGB (the alpha of a decoded photo is opaque). */
export function rgbOf(rgba: Uint8ClampedArray): Uint8Array {
  const rgb = new Uint8Array((rgba.length / 4) * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i]!;
    rgb[j + 1] = rgba[i + 1]!;
    rgb[j + 2] = rgba[i + 2]!;
  }
  return rgb;
}
