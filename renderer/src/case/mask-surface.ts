/**
 * The mask as Konva draws it: a canvas at the image's full resolution that mirrors the core's
 * MaskRaster. Only the raster's dirty rectangle is converted and uploaded (putImageData), so a
 * brush dab costs its own few thousand pixels, never a 24 MP redraw.
 */
import Konva from 'konva';
import type { MaskRaster, OverlayColor, Rect } from '../editor/index.ts';

// Large uploads (load, invert, undo of a big fill) go in bands so the scratch buffer stays small.
const BAND_ROWS = 256;

export class MaskSurface {
  readonly canvas: HTMLCanvasElement;
  readonly node: Konva.Image;
  private readonly raster: MaskRaster;
  private readonly context: CanvasRenderingContext2D;
  private readonly color: OverlayColor;

  constructor(raster: MaskRaster, color: OverlayColor) {
    this.raster = raster;
    this.color = color;
    this.canvas = document.createElement('canvas');
    this.canvas.width = raster.width;
    this.canvas.height = raster.height;
    const context = this.canvas.getContext('2d');
    if (!context) throw new Error('This browser gives no 2D canvas; the mask cannot be drawn.');
    this.context = context;
    this.node = new Konva.Image({ image: this.canvas, x: 0, y: 0, width: raster.width, height: raster.height, listening: false });
    raster.takeDirty();
    this.upload(raster.bounds);
  }

  /** Uploads what changed since the last call; returns the uploaded rectangle, or null. */
  sync(): Rect | null {
    const rect = this.raster.takeDirty();
    if (rect) this.upload(rect);
    return rect;
  }

  /** Converts and uploads `rect` (opaque mask colour; the node's opacity sets the overlay's). */
  upload(rect: Rect): void {
    for (let y = rect.y; y < rect.y + rect.height; y += BAND_ROWS) {
      const band = { x: rect.x, y, width: rect.width, height: Math.min(BAND_ROWS, rect.y + rect.height - y) };
      const pixels = this.raster.overlayRgba(band, this.color, 1);
      this.context.putImageData(new ImageData(pixels as Uint8ClampedArray<ArrayBuffer>, band.width, band.height), band.x, band.y);
    }
  }

  /** Frees the full-resolution canvas (a 24 MP one holds 96 MB). */
  destroy(): void {
    this.node.destroy();
    this.canvas.width = 0;
    this.canvas.height = 0;
  }
}
