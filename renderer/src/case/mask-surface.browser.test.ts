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
});
