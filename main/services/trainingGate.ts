/**
 * The split rule and the gate: the two decisions that keep fine-tuning honest.
 *
 * Split: a case is a validation case or a training case from its id alone, forever, so a case
 * that validated one job can never train a later one (a split redrawn per job lets validation
 * cases leak into training and inflates every later score). models/scsonet/data.py
 * `split_of` implements the same rule; both test the same ids.
 *
 * Gate: the candidate replaces the active model only when it is at least as good on the
 * job's validation cases and does not forget the original images (anchor set).
 */
import { createHash } from 'node:crypto';
import type { GateDecision } from '../../preload/api.js';

/** About one case in four validates: `sha256(id)`'s first 32 bits modulo 4 equal 0. */
export const validationEvery = 4;
/** A job needs at least this many validation cases for a meaningful comparison. */
export const minValidationCases = 5;

export type Split = 'train' | 'validation';

/** The split of a case, decided by its id (see the module comment). */
export function splitOf(caseId: string): Split {
  const head = createHash('sha256').update(caseId, 'utf8').digest().readUInt32BE(0);
  return head % validationEvery === 0 ? 'validation' : 'train';
}

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
