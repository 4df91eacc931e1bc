/**
 * Polygon: each click adds a vertex; a double-click, Enter, or a click on the first vertex
 * closes and fills it. Alt on any click subtracts instead of adding. Backspace drops the last
 * vertex, Escape abandons the polygon. The mask only changes on close, as one undo step.
 *
 * A double-click arrives as two presses and then onDoubleClick (the count is only known after
 * the second press), so the tool remembers what that second press did and takes it back: the
 * double-clicked point is a vertex once, never twice, and never the start of a new polygon.
 */
import type { Point } from '../geometry.js';
import { fillPolygon } from '../paint.js';
import type { EditorKeyEvent, EditorPointerEvent, EditorTool, ToolContext, ToolPreview, ToolState } from './tool.js';

const DEFAULT_HIT_RADIUS_PX = 6;

/** What the latest press did, for a double-click to undo. */
type PressEffect = 'started' | 'added' | 'closed';

export class PolygonTool implements EditorTool {
  readonly id = 'polygon' as const;
  state: ToolState = 'idle';
  private readonly context: ToolContext;
  private points: Point[] = [];
  private hover: Point | null = null;
  private subtract = false;
  private lastPress: PressEffect | null = null;

  constructor(context: ToolContext) {
    this.context = context;
  }

  /** The vertices placed so far. */
  get vertices(): readonly Point[] {
    return this.points;
  }

  onEnter(): void {
    this.reset();
  }

  onExit(): void {
    this.onCancel();
  }

  onPointerDown(event: EditorPointerEvent): void {
    if (event.button !== 0) return;
    const point = { x: event.x, y: event.y };
    this.subtract ||= event.altKey;
    if (this.state === 'idle') {
      this.points = [point];
      this.state = 'drawing';
      this.lastPress = 'started';
      this.context.previewChanged();
      return;
    }
    const first = this.points[0]!;
    const hitRadius = event.hitRadius ?? DEFAULT_HIT_RADIUS_PX;
    const onFirst = Math.hypot(point.x - first.x, point.y - first.y) <= hitRadius;
    if (onFirst && this.points.length >= 3) {
      this.close();
      this.lastPress = 'closed';
      return;
    }
    this.points.push(point);
    this.lastPress = 'added';
    this.context.previewChanged();
  }

  onDoubleClick(_event: EditorPointerEvent): void {
    const effect = this.lastPress;
    this.lastPress = null;
    if (effect === 'added') {
      // The first press of the double-click placed this point already: drop the copy, then close.
      this.points.pop();
      this.close();
    } else if (effect === 'started') {
      // The first press closed the polygon (on its first vertex): the second must not open another.
      this.onCancel();
    }
  }

  onPointerMove(event: EditorPointerEvent): void {
    if (this.state !== 'drawing') return;
    this.hover = { x: event.x, y: event.y };
    this.context.previewChanged();
  }

  onPointerUp(_event: EditorPointerEvent): void {
    // Vertices are placed on press; release carries no meaning for a polygon.
  }

  onKeyDown(event: EditorKeyEvent): boolean {
    if (this.state !== 'drawing') return false;
    if (event.key === 'Enter') {
      this.close();
      return true;
    }
    if (event.key === 'Escape') {
      this.onCancel();
      return true;
    }
    if (event.key === 'Backspace') {
      this.points.pop();
      if (this.points.length === 0) this.reset();
      this.context.previewChanged();
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
    if (this.state === 'idle') return null;
    return { points: this.points, hover: this.hover, closed: false, subtract: this.subtract };
  }

  /** Fills the polygon if it has an area (three vertices or more), then returns to idle. */
  private close(): void {
    const points = this.points;
    const subtract = this.subtract;
    this.reset();
    if (points.length >= 3) {
      this.context.applyOperation(subtract ? 'Polygon subtract' : 'Polygon add', (raster) => fillPolygon(raster, points, subtract ? 0 : 1));
    }
    this.context.previewChanged();
  }

  private reset(): void {
    this.state = 'idle';
    this.lastPress = null;
    this.points = [];
    this.hover = null;
    this.subtract = false;
  }
}
