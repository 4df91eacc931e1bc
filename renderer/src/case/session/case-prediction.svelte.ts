/**
 * The prediction view of one open case: the model's probability map, the threshold slider (it
 * re-thresholds the untouched prediction, or moves only the prediction outline over someone's
 * mask, threshold-mode.ts), "Use prediction at T" (one undo step) and the outline of another
 * version to compare with.
 */
import type { MaskVersionRecord } from '../../storage/types.ts';
import { errorMessage } from '../../lib/format.ts';
import { previewSize, readProbabilityGrid, thresholdProbability, type ProbabilityGrid } from '../probability.ts';
import { maskSourceOf, thresholdMode, type MaskSource } from '../threshold-mode.ts';
import type { CaseContext } from './case-context.ts';

export interface CasePredictionOptions {
  /** A stored mask PNG back as pixels (the comparison's outline). */
  readonly decodeMask: (png: Blob) => Promise<{ width: number; height: number; data: Uint8Array }>;
  /** Screen pixels per image pixel now (zoom times the device pixel ratio): the preview's resolution. */
  readonly screenScale: () => number;
  /** The session's own version, left out of the comparison list. */
  readonly draftVersionId: () => string | null;
}

export class CasePrediction {
  threshold = $state(0.5);
  /** The case has a prediction with a probability map (the slider works). */
  hasPrediction = $state(false);
  /** Whose mask is on screen: the untouched prediction follows the threshold, anyone else's never does. */
  maskSource = $state<MaskSource>('prediction');
  /** The threshold the prediction outline shows (the slider moved over someone's mask), or null. */
  layerThreshold = $state<number | null>(null);
  /** The version whose outline is shown for comparison ('' for none). */
  compareId = $state('');
  /** What the slider does now. */
  readonly action = $derived.by(() => thresholdMode(this.hasPrediction, this.maskSource, this.context.facts.locked));
  /** The versions to compare with: all but the one this session writes. */
  readonly compareOptions = $derived.by(() => {
    const own = this.options.draftVersionId();
    return this.context.facts.versions.filter((v) => v.id !== own);
  });

  private readonly context: CaseContext;
  private readonly options: CasePredictionOptions;
  private grid: ProbabilityGrid | null = null;
  private layerRequest = 0;

  constructor(context: CaseContext, options: CasePredictionOptions) {
    this.context = context;
    this.options = options;
  }

  /** The prediction the case opened with (or none) and whose mask is on screen. */
  load(grid: ProbabilityGrid | null, threshold: number, source: MaskSource): void {
    this.grid = grid;
    this.hasPrediction = grid !== null;
    if (grid) this.threshold = threshold;
    this.maskSource = source;
  }

  /** A committed edit, undo or redo: the mask is the person's now. */
  edited(): void {
    this.maskSource = 'person';
  }

  /** While the slider moves: the prediction at display resolution, or the outline over someone's mask. */
  preview(value: number): void {
    this.threshold = value;
    if (this.action === 'layer') {
      void this.showLayer(value);
      return;
    }
    const { stage, size } = this.context;
    if (!this.grid || !stage) return;
    const longest = Math.max(size.width, size.height) * this.options.screenScale();
    const preview = previewSize(size.width, size.height, Math.min(2048, Math.max(256, Math.ceil(longest))));
    stage.showThresholdPreview({ ...preview, data: thresholdProbability(this.grid, preview.width, preview.height, value) });
  }

  /** The slider is released: the untouched prediction is re-thresholded at full resolution. */
  apply(value: number): void {
    this.threshold = value;
    this.context.stage?.showThresholdPreview(null);
    const { editor, size } = this.context;
    // Over a person's or ground-truth mask the slider moves the prediction outline only.
    if (!this.grid || !editor || this.action !== 'follow') return;
    editor.loadGrayscale(thresholdProbability(this.grid, size.width, size.height, value), 1);
  }

  /** The prediction at `value` as an outline over the mask (computed at up to 1024 px, in the worker). */
  async showLayer(value: number): Promise<void> {
    const { analyser, size } = this.context;
    if (!this.grid || !this.context.stage || !analyser) return;
    const request = ++this.layerRequest;
    const preview = previewSize(size.width, size.height, 1024);
    const loops = await analyser.outline(preview.width, preview.height, thresholdProbability(this.grid, preview.width, preview.height, value));
    const stage = this.context.stage;
    if (request !== this.layerRequest || !stage) return;
    const sx = size.width / preview.width;
    const sy = size.height / preview.height;
    stage.setPredictionOutline(loops.map((loop) => loop.map((p) => ({ x: p.x * sx, y: p.y * sy }))));
    this.layerThreshold = value;
  }

  hideLayer(): void {
    this.layerRequest++;
    this.layerThreshold = null;
    this.context.stage?.setPredictionOutline(null);
  }

  /** "Use prediction at T": the explicit action that replaces the mask with the model's output (one undo step). */
  usePrediction(): void {
    const { editor, size } = this.context;
    const value = this.layerThreshold;
    if (!this.grid || !editor || value === null) return;
    editor.replaceWithGrayscale(`Use prediction at ${value.toFixed(2)}`, thresholdProbability(this.grid, size.width, size.height, value), 1);
    this.hideLayer();
  }

  /** Another window's version replaced the mask: its prediction (if a model's) follows. */
  async followed(latest: MaskVersionRecord | null): Promise<void> {
    this.maskSource = maskSourceOf(latest?.authorKind);
    // The outline was of the model over the mask that was on screen; this is another one.
    this.hideLayer();
    if (latest?.authorKind === 'model' && latest.probabilityMap) {
      this.grid = await readProbabilityGrid(latest.probabilityMap);
      this.hasPrediction = true;
      if (latest.threshold !== undefined) this.threshold = latest.threshold;
    }
  }

  /** Shows the outline of version `id` over the mask ('' hides it). */
  async compare(id: string): Promise<void> {
    this.compareId = id;
    const { stage, analyser } = this.context;
    if (!stage) return;
    const version = this.context.facts.versions.find((v) => v.id === id);
    if (!version) {
      stage.setCompareOutline(null);
      return;
    }
    try {
      const decoded = await this.options.decodeMask(version.png);
      if (this.compareId !== id || !this.context.stage) return;
      const loops = analyser ? await analyser.outline(decoded.width, decoded.height, decoded.data) : [];
      if (this.compareId !== id || !this.context.stage) return;
      this.context.stage.setCompareOutline(loops);
    } catch (error) {
      this.context.messages.problem = `Cannot compare: ${errorMessage(error)}`;
    }
  }
}
