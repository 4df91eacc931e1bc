/**
 * The mask as Konva draws it: a canvas at the image's full resolution that mirrors the core's
 * MaskRaster. Only the raster's dirty rectangle is converted and uploaded (putImageData), so a
 * brush dab costs its own few thousand pixels, never a 24 MP redraw.
 */
import Konva from 'konva';
import type { MaskRaster, OverlayColor, Rect } from '../editor/index.ts';

// Uploads go in bands of rows, each narrowed to the columns that really changed: the dirty
// rectangle of a looping stroke (or its undo) is most of the image, the changed pixels are not.
const BAND_ROWS = 32;

export class MaskSurface {
  readonly canvas: HTMLCanvasElement;
  readonly node: Konva.Image;
  private readonly raster: MaskRaster;
  private readonly context: CanvasRenderingContext2D;
  private readonly color: OverlayColor;
  /** What the canvas shows, one byte per pixel, to upload only what differs from the raster. */
  private readonly shown: Uint8Array;

  constructor(raster: MaskRaster, color: OverlayColor) {
    this.raster = raster;
    this.color = color;
    this.canvas = document.createElement('canvas');
    this.canvas.width = raster.width;
    this.canvas.height = raster.height;
    const context = this.canvas.getContext('2d');
    if (!context) throw new Error('This browser gives no 2D canvas; the mask cannot be drawn.');
    this.context = context;
    this.shown = new Uint8Array(raster.width * raster.height);
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

  /** Uploads the pixels of `rect` that differ from the canvas (opaque colour; the node's opacity sets the overlay's). */
  upload(rect: Rect): void {
    const { data, width } = this.raster;
    const shown = this.shown;
    for (let y = rect.y; y < rect.y + rect.height; y += BAND_ROWS) {
      const rows = Math.min(BAND_ROWS, rect.y + rect.height - y);
      let minX = Infinity;
      let maxX = -1;
      for (let row = y; row < y + rows; row++) {
        const start = row * width + rect.x;
        const end = start + rect.width;
        let i = start;
        while (i < end && data[i] === shown[i]) i++;
        if (i === end) continue;
        let j = end - 1;
        while (j > i && data[j] === shown[j]) j--;
        minX = Math.min(minX, i - row * width);
        maxX = Math.max(maxX, j - row * width);
        shown.set(data.subarray(i, j + 1), i);
      }
      if (maxX < 0) continue;
      const band = { x: minX, y, width: maxX - minX + 1, height: rows };
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
