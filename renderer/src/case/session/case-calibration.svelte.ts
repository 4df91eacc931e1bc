/**
 * Calibration and the two-point ruler of one open case: the case's own pixels per millimetre,
 * the library's default, and the ruler the user draws to set either. Saved in the library (the
 * repository is passed in); the stage draws the ruler.
 */
import { pixelsPerMmFromRuler, type Point } from '../../editor/index.ts';
import { errorMessage } from '../../lib/format.ts';
import type { CaseRepository } from '../../storage/case-repository.ts';
import { parseMillimetres, resolveCalibration } from '../calibration.ts';
import type { CaseContext } from './case-context.ts';

export type CalibrationRepository = Pick<CaseRepository, 'setCaseCalibration' | 'setSettings'>;

/** Two points the user clicked and how far apart they are, in image pixels. */
export interface RulerMeasurement {
  readonly a: Point;
  readonly b: Point;
  readonly distance: number;
}

export class CaseCalibration {
  /** The case's own calibration (pixels per mm), or null. */
  caseValue = $state<number | null>(null);
  /** The library's default, or null. */
  defaultValue = $state<number | null>(null);
  /** The calibration in force: the case's, else the default, else none. */
  readonly current = $derived(resolveCalibration(this.caseValue, this.defaultValue));
  /** The ruler waits for its two clicks. */
  rulerActive = $state(false);
  /** The ruler's two points, once clicked: the form asks for their distance in millimetres. */
  ruler = $state.raw<RulerMeasurement | null>(null);
  /** What the user typed, in millimetres. */
  millimetres = $state('10');
  error = $state<string | null>(null);

  private readonly context: Pick<CaseContext, 'caseId' | 'stage' | 'messages'>;
  private readonly repository: CalibrationRepository;
  private readonly onChange: () => void;

  /** `onChange` runs after a new calibration is stored (the measurements follow it). */
  constructor(context: Pick<CaseContext, 'caseId' | 'stage' | 'messages'>, repository: CalibrationRepository, onChange: () => void = () => {}) {
    this.context = context;
    this.repository = repository;
    this.onChange = onChange;
  }

  /** The stored values, as the case opens. */
  load(caseValue: number | null, defaultValue: number | null): void {
    this.caseValue = caseValue;
    this.defaultValue = defaultValue;
  }

  /** The next two clicks on the image are the ruler's ends. */
  startRuler(): void {
    this.ruler = null;
    this.rulerActive = true;
    this.context.stage?.startRuler();
  }

  /** Ends a ruler waiting for its clicks (a tool, an operation or Esc takes over). */
  stopRuler(): void {
    if (this.rulerActive) this.context.stage?.stopRuler();
    this.rulerActive = false;
  }

  /** Esc: ends the ruler and forgets its points. Returns whether there was one. */
  cancel(): boolean {
    if (!this.rulerActive && !this.ruler) return false;
    this.stopRuler();
    this.ruler = null;
    return true;
  }

  /** The stage measured the ruler's two points. */
  measured(a: Point, b: Point): void {
    this.rulerActive = false;
    this.error = null;
    this.ruler = { a, b, distance: Math.hypot(b.x - a.x, b.y - a.y) };
  }

  /** Stores the ruler's calibration for this case or as the library's default. */
  async set(scope: 'case' | 'default'): Promise<void> {
    const ruler = this.ruler;
    if (!ruler) return;
    const mm = parseMillimetres(this.millimetres);
    if (mm === null) {
      this.error = 'Enter the distance between the two points in millimetres, e.g. 10.';
      return;
    }
    const value = pixelsPerMmFromRuler(ruler.a, ruler.b, mm);
    try {
      if (scope === 'case') this.caseValue = (await this.repository.setCaseCalibration(this.context.caseId, value)).pixelsPerMm;
      else this.defaultValue = (await this.repository.setSettings({ defaultPixelsPerMm: value })).defaultPixelsPerMm;
    } catch (error) {
      this.error = `The calibration was not saved: ${errorMessage(error)}`;
      return;
    }
    this.onChange();
    this.ruler = null;
    this.context.stage?.stopRuler();
  }

  /** Drops the case's own calibration: the default applies again. */
  async useDefault(): Promise<void> {
    try {
      this.caseValue = (await this.repository.setCaseCalibration(this.context.caseId, null)).pixelsPerMm;
      this.onChange();
    } catch (error) {
      this.context.messages.problem = `The calibration was not changed: ${errorMessage(error)}`;
    }
  }
}
