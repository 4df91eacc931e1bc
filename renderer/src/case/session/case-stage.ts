/**
 * What the case session asks of the stage that draws the case (EditorStage, with Konva). The
 * session holds the rules and passes this in, so its classes are unit-tested with a fake stage
 * and import no Konva.
 */
import type { Point } from '../../editor/index.ts';
import type { InteractiveMarks } from './interactive-tool.svelte.ts';

/** How the mask is drawn over the image. */
export type MaskViewMode = 'fill' | 'outline' | 'both';

/** Closed outlines in image pixels. */
export type Outline = readonly (readonly Point[])[];

/** A binary mask at display resolution (the threshold preview while the slider moves). */
export interface PreviewMask {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export interface CaseStage {
  fit(): void;
  actualSize(): void;
  zoomBy(factor: number): void;
  setViewMode(mode: MaskViewMode): void;
  setOpacity(opacity: number): void;
  setPanKeyHeld(held: boolean): void;
  setMaskOutline(loops: Outline): void;
  setCompareOutline(loops: Outline | null): void;
  setPredictionOutline(loops: Outline | null): void;
  /** The prediction thresholded at display resolution in place of the mask; null ends it. */
  showThresholdPreview(mask: PreviewMask | null): void;
  /** The Box and Click tools' dots and the region they refine; empty hides them. */
  setInteractiveMarks(marks: InteractiveMarks): void;
  startRuler(): void;
  stopRuler(): void;
  destroy(): void;
}
