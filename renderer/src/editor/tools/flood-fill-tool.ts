/**
 * Flood fill (paint bucket): a click fills the 4-connected background area under the pointer;
 * Alt-click erases the lesion part under it. Acts on release, so a press dragged away further
 * than a click would go, or cancelled with Escape, changes nothing.
 */
import { floodFill } from '../cleanup.js';
import type { Point } from '../geometry.js';
import { DRAG_THRESHOLD_PX, type EditorKeyEvent, type EditorPointerEvent, type EditorTool, type ToolContext, type ToolPreview, type ToolState } from './tool.js';

export class FloodFillTool implements EditorTool {
  readonly id = 'flood-fill' as const;
  state: ToolState = 'idle';
  private readonly context: ToolContext;
  private pressedAt: Point | null = null;

  constructor(context: ToolContext) {
    this.context = context;
  }

  onEnter(): void {
    this.state = 'idle';
    this.pressedAt = null;
  }

  onExit(): void {
    this.onCancel();
  }

  onPointerDown(event: EditorPointerEvent): void {
    if (event.button !== 0 || this.state !== 'idle') return;
    this.pressedAt = { x: event.x, y: event.y };
    this.state = 'pointing';
  }

  onPointerMove(event: EditorPointerEvent): void {
    if (this.state !== 'pointing' || !this.pressedAt) return;
    if (Math.hypot(event.x - this.pressedAt.x, event.y - this.pressedAt.y) > DRAG_THRESHOLD_PX) this.onCancel();
  }

  onPointerUp(event: EditorPointerEvent): void {
    if (this.state !== 'pointing' || !this.pressedAt) return;
    const { x, y } = this.pressedAt;
    this.onCancel();
    const value = event.altKey ? 0 : 1;
    this.context.applyOperation(value ? 'Flood fill' : 'Flood erase', (raster) => floodFill(raster, x, y, value));
  }

  onKeyDown(event: EditorKeyEvent): boolean {
    if (event.key === 'Escape' && this.state !== 'idle') {
      this.onCancel();
      return true;
    }
    return false;
  }

  onCancel(): void {
    this.state = 'idle';
    this.pressedAt = null;
  }

  preview(): ToolPreview | null {
    return null;
  }
}
