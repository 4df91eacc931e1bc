/**
 * Tools are small state machines in the tldraw manner: each tool is one class whose state moves
 * Idle -> Pointing -> Drawing and back, driven by pointer and key handlers. Tools never touch the
 * history directly; they change the mask through a ToolContext (the EditorDocument), which
 * records everything between a gesture's begin and commit as one undo step.
 */
import type { Point, Rect } from '../geometry.js';
import type { MaskRaster } from '../mask-raster.js';

export type ToolId = 'brush' | 'eraser' | 'polygon' | 'lasso' | 'flood-fill' | 'box' | 'click';

/** The tools whose gestures go to the interactive model rather than to the mask directly. */
export const interactiveToolIds: readonly ToolId[] = ['box', 'click'];

/**
 * A gesture of the Box or Click tool, in image pixel coordinates as the pointer gave them: what
 * runs the interactive model (the case view's session) turns it into a region and a request.
 */
export type InteractiveInput =
  | { readonly kind: 'box'; readonly x0: number; readonly y0: number; readonly x1: number; readonly y1: number }
  | { readonly kind: 'click'; readonly x: number; readonly y: number; readonly positive: boolean }
  /** Escape with nothing under way: forget the clicks and the region. */
  | { readonly kind: 'clear' };

export type ToolState = 'idle' | 'pointing' | 'drawing';

/** A pointer sample in image pixel coordinates (the UI converts from screen space). */
export interface EditorPointerEvent {
  readonly x: number;
  readonly y: number;
  /** 0 primary, 1 middle (panning, never reaches tools), 2 secondary. */
  readonly button: number;
  readonly altKey: boolean;
  readonly shiftKey: boolean;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
  /** How close, in image pixels, counts as "on" a point (a few screen pixels at the current zoom). */
  readonly hitRadius?: number;
}

export interface EditorKeyEvent {
  /** KeyboardEvent.key: 'z', 'Z', 'Escape', '[', '?'. */
  readonly key: string;
  readonly altKey: boolean;
  readonly shiftKey: boolean;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
}

/** What a tool wants drawn on top of the mask while it works (an open polygon, a lasso path). */
export interface ToolPreview {
  readonly points: readonly Point[];
  /** Where the next polygon point would go: the rubber band to the pointer. */
  readonly hover: Point | null;
  readonly closed: boolean;
  readonly subtract: boolean;
}

/** The document as a tool sees it. */
export interface ToolContext {
  readonly raster: MaskRaster;
  /** Brush diameter in image pixels. */
  readonly brushSize: number;
  /** Starts a gesture: changes until commit or cancel are one undo step named `label`. */
  beginGesture(label: string): void;
  /** Applies a mask change inside the open gesture; returns the changed rectangle. */
  mutate(change: (raster: MaskRaster) => Rect | null): Rect | null;
  commitGesture(): void;
  /** Rolls the open gesture back; it leaves no undo or redo entry. */
  cancelGesture(): void;
  /** A one-shot change recorded as its own undo step. */
  applyOperation(label: string, change: (raster: MaskRaster) => Rect | null): Rect | null;
  /** Tells listeners the tool's preview changed. */
  previewChanged(): void;
  /** Hands a box or a click to the interactive model's runner (it changes the mask later, as one undo step). */
  requestInteractive(input: InteractiveInput): void;
}

export interface EditorTool {
  readonly id: ToolId;
  readonly state: ToolState;
  /** Called when the tool becomes active. */
  onEnter(): void;
  /** Called when another tool takes over; an unfinished gesture is cancelled. */
  onExit(): void;
  onPointerDown(event: EditorPointerEvent): void;
  onPointerMove(event: EditorPointerEvent): void;
  onPointerUp(event: EditorPointerEvent): void;
  /**
   * The press just handed to onPointerDown was the second (or later) of a multi-click, as the
   * platform counts them (its double-click time and distance). Comes after that press, because
   * browsers only know the count once the mouse event follows the pointer event.
   */
  onDoubleClick?(event: EditorPointerEvent): void;
  /** Returns true when the tool consumed the key (then no command runs). */
  onKeyDown(event: EditorKeyEvent): boolean;
  /** Abandons the current gesture (Escape, pointer capture lost, window blur). */
  onCancel(): void;
  /** What to draw over the mask now, or null. */
  preview(): ToolPreview | null;
}

/** Pixels a pointer may wander before a press becomes a drag. */
export const DRAG_THRESHOLD_PX = 2;
