/**
 * Brush and eraser: a press stamps a round dab, every move stamps the capsule from the previous
 * sample, so a fast stroke stays continuous. Press to release is one gesture, one undo step.
 */
import type { Point } from '../geometry.js';
import { stampSegment } from '../paint.js';
import type { EditorKeyEvent, EditorPointerEvent, EditorTool, ToolContext, ToolPreview, ToolState } from './tool.js';

export class BrushTool implements EditorTool {
  readonly id: 'brush' | 'eraser';
  state: ToolState = 'idle';
  private readonly context: ToolContext;
  private readonly value: 0 | 1;
  private last: Point | null = null;

  /** `erase` makes this the eraser: it writes background instead of lesion. */
  constructor(context: ToolContext, erase = false) {
    this.context = context;
    this.id = erase ? 'eraser' : 'brush';
    this.value = erase ? 0 : 1;
  }

  onEnter(): void {
    this.state = 'idle';
  }

  onExit(): void {
    this.onCancel();
  }

  onPointerDown(event: EditorPointerEvent): void {
    if (event.button !== 0 || this.state !== 'idle') return;
    this.context.beginGesture(this.value ? 'Brush stroke' : 'Eraser stroke');
    this.state = 'drawing';
    this.last = { x: event.x, y: event.y };
    this.stampTo(this.last);
  }

  onPointerMove(event: EditorPointerEvent): void {
    if (this.state !== 'drawing') return;
    this.stampTo({ x: event.x, y: event.y });
  }

  onPointerUp(event: EditorPointerEvent): void {
    if (this.state !== 'drawing') return;
    this.stampTo({ x: event.x, y: event.y });
    this.context.commitGesture();
    this.state = 'idle';
    this.last = null;
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
    this.context.cancelGesture();
    this.state = 'idle';
    this.last = null;
  }

  preview(): ToolPreview | null {
    return null;
  }

  private stampTo(point: Point): void {
    const from = this.last ?? point;
    const radius = this.context.brushSize / 2;
    this.context.mutate((raster) => stampSegment(raster, from, point, radius, this.value));
    this.last = point;
  }
}
