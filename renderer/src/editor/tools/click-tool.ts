/**
 * Click (interactive): a click marks lesion, Alt-click or the right button marks skin; each click
 * re-runs the interactive model with every click so far (see case/session/interactive-tool).
 * Acts on release, so a press dragged away further than a click would go, or Escape, adds nothing.
 */
import type { Point } from '../geometry.js';
import { DRAG_THRESHOLD_PX, type EditorKeyEvent, type EditorPointerEvent, type EditorTool, type ToolContext, type ToolPreview, type ToolState } from './tool.js';

/** A press that is a click until it moves further than a click would (a few screen pixels). */
export interface ClickGesture {
  readonly start: Point;
  readonly button: number;
  /** Lesion, unless Alt was held or the right button pressed (skin). */
  readonly positive: boolean;
  moved(event: EditorPointerEvent): boolean;
}

export function clickGesture(event: EditorPointerEvent): ClickGesture {
  // hitRadius is a few screen pixels in image pixels: on a 24 MP image shown whole, 2 image
  // pixels are a fraction of a screen pixel and a steady hand would never click.
  const slack = Math.max(DRAG_THRESHOLD_PX, event.hitRadius ?? 0);
  const start = { x: event.x, y: event.y };
  return {
    start,
    button: event.button,
    positive: event.button === 0 && !event.altKey,
    moved: (e) => Math.hypot(e.x - start.x, e.y - start.y) > slack,
  };
}

/**
 * Escape in the Box and Click tools: it ends a press under way; pressed again (or with none), it
 * clears the clicks. Returns whether the key was taken.
 */
export function interactiveEscape(tool: Pick<EditorTool, 'state' | 'onCancel'>, context: ToolContext, event: EditorKeyEvent): boolean {
  if (event.key !== 'Escape') return false;
  if (tool.state !== 'idle') tool.onCancel();
  else context.requestInteractive({ kind: 'clear' });
  return true;
}

export class ClickTool implements EditorTool {
  readonly id = 'click' as const;
  state: ToolState = 'idle';
  private readonly context: ToolContext;
  private press: ClickGesture | null = null;

  constructor(context: ToolContext) {
    this.context = context;
  }

  onEnter(): void {
    this.state = 'idle';
    this.press = null;
  }

  onExit(): void {
    this.onCancel();
  }

  onPointerDown(event: EditorPointerEvent): void {
    if ((event.button !== 0 && event.button !== 2) || this.state !== 'idle') return;
    this.press = clickGesture(event);
    this.state = 'pointing';
  }

  onPointerMove(event: EditorPointerEvent): void {
    if (this.state === 'pointing' && this.press?.moved(event)) this.onCancel();
  }

  onPointerUp(): void {
    if (this.state !== 'pointing' || !this.press) return;
    const { start, positive } = this.press;
    this.onCancel();
    this.context.requestInteractive({ kind: 'click', x: start.x, y: start.y, positive });
  }

  onKeyDown(event: EditorKeyEvent): boolean {
    return interactiveEscape(this, this.context, event);
  }

  onCancel(): void {
    this.state = 'idle';
    this.press = null;
  }

  preview(): ToolPreview | null {
    return null;
  }
}
