/**
 * The interactive model's `image` input, made where the decoded pixels are: the region of the
 * case's ImageBitmap cropped and resized to 256 x 256 by the browser (createImageBitmap with a
 * source rectangle and a resize), then read back as RGB. Only the 256 x 256 crop (196,608 bytes)
 * goes to main; the full image never crosses a message. The CLI makes the same crop with sharp
 * (antialiased linear resize, `fit: 'fill'`); interactive-crop.browser.test.ts says how close
 * the two are.
 */
import { interactiveGrid, type Region } from '../../../preload/api.ts';

/** How the browser resamples: 'medium' is the closest to sharp's antialiased linear resize (see the parity test). */
export const cropResizeQuality: ResizeQuality = 'medium';

/** Returns the cropper for one decoded image: region -> 256 x 256 RGB bytes (row-major). */
export function regionCropper(image: ImageBitmap, grid = interactiveGrid): (region: Region) => Promise<Uint8Array> {
  const canvas = new OffscreenCanvas(grid, grid);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('This browser gives no 2D canvas; the interactive tools cannot crop the image.');
  return async (region) => {
    const width = region.x1 - region.x0;
    const height = region.y1 - region.y0;
    const crop = await createImageBitmap(image, region.x0, region.y0, width, height, { resizeWidth: grid, resizeHeight: grid, resizeQuality: cropResizeQuality });
    try {
      context.clearRect(0, 0, grid, grid);
      context.drawImage(crop, 0, 0);
    } finally {
      crop.close();
    }
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
