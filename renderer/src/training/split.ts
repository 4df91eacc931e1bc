/**
 * How a set of cases splits into training and validation, for the training panel and the
 * auto-trainer (how many validation cases a job would have, how many more to approve). The rule
 * itself is the contract's (preload/split.ts, re-exported by preload/api.ts): main and the
 * trainer decide with the same function.
 */
import { minValidationCases, splitOf, validationEvery } from '../../../preload/api.ts';

export { minValidationCases, splitOf, validationEvery, type Split } from '../../../preload/api.ts';

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
