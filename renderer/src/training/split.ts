/**
 * How a set of cases splits into training and validation, for the training panel, the
 * auto-trainer and the pairs sent to a job. The rule itself is the contract's (preload/split.ts,
 * re-exported by preload/api.ts): a case's side follows its image's bytes (the SHA-256 the
 * library stored at import), except for the cases an upgraded library lists in the
 * `splitByCaseId` setting, which keep the side their id gave them before issue 17. Either input
 * never changes, so a case never moves sides.
 */
import { minValidationCases, splitOfCaseId, splitOfDigest, validationEvery, type Split } from '../../../preload/api.ts';
import type { CaseRepository } from '../storage/index.ts';

export { minValidationCases, validationEvery, type Split } from '../../../preload/api.ts';

/** The side of one case: by its id when the library lists it (a past role), else by its image's digest. */
export async function splitOfCase(caseId: string, imageSha256: string, byCaseId: ReadonlySet<string>): Promise<Split> {
  return byCaseId.has(caseId) ? splitOfCaseId(caseId) : splitOfDigest(imageSha256);
}

/** The side of each case, by id (cases without an image are left out). */
export async function caseSplits(repository: CaseRepository, caseIds: readonly string[]): Promise<Map<string, Split>> {
  const [digests, settings] = await Promise.all([repository.getImageDigests(caseIds), repository.getSettings()]);
  const byCaseId = new Set(settings.splitByCaseId);
  const sides = await Promise.all([...digests].map(async ([id, sha]) => [id, await splitOfCase(id, sha, byCaseId)] as const));
  return new Map(sides);
}

/** How a set of cases splits. */
export interface SplitCounts {
  total: number;
  train: number;
  validation: number;
  /** Validation cases still missing for the gate to judge a result (0 when enough). */
  missingValidation: number;
  /** About how many more approved cases would bring the missing validation cases. */
  approveMore: number;
  /** A job can run: at least one validation and one training case. */
  canStart: boolean;
  /** What to know before starting when the gate could not judge the result (null when it can). */
  advice: string | null;
}

/** What the counts mean for a job, in one sentence (null: enough to judge). */
export function splitAdvice(train: number, validation: number): string | null {
  const approveMore = Math.max(0, minValidationCases - validation) * validationEvery;
  const rule = `About 1 case in ${validationEvery} is a validation case, decided by its image, and it never moves to training`;
  if (validation === 0) return `No ready case is a validation case, so nothing could judge a job. ${rule}: approve about ${approveMore} more.`;
  if (train === 0) return `Every ready case is a validation case, so a job has nothing to learn from: approve 1 or 2 more.`;
  if (validation >= minValidationCases) return null;
  return (
    `${validation} validation case${validation === 1 ? ' is' : 's are'} too few to judge: a job can run, and its result is kept as a candidate ` +
    `(activate it by hand). ${rule}: approve about ${approveMore} more to let the gate decide.`
  );
}

/** Count the split of the given cases. */
export async function countSplit(repository: CaseRepository, caseIds: readonly string[]): Promise<SplitCounts> {
  return splitCounts(await caseSplits(repository, caseIds));
}

/** How cases whose sides are known split (see caseSplits). */
export function splitCounts(sides: ReadonlyMap<string, Split>): SplitCounts {
  const validation = [...sides.values()].filter((s) => s === 'validation').length;
  const train = sides.size - validation;
  const missingValidation = Math.max(0, minValidationCases - validation);
  return {
    total: sides.size,
    train,
    validation,
    missingValidation,
    approveMore: missingValidation * validationEvery,
    canStart: validation > 0 && train > 0,
    advice: splitAdvice(train, validation),
  };
}
