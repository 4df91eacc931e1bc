/**
 * Zoom and pan of the editor stage as plain math: a viewport maps image pixels to screen (CSS)
 * pixels as screen = image * scale + offset. Konva receives the result as the stage transform.
 */
import type { Point } from '../editor/index.ts';

export interface Viewport {
  /** Screen pixels per image pixel. */
  readonly scale: number;
  /** Screen position of the image's top-left corner. */
  readonly x: number;
  readonly y: number;
}

/** Smallest and largest zoom: a 6000 px image still fits a thumbnail, one pixel may fill 64 px. */
export const MIN_SCALE = 0.005;
export const MAX_SCALE = 64;

function clampScale(scale: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}

/** The viewport that shows the whole image centred in the view, with `padding` screen pixels around it. */
export function fitViewport(imageWidth: number, imageHeight: number, viewWidth: number, viewHeight: number, padding = 16): Viewport {
  if (imageWidth <= 0 || imageHeight <= 0 || viewWidth <= 0 || viewHeight <= 0) return { scale: 1, x: 0, y: 0 };
  const availableWidth = Math.max(1, viewWidth - 2 * padding);
  const availableHeight = Math.max(1, viewHeight - 2 * padding);
  const scale = clampScale(Math.min(availableWidth / imageWidth, availableHeight / imageHeight));
  return { scale, x: (viewWidth - imageWidth * scale) / 2, y: (viewHeight - imageHeight * scale) / 2 };
}

/** Zoom by `factor` keeping the image point under `anchor` (screen pixels) where it is. */
export function zoomAt(viewport: Viewport, factor: number, anchor: Point): Viewport {
  const scale = clampScale(viewport.scale * factor);
  const ratio = scale / viewport.scale;
  return { scale, x: anchor.x - (anchor.x - viewport.x) * ratio, y: anchor.y - (anchor.y - viewport.y) * ratio };
}

/** Zoom to an absolute scale (1 = one image pixel per screen pixel) about `anchor`. */
export function zoomTo(viewport: Viewport, scale: number, anchor: Point): Viewport {
  return zoomAt(viewport, clampScale(scale) / viewport.scale, anchor);
}

/** Move the image by (dx, dy) screen pixels. */
export function panBy(viewport: Viewport, dx: number, dy: number): Viewport {
  return { scale: viewport.scale, x: viewport.x + dx, y: viewport.y + dy };
}

/** The image point (continuous pixel coordinates) under a screen point. */
export function screenToImage(viewport: Viewport, point: Point): Point {
  return { x: (point.x - viewport.x) / viewport.scale, y: (point.y - viewport.y) / viewport.scale };
}

/** The screen point of an image point. */
export function imageToScreen(viewport: Viewport, point: Point): Point {
  return { x: point.x * viewport.scale + viewport.x, y: point.y * viewport.scale + viewport.y };
}

/**
 * Zoom factor for one wheel event: smooth for trackpads (small deltas), about 1.2x per mouse
 * notch. Lines and pages (deltaMode 1, 2) are converted to pixels first.
 */
export function wheelZoomFactor(deltaY: number, deltaMode = 0): number {
  const pixels = deltaMode === 1 ? deltaY * 16 : deltaMode === 2 ? deltaY * 400 : deltaY;
  const clamped = Math.max(-200, Math.min(200, pixels));
  return Math.exp(-clamped * 0.0018);
}

/** Brush size after one shift+wheel event: about 10% per mouse notch, at least one pixel. */
export function wheelBrushSize(size: number, deltaY: number): number {
  if (deltaY === 0) return size;
  const next = size * Math.exp(-Math.max(-200, Math.min(200, deltaY)) * 0.001);
  return deltaY < 0 ? Math.max(size + 1, Math.round(next)) : Math.min(size - 1, Math.round(next));
}
