/**
 * The split rule and the gate: the two decisions that keep fine-tuning honest.
 *
 * Split: each case is a validation case or a training case, decided once and never moved (the
 * rule is preload/split.ts, shared with the renderer and tested against the trainer); here,
 * what a job with too few validation cases is told.
 *
 * Gate: the candidate replaces the active model only when it is judged on enough validation
 * cases, does not lose on the cases a person changed, stays acceptable on the cases approved
 * unchanged, and does not forget the original images (anchor set).
 */
import { minValidationCases, validationEvery, type GateDecision, type GateParts } from '../../preload/api.js';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** About how many more approved cases bring `validation` up to what a judgement needs. */
export function approveMoreFor(validation: number): number {
  return Math.max(0, minValidationCases - validation) * validationEvery;
}

/**
 * What a job with fewer validation cases than a judgement needs is told, or null when enough.
 * Such a job still runs; its result is kept as a candidate (never activated automatically).
 */
export function validationShortfall(validation: number): string | null {
  if (validation >= minValidationCases) return null;
  const count = validation === 0 ? 'No validation case is' : `${plural(validation, 'validation case')} ${validation === 1 ? 'is' : 'are'}`;
  return `${count} too few to judge; activate by hand or approve about ${approveMoreFor(validation)} more.`;
}

/** Gate thresholds (defaults: no loss on changed cases, at most 5 points on unchanged ones, at most 1 on the anchors). */
export interface GateOptions {
  /** The candidate's Dice on the changed validation cases must be at least the base's plus this (default 0). */
  margin?: number;
  /**
   * Largest allowed drop of Dice on the validation cases approved unchanged, as a fraction
   * (default 0.05 = 5 points). The base scores about 1.0 there by construction (its own mask was
   * approved), so "not worse" would veto every candidate; approved unchanged means acceptable,
   * and a candidate within 5 points of an acceptable mask draws the same lesion with a slightly
   * different border, while one that loses more damages it.
   */
  maxUnchangedDrop?: number;
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

/** What the gate judges: all validation cases, their two parts, and the anchor set. */
export interface GateScores {
  validation: Comparison;
  /** Validation cases whose approved mask a person changed (or imported ground truth); null: not told apart (every case counts as changed). */
  changed?: Comparison | null;
  /** Validation cases whose prediction was approved as it was; null or n 0: none. */
  unchanged?: Comparison | null;
  anchor: Comparison | null;
}

const points = (x: number): string => `${x >= 0 ? '+' : '-'}${Math.abs(x * 100).toFixed(1)}`;
const dice = (x: number): string => x.toFixed(3);

/** The gate's decision, its reason in one sentence that names each part, and how each part went (for the next step the panel suggests). */
export function decideGate(scores: GateScores, options: GateOptions = {}): GateDecision {
  const margin = options.margin ?? 0;
  const maxUnchanged = options.maxUnchangedDrop ?? 0.05;
  const maxDrop = options.maxAnchorDrop ?? 0.01;
  const { validation, anchor } = scores;
  const changed = scores.changed ?? validation;
  // A trainer that did not tell the parts apart: every validation case is judged as changed.
  const changedWord = scores.changed ? 'changed case' : 'validation case';
  const unchanged = scores.unchanged && scores.unchanged.n > 0 ? scores.unchanged : null;

  const changedDelta = changed.candidate - changed.base;
  const changedText =
    changed.n === 0
      ? 'no validation case was changed by a person'
      : `on ${plural(changed.n, changedWord)} Dice ${dice(changed.candidate)} vs ${dice(changed.base)} (${points(changedDelta)} points)`;
  const unchangedDelta = unchanged ? unchanged.candidate - unchanged.base : 0;
  const unchangedText = unchanged
    ? `on ${plural(unchanged.n, 'case')} approved unchanged ${dice(unchanged.candidate)} vs ${dice(unchanged.base)} (${points(unchangedDelta)} points, at most -${(maxUnchanged * 100).toFixed(1)} allowed)`
    : null;
  const anchorDelta = anchor ? anchor.candidate - anchor.base : 0;
  const anchorText = anchor
    ? `anchor Dice ${dice(anchor.candidate)} vs ${dice(anchor.base)} on ${anchor.n} original images (${points(anchorDelta)} points, at most -${(maxDrop * 100).toFixed(1)} allowed)`
    : 'no anchor set was scored';
  const parts = [changedText, ...(unchangedText ? [unchangedText] : []), anchorText].join('; ');

  const changedFails = changed.n > 0 && changedDelta < margin - 1e-9;
  const unchangedFails = unchangedText !== null && unchangedDelta < -maxUnchanged - 1e-9;
  const anchorFails = anchor !== null && anchorDelta < -maxDrop - 1e-9;
  const result = (present: boolean, fails: boolean): GateParts['changed'] => (!present ? 'none' : fails ? 'failed' : 'passed');
  const shortfall = validationShortfall(validation.n);
  const decision = (activated: boolean, reason: string): GateDecision => ({
    activated,
    reason,
    parts: {
      judged: shortfall === null,
      changed: result(changed.n > 0, changedFails),
      unchanged: result(unchangedText !== null, unchangedFails),
      anchor: result(anchor !== null, anchorFails),
    },
  });
  if (shortfall) return decision(false, `Kept as a candidate: ${shortfall} ${capital(parts)}.`);
  // Each part is named once: the failing ones with why, then the ones that passed.
  const failures: string[] = [];
  const passed: string[] = [];
  if (changed.n === 0) failures.push('no validation case was changed by a person, so nothing shows that it fixes errors');
  else if (changedFails) {
    failures.push(`${changedText} is ${margin > 0 ? `not ${(margin * 100).toFixed(1)} points better than` : 'worse than'} the base's`);
  } else passed.push(changedText);
  if (unchangedFails) failures.push(`it damages masks approved unchanged: ${unchangedText}`);
  else if (unchangedText) passed.push(unchangedText);
  if (anchorFails) failures.push(`it forgets the original images: ${anchorText}`);
  else passed.push(anchorText);
  if (failures.length > 0) {
    return decision(false, `Kept as a candidate: ${failures.join('; and ')}.${passed.length > 0 ? ` Passed: ${passed.join('; ')}.` : ''}`);
  }
  if (options.activate === 'never') return decision(false, `Passed the gate but kept as a candidate (activation set to never): ${capital(parts)}.`);
  return decision(true, `Activated: ${capital(parts)}.`);
}

function capital(text: string): string {
  return `${text[0]!.toUpperCase()}${text.slice(1)}`;
}
