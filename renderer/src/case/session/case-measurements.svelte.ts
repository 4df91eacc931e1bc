/**
 * The measurements of the mask on screen. The area (and mm² when calibrated) follows every
 * commit, undo, redo and clean-up in the same task, from the pixels the edit flipped
 * (entryAreaChange): no counting of the whole mask, no debounce. The full set (perimeter,
 * diameters, asymmetry, colours) comes from the worker after the frame that shows the edit and
 * a 100 ms pause in the edits, one request at a time; an edit cancels a measurement it made
 * stale (the worker stops at its next step, so it does not share the CPU with that edit) and asks
 * for its own. Until the set is back for the mask on screen, `stale` says so.
 */
import { entryAreaChange, type EditorDocument, type MaskMeasurements } from '../../editor/index.ts';
import { errorMessage } from '../../lib/format.ts';
import type { MaskAnalyser } from '../mask-analysis.ts';
import type { CaseMessages } from './case-messages.svelte.ts';

export interface CaseMeasurementsOptions {
  readonly editor: EditorDocument;
  readonly analyser: Pick<MaskAnalyser, 'measure'>;
  readonly messages: CaseMessages;
  /** The calibration in force (pixels per millimetre), or null. */
  readonly pixelsPerMm: () => number | null;
  /** Runs `task` after the frame that shows an edit (default: requestAnimationFrame, then a task); returns a cancel. */
  readonly afterFrame?: (task: () => void) => () => void;
}

export class CaseMeasurements {
  /** Lesion pixels of the mask on screen, always current. */
  areaPx = $state(0);
  /** The worker's full set, for the mask as it was when last measured (see `stale`). */
  measurements = $state.raw<MaskMeasurements | null>(null);
  /** The full set is older than the mask on screen (an edit, a stroke being drawn, a new calibration). */
  stale = $state(true);
  /** The calibration the area is shown in. */
  pixelsPerMm = $state<number | null>(null);
  readonly areaMm2 = $derived(this.pixelsPerMm ? this.areaPx / (this.pixelsPerMm * this.pixelsPerMm) : null);

  private readonly options: CaseMeasurementsOptions;
  private readonly editor: EditorDocument;
  private readonly unsubscribe: () => void;
  private cancelScheduled: (() => void) | null = null;
  /** The measurement in flight, to cancel when an edit makes it stale. */
  private inFlight: AbortController | null = null;
  private again = false;
  private disposed = false;

  constructor(options: CaseMeasurementsOptions) {
    this.options = options;
    this.editor = options.editor;
    this.pixelsPerMm = options.pixelsPerMm();
    this.areaPx = this.editor.raster.area();
    this.unsubscribe = this.editor.onChange((change) => {
      // Pixels move under a stroke: the full set is out of date until it is committed, and a
      // measurement still running would only take CPU from the painting.
      if (change.kind === 'mask') {
        this.stale = true;
        this.inFlight?.abort();
      }
      if (change.kind !== 'history') return;
      const { event } = change;
      if (event.kind === 'commit' || event.kind === 'undo' || event.kind === 'redo') this.areaPx += entryAreaChange(event.entry, this.editor.raster);
      // A mask loaded without history (a threshold, another window's version): counted once.
      else if (event.kind === 'reset') this.areaPx = this.editor.raster.area();
      else if (event.kind === 'cancel' && event.rect === null) return;
      this.schedule();
    });
  }

  /** Measures again (the calibration changed, or the case just opened). */
  remeasure(): void {
    this.pixelsPerMm = this.options.pixelsPerMm();
    this.schedule();
  }

  private schedule(): void {
    this.stale = true;
    if (this.disposed) return;
    this.inFlight?.abort();
    // The latest edit decides when: a run of quick edits (undo, redo, a clean-up) is measured once.
    this.cancelScheduled?.();
    this.cancelScheduled = (this.options.afterFrame ?? afterEditFrame)(() => {
      this.cancelScheduled = null;
      void this.measureNow();
    });
  }

  /** One measurement at a time: edits made meanwhile ask for one more when it returns. */
  private async measureNow(): Promise<void> {
    if (this.disposed) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    // In the middle of a stroke the copy would be of a half-drawn mask: its commit asks again.
    if (this.editor.gestureInProgress) return;
    const controller = new AbortController();
    this.inFlight = controller;
    this.again = false;
    const { width, height, data, version } = this.editor.raster;
    try {
      const result = await this.options.analyser.measure(width, height, data, this.pixelsPerMm, controller.signal);
      if (this.disposed) return;
      this.measurements = result;
      this.stale = this.again || this.editor.raster.version !== version;
    } catch (error) {
      // A cancelled measurement is no failure: the edit that cancelled it is measured next.
      if (!this.disposed && !controller.signal.aborted) this.options.messages.problem = `Cannot measure the mask: ${errorMessage(error)}`;
    } finally {
      this.inFlight = null;
    }
    if (!this.disposed && this.again) void this.measureNow();
  }

  dispose(): void {
    this.disposed = true;
    this.inFlight?.abort();
    this.unsubscribe();
    this.cancelScheduled?.();
    this.cancelScheduled = null;
  }
}

/**
 * How long the edits must pause, after the frame that shows one, before the worker measures.
 * Measuring at once (after that frame, or the one after it) put the worker's 24 MP measurement on
 * the 2 cores while the next undo, redo or clean-up of a quick run was drawn, and those reached
 * the screen 1.4-5x later (bench:browser A/B, 7 December); cancelling a stale measurement at its
 * next step did not win that back. The measurement itself is 2.5-5x cheaper than when this pause
 * was chosen (about 110 ms for the bench's 24 MP lesion in Node on an idle core), so frame, pause,
 * copy and worker add up to about 250 ms at 6000 x 4000 where the CPU is free; on a loaded one the
 * worker's share decides.
 */
const QUIET_MS = 100;

/** After the frame that shows the edit (copying a 24 MP mask for the worker must not delay it), and a short pause in the edits. */
function afterEditFrame(task: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const frame = requestAnimationFrame(() => (timer = setTimeout(task, QUIET_MS)));
  return () => {
    cancelAnimationFrame(frame);
    if (timer !== null) clearTimeout(timer);
  };
}
