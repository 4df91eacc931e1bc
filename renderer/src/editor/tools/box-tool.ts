/**
 * Box (interactive): drag a box around the lesion and the interactive model re-segments the mask
 * inside it; a press without a drag is a click that refines the box's result (Alt or the right
 * button: skin). The tool only recognises the gesture: it hands the box or the click to whoever
 * runs the model (the document's `interactive` change), which applies the answer as one undo step.
 */
import type { Point } from '../geometry.js';
import { clickGesture, interactiveEscape, type ClickGesture } from './click-tool.js';
import type { EditorKeyEvent, EditorPointerEvent, EditorTool, ToolContext, ToolPreview, ToolState } from './tool.js';

export class BoxTool implements EditorTool {
  readonly id = 'box' as const;
  state: ToolState = 'idle';
  private readonly context: ToolContext;
  private press: ClickGesture | null = null;
  private corner: Point | null = null;

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
    if ((event.button !== 0 && event.button !== 2) || this.state !== 'idle') return;
    this.press = clickGesture(event);
    this.corner = null;
    this.state = 'pointing';
  }

  onPointerMove(event: EditorPointerEvent): void {
    if (this.state === 'idle' || !this.press) return;
    // Only the primary button draws a box; a right-button press that moves is no click either.
    if (this.state === 'pointing') {
      if (!this.press.moved(event)) return;
      if (this.press.button !== 0) {
        this.onCancel();
        return;
      }
      this.state = 'drawing';
    }
    this.corner = { x: event.x, y: event.y };
    this.context.previewChanged();
  }

  onPointerUp(event: EditorPointerEvent): void {
    if (this.state === 'idle' || !this.press) return;
    const { start, positive } = this.press;
    const drawing = this.state === 'drawing';
    this.reset();
    this.context.previewChanged();
    if (drawing) {
      this.context.requestInteractive({ kind: 'box', x0: Math.min(start.x, event.x), y0: Math.min(start.y, event.y), x1: Math.max(start.x, event.x), y1: Math.max(start.y, event.y) });
    } else {
      this.context.requestInteractive({ kind: 'click', x: start.x, y: start.y, positive });
    }
  }

  onKeyDown(event: EditorKeyEvent): boolean {
    return interactiveEscape(this, this.context, event);
  }

  onCancel(): void {
    if (this.state === 'idle') return;
    this.reset();
    this.context.previewChanged();
  }

  preview(): ToolPreview | null {
    if (this.state !== 'drawing' || !this.press || !this.corner) return null;
    const a = this.press.start;
    const b = this.corner;
    return { points: [a, { x: b.x, y: a.y }, b, { x: a.x, y: b.y }], hover: null, closed: true, subtract: false };
  }

  private reset(): void {
    this.state = 'idle';
    this.press = null;
    this.corner = null;
  }
}
