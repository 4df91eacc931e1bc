import { describe, expect, it } from 'vitest';
import { maskFromAscii, maskToAscii } from './ascii-mask.ts';
import { invertMask } from './cleanup.ts';
import { diffRuns, MaskHistory, type HistoryEvent } from './history.ts';
import type { Rect } from './geometry.ts';
import { MaskRaster } from './mask-raster.ts';
import { stampSegment } from './paint.ts';

function setPixel(raster: MaskRaster, x: number, y: number, value: number): void {
  raster.data[y * raster.width + x] = value;
  raster.markChanged({ x, y, width: 1, height: 1 });
}

describe('MaskHistory', () => {
  it('records everything between begin and commit as one entry, undo and redo restore it', () => {
    const raster = new MaskRaster(8, 4);
    const history = new MaskHistory(raster);
    history.begin('Brush stroke');
    setPixel(raster, 1, 1, 1);
    setPixel(raster, 6, 2, 1);
    const entry = history.commit();
    expect(entry?.label).toBe('Brush stroke');
    expect(entry?.pixelsChanged).toBe(2);
    expect(entry?.rect).toEqual({ x: 1, y: 1, width: 6, height: 2 });
    expect(history.undoLabel).toBe('Brush stroke');
    expect(history.undo()).toEqual(entry?.rect);
    expect(raster.area()).toBe(0);
    expect(history.redoLabel).toBe('Brush stroke');
    history.redo();
    expect(maskToAscii(raster)).toEqual(['........', '.#......', '......#.', '........']);
    expect(history.canRedo).toBe(false);
  });

  it('cancel restores the mask and leaves no entry, and keeps the redo stack', () => {
    const raster = maskFromAscii(['##..']);
    const history = new MaskHistory(raster);
    history.record('Erase', () => setPixel(raster, 0, 0, 0));
    history.undo();
    history.begin('Stroke');
    setPixel(raster, 3, 0, 1);
    setPixel(raster, 0, 0, 0);
    expect(history.cancel()).toEqual({ x: 0, y: 0, width: 4, height: 1 });
    expect(maskToAscii(raster)).toEqual(['##..']);
    expect(history.canUndo).toBe(false);
    expect(history.canRedo).toBe(true);
  });

  it('a new edit after undo clears redo; an edit that changes nothing records nothing', () => {
    const raster = new MaskRaster(4, 1);
    const history = new MaskHistory(raster);
    history.record('A', () => setPixel(raster, 0, 0, 1));
    history.record('B', () => setPixel(raster, 1, 0, 1));
    history.undo();
    expect(history.canRedo).toBe(true);
    expect(history.record('Same', () => setPixel(raster, 0, 0, 1))).toBeNull();
    expect(history.canRedo).toBe(true);
    history.record('C', () => setPixel(raster, 2, 0, 1));
    expect(history.canRedo).toBe(false);
    expect(history.undoEntries.map((e) => e.label)).toEqual(['A', 'C']);
  });

  it('undoes many entries in order without a limit', () => {
    const raster = new MaskRaster(300, 1);
    const history = new MaskHistory(raster);
    for (let x = 0; x < 300; x++) history.record(`pixel ${x}`, () => setPixel(raster, x, 0, 1));
    while (history.canUndo) history.undo();
    expect(raster.area()).toBe(0);
    while (history.canRedo) history.redo();
    expect(raster.area()).toBe(300);
  });

  it('stores a stroke compactly and a speckled change as a bitmap', () => {
    const raster = new MaskRaster(1000, 1000);
    const history = new MaskHistory(raster);
    const stroke = history.record('Stroke', () => stampSegment(raster, { x: 100, y: 500 }, { x: 900, y: 500 }, 20, 1))!;
    expect(stroke.flips.kind).toBe('runs');
    // About 40 rows of one run each: far less than the 40,000 changed pixels.
    expect(stroke.byteSize).toBeLessThan(1000);
    const speckled = new MaskRaster(64, 64);
    const speckledHistory = new MaskHistory(speckled);
    const speckle = speckledHistory.record('Speckle', () => {
      for (let i = 0; i < speckled.data.length; i += 2) speckled.data[i] = 1;
      speckled.markChanged(speckled.bounds);
    })!;
    expect(speckle.flips.kind).toBe('bitmap');
    expect(speckle.byteSize).toBeLessThan((64 * 64) / 8 + 200);
    // Flipping every pixel is one run per row, cheaper than the bitmap.
    expect(speckledHistory.record('Invert', () => invertMask(speckled))!.flips.kind).toBe('runs');
    speckledHistory.undo();
    speckledHistory.undo();
    expect(speckled.area()).toBe(0);
    speckledHistory.redo();
    expect(speckled.data[0]).toBe(1);
    expect(speckled.data[1]).toBe(0);
    expect(speckledHistory.byteSize).toBe(speckledHistory.entriesByteSize + 64 * 64);
  });

  it('notifies listeners and refuses nested or missing transactions', () => {
    const raster = new MaskRaster(2, 2);
    const history = new MaskHistory(raster);
    const events: HistoryEvent['kind'][] = [];
    const unsubscribe = history.onChange((event) => events.push(event.kind));
    history.record('A', () => setPixel(raster, 0, 0, 1));
    history.undo();
    history.redo();
    history.begin('B');
    expect(() => history.begin('C')).toThrow(/still open/);
    history.cancel();
    expect(() => history.commit()).toThrow(/no transaction/);
    history.reset();
    unsubscribe();
    history.record('D', () => setPixel(raster, 1, 1, 1));
    expect(events).toEqual(['commit', 'undo', 'redo', 'cancel', 'reset']);
    expect(history.canUndo).toBe(true);
  });

  it('rolls back when the recorded change throws', () => {
    const raster = new MaskRaster(2, 2);
    const history = new MaskHistory(raster);
    expect(() =>
      history.record('Broken', () => {
        setPixel(raster, 0, 0, 1);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(raster.area()).toBe(0);
    expect(history.inTransaction).toBe(false);
  });
});

/** The byte-by-byte diff the word diff replaced: the reference it must equal. */
function byteDiff(data: Uint8Array, baseline: Uint8Array, width: number, rect: Rect): number[] {
  const runs: number[] = [];
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    const rowEnd = y * width + rect.x + rect.width;
    let i = y * width + rect.x;
    while (i < rowEnd) {
      if (data[i] === baseline[i]) {
        i++;
        continue;
      }
      const start = i;
      while (i < rowEnd && data[i] !== baseline[i]) {
        baseline[i] = data[i]!;
        i++;
      }
      runs.push(start, i - start);
    }
  }
  return runs;
}

describe('diffRuns', () => {
  it('equals the byte-by-byte diff on random masks, odd sizes, odd rectangles and unaligned buffers', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let trial = 0; trial < 300; trial++) {
      const width = 1 + random(37);
      const height = 1 + random(9);
      const length = width * height;
      // Offsets 0-3 into a larger buffer, the same or different for the two arrays.
      const dataOffset = random(4);
      const baseOffset = trial % 3 === 0 ? random(4) : dataOffset;
      const data = new Uint8Array(new ArrayBuffer(length + 8), dataOffset, length);
      const baseline = new Uint8Array(new ArrayBuffer(length + 8), baseOffset, length);
      // Long equal and long differing stretches (box edits) as well as speckle.
      const style = trial % 3;
      for (let i = 0; i < length; i++) {
        baseline[i] = random(2);
        const flip = style === 0 ? random(2) : style === 1 ? Math.floor(i / 11) % 2 : random(20) === 0 ? 1 : 0;
        data[i] = baseline[i]! ^ flip;
      }
      const x = random(width);
      const y = random(height);
      const rect = { x, y, width: 1 + random(width - x), height: 1 + random(height - y) };
      const expectedBaseline = baseline.slice();
      const expected = byteDiff(data, expectedBaseline, width, rect);
      const { runs, count, pixelsChanged } = diffRuns(data, baseline, width, rect);
      expect(Array.from(runs.subarray(0, count))).toEqual(expected);
      expect(pixelsChanged).toBe(expected.filter((_, k) => k % 2 === 1).reduce((a, b) => a + b, 0));
      expect(Array.from(baseline)).toEqual(Array.from(expectedBaseline));
    }
  });
});
