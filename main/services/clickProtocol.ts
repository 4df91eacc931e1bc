/**
 * The evaluation protocol of issue 16 on one image, shared by `lesiondesk evaluate-clicks` and
 * `npm run bench:interactive`: the click simulator (clickSimulator.ts) drives any refinement
 * method (the interactive model, a classical one) through the regions the Click tool uses.
 *
 * Regions: from the automatic prediction, the first click chooses the region as the Click tool
 * does (regionFromClicks: the click and the mask parts within reach, widened); from nothing,
 * the region is the whole image (there is no mask to grow around, and RITM's protocol shows the
 * model the whole image). The region stays fixed for a run of clicks, as in the editor; a
 * simulated click that falls outside it starts a new run there (a person presses Escape and
 * clicks again), with that click alone.
 */
import { regionFromClicks, type ImageClick, type MaskPlane, type Region } from '../../preload/api.js';
import { clicksToReach, iouAfter, simulateClicks } from './clickSimulator.js';

/** One refinement step of a method: the region, the clicks of this run (oldest first) and the current mask; resolves with the new mask. */
export type RefineMethod = (region: Region, clicks: readonly ImageClick[], current: MaskPlane) => Promise<MaskPlane>;

/** Options of one protocol run. */
export interface ProtocolOptions {
  width: number;
  height: number;
  /** The truth, non-zero = lesion. */
  truth: Uint8Array;
  /** The automatic prediction to start from, or null to start from nothing. */
  start: Uint8Array | null;
  maxClicks: number;
  /** Stop after this IoU is reached (default 0.9, the highest NoC target)... */
  targetIou?: number;
  /** ...once at least this many clicks were made (default 5, for the IoU after 5 clicks). */
  minClicks?: number;
}

/** What one image scored. */
export interface ProtocolResult {
  /** IoU of the start and after each click. */
  ious: number[];
  clicks: ImageClick[];
  /** The regions the runs of clicks worked on (a new one when a click fell outside the last). */
  regions: Region[];
  noc85: number;
  noc90: number;
  iou1: number;
  iou3: number;
  iou5: number;
  /** Milliseconds per step of the method (the whole step as the method measures it). */
  stepMs: number[];
}

function inside(region: Region, c: ImageClick): boolean {
  return c.x >= region.x0 && c.x < region.x1 && c.y >= region.y0 && c.y < region.y1;
}

/** Runs the click simulator with one method on one image. */
export async function runClickProtocol(method: RefineMethod, options: ProtocolOptions): Promise<ProtocolResult> {
  const { width, height } = options;
  const whole: Region = { x0: 0, y0: 0, x1: width, y1: height };
  const regions: Region[] = [];
  let region: Region | null = options.start ? null : whole;
  let runStart = 0;
  const stepMs: number[] = [];
  const run = await simulateClicks({
    truth: options.truth,
    width,
    height,
    start: options.start,
    maxClicks: options.maxClicks,
    targetIou: options.targetIou ?? 0.9,
    minClicks: options.minClicks ?? 5,
    step: async (clicks, current) => {
      const last = clicks[clicks.length - 1];
      const mask: MaskPlane = { width, height, data: current };
      if (region === null || !inside(region, last)) {
        region = regionFromClicks([last], mask, width, height);
        runStart = clicks.length - 1;
      }
      if (regions[regions.length - 1] !== region) regions.push(region);
      const t0 = performance.now();
      const next = await method(region, clicks.slice(runStart), mask);
      stepMs.push(performance.now() - t0);
      return next.data;
    },
  });
  const max = options.maxClicks;
  return {
    ious: run.ious,
    clicks: run.clicks,
    regions,
    noc85: clicksToReach(run.ious, 0.85, max),
    noc90: clicksToReach(run.ious, 0.9, max),
    iou1: iouAfter(run.ious, 1),
    iou3: iouAfter(run.ious, 3),
    iou5: iouAfter(run.ious, 5),
    stepMs,
  };
}
