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
 * are chosen by the milder of the two shrinks, so a region far longer than wide (beyond about
 * 4:1) still aliases along its long side.
 */
import { interactiveGrid, type Region } from '../../../preload/api.ts';

/** Returns the cropper for one decoded image: region -> 256 x 256 RGB bytes (row-major). */
export function regionCropper(image: CanvasImageSource, grid = interactiveGrid): (region: Region) => Promise<Uint8Array> {
  const canvas = new OffscreenCanvas(grid, grid);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('This browser gives no 2D canvas; the interactive tools cannot crop the image.');
  return async (region) => {
    context.clearRect(0, 0, grid, grid);
    context.imageSmoothingEnabled = true;
    context.imageSmoothingQuality = 'high';
    context.drawImage(image, region.x0, region.y0, region.x1 - region.x0, region.y1 - region.y0, 0, 0, grid, grid);
    return rgbOf(context.getImageData(0, 0, grid, grid).data);
  };
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
