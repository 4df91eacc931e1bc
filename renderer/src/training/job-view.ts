/** Pure helpers of the training panel: labels, ETA, chunking and the live chart's geometry. */
import type { EpochRecord, JobPhase, TrainingJob } from '../../../preload/api.ts';

const phaseLabels: Record<JobPhase, string> = {
  receiving: 'Receiving cases',
  starting: 'Starting Python',
  loading: 'Loading data',
  baseline: 'Scoring the base model',
  training: 'Training',
  scoring: 'Scoring the candidate',
  exporting: 'Exporting the model',
  gating: 'Comparing with the base',
  done: 'Done',
};

export function phaseLabel(phase: JobPhase): string {
  return phaseLabels[phase];
}

/** True while a job is being prepared or runs (cancel applies). */
export function isLive(job: TrainingJob | null): boolean {
  return job !== null && (job.state === 'preparing' || job.state === 'running');
}

/** "about 3 min 20 s left", "under 5 s left"; '' when unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  const s = Math.round(seconds);
  if (s < 5) return 'under 5 s left';
  if (s < 60) return `about ${s} s left`;
  const m = Math.floor(s / 60);
  if (m < 60) return `about ${m} min ${String(s % 60).padStart(2, '0')} s left`;
  return `about ${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min left`;
}

/**
 * Collects items into chunks of at most `maxItems` whose sizes total at most `maxBytes` (an item
 * bigger than `maxBytes` alone goes in a chunk of its own; main then names it). `push` returns
 * the chunk that the new item closed, if any; `flush` the rest.
 */
export function createChunker<T>(maxItems: number, maxBytes: number) {
  let current: T[] = [];
  let bytes = 0;
  return {
    push(item: T, size: number): T[] | null {
      let full: T[] | null = null;
      if (current.length > 0 && (current.length >= maxItems || bytes + size > maxBytes)) {
        full = current;
        current = [];
        bytes = 0;
      }
      current.push(item);
      bytes += size;
      return full;
    },
    flush(): T[] | null {
      const rest = current.length > 0 ? current : null;
      current = [];
      bytes = 0;
      return rest;
    },
  };
}

/** All chunks of `items` at once (see createChunker). */
export function chunkBySize<T>(items: readonly T[], sizeOf: (item: T) => number, maxItems: number, maxBytes: number): T[][] {
  const chunker = createChunker<T>(maxItems, maxBytes);
  const chunks: T[][] = [];
  for (const item of items) {
    const full = chunker.push(item, sizeOf(item));
    if (full) chunks.push(full);
  }
  const rest = chunker.flush();
  if (rest) chunks.push(rest);
  return chunks;
}

/** SVG polylines of loss and validation Dice per epoch, in a width x height box. */
export interface ChartGeometry {
  loss: string;
  dice: string;
  /** Largest loss on the chart (its left axis runs 0..lossMax). */
  lossMax: number;
  /** Points for markers: x, y of each epoch's Dice. */
  dicePoints: { x: number; y: number; epoch: number; value: number }[];
}

export function chartGeometry(history: readonly EpochRecord[], epochs: number, width: number, height: number, pad = 4): ChartGeometry {
  const lossMax = Math.max(1e-6, ...history.map((h) => h.loss));
  const span = Math.max(1, epochs - 1);
  const x = (epoch: number) => pad + ((epoch - 1) / span) * (width - 2 * pad);
  const y = (fraction: number) => pad + (1 - Math.min(1, Math.max(0, fraction))) * (height - 2 * pad);
  const round = (v: number) => Math.round(v * 10) / 10;
  const line = (value: (h: EpochRecord) => number) => history.map((h) => `${round(x(h.epoch))},${round(y(value(h)))}`).join(' ');
  return {
    loss: line((h) => h.loss / lossMax),
    dice: line((h) => h.valDsc),
    lossMax,
    dicePoints: history.map((h) => ({ x: round(x(h.epoch)), y: round(y(h.valDsc)), epoch: h.epoch, value: h.valDsc })),
  };
}

/** Dice as a percentage with one decimal ("92.4"). */
export function dicePercent(value: number): string {
  return (value * 100).toFixed(1);
}

/** Signed change in points between base and candidate ("+1.3", "-0.4", "±0.0"). */
export function diceChange(base: number, candidate: number): string {
  const points = Math.round((candidate - base) * 1000) / 10;
  if (points === 0) return '±0.0';
  return `${points > 0 ? '+' : ''}${points.toFixed(1)}`;
}
