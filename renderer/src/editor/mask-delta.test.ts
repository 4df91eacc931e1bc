import { describe, expect, it } from 'vitest';
import { maskFromAscii } from './ascii-mask.ts';
import { invertMask } from './cleanup.ts';
import { MaskHistory, type HistoryEntry } from './history.ts';
import { applyMaskDelta, entryAreaChange, entryDelta, type MaskDelta } from './mask-delta.ts';
import { MaskRaster } from './mask-raster.ts';
import { stampSegment } from './paint.ts';

/** Flips every third pixel: a speckled change, which the history records as a bitmap. */
function speckle(raster: MaskRaster): void {
  for (let i = 0; i < raster.data.length; i += 3) raster.data[i] = raster.data[i]! ^ 1;
  raster.markChanged(raster.bounds);
}

describe('mask deltas', () => {
  it('replaying the deltas of commits, an undo and a redo on the first mask gives the last, also over a mask that holds some of them', () => {
    const raster = new MaskRaster(64, 48);
    const history = new MaskHistory(raster);
    const base = raster.data.slice();
    const deltas: MaskDelta[] = [];
    const after: Uint8Array[] = [];
    const keep = (entry: HistoryEntry | null): void => {
      deltas.push(entryDelta(entry!, raster));
      after.push(raster.data.slice());
    };
    history.onChange((event) => {
      if (event.kind === 'undo' || event.kind === 'redo') keep(event.entry);
    });
    keep(history.record('Stroke', () => stampSegment(raster, { x: 2, y: 5 }, { x: 60, y: 40 }, 9, 1)));
    keep(history.record('Speckle', () => speckle(raster)));
    expect(history.undoEntries.at(-1)!.flips.kind).toBe('bitmap');
    keep(history.record('Invert', () => invertMask(raster)));
    keep(history.record('Erase', () => stampSegment(raster, { x: 10, y: 40 }, { x: 50, y: 4 }, 5, 0)));
    history.undo();
    history.redo();
    history.undo();

    const replayed = base.slice();
    for (const delta of deltas) applyMaskDelta(replayed, delta);
    expect(replayed).toEqual(raster.data);
    // A version saved after the second edit already holds the first two: replaying all is harmless.
    const saved = after[1]!.slice();
    for (const delta of deltas) applyMaskDelta(saved, delta);
    expect(saved).toEqual(raster.data);
  });

  it('a stroke is a few runs of lesion, and replaying it on the mask after it changes nothing', () => {
    const raster = maskFromAscii(['........', '........', '........']);
    const history = new MaskHistory(raster);
    const entry = history.record('Stroke', () => {
      raster.data.fill(1, 9, 15);
      raster.markChanged({ x: 1, y: 1, width: 6, height: 1 });
    })!;
    const delta = entryDelta(entry, raster);
    expect([...delta.set]).toEqual([9, 6]);
    expect(delta.cleared.length).toBe(0);
    expect(applyMaskDelta(raster.data.slice(), delta)).toBe(0);
    expect(applyMaskDelta(new Uint8Array(24), delta)).toBe(6);
  });

  it('refuses a delta that reaches beyond the mask', () => {
    expect(() => applyMaskDelta(new Uint8Array(10), { set: new Uint32Array([8, 4]), cleared: new Uint32Array() })).toThrow(/beyond/);
  });

  it('the area follows each commit, undo and redo from the flipped pixels alone, for runs and bitmaps', () => {
    const raster = new MaskRaster(64, 48);
    const history = new MaskHistory(raster);
    let area = 0;
    const seen: number[] = [];
    history.onChange((event) => {
      if (event.kind === 'commit' || event.kind === 'undo' || event.kind === 'redo') {
        area += entryAreaChange(event.entry, raster);
        seen.push(area);
        expect(area).toBe(raster.area());
      }
    });
    history.record('Stroke', () => stampSegment(raster, { x: 2, y: 5 }, { x: 60, y: 40 }, 9, 1));
    history.record('Speckle', () => speckle(raster));
    expect(history.undoEntries.at(-1)!.flips.kind).toBe('bitmap');
    history.record('Erase', () => stampSegment(raster, { x: 10, y: 40 }, { x: 50, y: 4 }, 5, 0));
    history.undo();
    history.undo();
    history.redo();
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBeGreaterThan(2);
  });
});
