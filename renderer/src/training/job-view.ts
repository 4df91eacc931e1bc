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

/** The Dice axis of the chart, in Dice (0..1): its range and the values that get a labelled tick. */
export interface DiceAxis {
  min: number;
  max: number;
  ticks: number[];
}

/** Tick steps the Dice axis may use, in Dice (0.5 to 25 points). */
const diceSteps = [0.005, 0.01, 0.02, 0.05, 0.1, 0.25];

/**
 * A Dice axis that fits `values` (each epoch's Dice and the base's reference): a 9-point drop
 * fills the chart instead of a tenth of a fixed 0-100 axis. The range is padded by a sixth of the
 * data's spread (at least 1 point) on each side, widened to at least 4 points so that noise of a
 * few tenths does not look like a cliff, kept within 0..1 (shifted inwards at the ends) and
 * rounded out to the step; the step is the smallest that gives at most 5 ticks.
 */
export function diceAxis(values: readonly number[]): DiceAxis {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { min: 0, max: 1, ticks: [0.25, 0.5, 0.75] };
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  const pad = Math.max((hi - lo) / 6, 0.01);
  lo -= pad;
  hi += pad;
  const minSpan = 0.04;
  if (hi - lo < minSpan) {
    const mid = (lo + hi) / 2;
    lo = mid - minSpan / 2;
    hi = mid + minSpan / 2;
  }
  // Near 0 or 1 the range shifts inwards rather than losing its span.
  if (hi > 1) [lo, hi] = [lo - (hi - 1), 1];
  if (lo < 0) [lo, hi] = [0, Math.min(1, hi - lo)];
  // Whole multiples of the step (in thousandths, so 0.1 * 7 does not round to 0.7000000000000001).
  const snap = (v: number) => Math.round(v * 1000) / 1000 + 0; // + 0: a tick at 0, not "-0"
  for (const step of diceSteps) {
    const min = Math.max(0, snap(Math.floor(lo / step + 1e-9) * step));
    const max = Math.min(1, snap(Math.ceil(hi / step - 1e-9) * step));
    const ticks: number[] = [];
    for (let k = Math.ceil(min / step - 1e-9); k * step <= max + 1e-9; k++) ticks.push(snap(k * step));
    if (ticks.length <= 5 || step === diceSteps.at(-1)) return { min, max, ticks };
  }
  return { min: 0, max: 1, ticks: [0.25, 0.5, 0.75] };
}

/** SVG polylines of loss and validation Dice per epoch, in a width x height box. */
export interface ChartGeometry {
  loss: string;
  dice: string;
  /** Largest loss on the chart (the loss line runs 0..lossMax over the chart's height). */
  lossMax: number;
  /** The Dice axis (scaled to the epochs' Dice and the reference) and the y of each tick. */
  axis: DiceAxis;
  tickYs: number[];
  /** The y of the base's validation Dice (the reference line); null when there is none. */
  referenceY: number | null;
  /**
   * The y of the candidate's validation Dice (null: no result yet). The candidate is not the last
   * epoch's weights (the trainer takes them part of the way back to the base, WiSE-FT), so its
   * score is drawn in its own right beside the last epoch.
   */
  candidateY: number | null;
  /** Points for markers: x, y of each epoch's Dice. */
  dicePoints: { x: number; y: number; epoch: number; value: number }[];
}

/**
 * Where each epoch's loss and Dice go; `reference` is the base model's validation Dice (a
 * horizontal line) and `candidate` the result's, when known. The Dice axis spans all of them.
 */
export function chartGeometry(
  history: readonly EpochRecord[],
  epochs: number,
  width: number,
  height: number,
  pad = 4,
  reference: number | null = null,
  candidate: number | null = null,
): ChartGeometry {
  const lossMax = Math.max(1e-6, ...history.map((h) => h.loss));
  const axis = diceAxis([...history.map((h) => h.valDsc), ...[reference, candidate].filter((v): v is number => v !== null)]);
  const span = Math.max(1, epochs - 1);
  const x = (epoch: number) => pad + ((epoch - 1) / span) * (width - 2 * pad);
  const y = (fraction: number) => pad + (1 - Math.min(1, Math.max(0, fraction))) * (height - 2 * pad);
  const yDice = (dice: number) => y((dice - axis.min) / (axis.max - axis.min));
  const round = (v: number) => Math.round(v * 10) / 10;
  const line = (value: (h: EpochRecord) => number) => history.map((h) => `${round(x(h.epoch))},${round(value(h))}`).join(' ');
  return {
    loss: line((h) => y(h.loss / lossMax)),
    dice: line((h) => yDice(h.valDsc)),
    lossMax,
    axis,
    tickYs: axis.ticks.map((t) => round(yDice(t))),
    referenceY: reference === null ? null : round(yDice(reference)),
    candidateY: candidate === null ? null : round(yDice(candidate)),
    dicePoints: history.map((h) => ({ x: round(x(h.epoch)), y: round(yDice(h.valDsc)), epoch: h.epoch, value: h.valDsc })),
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
