/**
 * Lasso: press and drag a freehand outline; release fills it (nonzero, so loops stay filled).
 * Alt at press or release subtracts. A press without a drag does nothing; Escape abandons.
 */
import type { Point } from '../geometry.js';
import { fillPolygon } from '../paint.js';
import { DRAG_THRESHOLD_PX, type EditorKeyEvent, type EditorPointerEvent, type EditorTool, type ToolContext, type ToolPreview, type ToolState } from './tool.js';

// Samples closer than this add nothing to the outline but cost time in the scanline fill.
const MIN_POINT_SPACING_PX = 1;

export class LassoTool implements EditorTool {
  readonly id = 'lasso' as const;
  state: ToolState = 'idle';
  private readonly context: ToolContext;
  private points: Point[] = [];
  private subtract = false;

  constructor(context: ToolContext) {
    this.context = context;
  }

  onEnter(): void {
    this.reset();
  }

  onExit(): void {
    this.onCancel();
  }

  onPointerDown(event: EditorPointerEvent): void {
    if (event.button !== 0 || this.state !== 'idle') return;
    this.points = [{ x: event.x, y: event.y }];
    this.subtract = event.altKey;
    this.state = 'pointing';
  }

  onPointerMove(event: EditorPointerEvent): void {
    if (this.state === 'idle') return;
    const last = this.points[this.points.length - 1]!;
    const distance = Math.hypot(event.x - last.x, event.y - last.y);
    if (this.state === 'pointing') {
      if (distance < DRAG_THRESHOLD_PX) return;
      this.state = 'drawing';
    } else if (distance < MIN_POINT_SPACING_PX) {
      return;
    }
    this.points.push({ x: event.x, y: event.y });
    this.context.previewChanged();
  }

  onPointerUp(event: EditorPointerEvent): void {
    if (this.state === 'idle') return;
    const wasDrawing = this.state === 'drawing';
    if (wasDrawing) this.points.push({ x: event.x, y: event.y });
    const points = this.points;
    const subtract = this.subtract || event.altKey;
    this.reset();
    if (wasDrawing && points.length >= 3) {
      this.context.applyOperation(subtract ? 'Lasso subtract' : 'Lasso add', (raster) => fillPolygon(raster, points, subtract ? 0 : 1));
    }
    this.context.previewChanged();
  }

  onKeyDown(event: EditorKeyEvent): boolean {
    if (event.key === 'Escape' && this.state !== 'idle') {
      this.onCancel();
      return true;
    }
    return false;
  }

  onCancel(): void {
    if (this.state === 'idle') return;
    this.reset();
    this.context.previewChanged();
  }

  preview(): ToolPreview | null {
    if (this.state !== 'drawing') return null;
    return { points: this.points, hover: null, closed: true, subtract: this.subtract };
  }

  private reset(): void {
    this.state = 'idle';
    this.points = [];
    this.subtract = false;
  }
}
