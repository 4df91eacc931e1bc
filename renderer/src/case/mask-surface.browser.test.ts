import { describe, expect, it } from 'vitest';
import { EditorDocument } from '../editor/index.ts';
import { MaskSurface } from './mask-surface.ts';

/** The surface canvas as 0/1 per pixel (opaque = lesion). */
function canvasMask(surface: MaskSurface): Uint8Array {
  const { width, height } = surface.canvas;
  const rgba = surface.canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
  const out = new Uint8Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = rgba[i * 4 + 3]! > 0 ? 1 : 0;
  return out;
}

describe('MaskSurface', () => {
  it('mirrors the raster through strokes, undo and operations by dirty-rectangle uploads', () => {
    const doc = new EditorDocument(300, 200, { brushSize: 30 });
    const surface = new MaskSurface(doc.raster, { r: 45, g: 226, b: 200 });
    const stroke = (points: [number, number][]) => {
      const event = (x: number, y: number) => ({ x, y, button: 0, altKey: false, shiftKey: false, ctrlKey: false, metaKey: false });
      doc.pointerDown(event(...points[0]!));
      for (const p of points.slice(1)) {
        doc.pointerMove(event(...p));
        surface.sync();
      }
      doc.pointerUp(event(...points.at(-1)!));
      surface.sync();
    };
    stroke([[20, 20], [150, 40], [280, 180], [20, 180], [20, 20]]);
    expect(canvasMask(surface)).toEqual(doc.raster.data);
    doc.fillHoles();
    expect(surface.sync()).not.toBeNull();
    expect(canvasMask(surface)).toEqual(doc.raster.data);
    doc.undo();
    surface.sync();
    expect(canvasMask(surface)).toEqual(doc.raster.data);
    doc.invert();
    surface.sync();
    expect(canvasMask(surface)).toEqual(doc.raster.data);
    expect(surface.sync()).toBeNull();
    surface.destroy();
  });

  it('uploads scattered changes in separate column runs and still mirrors every pixel', () => {
    // 301 wide: rows do not start on 4-byte boundaries, so the word skipping meets every offset.
    const doc = new EditorDocument(301, 157, { brushSize: 9 });
    const surface = new MaskSurface(doc.raster, { r: 45, g: 226, b: 200 });
    const raster = doc.raster;
    let seed = 3;
    const random = (n: number): number => Math.floor(((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * n);
    for (let round = 0; round < 25; round++) {
      // Blobs far apart in the same rows (two runs per band), single pixels, and row ends.
      for (let k = 0; k < 6; k++) {
        const x = random(301);
        const y = random(157);
        const w = 1 + random(12);
        const h = 1 + random(40);
        for (let yy = y; yy < Math.min(157, y + h); yy++) raster.data.fill(round % 2, yy * 301 + x, yy * 301 + Math.min(301, x + w));
        raster.markChanged({ x, y, width: w, height: h });
      }
      raster.data[raster.data.length - 1] = random(2);
      raster.markChanged({ x: 300, y: 156, width: 1, height: 1 });
      surface.sync();
      expect(canvasMask(surface)).toEqual(raster.data);
    }
    surface.destroy();
  });
});
