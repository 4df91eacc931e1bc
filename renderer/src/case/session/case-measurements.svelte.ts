/**
 * The measurements of the mask on screen. The area (and mm² when calibrated) follows every
 * commit, undo, redo and clean-up in the same task, from the pixels the edit flipped
 * (entryAreaChange): no counting of the whole mask, no debounce. The full set (perimeter,
 * diameters, asymmetry, colours) comes from the worker right after the frame that shows the edit,
 * one request at a time (edits made meanwhile ask for one more); until it is back for the mask on
 * screen, `stale` says so.
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
  private inFlight = false;
  private again = false;
  private disposed = false;

  constructor(options: CaseMeasurementsOptions) {
    this.options = options;
    this.editor = options.editor;
    this.pixelsPerMm = options.pixelsPerMm();
    this.areaPx = this.editor.raster.area();
    this.unsubscribe = this.editor.onChange((change) => {
      // Pixels move under a stroke: the full set is out of date until it is committed.
      if (change.kind === 'mask') this.stale = true;
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
    this.inFlight = true;
    this.again = false;
    const { width, height, data, version } = this.editor.raster;
    try {
      const result = await this.options.analyser.measure(width, height, data, this.pixelsPerMm);
      if (this.disposed) return;
      this.measurements = result;
      this.stale = this.again || this.editor.raster.version !== version;
    } catch (error) {
      if (!this.disposed) this.options.messages.problem = `Cannot measure the mask: ${errorMessage(error)}`;
    } finally {
      this.inFlight = false;
    }
    if (!this.disposed && this.again) void this.measureNow();
  }

  dispose(): void {
    this.disposed = true;
    this.unsubscribe();
    this.cancelScheduled?.();
    this.cancelScheduled = null;
  }
}

/**
 * Right after the frame that shows the edit: copying a 24 MP mask for the worker must not delay
 * that frame, and nothing else waits. A fixed pause here (500 ms, then 100 ms) put the full set
 * above 300 ms at 6000 x 4000; with the measurement itself 2.5-5x cheaper (the runs are read once)
 * a quick run of edits costs at most one measurement in flight plus one more, as before.
 */
function afterEditFrame(task: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const frame = requestAnimationFrame(() => (timer = setTimeout(task, 0)));
  return () => {
    cancelAnimationFrame(frame);
    if (timer !== null) clearTimeout(timer);
  };
}
