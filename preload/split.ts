/**
 * The train/validation split of fine-tuning cases: the one TypeScript home of the rule. Main
 * writes it into each job's manifest (main/services/trainingInput.ts); the renderer uses it to
 * say, before a job starts, how many validation cases the job will have. Both reach it through
 * the contract (preload/api.ts re-exports it), the only module they may share.
 *
 * A case is a validation case when the first 32 bits of sha256(case id), big-endian, are
 * divisible by 4; otherwise a training case. Only the id decides, forever, so a case that
 * validated one job can never train a later one (a split redrawn per job lets validation cases
 * leak into training and inflates every later score). models/scsonet/split.py `split_of` is the
 * trainer's copy of the rule; both test the ids in models/tests/split-cases.json.
 */

/** About one case in this many is a validation case. */
export const validationEvery = 4;
/** A job needs at least this many validation cases for a meaningful comparison (main refuses fewer). */
export const minValidationCases = 5;

export type Split = 'train' | 'validation';

/** The split of one case, decided by its id alone (Web Crypto: the renderer, a worker or Node 20). */
export async function splitOf(caseId: string): Promise<Split> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(caseId));
  const head = new DataView(digest).getUint32(0, false);
  return head % validationEvery === 0 ? 'validation' : 'train';
}
