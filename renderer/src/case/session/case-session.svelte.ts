/**
 * One open case: loading it and its prediction, the editor document, saving (CaseSaving), the
 * measurements, the prediction view, the display and the calibration. Each part is a small class
 * beside this one; the session composes them, is the context they share (case-context.ts), and
 * releases everything they started (workers, subscriptions, timers, the stage) with one
 * dispose(). The shell creates one per open case; CaseView lays it out and attaches the stage.
 * No Konva and no Dexie here: the repository, the stage and the browser's codecs are passed in.
 */
import type { LesionDeskApi } from '../../../../preload/api.ts';
import { EditorDocument, editorCommands, type EditorCommand, type Point, type ToolId } from '../../editor/index.ts';
import { errorMessage } from '../../lib/format.ts';
import type { CaseRecord } from '../../storage/types.ts';
import type { AutosaveState } from '../autosave.ts';
import { caseViewCommands, type ReviewAction } from '../case-commands.ts';
import type { ActiveModel } from '../case-versions.ts';
import { editAffordances } from '../edit-affordances.ts';
import type { EditJournal } from '../edit-journal.ts';
import type { MaskAnalyser } from '../mask-analysis.ts';
import type { Viewport } from '../viewport.ts';
import { CaseCalibration, type CalibrationRepository } from './case-calibration.svelte.ts';
import type { CaseContext } from './case-context.ts';
import { CaseDisplay } from './case-display.svelte.ts';
import { caseKeyDown, caseKeyUp, type CaseKeyEvent } from './case-keys.ts';
import { CaseMeasurements } from './case-measurements.svelte.ts';
import { CaseMessages } from './case-messages.svelte.ts';
import { openCase, type CasePlatform, type OpeningRepository } from './case-opening.ts';
import { CasePrediction } from './case-prediction.svelte.ts';
import { CaseRecordState } from './case-record.svelte.ts';
import { CaseSaving, type SavingRepository } from './case-saving.svelte.ts';
import type { CaseStage } from './case-stage.ts';
import { clockTime } from './clock-time.ts';
import { DisposableStore } from './disposable-store.ts';
import { EditorState } from './editor-state.svelte.ts';
import { InteractiveTool, interactiveService } from './interactive-tool.svelte.ts';

export type { CasePlatform } from './case-opening.ts';

/** The repository calls a session makes. */
export type SessionRepository = SavingRepository & OpeningRepository & CalibrationRepository;

export interface CaseSessionOptions {
  readonly caseId: string;
  readonly repository: SessionRepository;
  /** segmentImage runs only when the case has no stored prediction of the model with a probability map. */
  readonly api: Pick<LesionDeskApi, 'segmentImage'>;
  /** The active model when the case opens, or null to edit without a prediction. */
  readonly model: () => ActiveModel | null;
  /** Author of the person versions saved. */
  readonly annotator: () => string;
  /** Threshold when neither the prediction nor the settings have one (the model card's). */
  readonly defaultThreshold?: () => number;
  /** Each committed edit is written there at once, before its PNG save; opening recovers one left unsaved. */
  readonly journal?: EditJournal | undefined;
  readonly platform: CasePlatform;
  /** The workflow status moved (a prediction stored, the first edit, an approval elsewhere). */
  readonly onStatusChange?: (record: CaseRecord) => void;
  readonly onSaveStateChange?: (state: AutosaveState) => void;
  /** The interactive model (Box and Click tools); without it those tools are off, with the reason. */
  readonly interactiveApi?: Pick<LesionDeskApi, 'refineRegion' | 'listModels'> | undefined;
}

export type CasePhase = 'loading' | 'predicting' | 'ready' | 'failed';

export class CaseSession implements CaseContext {
  readonly caseId: string;
  phase = $state<CasePhase>('loading');
  readonly messages = new CaseMessages();
  /** The case record and its versions as the database last said. */
  readonly facts: CaseRecordState;
  readonly calibration: CaseCalibration;
  readonly prediction: CasePrediction;
  readonly display: CaseDisplay;
  editor = $state.raw<EditorDocument | null>(null);
  /** The editor's tool, brush and undo state, read live. */
  editorState = $state.raw<EditorState | null>(null);
  saving = $state.raw<CaseSaving | null>(null);
  measurements = $state.raw<CaseMeasurements | null>(null);
  /** The Box and Click tools: clicks, region, requests to the interactive model. */
  interactive = $state.raw<InteractiveTool | null>(null);
  size = $state.raw({ width: 0, height: 0 });
  showShortcuts = $state(false);
  /** Clean-up settings (the buttons and the keys use them). */
  minIslandPixels = $state(100);
  smoothRadius = $state(3);

  readonly locked = $derived.by(() => this.facts.locked);
  /** Which edit controls are offered now. */
  readonly can = $derived.by(() =>
    editAffordances({
      locked: this.locked,
      canUndo: this.editorState?.canUndo ?? false,
      canRedo: this.editorState?.canRedo ?? false,
      activeTool: this.editorState?.activeTool ?? 'brush',
      rulerActive: this.calibration.rulerActive,
    }),
  );
  /** The case view's commands (view, ruler, review), declared once: keys, buttons and the shortcut sheet read them. */
  readonly viewCommands: readonly EditorCommand[];
  /** The editor's commands and the case view's: tools, buttons and their keys. */
  readonly commands: readonly EditorCommand[];

  private readonly options: CaseSessionOptions;
  private readonly disposables = new DisposableStore();
  private onReview: ((action: ReviewAction) => void) | null = null;
  private opening = false;
  #analyser: MaskAnalyser | null = null;
  #image: ImageBitmap | null = null;
  #stage: CaseStage | null = null;

  constructor(options: CaseSessionOptions) {
    this.options = options;
    this.caseId = options.caseId;
    this.facts = new CaseRecordState(options.repository, options.caseId, options.onStatusChange);
    this.calibration = new CaseCalibration(this, options.repository, () => this.measurements?.remeasure());
    this.display = this.disposables.add(new CaseDisplay(this));
    this.prediction = new CasePrediction(this, {
      decodeMask: (png) => options.platform.decodeMask(png, 'comparison mask'),
      screenScale: () => this.display.zoom * options.platform.devicePixelRatio(),
      draftVersionId: () => this.saving?.draftVersionId ?? null,
    });
    this.viewCommands = caseViewCommands({
      fit: () => this.stage?.fit(),
      actualSize: () => this.stage?.actualSize(),
      zoomBy: (factor) => this.stage?.zoomBy(factor),
      cycleViewMode: () => this.display.cycleViewMode(),
      startRuler: () => this.calibration.startRuler(),
      review: (action) => this.onReview?.(action),
    });
    this.commands = [...editorCommands, ...this.viewCommands];
  }

  /** The active model (it may change while the case is open). */
  get model(): ActiveModel | null {
    return this.options.model();
  }

  /** Outlines and measurements off the main thread, once the image is read. */
  get analyser(): MaskAnalyser | null {
    return this.#analyser;
  }

  /** The decoded image the stage draws, once read. */
  get image(): ImageBitmap | null {
    return this.#image;
  }

  /** The stage that draws the case, while it is on screen (attachStage). */
  get stage(): CaseStage | null {
    return this.#stage;
  }

  get ready(): boolean {
    return this.phase === 'ready';
  }

  /** Opens the case, once; a failure is said in `messages` and the phase is 'failed'. A closed session stays closed. */
  async open(): Promise<void> {
    if (this.opening || this.disposables.isDisposed) return;
    this.opening = true;
    try {
      await this.load();
    } catch (error) {
      if (this.disposables.isDisposed) return;
      this.phase = 'failed';
      this.messages.problem = errorMessage(error);
    }
  }

  private async load(): Promise<void> {
    const { platform, caseId } = this.options;
    const opened = await openCase({
      caseId,
      repository: this.options.repository,
      api: this.options.api,
      model: this.options.model(),
      journal: this.options.journal,
      platform,
      defaultThreshold: this.options.defaultThreshold?.() ?? 0.5,
      facts: this.facts,
      messages: this.messages,
      own: (item) => this.disposables.add(item),
      onPredicting: () => (this.phase = 'predicting'),
    });
    if (this.disposables.isDisposed) return;
    const { size, recovered } = opened;
    this.#image = opened.image;
    this.#analyser = opened.analyser;
    this.size = size;
    this.calibration.load(opened.record.pixelsPerMm ?? null, opened.settings.defaultPixelsPerMm);
    this.display.opacity = opened.settings.overlayOpacity;
    this.prediction.load(opened.grid, opened.threshold, opened.source);
    const brushSize = Math.max(4, Math.round(Math.max(size.width, size.height) / 150));
    const editor = new EditorDocument(size.width, size.height, { mask: opened.mask, brushSize, minIslandPixels: this.minIslandPixels, smoothRadius: this.smoothRadius });
    this.editor = editor;
    this.editorState = new EditorState(editor);
    const saving = this.disposables.add(
      new CaseSaving({
        caseId,
        annotator: this.options.annotator(),
        repository: this.options.repository,
        editor,
        facts: this.facts,
        messages: this.messages,
        journal: this.options.journal,
        base: opened.base,
        encodePng: platform.encodePng,
        decodeMask: async (png) => (await platform.decodeMask(png, 'mask')).data,
        onEdit: () => this.prediction.edited(),
        onFollowed: (latest) => this.prediction.followed(latest),
        ...(this.options.onSaveStateChange ? { onSaveStateChange: this.options.onSaveStateChange } : {}),
      }),
    );
    this.saving = saving;
    // Before the session's own listener below: a tool change ends the interactive run first.
    this.interactive = this.disposables.add(
      new InteractiveTool({
        editor,
        messages: this.messages,
        crop: platform.regionCropper(opened.image),
        ...interactiveService(this.options.interactiveApi),
        onMarks: (marks) => this.stage?.setInteractiveMarks(marks),
      }),
    );
    this.disposables.add(
      editor.onChange((change) => {
        // A tool key or button ends the ruler: the next click is the tool's, not a ruler end.
        if (change.kind === 'tool') this.calibration.stopRuler();
        if (change.kind === 'shortcut-sheet') this.showShortcuts = !this.showShortcuts;
        if (change.kind === 'history') this.display.maskChanged();
      }),
    );
    if (recovered) {
      const failure = recovered.error ? ` (the last save failed: ${recovered.error.replace(/\.+$/, '')})` : '';
      this.messages.notice = `Recovered your change from ${clockTime(recovered.editedAt)} that was not saved${failure}; saving it now.`;
      saving.resumeRecovered(recovered.editedAt);
    }
    this.phase = 'ready';
    saving.follow();
  }

  /**
   * The stage is on screen: the view commands join the editor's keys, the display and the ruler
   * draw on it, and the measurements start (an area shown before the stage takes input would
   * invite a stroke nothing receives). Returns the detach, which destroys the stage.
   */
  attachStage(stage: CaseStage, onReview?: (action: ReviewAction) => void): () => void {
    const editor = this.editor;
    const analyser = this.analyser;
    if (!editor || this.disposables.isDisposed) {
      stage.destroy();
      return () => {};
    }
    this.#stage = stage;
    this.onReview = onReview ?? null;
    const registered = this.viewCommands.map((command) => editor.registerCommand(command));
    this.display.stageReady();
    const measurements = analyser
      ? new CaseMeasurements({ editor, analyser, messages: this.messages, pixelsPerMm: () => this.calibration.current.pixelsPerMm })
      : null;
    this.measurements = measurements;
    measurements?.remeasure();
    let detached = false;
    const detach = (): void => {
      if (detached) return;
      detached = true;
      measurements?.dispose();
      if (this.measurements === measurements) this.measurements = null;
      for (const unregister of registered) unregister();
      if (this.#stage === stage) this.#stage = null;
      stage.destroy();
    };
    this.disposables.add(detach);
    return detach;
  }

  /** The stage measured the ruler's two points. */
  rulerMeasured(a: Point, b: Point): void {
    this.calibration.measured(a, b);
  }

  viewportChanged(viewport: Viewport): void {
    this.display.viewportChanged(viewport);
  }

  // ---- what the bars, panels and keys do -------------------------------------------------

  selectTool(id: ToolId): void {
    this.calibration.stopRuler();
    this.editor?.setTool(id);
  }

  /** Runs a declared command that edits the mask (a clean-up button, undo, redo); the ruler ends first. */
  runCommand(id: string): void {
    if (!this.editor) return;
    this.calibration.stopRuler();
    this.editor.runCommand(id);
  }

  setBrushSize(value: number): void {
    if (Number.isFinite(value)) this.editor?.setBrushSize(value);
  }

  /** The clean-up panel changed the island size or the smooth radius (the keys use them too). */
  applyCleanupSettings(): void {
    if (!this.editor) return;
    this.editor.minIslandPixels = this.minIslandPixels;
    this.editor.smoothRadius = this.smoothRadius;
  }

  setPanKeyHeld(held: boolean): void {
    this.stage?.setPanKeyHeld(held);
  }

  cancelRuler(): boolean {
    return this.calibration.cancel();
  }

  /** A key press on the window; true when the case acted on it. */
  keyDown(event: CaseKeyEvent): boolean {
    return caseKeyDown(this, event);
  }

  keyUp(event: Pick<KeyboardEvent, 'key'>): void {
    caseKeyUp(this, event);
  }

  // ---- saving, for the shell ---------------------------------------------------------------

  /** Saves any pending edit now; rejects while a save is refused and waits for the user's choice. */
  flush(): Promise<void> {
    return this.saving?.flush() ?? Promise.resolve();
  }

  /** Leaving or hiding the page: journal a pending edit and start its save at once. */
  flushNow(): void {
    this.saving?.flushNow();
  }

  /** Whether anything shown here is not saved yet. */
  get hasUnsavedChanges(): boolean {
    return this.saving?.hasUnsavedChanges ?? false;
  }

  /** Re-reads the case record (a workflow change made outside the case view: approve, flag). */
  refresh(): Promise<void> {
    return this.facts.refresh();
  }

  /** Releases the stage, the measurements, saving (it saves what is unsaved), the worker, the image and the timers. */
  dispose(): void {
    this.disposables.dispose();
  }
}
