/**
 * The rows of a Dice table that shows how each part of the gate went: the validation cases a
 * person changed, those approved unchanged, and the anchor set, each with base and candidate
 * Dice and whether that part passed. A version or job recorded before the parts were scored
 * apart shows its pooled validation Dice instead. Shared by the training panel's result and the
 * Models list, so both say the same thing.
 */
import type { DiceComparison, GateDecision, GateParts } from '../../../preload/api.ts';

export interface GateRow {
  label: string;
  dice: DiceComparison;
  /** How the gate judged this part; null when it did not record it. */
  result: GateParts['changed'] | null;
}

/** What a gate row is read from: a job's result or a model version. */
export interface GateScores {
  validation: DiceComparison | null;
  changed?: DiceComparison | null;
  unchanged?: DiceComparison | null;
  anchor: DiceComparison | null;
  gate: GateDecision | null;
}

/** The table's rows, in the order the gate's sentence names them. */
export function gateRows(scores: GateScores): GateRow[] {
  const parts = scores.gate?.parts ?? null;
  const rows: GateRow[] = [];
  const split = (scores.changed?.n ?? 0) + (scores.unchanged?.n ?? 0) > 0;
  if (split) {
    if (scores.changed && scores.changed.n > 0) rows.push({ label: 'Changed cases', dice: scores.changed, result: parts?.changed ?? null });
    if (scores.unchanged && scores.unchanged.n > 0) rows.push({ label: 'Approved unchanged', dice: scores.unchanged, result: parts?.unchanged ?? null });
  } else if (scores.validation) {
    // Not told apart: the gate judged every validation case as changed.
    rows.push({ label: 'Validation', dice: scores.validation, result: parts?.changed ?? null });
  }
  if (scores.anchor) rows.push({ label: 'Anchor', dice: scores.anchor, result: parts?.anchor ?? null });
  return rows;
}

/** A short word for a part's result in the table ('' where there is none to show). */
export function partWord(result: GateRow['result']): string {
  return result === 'passed' ? 'passed' : result === 'failed' ? 'failed' : '';
}
