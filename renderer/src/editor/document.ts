/**
 * EditorDocument ties the mask, its history, the tools, the brush size and the commands
 * together, and is the one entry point for every change: tools, commands and the UI's buttons
 * all go through it, so every change is recorded and announced the same way.
 */
import { clearMask, fillHoles, invertMask, keepLargestRegion, removeIslands } from './cleanup.js';
import { editorCommands, findCommand, type CommandContext, type EditorCommand } from './commands.js';
import type { Rect } from './geometry.js';
import { MaskHistory, type HistoryEvent } from './history.js';
import { MaskRaster } from './mask-raster.js';
import { measureMask, type MeasureOptions, type MaskMeasurements } from './measurements.js';
import { growByOnePixel, shrinkByOnePixel, smoothMask } from './morphology.js';
import { BoxTool } from './tools/box-tool.js';
import { BrushTool } from './tools/brush-tool.js';
import { ClickTool } from './tools/click-tool.js';
import { FloodFillTool } from './tools/flood-fill-tool.js';
import { LassoTool } from './tools/lasso-tool.js';
import { PolygonTool } from './tools/polygon-tool.js';
import type { EditorKeyEvent, EditorPointerEvent, EditorTool, InteractiveInput, ToolContext, ToolId } from './tools/tool.js';

export const MIN_BRUSH_SIZE = 1;
export const MAX_BRUSH_SIZE = 1000;

export type EditorChange =
  /** Pixels inside `rect` changed (the renderer may also poll raster.takeDirty()). */
  | { readonly kind: 'mask'; readonly rect: Rect }
  /** A commit, undo, redo, cancel or reset: autosave and the undo/redo buttons listen here. */
  | { readonly kind: 'history'; readonly event: HistoryEvent }
  | { readonly kind: 'tool'; readonly toolId: ToolId }
  | { readonly kind: 'brush-size'; readonly size: number }
  /** The active tool's preview (open polygon, lasso path) changed. */
  | { readonly kind: 'preview' }
  | { readonly kind: 'shortcut-sheet' }
  /** The Box or Click tool finished a gesture: the interactive model's runner takes it from here. */
  | { readonly kind: 'interactive'; readonly input: InteractiveInput }
  /** An edit was refused because the document is read-only (an approved case). */
  | { readonly kind: 'read-only' }
  /** The tool's unfinished work ended (committed, cancelled, or a press that changed nothing). */
  | { readonly kind: 'gesture-end' };

export interface EditorDocumentOptions {
  /** Initial brush diameter in image pixels (default 20). */
  readonly brushSize?: number;
  /** Regions smaller than this are islands for removeIslands() (default 100 pixels). */
  readonly minIslandPixels?: number;
  /** Disc radius smooth() uses (default 3 pixels). */
  readonly smoothRadius?: number;
  /** Initial mask, 0/1 bytes (default empty). */
  readonly mask?: Uint8Array;
}

/** The next brush size one [ or ] press away: steps of one pixel when small, about 15% when large. */
export function nextBrushSize(size: number, direction: 1 | -1): number {
  const next = direction > 0 ? Math.max(size + 1, Math.round(size * 1.15)) : Math.min(size - 1, Math.round(size / 1.15));
  return Math.min(MAX_BRUSH_SIZE, Math.max(MIN_BRUSH_SIZE, next));
}

export class EditorDocument implements ToolContext {
  readonly raster: MaskRaster;
  readonly history: MaskHistory;
  readonly tools: Readonly<Record<ToolId, EditorTool>>;
  minIslandPixels: number;
  smoothRadius: number;
  private size: number;
  private activeId: ToolId = 'brush';
  private readonly commandList: EditorCommand[] = [...editorCommands];
  private readonly listeners = new Set<(change: EditorChange) => void>();
  private locked = false;
  /** Read-only was asked for during a gesture: it applies when the gesture ends. */
  private lockWhenIdle = false;
  /** A tool input that continues a gesture in progress is running. */
  private finishingGesture = false;

  constructor(width: number, height: number, options: EditorDocumentOptions = {}) {
    this.raster = new MaskRaster(width, height, options.mask);
    this.history = new MaskHistory(this.raster);
    this.size = Math.min(MAX_BRUSH_SIZE, Math.max(MIN_BRUSH_SIZE, Math.round(options.brushSize ?? 20)));
    this.minIslandPixels = options.minIslandPixels ?? 100;
    this.smoothRadius = options.smoothRadius ?? 3;
    this.tools = {
      brush: new BrushTool(this),
      eraser: new BrushTool(this, true),
      polygon: new PolygonTool(this),
      lasso: new LassoTool(this),
      'flood-fill': new FloodFillTool(this),
      box: new BoxTool(this),
      click: new ClickTool(this),
    };
    this.history.onChange((event) => this.emit({ kind: 'history', event }));
    this.tools[this.activeId].onEnter();
  }

  /** A document for a stored mask (8-bit grayscale, >= threshold is lesion). */
  static fromGrayscale(width: number, height: number, gray: ArrayLike<number>, threshold = 128, options: EditorDocumentOptions = {}): EditorDocument {
    const document = new EditorDocument(width, height, options);
    document.loadGrayscale(gray, threshold);
    return document;
  }

  /** Calls `listener` on every change; returns the unsubscribe function. */
  onChange(listener: (change: EditorChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- tools and brush ------------------------------------------------------------------------

  get activeToolId(): ToolId {
    return this.activeId;
  }

  get activeTool(): EditorTool {
    return this.tools[this.activeId];
  }

  /** Switches tools; the old tool's unfinished gesture is cancelled. */
  setTool(id: ToolId): void {
    // Choosing the active tool again is still a choice: the view ends modes such as the ruler.
    if (id === this.activeId) {
      this.emit({ kind: 'tool', toolId: id });
      return;
    }
    this.activeTool.onExit();
    this.activeId = id;
    this.activeTool.onEnter();
    this.emit({ kind: 'tool', toolId: id });
  }

  /** Brush diameter in image pixels. */
  get brushSize(): number {
    return this.size;
  }

  /** Sets the brush diameter (clamped, rounded), e.g. from shift+wheel or a slider. */
  setBrushSize(size: number): void {
    const next = Math.min(MAX_BRUSH_SIZE, Math.max(MIN_BRUSH_SIZE, Math.round(size)));
    if (!Number.isFinite(next) || next === this.size) return;
    this.size = next;
    this.emit({ kind: 'brush-size', size: next });
  }

  /** One [ (-1) or ] (+1) step. */
  stepBrushSize(direction: 1 | -1): void {
    this.setBrushSize(nextBrushSize(this.size, direction));
  }

  // ---- read-only ------------------------------------------------------------------------------

  /**
   * A read-only document (an approved case) keeps its view commands (zoom, the shortcut sheet)
   * but refuses every change to the mask: tools do not start, operations, undo and redo do
   * nothing, and each refusal is reported once per attempt as a `read-only` change.
   */
  get readOnly(): boolean {
    return this.locked || this.lockWhenIdle;
  }

  /**
   * Locks or unlocks the mask. A gesture in progress (a stroke, an open polygon) is finished,
   * not thrown away: the lock applies when it ends ('gesture-end'), and what it drew is the
   * view's to keep or decide about (the case was approved elsewhere meanwhile). Nothing new
   * starts in between.
   */
  setReadOnly(readOnly: boolean): void {
    if (!readOnly) {
      this.locked = false;
      this.lockWhenIdle = false;
      return;
    }
    if (this.locked) return;
    if (this.gestureInProgress) this.lockWhenIdle = true;
    else this.locked = true;
  }

  private refused(): boolean {
    // While the lock waits, only the gesture in progress may still change the mask (a polygon
    // or lasso is filled as it closes).
    const refused = this.locked || (this.lockWhenIdle && !this.finishingGesture);
    if (refused) this.emit({ kind: 'read-only' });
    return refused;
  }

  // ---- input ----------------------------------------------------------------------------------

  pointerDown(event: EditorPointerEvent): void {
    // A press inside a gesture in progress (the next polygon point) belongs to that gesture.
    if (!this.gestureInProgress && this.refused()) return;
    this.endingGesture(() => this.activeTool.onPointerDown(event));
  }

  /** The last press was the second of a double-click (see EditorTool.onDoubleClick). */
  doubleClick(event: EditorPointerEvent): void {
    if (this.locked) return;
    this.endingGesture(() => this.activeTool.onDoubleClick?.(event));
  }

  pointerMove(event: EditorPointerEvent): void {
    this.activeTool.onPointerMove(event);
  }

  pointerUp(event: EditorPointerEvent): void {
    this.endingGesture(() => this.activeTool.onPointerUp(event));
  }

  /**
   * True while the active tool holds unfinished work: a stroke being drawn, polygon or lasso
   * points not yet closed. Loading another mask now (following a version saved elsewhere) would
   * throw that work away, so the case view waits for it to end.
   */
  get gestureInProgress(): boolean {
    return this.activeTool.state !== 'idle' || this.history.inTransaction;
  }

  /** Runs a tool input and announces 'gesture-end' when it ended the tool's unfinished work. */
  private endingGesture<T>(input: () => T): T {
    const before = this.gestureInProgress;
    this.finishingGesture = before;
    let result: T;
    try {
      result = input();
    } finally {
      this.finishingGesture = false;
    }
    if (before && !this.gestureInProgress) {
      if (this.lockWhenIdle) {
        this.lockWhenIdle = false;
        this.locked = true;
      }
      this.emit({ kind: 'gesture-end' });
    }
    return result;
  }

  /** Abandons the active gesture (pointer capture lost, window blur). */
  cancel(): void {
    this.endingGesture(() => this.activeTool.onCancel());
  }

  /** Routes a key press: the active tool first (Enter, Escape, Backspace), then the commands. Returns true if handled. */
  keyDown(event: EditorKeyEvent): boolean {
    if (this.endingGesture(() => this.activeTool.onKeyDown(event))) return true;
    const command = findCommand(this.commandList, event);
    if (!command) return false;
    command.run(this.commandContext());
    return true;
  }

  /** The commands the keyboard reaches, built-in first. */
  get commands(): readonly EditorCommand[] {
    return this.commandList;
  }

  /** Adds a UI command (zoom to fit, 1:1) so it shares the key handler and the shortcut sheet. */
  registerCommand(command: EditorCommand): () => void {
    this.commandList.push(command);
    return () => {
      const index = this.commandList.indexOf(command);
      if (index >= 0) this.commandList.splice(index, 1);
    };
  }

  /** Runs a command by id (toolbar buttons); returns false when there is no such command. */
  runCommand(id: string): boolean {
    const command = this.commandList.find((c) => c.id === id);
    if (!command) return false;
    command.run(this.commandContext());
    return true;
  }

  // ---- changes (ToolContext) ------------------------------------------------------------------

  beginGesture(label: string): void {
    if (this.locked) throw new Error('The mask is read-only.');
    this.history.begin(label);
  }

  mutate(change: (raster: MaskRaster) => Rect | null): Rect | null {
    if (!this.history.inTransaction) throw new Error('mutate() needs an open gesture or operation.');
    const rect = change(this.raster);
    if (rect) this.emit({ kind: 'mask', rect });
    return rect;
  }

  commitGesture(): void {
    this.history.commit();
  }

  cancelGesture(): void {
    const rect = this.history.cancel();
    if (rect) this.emit({ kind: 'mask', rect });
  }

  /** Applies a one-shot change as its own undo step (an in-progress gesture is cancelled first). */
  applyOperation(label: string, change: (raster: MaskRaster) => Rect | null): Rect | null {
    if (this.refused()) return null;
    if (this.history.inTransaction) this.activeTool.onCancel();
    if (this.history.inTransaction) this.history.cancel();
    this.history.begin(label);
    let rect: Rect | null;
    try {
      rect = this.mutate(change);
    } catch (error) {
      this.cancelGesture();
      throw error;
    }
    this.history.commit();
    return rect;
  }

  previewChanged(): void {
    this.emit({ kind: 'preview' });
  }

  requestInteractive(input: InteractiveInput): void {
    // The gesture began on an unlocked mask (pointerDown refuses otherwise); a lock that came
    // meanwhile still wins, as for an operation.
    if (input.kind !== 'clear' && this.refused()) return;
    this.emit({ kind: 'interactive', input });
  }

  // ---- operations -----------------------------------------------------------------------------

  undo(): Rect | null {
    if (this.refused()) return null;
    this.activeTool.onCancel();
    const rect = this.history.undo();
    if (rect) this.emit({ kind: 'mask', rect });
    return rect;
  }

  redo(): Rect | null {
    if (this.refused()) return null;
    this.activeTool.onCancel();
    const rect = this.history.redo();
    if (rect) this.emit({ kind: 'mask', rect });
    return rect;
  }

  fillHoles(): Rect | null {
    return this.applyOperation('Fill holes', fillHoles);
  }

  keepLargestRegion(): Rect | null {
    return this.applyOperation('Keep largest region', keepLargestRegion);
  }

  /** Removes regions under `minPixels` (default: the document's minIslandPixels). */
  removeIslands(minPixels = this.minIslandPixels): Rect | null {
    return this.applyOperation(`Remove islands under ${minPixels} px`, (raster) => removeIslands(raster, minPixels));
  }

  /** Opening then closing with a disc of `radius` (default: the document's smoothRadius). */
  smooth(radius = this.smoothRadius): Rect | null {
    return this.applyOperation(`Smooth (radius ${radius})`, (raster) => smoothMask(raster, radius));
  }

  grow(): Rect | null {
    return this.applyOperation('Grow by one pixel', growByOnePixel);
  }

  shrink(): Rect | null {
    return this.applyOperation('Shrink by one pixel', shrinkByOnePixel);
  }

  clear(): Rect | null {
    return this.applyOperation('Clear', clearMask);
  }

  invert(): Rect | null {
    return this.applyOperation('Invert', invertMask);
  }

  /** Replaces the mask with a stored version as one undo step ("Restore version 3"). */
  replaceWithGrayscale(label: string, gray: ArrayLike<number>, threshold = 128): Rect | null {
    return this.applyOperation(label, (raster) => raster.readGrayscale(gray, threshold));
  }

  /** Loads a mask without recording it and forgets all history (opening a case). */
  loadGrayscale(gray: ArrayLike<number>, threshold = 128): void {
    this.activeTool.onCancel();
    if (this.history.inTransaction) this.history.cancel();
    const rect = this.raster.readGrayscale(gray, threshold);
    this.history.reset();
    if (rect) this.emit({ kind: 'mask', rect });
  }

  /** Measurements of the current mask (see measurements.ts). */
  measure(options: MeasureOptions = {}): MaskMeasurements {
    return measureMask(this.raster, options);
  }

  /** Memory held by the mask and its history, in bytes. */
  get byteSize(): number {
    return this.raster.byteSize + this.history.byteSize;
  }

  private commandContext(): CommandContext {
    return { document: this, showShortcutSheet: () => this.emit({ kind: 'shortcut-sheet' }) };
  }

  private emit(change: EditorChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
