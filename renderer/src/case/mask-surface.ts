/**
 * The mask as Konva draws it: a canvas at the image's full resolution that mirrors the core's
 * MaskRaster. Only the raster's dirty rectangle is converted and uploaded (putImageData), so a
 * brush dab costs its own few thousand pixels, never a 24 MP redraw.
 */
import Konva from 'konva';
import type { MaskRaster, OverlayColor, Rect } from '../editor/index.ts';

// Uploads go in bands of rows, and within a band only the column ranges that really changed
// (ranges closer than SEGMENT_GAP are merged): undoing a looping 3-second stroke touches a
// dirty rectangle of most of the image, but only a brush-wide ribbon of it changed.
const BAND_ROWS = 32;
const SEGMENT_GAP = 64;

export class MaskSurface {
  readonly canvas: HTMLCanvasElement;
  readonly node: Konva.Image;
  private readonly raster: MaskRaster;
  private readonly context: CanvasRenderingContext2D;
  private readonly color: OverlayColor;
  /** What the canvas shows, one byte per pixel, to upload only what differs from the raster. */
  private readonly shown: Uint8Array;
  /** Word views of the raster and `shown` for fast skipping (null if the raster's buffer is not 4-byte aligned). */
  private readonly dataWords: Uint32Array | null;
  private readonly shownWords: Uint32Array | null;
  /** Per column of the current band: 1 where a pixel changed. */
  private readonly changedColumns: Uint8Array;
  /** RGBA for one band, reused: fresh buffers per band cost page faults on every undo. */
  private readonly scratch: Uint8ClampedArray;

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
    const aligned = raster.data.byteOffset % 4 === 0;
    this.dataWords = aligned ? new Uint32Array(raster.data.buffer, raster.data.byteOffset, raster.data.length >>> 2) : null;
    this.shownWords = new Uint32Array(this.shown.buffer, 0, this.shown.length >>> 2);
    this.changedColumns = new Uint8Array(raster.width);
    this.scratch = new Uint8ClampedArray(BAND_ROWS * raster.width * 4);
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
    const changed = this.changedColumns;
    for (let y = rect.y; y < rect.y + rect.height; y += BAND_ROWS) {
      const rows = Math.min(BAND_ROWS, rect.y + rect.height - y);
      let minX = Infinity;
      let maxX = -1;
      for (let row = y; row < y + rows; row++) {
        const offset = row * width;
        const end = offset + rect.x + rect.width;
        let i = this.nextDifference(offset + rect.x, end);
        while (i < end) {
          let j = i + 1;
          while (j < end && data[j] !== shown[j]) j++;
          shown.set(data.subarray(i, j), i);
          changed.fill(1, i - offset, j - offset);
          minX = Math.min(minX, i - offset);
          maxX = Math.max(maxX, j - 1 - offset);
          i = this.nextDifference(j, end);
        }
      }
      if (maxX < 0) continue;
      // Upload each run of changed columns (gaps under SEGMENT_GAP included), then clear the marks.
      let start = minX;
      while (start <= maxX) {
        let stop = start;
        let gap = 0;
        for (let x = start + 1; x <= maxX && gap < SEGMENT_GAP; x++) {
          if (changed[x]) {
            stop = x;
            gap = 0;
          } else {
            gap++;
          }
        }
        this.put({ x: start, y, width: stop - start + 1, height: rows });
        start = stop + 1;
        while (start <= maxX && !changed[start]) start++;
      }
      changed.fill(0, minX, maxX + 1);
    }
  }

  /** First index in [from, end) where the raster differs from what the canvas shows, else `end`. */
  private nextDifference(from: number, end: number): number {
    const { data } = this.raster;
    const shown = this.shown;
    let i = from;
    // Byte steps to a 4-byte boundary, then whole words (most of a dirty rectangle is unchanged).
    while (i < end && (i & 3) !== 0) {
      if (data[i] !== shown[i]) return i;
      i++;
    }
    const words = this.dataWords;
    const shownWords = this.shownWords;
    if (words && shownWords) {
      let w = i >>> 2;
      const lastWord = end >>> 2;
      while (w < lastWord && words[w] === shownWords[w]) w++;
      i = w << 2;
    }
    while (i < end && data[i] === shown[i]) i++;
    return i;
  }

  private put(band: Rect): void {
    const size = band.width * band.height * 4;
    const pixels = this.raster.overlayRgba(band, this.color, 1, new Uint8ClampedArray(this.scratch.buffer, 0, size));
    this.context.putImageData(new ImageData(pixels as Uint8ClampedArray<ArrayBuffer>, band.width, band.height), band.x, band.y);
  }

  /** Frees the full-resolution canvas (a 24 MP one holds 96 MB). */
  destroy(): void {
    this.node.destroy();
    this.canvas.width = 0;
    this.canvas.height = 0;
  }
}
