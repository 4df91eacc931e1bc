/**
 * Undo and redo for a MaskRaster, without a fixed limit.
 *
 * The mask is binary, so a change is fully described by which pixels flipped: undo and redo are
 * the same XOR. An entry stores only the flipped pixels of its changed rectangle, as runs
 * (start index, length) or, when runs would be larger, as a bitmap of the rectangle (1 bit per
 * pixel); a brush stroke that touched 100,000 pixels costs a few kilobytes, not 2 x 100 KB.
 *
 * To know what flipped without copying the mask at every pointer-down, the history keeps a
 * baseline: a copy of the mask as of the last commit. A transaction (begin ... commit) diffs the
 * raster against the baseline over the rectangle the raster reports as changed. Cancelling
 * copies the baseline back over that rectangle, so a rolled-back gesture leaves no entry.
 */
import { unionRect, type Rect } from './geometry.js';
import type { MaskRaster } from './mask-raster.js';

type FlipEncoding = { readonly kind: 'runs'; readonly runs: Uint32Array } | { readonly kind: 'bitmap'; readonly bits: Uint8Array };

export interface HistoryEntry {
  /** What the user did, for menus and the shortcut sheet ("Brush stroke", "Fill holes"). */
  readonly label: string;
  /** The pixels this entry can change. */
  readonly rect: Rect;
  /** How many pixels flipped. */
  readonly pixelsChanged: number;
  /** Memory the entry holds (payload plus a fixed overhead estimate). */
  readonly byteSize: number;
  readonly flips: FlipEncoding;
}

export type HistoryEvent =
  | { readonly kind: 'commit'; readonly entry: HistoryEntry }
  | { readonly kind: 'undo' | 'redo'; readonly entry: HistoryEntry }
  | { readonly kind: 'cancel'; readonly rect: Rect | null }
  | { readonly kind: 'reset' };

// Object headers, the Rect and the typed-array wrapper; an estimate, but it keeps tiny entries honest.
const ENTRY_OVERHEAD_BYTES = 160;

/** True when no byte of `w` is zero (the classic "has zero byte" test, negated). */
function allBytesNonZero(w: number): boolean {
  return ((w - 0x01010101) & ~w & 0x80808080) === 0;
}

/**
 * The runs (start index, length, in pairs) where `data` differs from `baseline` inside `rect` of a
 * mask `width` pixels wide, with the baseline brought up to date over those runs.
 *
 * A box or click edit at 6000x4000 diffs a rectangle of millions of pixels, mostly unchanged:
 * comparing four pixels per step where both arrays share their alignment makes that several
 * times faster than a byte loop (a byte loop remains for the row ends and unaligned buffers).
 */
export function diffRuns(data: Uint8Array, baseline: Uint8Array, width: number, rect: Rect): { runs: Uint32Array; count: number; pixelsChanged: number } {
  let runs = new Uint32Array(256);
  let count = 0;
  let pixelsChanged = 0;
  // Pixel i lies at a word boundary of both arrays when (i - head) % 4 === 0.
  const head = (4 - (data.byteOffset % 4)) % 4;
  const aligned = head === (4 - (baseline.byteOffset % 4)) % 4 && data.length >= head;
  const wordCount = aligned ? (Math.min(data.length, baseline.length) - head) >>> 2 : 0;
  const dataWords = aligned ? new Uint32Array(data.buffer, data.byteOffset + head, wordCount) : new Uint32Array(0);
  const baseWords = aligned ? new Uint32Array(baseline.buffer, baseline.byteOffset + head, wordCount) : new Uint32Array(0);
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    const rowEnd = y * width + rect.x + rect.width;
    let i = y * width + rect.x;
    while (i < rowEnd) {
      // Skip equal pixels: bytes up to a word boundary, then whole words, then bytes again.
      if (wordCount > 0) {
        while (i < rowEnd && ((i - head) & 3) !== 0 && data[i] === baseline[i]) i++;
        if (i < rowEnd && ((i - head) & 3) === 0 && i >= head) {
          let w = (i - head) >> 2;
          const lastWord = (rowEnd - head) >> 2; // words wholly before rowEnd
          while (w < lastWord && w < wordCount && dataWords[w] === baseWords[w]) w++;
          i = w * 4 + head;
        }
      }
      while (i < rowEnd && data[i] === baseline[i]) i++;
      if (i >= rowEnd) break;
      const start = i;
      // Extend the run of differing pixels, a word at a time where all four differ.
      while (i < rowEnd && data[i] !== baseline[i]) {
        if (wordCount > 0 && ((i - head) & 3) === 0 && i >= head && i + 4 <= rowEnd && ((i - head) >> 2) < wordCount) {
          const w = (i - head) >> 2;
          if (allBytesNonZero(dataWords[w]! ^ baseWords[w]!)) {
            i += 4;
            continue;
          }
        }
        i++;
      }
      baseline.set(data.subarray(start, i), start);
      if (count + 2 > runs.length) {
        const bigger = new Uint32Array(runs.length * 2);
        bigger.set(runs);
        runs = bigger;
      }
      runs[count++] = start;
      runs[count++] = i - start;
      pixelsChanged += i - start;
    }
  }
  return { runs, count, pixelsChanged };
}

export class MaskHistory {
  private readonly raster: MaskRaster;
  private baseline: Uint8Array;
  private readonly undoStack: HistoryEntry[] = [];
  private readonly redoStack: HistoryEntry[] = [];
  private openLabel: string | null = null;
  private pendingRect: Rect | null = null;
  private readonly listeners = new Set<(event: HistoryEvent) => void>();

  constructor(raster: MaskRaster) {
    this.raster = raster;
    this.baseline = raster.data.slice();
    raster.takeUnrecorded();
  }

  /** Calls `listener` after every commit, undo, redo, cancel and reset; returns the unsubscribe function. */
  onChange(listener: (event: HistoryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** True while a transaction (a gesture or an operation) is open. */
  get inTransaction(): boolean {
    return this.openLabel !== null;
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** Label of the entry undo would revert, for "Undo Brush stroke". */
  get undoLabel(): string | null {
    return this.undoStack.at(-1)?.label ?? null;
  }

  /** Label of the entry redo would re-apply. */
  get redoLabel(): string | null {
    return this.redoStack.at(-1)?.label ?? null;
  }

  /** Entries that can be undone, oldest first. */
  get undoEntries(): readonly HistoryEntry[] {
    return this.undoStack;
  }

  /** Entries that can be redone, next first. */
  get redoEntries(): readonly HistoryEntry[] {
    return [...this.redoStack].reverse();
  }

  /** Memory held by the undo and redo entries. */
  get entriesByteSize(): number {
    let total = 0;
    for (const e of this.undoStack) total += e.byteSize;
    for (const e of this.redoStack) total += e.byteSize;
    return total;
  }

  /** Memory held by the history in all: entries plus the baseline copy of the mask. */
  get byteSize(): number {
    return this.entriesByteSize + this.baseline.byteLength;
  }

  /** Opens a transaction; every raster change until commit or cancel becomes one entry. */
  begin(label: string): void {
    if (this.openLabel !== null) throw new Error(`"${this.openLabel}" is still open; commit or cancel it before "${label}".`);
    this.openLabel = label;
    // Changes made outside a transaction are folded into this one rather than lost.
    this.pendingRect = this.raster.takeUnrecorded();
  }

  /** Closes the transaction; returns its entry, or null when no pixel changed (no entry, redo kept). */
  commit(): HistoryEntry | null {
    const label = this.requireOpen('commit');
    const rect = unionRect(this.pendingRect, this.raster.takeUnrecorded());
    this.openLabel = null;
    this.pendingRect = null;
    if (!rect) return null;
    const entry = this.diff(label, rect);
    if (!entry) return null;
    this.undoStack.push(entry);
    this.redoStack.length = 0;
    this.emit({ kind: 'commit', entry });
    return entry;
  }

  /** Closes the transaction and restores the mask as it was at begin; no entry is recorded. */
  cancel(): Rect | null {
    this.requireOpen('cancel');
    const rect = unionRect(this.pendingRect, this.raster.takeUnrecorded());
    this.openLabel = null;
    this.pendingRect = null;
    if (rect) {
      const { data, width } = this.raster;
      for (let y = rect.y; y < rect.y + rect.height; y++) {
        const start = y * width + rect.x;
        data.set(this.baseline.subarray(start, start + rect.width), start);
      }
      this.raster.markChanged(rect);
      // The restore itself is not a change to record.
      this.raster.takeUnrecorded();
    }
    this.emit({ kind: 'cancel', rect });
    return rect;
  }

  /** Runs `change` as one entry labelled `label`; returns the entry, or null when nothing changed. */
  record(label: string, change: () => void): HistoryEntry | null {
    this.begin(label);
    try {
      change();
    } catch (error) {
      this.cancel();
      throw error;
    }
    return this.commit();
  }

  /** Reverts the newest entry; returns the rectangle to redraw, or null when there is nothing to undo. */
  undo(): Rect | null {
    if (this.openLabel !== null) this.cancel();
    const entry = this.undoStack.pop();
    if (!entry) return null;
    this.flip(entry);
    this.redoStack.push(entry);
    this.emit({ kind: 'undo', entry });
    return entry.rect;
  }

  /** Re-applies the entry undo last reverted; returns the rectangle to redraw, or null. */
  redo(): Rect | null {
    if (this.openLabel !== null) this.cancel();
    const entry = this.redoStack.pop();
    if (!entry) return null;
    this.flip(entry);
    this.undoStack.push(entry);
    this.emit({ kind: 'redo', entry });
    return entry.rect;
  }

  /** Forgets every entry and takes the current mask as the new baseline (opening a saved version). */
  reset(): void {
    if (this.openLabel !== null) throw new Error(`"${this.openLabel}" is still open; commit or cancel it before a reset.`);
    this.undoStack.length = 0;
    this.redoStack.length = 0;
    this.baseline = this.raster.data.slice();
    this.raster.takeUnrecorded();
    this.emit({ kind: 'reset' });
  }

  private requireOpen(action: string): string {
    if (this.openLabel === null) throw new Error(`Nothing to ${action}: no transaction is open.`);
    return this.openLabel;
  }

  private emit(event: HistoryEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** Encodes the pixels that differ from the baseline inside `rect`, and moves the baseline forward. */
  private diff(label: string, rect: Rect): HistoryEntry | null {
    const { width } = this.raster;
    const { runs, count, pixelsChanged } = diffRuns(this.raster.data, this.baseline, width, rect);
    if (pixelsChanged === 0) return null;
    const runBytes = count * 4;
    const bitmapBytes = Math.ceil((rect.width * rect.height) / 8);
    let flips: FlipEncoding;
    if (runBytes <= bitmapBytes) {
      flips = { kind: 'runs', runs: runs.slice(0, count) };
    } else {
      // Speckled changes (an invert of a noisy mask) are cheaper as one bit per pixel.
      const bits = new Uint8Array(bitmapBytes);
      for (let k = 0; k < count; k += 2) {
        for (let i = runs[k]!, end = runs[k]! + runs[k + 1]!; i < end; i++) {
          const x = (i % width) - rect.x;
          const y = Math.floor(i / width) - rect.y;
          const bit = y * rect.width + x;
          bits[bit >> 3]! |= 1 << (bit & 7);
        }
      }
      flips = { kind: 'bitmap', bits };
    }
    const payload = flips.kind === 'runs' ? flips.runs.byteLength : flips.bits.byteLength;
    return { label, rect, pixelsChanged, byteSize: payload + ENTRY_OVERHEAD_BYTES, flips };
  }

  /** Flips the entry's pixels in both the raster and the baseline (undo and redo alike). */
  private flip(entry: HistoryEntry): void {
    const { data, width } = this.raster;
    const baseline = this.baseline;
    const { rect, flips } = entry;
    if (flips.kind === 'runs') {
      const runs = flips.runs;
      for (let k = 0; k < runs.length; k += 2) {
        for (let i = runs[k]!, end = runs[k]! + runs[k + 1]!; i < end; i++) {
          data[i] = data[i]! ^ 1;
          baseline[i] = baseline[i]! ^ 1;
        }
      }
    } else {
      const bits = flips.bits;
      for (let y = 0; y < rect.height; y++) {
        const row = (rect.y + y) * width + rect.x;
        for (let x = 0; x < rect.width; x++) {
          const bit = y * rect.width + x;
          if (bits[bit >> 3]! & (1 << (bit & 7))) {
            data[row + x] = data[row + x]! ^ 1;
            baseline[row + x] = baseline[row + x]! ^ 1;
          }
        }
      }
    }
    this.raster.markChanged(rect);
    this.raster.takeUnrecorded();
  }
}
