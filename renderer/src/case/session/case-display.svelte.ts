/**
 * How the case is shown: the mask drawn filled, as an outline or both (the outline is traced in
 * the worker after the frame that shows each edit), its opacity, and the stage's zoom.
 */
import type { Viewport } from '../viewport.ts';
import type { CaseContext } from './case-context.ts';
import type { MaskViewMode } from './case-stage.ts';

export interface CaseDisplayOptions {
  /** Runs `task` after `delayMs` (default setTimeout); returns a cancel. Injected for tests. */
  readonly later?: (task: () => void, delayMs: number) => () => void;
  /** Runs `task` after the next frame (default requestAnimationFrame). */
  readonly afterFrame?: (task: () => void) => void;
}

export class CaseDisplay {
  viewMode = $state<MaskViewMode>('fill');
  opacity = $state(0.45);
  /** The stage's scale (1 = one image pixel per screen pixel). */
  zoom = $state(1);
  /** "scale x y" of the image on the stage, for tests that check where it is drawn. */
  viewportText = $state('');

  private readonly context: CaseContext;
  private readonly later: NonNullable<CaseDisplayOptions['later']>;
  private readonly afterFrame: NonNullable<CaseDisplayOptions['afterFrame']>;
  private cancelOutline: (() => void) | null = null;
  private disposed = false;

  constructor(context: CaseContext, options: CaseDisplayOptions = {}) {
    this.context = context;
    this.later = options.later ?? ((task, delayMs) => {
      const timer = setTimeout(task, delayMs);
      return () => clearTimeout(timer);
    });
    this.afterFrame = options.afterFrame ?? ((task) => void requestAnimationFrame(() => task()));
  }

  /** The stage is up: it takes the mode and opacity shown. */
  stageReady(): void {
    this.context.stage?.setOpacity(this.opacity);
    if (this.viewMode !== 'fill') {
      this.context.stage?.setViewMode(this.viewMode);
      this.scheduleOutline(0);
    }
  }

  setViewMode(mode: MaskViewMode): void {
    this.viewMode = mode;
    this.context.stage?.setViewMode(mode);
    if (mode !== 'fill') this.scheduleOutline(0);
  }

  /** Fill, outline, both, fill again (the O key). */
  cycleViewMode(): void {
    this.setViewMode(this.viewMode === 'fill' ? 'outline' : this.viewMode === 'outline' ? 'both' : 'fill');
  }

  setOpacity(value: number): void {
    this.opacity = value;
    this.context.stage?.setOpacity(value);
  }

  viewportChanged(viewport: Viewport): void {
    this.zoom = viewport.scale;
    this.viewportText = `${viewport.scale} ${viewport.x} ${viewport.y}`;
  }

  /** The mask changed (an edit, undo, a followed version): a shown outline follows right after the frame. */
  maskChanged(): void {
    if (this.viewMode !== 'fill') this.afterFrame(() => this.scheduleOutline(0));
  }

  /** Traces the mask's outline in the worker and draws it, unless a newer edit came meanwhile. */
  scheduleOutline(delayMs = 250): void {
    this.cancelOutline?.();
    if (this.disposed) return;
    this.cancelOutline = this.later(() => {
      this.cancelOutline = null;
      const { editor, analyser } = this.context;
      if (!editor || !analyser || !this.context.stage) return;
      const { width, height, data, version } = editor.raster;
      void analyser.outline(width, height, data).then(
        (loops) => {
          // A newer edit has its own outline coming; drawing this one would flash the old shape.
          const stage = this.context.stage;
          if (!this.disposed && stage && editor.raster.version === version) stage.setMaskOutline(loops);
        },
        () => {},
      );
    }, delayMs);
  }

  dispose(): void {
    this.disposed = true;
    this.cancelOutline?.();
    this.cancelOutline = null;
  }
}
