/**
 * The Konva adapter around the editor core: it draws the image, the core's mask raster, the
 * brush cursor, the tool preview, a comparison outline and the ruler, and turns pointer and
 * wheel input into image-pixel events for the EditorDocument. It holds no mask state of its
 * own; every change goes through the document, and a frame uploads only the dirty rectangle.
 */
import Konva from 'konva';
import { MaskRaster, type EditorDocument, type EditorPointerEvent, type Point } from '../editor/index.ts';
import type { CaseStage, MaskViewMode, PreviewMask } from './session/case-stage.ts';
import { MaskSurface } from './mask-surface.ts';
import { fitViewport, panBy, screenToImage, wheelBrushSize, wheelZoomFactor, zoomAt, zoomTo, type Viewport } from './viewport.ts';

/** The interactive tools' clicks (integer image pixels) and the region they refine. */
export interface InteractiveMarksView {
  readonly clicks: readonly { readonly x: number; readonly y: number; readonly positive: boolean }[];
  readonly region: { readonly x0: number; readonly y0: number; readonly x1: number; readonly y1: number } | null;
}

/** How the current mask is shown. */
export type { MaskViewMode };

export interface EditorStageOptions {
  readonly container: HTMLDivElement;
  readonly document: EditorDocument;
  /** The decoded image, drawn at its full resolution under the mask. */
  readonly image: CanvasImageSource;
  /** Called after the viewport changes (zoom percentage in the toolbar). */
  readonly onViewportChange?: (viewport: Viewport) => void;
  /** Called with the two ruler points once the ruler tool has both. */
  readonly onRulerMeasured?: (a: Point, b: Point) => void;
  /**
   * Called for every frame drawn, with its rAF timestamp and the main-thread milliseconds it
   * cost: this frame's drawing plus the pointer handling since the previous one (benchmarks:
   * at 60 Hz a frame is on time while that stays under 16 ms).
   */
  readonly onFrame?: (time: number, workMs: number) => void;
}

const maskColor = { r: 45, g: 226, b: 200 };
const outlineColor = '#7ff5ea';
const compareColor = '#ffb454';
const predictionColor = '#c792ea';
const subtractColor = '#f07178';
const lesionClickColor = '#3ddc84';
const skinClickColor = '#ff5c5c';
/** A click's dot, in screen pixels whatever the zoom. */
const CLICK_DOT_RADIUS = 5;

export class EditorStage implements CaseStage {
  readonly stage: Konva.Stage;
  private readonly options: EditorStageOptions;
  private readonly document: EditorDocument;
  private readonly container: HTMLDivElement;
  private readonly imageLayer = new Konva.Layer({ listening: false });
  private readonly maskLayer = new Konva.Layer({ listening: false });
  private readonly overlayLayer = new Konva.Layer({ listening: false });
  private readonly surface: MaskSurface;
  private readonly outlineGroup = new Konva.Group();
  private readonly compareGroup = new Konva.Group();
  private readonly predictionGroup = new Konva.Group();
  private readonly marksGroup = new Konva.Group();
  private readonly previewLine = new Konva.Line({ points: [], strokeWidth: 1.5, strokeScaleEnabled: false, lineJoin: 'round', dash: [6, 4] });
  private readonly previewStart = new Konva.Circle({ radius: 4, strokeWidth: 1.5, strokeScaleEnabled: false, visible: false });
  private readonly brushCursor = new Konva.Circle({ radius: 10, stroke: '#ffffff', strokeWidth: 1, strokeScaleEnabled: false, visible: false, shadowColor: '#000', shadowBlur: 2, shadowOpacity: 0.8 });
  private readonly rulerLine = new Konva.Line({ points: [], stroke: '#e5c07b', strokeWidth: 2, strokeScaleEnabled: false, visible: false });
  private readonly thresholdPreview = new Konva.Image({ image: undefined, listening: false, visible: false });
  /** Reused by every preview while the slider moves. */
  private previewCanvas: HTMLCanvasElement | null = null;
  private viewport: Viewport = { scale: 1, x: 0, y: 0 };
  private viewMode: MaskViewMode = 'fill';
  private frameRequested = false;
  private panning: { pointerId: number; last: Point } | null = null;
  private painting = false;
  private panKeyHeld = false;
  private rulerActive = false;
  /** The latest primary press went to the document (not a pan or a ruler point). */
  private pressToDocument = false;
  private rulerPoints: Point[] = [];
  private pointer: Point | null = null;
  private readonly disposers: (() => void)[] = [];
  private resizeObserver: ResizeObserver;
  /**
   * The view shows the whole image and nobody zoomed or panned since: a change in the space
   * available (the history opening beside the image, a resized window) fits it again.
   */
  private fitted = false;
  /** A viewport for a real container size has been set (the first fit happened). */
  private viewportSet = false;
  /** Pointer-handling time since the last frame (for onFrame). */
  private inputMs = 0;

  constructor(options: EditorStageOptions) {
    this.options = options;
    this.document = options.document;
    this.container = options.container;
    const { width, height } = this.document.raster;
    this.stage = new Konva.Stage({ container: options.container, width: Math.max(1, options.container.clientWidth), height: Math.max(1, options.container.clientHeight) });
    this.imageLayer.add(new Konva.Image({ image: options.image, width, height }));
    this.surface = new MaskSurface(this.document.raster, maskColor);
    this.maskLayer.add(this.surface.node, this.thresholdPreview);
    this.thresholdPreview.size({ width, height });
    this.overlayLayer.add(this.outlineGroup, this.compareGroup, this.predictionGroup, this.marksGroup, this.previewLine, this.previewStart, this.rulerLine, this.brushCursor);
    this.stage.add(this.imageLayer, this.maskLayer, this.overlayLayer);
    this.setOpacity(0.45);

    this.disposers.push(
      this.document.onChange((change) => {
        if (change.kind === 'mask' || change.kind === 'preview' || change.kind === 'tool' || change.kind === 'brush-size') this.requestFrame();
        if (change.kind === 'tool') this.updateCursorStyle();
      }),
    );
    this.listen('pointerdown', (e) => this.onPointerDown(e as PointerEvent));
    this.listen('pointermove', (e) => {
      const start = performance.now();
      this.onPointerMove(e as PointerEvent);
      this.inputMs += performance.now() - start;
    });
    this.listen('pointerup', (e) => this.onPointerUp(e as PointerEvent));
    // Pointer events carry no click count (Chromium's pointerdown has detail 0); the mousedown
    // that follows each press does, counted with the platform's double-click time and distance.
    this.listen('mousedown', (e) => this.onMouseDown(e as MouseEvent));
    this.listen('pointercancel', () => this.cancelGesture());
    this.listen('lostpointercapture', () => this.cancelGesture());
    this.listen('pointerleave', () => {
      this.pointer = null;
      this.requestFrame();
    });
    this.listen('wheel', (e) => this.onWheel(e as WheelEvent), { passive: false });
    this.listen('contextmenu', (e) => e.preventDefault());
    this.listen('auxclick', (e) => e.preventDefault());
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(options.container);
    this.resize();
    this.updateCursorStyle();
  }

  // ---- view -----------------------------------------------------------------------------------

  /** The current zoom and pan. */
  get currentViewport(): Viewport {
    return this.viewport;
  }

  /** Shows the whole image. */
  fit(): void {
    const { width, height } = this.document.raster;
    this.setViewport(fitViewport(width, height, this.stage.width(), this.stage.height()));
    this.fitted = true;
  }

  /** One image pixel per screen pixel, about the view's centre. */
  actualSize(): void {
    this.setViewport(zoomTo(this.viewport, 1, { x: this.stage.width() / 2, y: this.stage.height() / 2 }));
  }

  /** Zoom in (factor > 1) or out about the view's centre. */
  zoomBy(factor: number): void {
    this.setViewport(zoomAt(this.viewport, factor, { x: this.stage.width() / 2, y: this.stage.height() / 2 }));
  }

  setViewport(viewport: Viewport): void {
    this.fitted = false;
    this.viewport = viewport;
    this.stage.scale({ x: viewport.scale, y: viewport.scale });
    this.stage.position({ x: viewport.x, y: viewport.y });
    // Crisp pixels when zoomed in (a mask is made of pixels); smooth when shrinking a large one.
    const smooth = viewport.scale < 1;
    this.imageLayer.imageSmoothingEnabled(smooth || viewport.scale < 4);
    this.maskLayer.imageSmoothingEnabled(smooth);
    this.scaleMarks();
    this.stage.batchDraw();
    this.options.onViewportChange?.(viewport);
  }

  setViewMode(mode: MaskViewMode): void {
    this.viewMode = mode;
    this.refreshOutline();
    this.requestFrame();
  }

  /** Overlay opacity, 0..1 (the mask canvas itself stays opaque, so this redraws nothing else). */
  setOpacity(opacity: number): void {
    this.surface.node.opacity(opacity);
    this.thresholdPreview.opacity(opacity);
    this.maskLayer.batchDraw();
  }

  /** Holds space: the primary button pans instead of painting. */
  setPanKeyHeld(held: boolean): void {
    this.panKeyHeld = held;
    this.updateCursorStyle();
  }

  /** Outline polygons of another version (image px), drawn in a second colour; null hides it. */
  setCompareOutline(loops: readonly (readonly Point[])[] | null): void {
    this.compareGroup.destroyChildren();
    for (const loop of loops ?? []) {
      this.compareGroup.add(new Konva.Line({ points: flatten(loop), closed: true, stroke: compareColor, strokeWidth: 1.5, strokeScaleEnabled: false, dash: [8, 4] }));
    }
    this.overlayLayer.batchDraw();
  }

  /** The prediction at the slider's threshold, as an outline over someone's mask (image px); null hides it. */
  setPredictionOutline(loops: readonly (readonly Point[])[] | null): void {
    this.predictionGroup.destroyChildren();
    for (const loop of loops ?? []) {
      this.predictionGroup.add(new Konva.Line({ points: flatten(loop), closed: true, stroke: predictionColor, strokeWidth: 1.5, strokeScaleEnabled: false, dash: [3, 3] }));
    }
    this.overlayLayer.batchDraw();
  }

  /** Outline of the current mask; the caller recomputes it (debounced) after changes. */
  setMaskOutline(loops: readonly (readonly Point[])[]): void {
    this.outlineGroup.destroyChildren();
    for (const loop of loops) {
      this.outlineGroup.add(new Konva.Line({ points: flatten(loop), closed: true, stroke: outlineColor, strokeWidth: 1.5, strokeScaleEnabled: false }));
    }
    this.refreshOutline();
    this.overlayLayer.batchDraw();
  }

  /** The Box and Click tools' dots (green lesion, red skin) and the dashed region they refine; empty hides them. */
  setInteractiveMarks(marks: InteractiveMarksView): void {
    this.marksGroup.destroyChildren();
    const { region } = marks;
    if (region) {
      this.marksGroup.add(
        new Konva.Rect({ x: region.x0, y: region.y0, width: region.x1 - region.x0, height: region.y1 - region.y0, stroke: '#ffffff', strokeWidth: 1.5, strokeScaleEnabled: false, dash: [6, 4], opacity: 0.8 }),
      );
    }
    for (const click of marks.clicks) {
      this.marksGroup.add(
        new Konva.Circle({ x: click.x + 0.5, y: click.y + 0.5, radius: CLICK_DOT_RADIUS, fill: click.positive ? lesionClickColor : skinClickColor, stroke: '#0d0f12', strokeWidth: 1.5, strokeScaleEnabled: false }),
      );
    }
    this.scaleMarks();
    this.overlayLayer.batchDraw();
  }

  /** While the threshold slider moves: a display-resolution mask drawn in place of the full one; null ends it. */
  showThresholdPreview(mask: PreviewMask | null): void {
    if (!mask) {
      this.setThresholdPreview(null);
      return;
    }
    this.previewCanvas ??= document.createElement('canvas');
    const canvas = this.previewCanvas;
    canvas.width = mask.width;
    canvas.height = mask.height;
    const rgba = new MaskRaster(mask.width, mask.height, mask.data).overlayRgba({ x: 0, y: 0, width: mask.width, height: mask.height }, { r: 45, g: 226, b: 200 }, 1);
    canvas.getContext('2d')?.putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, mask.width, mask.height), 0, 0);
    this.setThresholdPreview(canvas);
  }

  private setThresholdPreview(canvas: HTMLCanvasElement | null): void {
    this.thresholdPreview.image(canvas ?? undefined);
    this.thresholdPreview.visible(canvas !== null);
    this.surface.node.visible(canvas === null && this.viewMode !== 'outline');
    this.outlineGroup.visible(canvas === null && this.viewMode !== 'fill');
    this.stage.batchDraw();
  }

  /** Two-point ruler: the next two clicks on the image are its ends. */
  startRuler(): void {
    this.document.cancel();
    this.rulerActive = true;
    this.rulerPoints = [];
    this.rulerLine.visible(false);
    this.updateCursorStyle();
    this.overlayLayer.batchDraw();
  }

  /** Ends the ruler (after a measurement or on Escape). */
  stopRuler(): void {
    this.rulerActive = false;
    this.rulerPoints = [];
    this.rulerLine.visible(false);
    this.updateCursorStyle();
    this.overlayLayer.batchDraw();
  }

  get rulerInProgress(): boolean {
    return this.rulerActive;
  }

  /** Redraws the mask now (after a load that bypassed the document's events). */
  redrawMask(): void {
    this.surface.upload(this.document.raster.bounds);
    this.document.raster.takeDirty();
    this.requestFrame();
  }

  destroy(): void {
    for (const dispose of this.disposers) dispose();
    this.resizeObserver.disconnect();
    this.surface.destroy();
    this.stage.destroy();
  }

  // ---- input ----------------------------------------------------------------------------------

  private listen(type: string, handler: (event: Event) => void, options?: AddEventListenerOptions): void {
    this.container.addEventListener(type, handler, options);
    this.disposers.push(() => this.container.removeEventListener(type, handler, options));
  }

  private localPoint(event: MouseEvent): Point {
    const box = this.container.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  }

  private toEditorEvent(event: MouseEvent, screen: Point): EditorPointerEvent {
    const p = screenToImage(this.viewport, screen);
    return {
      x: p.x,
      y: p.y,
      button: event.button < 0 ? 0 : event.button,
      altKey: event.altKey,
      shiftKey: event.shiftKey,
      ctrlKey: event.ctrlKey,
      metaKey: event.metaKey,
      hitRadius: 6 / this.viewport.scale,
    };
  }

  private onPointerDown(event: PointerEvent): void {
    this.container.focus({ preventScroll: true });
    const screen = this.localPoint(event);
    this.pressToDocument = false;
    if (event.button === 1 || (event.button === 0 && this.panKeyHeld)) {
      event.preventDefault();
      this.panning = { pointerId: event.pointerId, last: screen };
      this.container.setPointerCapture(event.pointerId);
      this.updateCursorStyle();
      return;
    }
    // The right button marks skin for the Click and Box tools; other tools take the primary only.
    const secondary = event.button === 2 && (this.document.activeToolId === 'click' || this.document.activeToolId === 'box');
    if (event.button !== 0 && !secondary) return;
    if (this.rulerActive) {
      if (secondary) return;
      this.addRulerPoint(screenToImage(this.viewport, screen));
      return;
    }
    this.container.setPointerCapture(event.pointerId);
    this.painting = true;
    this.pressToDocument = true;
    this.document.pointerDown(this.toEditorEvent(event, screen));
    this.requestFrame();
  }

  /** Runs right after the pointerdown of the same press; only its click count is new. */
  private onMouseDown(event: MouseEvent): void {
    if (event.button !== 0 || event.detail < 2 || !this.pressToDocument) return;
    this.document.doubleClick(this.toEditorEvent(event, this.localPoint(event)));
    this.requestFrame();
  }

  private onPointerMove(event: PointerEvent): void {
    const screen = this.localPoint(event);
    this.pointer = screenToImage(this.viewport, screen);
    if (this.panning && event.pointerId === this.panning.pointerId) {
      this.setViewport(panBy(this.viewport, screen.x - this.panning.last.x, screen.y - this.panning.last.y));
      this.panning = { pointerId: event.pointerId, last: screen };
      return;
    }
    if (this.rulerActive && this.rulerPoints.length === 1) {
      this.rulerLine.points([...flatten(this.rulerPoints), this.pointer.x, this.pointer.y]);
      this.rulerLine.visible(true);
    }
    // Coalesced samples keep a fast stroke round: the browser may deliver one event per frame.
    const samples = this.painting && typeof event.getCoalescedEvents === 'function' ? event.getCoalescedEvents() : [];
    if (samples.length > 1) {
      for (const sample of samples) this.document.pointerMove(this.toEditorEvent(sample, this.localPoint(sample)));
    } else {
      this.document.pointerMove(this.toEditorEvent(event, screen));
    }
    this.requestFrame();
  }

  private onPointerUp(event: PointerEvent): void {
    if (this.panning && event.pointerId === this.panning.pointerId) {
      this.panning = null;
      this.updateCursorStyle();
      return;
    }
    if (!this.painting) return;
    this.painting = false;
    this.document.pointerUp(this.toEditorEvent(event, this.localPoint(event)));
    this.requestFrame();
  }

  private cancelGesture(): void {
    this.panning = null;
    if (this.painting) {
      this.painting = false;
      // A lost capture mid-stroke keeps what was painted (a stroke is committed on release,
      // but releasing outside the window still ends the gesture the user meant to make).
      const tool = this.document.activeTool;
      if (tool.id === 'brush' || tool.id === 'eraser') {
        if (tool.state !== 'idle' && this.pointer) {
          this.document.pointerUp({ x: this.pointer.x, y: this.pointer.y, button: 0, altKey: false, shiftKey: false, ctrlKey: false, metaKey: false });
        }
      }
    }
    this.requestFrame();
  }

  private onWheel(event: WheelEvent): void {
    event.preventDefault();
    if (event.shiftKey) {
      // Shift turns a vertical wheel into a horizontal one on some platforms.
      const delta = event.deltaY !== 0 ? event.deltaY : event.deltaX;
      this.document.setBrushSize(wheelBrushSize(this.document.brushSize, delta));
      return;
    }
    this.setViewport(zoomAt(this.viewport, wheelZoomFactor(event.deltaY, event.deltaMode), this.localPoint(event)));
    this.requestFrame();
  }

  private addRulerPoint(point: Point): void {
    this.rulerPoints.push(point);
    this.rulerLine.points(flatten(this.rulerPoints));
    this.rulerLine.visible(true);
    this.overlayLayer.batchDraw();
    if (this.rulerPoints.length === 2) {
      const [a, b] = this.rulerPoints as [Point, Point];
      this.rulerActive = false;
      this.updateCursorStyle();
      this.options.onRulerMeasured?.(a, b);
    }
  }

  private updateCursorStyle(): void {
    const tool = this.document.activeToolId;
    const brushLike = tool === 'brush' || tool === 'eraser';
    this.container.style.cursor = this.panning ? 'grabbing' : this.panKeyHeld ? 'grab' : this.rulerActive ? 'crosshair' : brushLike ? 'none' : 'crosshair';
    this.requestFrame();
  }

  /** Keeps the dots a fixed size on screen at any zoom. */
  private scaleMarks(): void {
    for (const node of this.marksGroup.getChildren()) {
      if (node instanceof Konva.Circle) node.radius(CLICK_DOT_RADIUS / this.viewport.scale);
    }
  }

  private refreshOutline(): void {
    const previewing = this.thresholdPreview.visible();
    this.surface.node.visible(!previewing && (this.viewMode !== 'outline' || this.document.activeTool.state !== 'idle'));
    this.outlineGroup.visible(!previewing && this.viewMode !== 'fill');
  }

  // ---- drawing --------------------------------------------------------------------------------

  private requestFrame(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame((time) => this.drawFrame(time));
  }

  private resize(): void {
    const width = Math.max(1, this.container.clientWidth);
    const height = Math.max(1, this.container.clientHeight);
    if (width === this.stage.width() && height === this.stage.height() && this.viewportSet) return;
    this.stage.size({ width, height });
    // The first real size, or the whole image on view before: fit it to the new space. A view
    // someone zoomed or panned stays as they left it.
    if (this.container.clientWidth > 0 && (!this.viewportSet || this.fitted)) {
      this.viewportSet = true;
      this.fit();
    } else {
      this.stage.batchDraw();
    }
  }

  private drawFrame(time: number): void {
    const start = performance.now();
    this.frameRequested = false;
    const uploaded = this.surface.sync();
    this.refreshOutline();
    // In outline view the fill shows only while a gesture is under way.
    if (uploaded || this.viewMode === 'outline') this.maskLayer.draw();
    this.updateOverlay();
    this.overlayLayer.draw();
    if (this.options.onFrame) {
      this.options.onFrame(time, performance.now() - start + this.inputMs);
      this.inputMs = 0;
    }
  }

  private updateOverlay(): void {
    const tool = this.document.activeTool;
    const brushLike = tool.id === 'brush' || tool.id === 'eraser';
    const showBrush = brushLike && this.pointer !== null && !this.panKeyHeld && !this.panning && !this.rulerActive;
    this.brushCursor.visible(showBrush);
    if (showBrush && this.pointer) {
      this.brushCursor.position(this.pointer);
      this.brushCursor.radius(this.document.brushSize / 2);
      this.brushCursor.stroke(tool.id === 'eraser' ? subtractColor : '#ffffff');
    }
    const preview = tool.preview();
    if (preview && preview.points.length > 0) {
      const points = flatten(preview.points);
      if (preview.hover && !preview.closed) points.push(preview.hover.x, preview.hover.y);
      const color = preview.subtract ? subtractColor : '#ffffff';
      this.previewLine.points(points);
      this.previewLine.stroke(color);
      this.previewLine.closed(preview.closed);
      this.previewLine.visible(true);
      this.previewStart.position(preview.points[0]!);
      this.previewStart.radius(4 / this.viewport.scale);
      this.previewStart.stroke(color);
      this.previewStart.visible(tool.id === 'polygon');
    } else {
      this.previewLine.visible(false);
      this.previewStart.visible(false);
    }
  }
}

function flatten(points: readonly Point[]): number[] {
  const out: number[] = new Array(points.length * 2);
  for (let i = 0; i < points.length; i++) {
    out[2 * i] = points[i]!.x;
    out[2 * i + 1] = points[i]!.y;
  }
  return out;
}
