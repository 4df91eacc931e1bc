/**
 * A mask delta: the pixels one edit changed, with the values they have after it. The history
 * keeps what flipped (undo and redo are the same XOR); the edit journal writes a delta at the
 * moment of each commit, undo or redo instead, because setting pixels can be replayed safely
 * on a mask that already holds the edit (a saved version written after it), and flipping
 * could not. Its size follows the pixels changed: a brush stroke is a few hundred bytes, even
 * on a 24 MP mask, and it costs nothing to encode beyond reading those pixels.
 */
import type { HistoryEntry } from './history.js';
import type { MaskRaster } from './mask-raster.js';

export interface MaskDelta {
  /** (start, length) pairs over the row-major mask: pixels that are lesion after the edit. */
  readonly set: Uint32Array;
  /** (start, length) pairs: pixels that are background after the edit. */
  readonly cleared: Uint32Array;
}

/** Growing (start, length) pairs; a run that continues the previous one extends it. */
class RunList {
  private pairs = new Uint32Array(64);
  private count = 0;

  add(start: number, length: number): void {
    if (this.count > 0 && this.pairs[this.count - 2]! + this.pairs[this.count - 1]! === start) {
      this.pairs[this.count - 1]! += length;
      return;
    }
    if (this.count + 2 > this.pairs.length) {
      const grown = new Uint32Array(this.pairs.length * 2);
      grown.set(this.pairs);
      this.pairs = grown;
    }
    this.pairs[this.count++] = start;
    this.pairs[this.count++] = length;
  }

  take(): Uint32Array {
    return this.pairs.slice(0, this.count);
  }
}

/** Splits the pixels [start, start + length) by their value in `data` into the two lists. */
function addSpan(data: Uint8Array, start: number, length: number, set: RunList, cleared: RunList): void {
  const end = start + length;
  let i = start;
  while (i < end) {
    const value = data[i];
    // Scan within the span only: indexOf would search on to the next pixel of the other value,
    // which after an undo (pixels back to background) can lie megapixels away, for every span.
    let j = i + 1;
    while (j < end && data[j] === value) j++;
    (value === 1 ? set : cleared).add(i, j - i);
    i = j;
  }
}

/** The pixels `entry` changed, with their values in `raster` now (call it right after the commit, undo or redo). */
export function entryDelta(entry: HistoryEntry, raster: MaskRaster): MaskDelta {
  const { data, width } = raster;
  const set = new RunList();
  const cleared = new RunList();
  const { flips, rect } = entry;
  if (flips.kind === 'runs') {
    for (let k = 0; k < flips.runs.length; k += 2) addSpan(data, flips.runs[k]!, flips.runs[k + 1]!, set, cleared);
  } else {
    for (let y = 0; y < rect.height; y++) {
      const row = (rect.y + y) * width + rect.x;
      let x = 0;
      while (x < rect.width) {
        const bit = y * rect.width + x;
        if (!(flips.bits[bit >> 3]! & (1 << (bit & 7)))) {
          x++;
          continue;
        }
        const first = x;
        while (x < rect.width && flips.bits[(y * rect.width + x) >> 3]! & (1 << ((y * rect.width + x) & 7))) x++;
        addSpan(data, row + first, x - first, set, cleared);
      }
    }
  }
  return { set: set.take(), cleared: cleared.take() };
}

/** Applies `delta` to a row-major 0/1 mask in place; returns how many pixels it changed. Throws when a run lies outside the mask. */
export function applyMaskDelta(data: Uint8Array, delta: MaskDelta): number {
  let changed = 0;
  for (const [runs, value] of [[delta.set, 1], [delta.cleared, 0]] as const) {
    for (let k = 0; k + 1 < runs.length; k += 2) {
      const start = runs[k]!;
      const end = start + runs[k + 1]!;
      if (end > data.length) throw new Error(`The edit reaches pixel ${end}, beyond the mask's ${data.length}.`);
      for (let i = start; i < end; i++) {
        if (data[i] !== value) {
          data[i] = value;
          changed++;
        }
      }
    }
  }
  return changed;
}

/** The whole mask as a delta: after a load the history did not record (a re-thresholded prediction), the next delta must carry everything. */
export function wholeMaskDelta(raster: MaskRaster): MaskDelta {
  const set = new RunList();
  const cleared = new RunList();
  addSpan(raster.data, 0, raster.data.length, set, cleared);
  return { set: set.take(), cleared: cleared.take() };
}

/**
 * How much the lesion area changed by `entry` just committed, undone or redone (call it right
 * after, as entryDelta): its flipped pixels that are lesion now came in, the others went out.
 * It reads only those pixels, so the area on screen follows an edit without counting the mask.
 */
export function entryAreaChange(entry: HistoryEntry, raster: MaskRaster): number {
  const { data, width } = raster;
  const { flips, rect } = entry;
  let lesionNow = 0;
  if (flips.kind === 'runs') {
    for (let k = 0; k < flips.runs.length; k += 2) {
      const start = flips.runs[k]!;
      const end = start + flips.runs[k + 1]!;
      for (let i = start; i < end; i++) lesionNow += data[i]!;
    }
  } else {
    // A stroke's bitmap is mostly zero bytes (its rectangle is the stroke's bounds): skip them.
    const { bits } = flips;
    for (let b = 0; b < bits.length; b++) {
      const byte = bits[b]!;
      if (byte === 0) continue;
      for (let j = 0; j < 8; j++) {
        if (!(byte & (1 << j))) continue;
        const bit = b * 8 + j;
        const y = Math.floor(bit / rect.width);
        lesionNow += data[(rect.y + y) * width + rect.x + (bit - y * rect.width)]!;
      }
    }
  }
  return 2 * lesionNow - entry.pixelsChanged;
}
