/**
 * The split rule and the gate: the two decisions that keep fine-tuning honest.
 *
 * Split: a case is a validation case or a training case from its id alone, forever (the rule
 * is preload/split.ts, shared with the renderer and tested against the trainer's ids); here,
 * what a job with too few validation cases is told.
 *
 * Gate: the candidate replaces the active model only when it is at least as good on the
 * job's validation cases and does not forget the original images (anchor set).
 */
import { minValidationCases, validationEvery, type GateDecision } from '../../preload/api.js';

/** The sentence a job shows when it has too few validation cases, or null when enough. */
export function validationShortfall(validation: number): string | null {
  if (validation >= minValidationCases) return null;
  const missing = minValidationCases - validation;
  return (
    `The job has ${validation} validation case${validation === 1 ? '' : 's'}; at least ${minValidationCases} are needed. ` +
    `About 1 case in ${validationEvery} is a validation case (decided by its id), so approve about ${missing * validationEvery} more cases.`
  );
}

/** Gate thresholds (defaults: no loss on validation, at most 1 Dice point lost on the anchors). */
export interface GateOptions {
  /** The candidate's validation Dice must be at least the base's plus this (default 0). */
  margin?: number;
  /** Largest allowed drop of anchor Dice, as a fraction (default 0.01 = 1 point). */
  maxAnchorDrop?: number;
  /** 'never' keeps every candidate (it is still scored and the reason says whether it passed). */
  activate?: 'auto' | 'never';
}

/** Scores of base and candidate on the same cases. */
export interface Comparison {
  n: number;
  base: number;
  candidate: number;
}

const points = (x: number): string => `${x >= 0 ? '+' : '-'}${Math.abs(x * 100).toFixed(1)}`;
const dice = (x: number): string => x.toFixed(3);

/** The gate's decision and its reason in one sentence. */
export function decideGate(validation: Comparison, anchor: Comparison | null, options: GateOptions = {}): GateDecision {
  const margin = options.margin ?? 0;
  const maxDrop = options.maxAnchorDrop ?? 0.01;
  const valDelta = validation.candidate - validation.base;
  const valText = `validation Dice ${dice(validation.candidate)} vs ${dice(validation.base)} on ${validation.n} cases (${points(valDelta)} points)`;
  const anchorDelta = anchor ? anchor.candidate - anchor.base : 0;
  const anchorText = anchor
    ? `anchor Dice ${dice(anchor.candidate)} vs ${dice(anchor.base)} on ${anchor.n} original images (${points(anchorDelta)} points, at most -${(maxDrop * 100).toFixed(1)} allowed)`
    : 'no anchor set was scored';
  const failures: string[] = [];
  if (valDelta < margin - 1e-9) {
    failures.push(
      margin > 0
        ? `its ${valText} is not ${(margin * 100).toFixed(1)} points better`
        : `its ${valText} is worse than the base's`,
    );
  }
  if (anchor && anchorDelta < -maxDrop - 1e-9) failures.push(`it forgets the original images: ${anchorText}`);
  if (failures.length > 0) return { activated: false, reason: `Kept as a candidate: ${failures.join('; and ')}.` };
  const passed = `${valText[0]!.toUpperCase()}${valText.slice(1)}; ${anchorText}`;
  if (options.activate === 'never') return { activated: false, reason: `Passed the gate but kept as a candidate (activation set to never): ${passed}.` };
  return { activated: true, reason: `Activated: ${passed}.` };
}
