/**
 * Pure raster helpers for drawing a prediction over an image: fitting the image into a view,
 * and turning a grayscale mask into a tinted, semi-transparent overlay. No Svelte, no DOM.
 */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Largest rectangle with the image's aspect ratio that fits the view, centred. */
export function fitRect(imageWidth: number, imageHeight: number, viewWidth: number, viewHeight: number): Rect {
  if (imageWidth <= 0 || imageHeight <= 0 || viewWidth <= 0 || viewHeight <= 0) {
    return { x: 0, y: 0, width: 0, height: 0 };
  }
  const scale = Math.min(viewWidth / imageWidth, viewHeight / imageHeight);
  const width = imageWidth * scale;
  const height = imageHeight * scale;
  return { x: (viewWidth - width) / 2, y: (viewHeight - height) / 2, width, height };
}

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

/**
 * Recolour RGBA pixels of a drawn mask in place: mask pixels (red channel >= 128) become
 * `color` at `alpha`, everything else transparent. Returns the number of mask pixels.
 */
export function tintMask(rgba: Uint8ClampedArray, color: Rgb, alpha: number): number {
  const a = Math.round(Math.min(1, Math.max(0, alpha)) * 255);
  let count = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    if (rgba[i]! >= 128) {
      rgba[i] = color.r;
      rgba[i + 1] = color.g;
      rgba[i + 2] = color.b;
      rgba[i + 3] = a;
      count++;
    } else {
      rgba[i + 3] = 0;
    }
  }
  return count;
}

/** Trace outline polygons (image px, [x0,y0,x1,y1,...]) onto a 2D path, mapped into `rect`. */
export function traceOutline(
  ctx: Pick<CanvasRenderingContext2D, 'moveTo' | 'lineTo' | 'closePath'>,
  polygons: readonly (readonly number[])[],
  imageWidth: number,
  imageHeight: number,
  rect: Rect,
): void {
  const sx = rect.width / imageWidth;
  const sy = rect.height / imageHeight;
  for (const polygon of polygons) {
    if (polygon.length < 6) continue;
    ctx.moveTo(rect.x + polygon[0]! * sx, rect.y + polygon[1]! * sy);
    for (let i = 2; i + 1 < polygon.length; i += 2) {
      ctx.lineTo(rect.x + polygon[i]! * sx, rect.y + polygon[i + 1]! * sy);
    }
    ctx.closePath();
  }
}
