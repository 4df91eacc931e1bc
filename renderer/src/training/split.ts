/**
 * The train/validation split, decided by a case's id alone, exactly as main decides it
 * (main/services/trainingGate.ts splitOf, models/scsonet/data.py split_of): a case is a
 * validation case when the first 32 bits of sha256(case id), big-endian, are divisible by 4.
 * The panel uses it to say, before a job starts, how many validation cases it will have.
 */

/** About one case in this many is a validation case. */
export const validationEvery = 4;
/** A job needs at least this many validation cases (main refuses fewer). */
export const minValidationCases = 5;

export type Split = 'train' | 'validation';

/** The split of one case (Web Crypto: the renderer, a worker or Node 20). */
export async function splitOf(caseId: string): Promise<Split> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(caseId));
  const head = new DataView(digest).getUint32(0, false);
  return head % validationEvery === 0 ? 'validation' : 'train';
}

/** How a set of cases splits. */
export interface SplitCounts {
  total: number;
  train: number;
  validation: number;
  /** Validation cases still missing for a job to start (0 when enough). */
  missingValidation: number;
  /** About how many more approved cases would bring the missing validation cases. */
  approveMore: number;
}

/** Count the split of the given case ids. */
export async function countSplit(caseIds: readonly string[]): Promise<SplitCounts> {
  const splits = await Promise.all(caseIds.map(splitOf));
  const validation = splits.filter((s) => s === 'validation').length;
  const missingValidation = Math.max(0, minValidationCases - validation);
  return {
    total: caseIds.length,
    train: caseIds.length - validation,
    validation,
    missingValidation,
    approveMore: missingValidation * validationEvery,
  };
}
